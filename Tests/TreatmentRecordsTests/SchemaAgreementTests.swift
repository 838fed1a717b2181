import Foundation
import Testing
import TreatmentRecords

/// Runs the repository's independent schema validator (Python `jsonschema`, draft 2020-12).
func runSchemaValidator(_ arguments: [String]) throws -> (status: Int32, output: String) {
  let script = repositoryRoot.appendingPathComponent("Tools/schema-validate/validate_events.py")
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  process.arguments = ["python3", script.path] + arguments
  let pipe = Pipe()
  process.standardOutput = pipe
  process.standardError = pipe
  try process.run()
  let output = pipe.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return (process.terminationStatus, String(decoding: output, as: UTF8.self))
}

@Suite("Schema agreement")
struct SchemaAgreementTests {
  @Test(
    "What Swift writes for random payloads validates against Schemas/events",
    arguments: ClinicalEvent.allTypes.map(\.type))
  func swiftOutputValidates(_ type: String) throws {
    var generator = ClinicalEventGenerator(seed: stableSeed("schema-" + type))
    var lines: [String] = []
    for _ in 0..<150 {
      guard let event = generator.event(ofType: type) else {
        Issue.record("no generator for \(type)")
        return
      }
      lines.append(String(decoding: try event.jsonData(), as: UTF8.self))
    }
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("records-schema-\(UUID().uuidString.lowercased())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("\(type).ndjson")
    try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: file)

    let result = try runSchemaValidator(["--kind", "data", "--type", type, file.path])
    #expect(result.status == 0, "\(result.output)")
    #expect(result.output.contains("150 valid"), "\(result.output)")
  }

  @Test("The protocol Swift writes validates against protocol.v1.schema.json")
  func protocolValidates() throws {
    var thresholds = ClinicalThresholds()
    thresholds.heartRateHighBpm = 105
    let file = FileManager.default.temporaryDirectory
      .appendingPathComponent("records-protocol-\(UUID().uuidString.lowercased()).json")
    defer { try? FileManager.default.removeItem(at: file) }
    try JSONEncoder().encode(ClinicalProtocol(protocolVersion: "clinic-9", thresholds: thresholds))
      .write(to: file)
    let result = try runSchemaValidator(["--kind", "protocol", file.path])
    #expect(result.status == 0, "\(result.output)")
  }
}
