import Foundation
import LedgerServer
import LedgerTestSupport
import Testing
import TreatmentLedger

/// Holds the hand-written routes against `Schemas/openapi.yaml`, and the document's event
/// schemas against the JSON Schemas of `Schemas/`.
@Suite("The OpenAPI document")
struct OpenAPIDocumentTests {
  /// The document as JSON (read by Python's yaml, an independent parser).
  static func document() throws -> JSONValue {
    let result = try ProcessResult.run(
      "/usr/bin/env",
      [
        "python3", "-c",
        "import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)",
        RepositoryPaths.root + "/Schemas/openapi.yaml",
      ])
    #expect(result.status == 0, "\(result.stderr)")
    return try JSONValue.parse(Data(result.stdout.utf8))
  }

  static func schema(_ name: String) throws -> JSONValue {
    let data = try Data(contentsOf: URL(fileURLWithPath: RepositoryPaths.root + "/Schemas/" + name))
    return try JSONValue.parse(data)
  }

  static func keys(_ value: JSONValue?) -> Set<String> { Set(value?.objectValue?.keys ?? [:].keys) }

  static func strings(_ value: JSONValue?) -> Set<String> {
    guard case .array(let items)? = value else { return [] }
    return Set(items.compactMap(\.stringValue))
  }

  @Test("every route the server has is documented, and every documented route exists")
  func routesMatch() throws {
    let document = try Self.document()
    #expect(document["openapi"] == .string("3.1.0"))
    var documented: Set<String> = []
    for (path, item) in document["paths"]?.objectValue ?? [:] {
      for method in (item.objectValue ?? [:]).keys where method != "parameters" {
        documented.insert("\(method.uppercased()) \(path)")
      }
    }
    let directory = TemporaryDirectory("openapi")
    defer { directory.remove() }
    let ledger = try Ledger.open(Ledger.Configuration(path: directory.appending("store")))
    defer { ledger.close() }
    try AuthFile().save(path: directory.appending("auth.json"))
    let server = try LedgerServer(
      ledger: ledger, configuration: .init(authFile: directory.appending("auth.json")),
      logger: .init(label: "test"))
    let served = Set(
      server.router().routes.map { route in
        let path = route.path.description.split(separator: "/").map { part in
          part.hasPrefix(":") ? "{\(part.dropFirst())}" : String(part)
        }
        return "\(route.method.rawValue) /" + path.joined(separator: "/")
      })
    #expect(served == documented)
    #expect(served.count >= 18)
  }

  @Test("InputEvent is input.v1.schema.json; StoredEvent is envelope.v1.schema.json")
  func eventSchemasMatch() throws {
    let schemas = try Self.document()["components"]?["schemas"]
    let input = try Self.schema("input.v1.schema.json")
    let envelope = try Self.schema("envelope.v1.schema.json")
    #expect(Self.keys(schemas?["InputEvent"]?["properties"]) == Self.keys(input["properties"]))
    #expect(Self.strings(schemas?["InputEvent"]?["required"]) == Self.strings(input["required"]))
    #expect(schemas?["InputEvent"]?["additionalProperties"] == .bool(false))
    let types = try Self.schema("defs.v1.schema.json")["$defs"]?["eventType"]?["enum"]
    #expect(
      Self.strings(schemas?["InputEvent"]?["properties"]?["type"]?["enum"]) == Self.strings(types))
    #expect(Self.keys(schemas?["StoredEvent"]?["properties"]) == Self.keys(envelope["properties"]))
    #expect(
      Self.strings(schemas?["StoredEvent"]?["required"]) == Self.strings(envelope["required"]))
  }

  @Test("every secured operation documents 401 and 403, and problems are problem+json")
  func refusalsDocumented() throws {
    let document = try Self.document()
    for (path, item) in document["paths"]?.objectValue ?? [:] {
      for (method, operation) in item.objectValue ?? [:] where method != "parameters" {
        let responses = Self.keys(operation["responses"])
        if operation["security"] == .array([]) { continue }
        #expect(responses.isSuperset(of: ["401", "403"]), "\(method) \(path)")
      }
    }
    let problem = document["components"]?["responses"]?["Problem"]?["content"]
    #expect(Self.keys(problem) == ["application/problem+json"])
  }
}
