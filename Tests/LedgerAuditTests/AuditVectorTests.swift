import Foundation
import LedgerAudit
import LedgerFoundation
import LedgerTestSupport
import Testing

/// The conformance vectors of `Tools/audit-verify/vectors` (docs/AUDIT.md 2.6): every vector gets
/// the verdict `index.json` states, with and without the store's public key, from the library's
/// verifier and from `verify_export.py` alike.
@Suite struct AuditVectorTests {
  struct Vector: Decodable, Sendable, CustomTestStringConvertible {
    var name: String
    var description: String
    var withPublicKey: String
    var withoutPublicKey: String
    var testDescription: String { name }
  }

  struct Index: Decodable {
    var format: String
    var publicKey: String
    var vectors: [Vector]
  }

  static var folder: String { RepositoryPaths.root + "/Tools/audit-verify/vectors" }

  static func index() throws -> Index {
    try JSONDecoder().decode(
      Index.self, from: Data(contentsOf: URL(fileURLWithPath: folder + "/index.json")))
  }

  static func publicKey() throws -> [UInt8] {
    let text = try String(contentsOfFile: folder + "/" + index().publicKey, encoding: .utf8)
    return try #require(Hex.decode(text.trimmingCharacters(in: .whitespacesAndNewlines)))
  }

  static let vectors: [Vector] = (try? index().vectors) ?? []

  @Test func theIndexListsTheVectorsOnDisk() throws {
    let index = try Self.index()
    #expect(index.format == "treatment-ledger-audit-vectors-1")
    #expect(index.vectors.count >= 20)
    for vector in index.vectors {
      var isDirectory: ObjCBool = false
      #expect(
        FileManager.default.fileExists(
          atPath: Self.folder + "/" + vector.name, isDirectory: &isDirectory)
          && isDirectory.boolValue,
        "\(vector.name)")
    }
    #expect(Set(index.vectors.map(\.withoutPublicKey)).count >= 8, "the vectors cover many kinds")
  }

  @Test(arguments: vectors)
  func bothVerifiersReachTheStatedVerdict(_ vector: Vector) async throws {
    let directory = Self.folder + "/" + vector.name
    let key = try Self.publicKey()
    for (keys, expected) in [([key], vector.withPublicKey), ([], vector.withoutPublicKey)] {
      let report = await AuditVerifier(semantics: ClinicalLikeSemantics(), trustedKeys: keys)
        .verify(directory: directory)
      #expect(
        (report.problem?.kind.rawValue ?? "intact") == expected,
        "\(vector.name), \(keys.isEmpty ? "without" : "with") the key: \(report.problem?.description ?? "intact")"
      )
      var arguments = [
        RepositoryPaths.root + "/Tools/audit-verify/verify_export.py", directory, "--json",
      ]
      if !keys.isEmpty { arguments += ["--public-key", Self.folder + "/public-key.txt"] }
      let python = try ProcessResult.run("/usr/bin/env", ["python3"] + arguments)
      let object =
        try JSONSerialization.jsonObject(with: Data(python.stdout.utf8)) as? [String: Any]
      let kind = (object?["problem"] as? [String: Any])?["kind"] as? String ?? "intact"
      #expect(
        kind == expected,
        "verify_export.py, \(vector.name), \(keys.isEmpty ? "without" : "with") the key: \(python.stdout)"
      )
    }
  }
}
