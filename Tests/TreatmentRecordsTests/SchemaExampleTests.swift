import Foundation
import LedgerFoundation
import Testing
import TreatmentRecords

/// The repository root, found from this file's path (symbolic links resolved).
let repositoryRoot = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
  .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// An input line as the conventions define it (only what this test reads).
struct InputLine: Decodable {
  var eventId: String
  var type: String
  var streamId: String?
  var schemaVersion: Int?
  var occurredAt: String
  var data: JSONValue
}

@Suite("Schema examples")
struct SchemaExampleTests {
  static let examples = repositoryRoot.appendingPathComponent("Schemas/examples")

  static func exampleFiles() -> [URL] {
    let files =
      (try? FileManager.default.contentsOfDirectory(at: examples, includingPropertiesForKeys: nil))
      ?? []
    return files.filter { $0.lastPathComponent.hasSuffix(".v1.example.json") }
      .sorted { $0.lastPathComponent < $1.lastPathComponent }
  }

  @Test("Every Schemas/examples/*.v1.example.json decodes into the Swift types")
  func examplesDecode() throws {
    let files = Self.exampleFiles()
    try #require(
      files.count >= 15,
      "expected at least 15 example files in \(Self.examples.path), found \(files.count)")
    var typesSeen = Set<String>()
    for file in files {
      let name = file.lastPathComponent
      let bytes = try Data(contentsOf: file)
      if name.hasPrefix("protocol.") {
        #expect(throws: Never.self, "\(name)") { try ClinicalProtocol.load(json: bytes) }
        continue
      }
      if name.hasPrefix("envelope.") || name.hasPrefix("input.") || name.hasPrefix("defs.") {
        // The envelope example is an event too: decode its data the same way.
        guard let line = try? JSONDecoder().decode(InputLine.self, from: bytes) else { continue }
        try check(line, name: name)
        continue
      }
      let line = try JSONDecoder().decode(InputLine.self, from: bytes)
      #expect(name == "\(line.type).v1.example.json", "file name and type disagree")
      try check(line, name: name)
      typesSeen.insert(line.type)
    }
    let missing = Set(ClinicalEvent.allTypes.map(\.type)).subtracting(typesSeen)
    #expect(missing.sorted() == [], "event types without an example")
  }

  @Test("The event examples, in clinical order, form a valid patient stream")
  func examplesFormAStream() throws {
    var lines: [InputLine] = []
    for file in Self.exampleFiles() {
      let name = file.lastPathComponent
      guard !name.hasPrefix("protocol."), !name.hasPrefix("envelope.") else { continue }
      lines.append(try JSONDecoder().decode(InputLine.self, from: Data(contentsOf: file)))
    }
    try #require(lines.count >= 15)
    func time(_ line: InputLine) -> Date { ClinicalTime(line.occurredAt)?.date ?? .distantPast }
    lines.sort { time($0) < time($1) }
    let now = Date(timeIntervalSince1970: 1_830_297_600)  // 2028-01-01
    var state = PatientDecisionState()
    for line in lines {
      let event = try ClinicalEvent.decode(
        type: line.type, schemaVersion: line.schemaVersion ?? 1,
        json: JSONEncoder().encode(line.data))
      let eventId = try #require(UUID(uuidString: line.eventId))
      let occurredAt = try #require(ClinicalTime(line.occurredAt))
      if case .patientRegistered(let data) = event, let streamId = line.streamId {
        #expect(PatientDecisionState.patientId(fromStream: streamId) == data.patientId)
      }
      do {
        _ = try state.validate(
          event, eventId: eventId, occurredAt: occurredAt, now: now, protocol: ClinicalProtocol(),
          otherStreamHasEvent: { _ in false })
      } catch {
        Issue.record("\(line.type) example rejected: \(error)")
      }
      state = state.applying(event, eventId: eventId, occurredAt: occurredAt)
    }
  }

  private func check(_ line: InputLine, name: String) throws {
    #expect(UUID(uuidString: line.eventId) != nil, "\(name): eventId")
    #expect(ClinicalTime(line.occurredAt) != nil, "\(name): occurredAt")
    let data = try JSONEncoder().encode(line.data)
    let event: ClinicalEvent
    do {
      event = try ClinicalEvent.decode(
        type: line.type, schemaVersion: line.schemaVersion ?? 1, json: data)
    } catch {
      Issue.record("\(name): \(error)")
      return
    }
    // What Swift writes back is the same JSON object the example holds.
    let rewritten = try JSONDecoder().decode(JSONValue.self, from: event.jsonData())
    #expect(rewritten == line.data, "\(name): Swift writes a different object")
  }
}
