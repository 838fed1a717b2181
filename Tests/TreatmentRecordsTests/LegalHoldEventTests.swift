import Foundation
import LedgerEventStore
import LedgerFoundation
import LedgerTestSupport
import Testing
import TreatmentRecords

/// Legal-hold events: strict reading, the published examples, and agreement with the schemas.
@Suite("Legal-hold events")
struct LegalHoldEventTests {
  static let payloads: [LegalHoldEvent] = [
    .placed(LegalHoldPlaced(holdId: "matter-1", scope: "all", reason: "Investigation")),
    .placed(LegalHoldPlaced(holdId: "matter-2", scope: "demo-0001", reason: "Subpoena")),
    .released(LegalHoldReleased(holdId: "matter-1", reason: "Closed")),
  ]

  static func decode(_ type: String, _ json: String) throws(ClinicalValidationError)
    -> LegalHoldEvent
  {
    let value: JSONValue
    do { value = try JSONValue.parse(Data(json.utf8)) } catch {
      throw ClinicalValidationError(eventType: type, field: "", rule: "test", limit: "")
    }
    return try LegalHoldEvent.decode(type: type, schemaVersion: 1, value: value)
  }

  @Test func readingIsStrict() {
    let cases: [(String, String, String, String)] = [
      ("LegalHoldPlaced", #"{"holdId":"h","scope":"all"}"#, "reason", "decode.field.missing"),
      (
        "LegalHoldPlaced", #"{"holdId":"h","scope":"all","reason":"r","patient":"x"}"#,
        "patient", "decode.field.unknownKey"
      ),
      (
        "LegalHoldPlaced", #"{"holdId":7,"scope":"all","reason":"r"}"#, "holdId",
        "decode.field.wrongType"
      ),
      ("LegalHoldReleased", #"{"holdId":"h","reason":null}"#, "reason", "decode.field.wrongType"),
      ("LegalHoldLifted", #"{"holdId":"h","reason":"r"}"#, "type", "decode.type.unknown"),
    ]
    for (type, json, field, rule) in cases {
      do {
        _ = try Self.decode(type, json)
        Issue.record("\(type) \(json) was read")
      } catch {
        #expect(error.field == field, "\(json)")
        #expect(error.rule == rule, "\(json)")
      }
    }
    #expect(throws: ClinicalValidationError.self) {
      try LegalHoldEvent.decode(
        type: "LegalHoldPlaced", schemaVersion: 2,
        value: Self.payloads[0].json)
    }
  }

  @Test func theExamplesReadIntoTheTypesAndWriteBackTheSameData() throws {
    let folder = RepositoryPaths.root + "/Schemas/examples/holds"
    let names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
    #expect(names.count == LegalHoldEvent.allTypes.count)
    for name in names {
      let value = try JSONValue.parse(
        try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name)))
      let type = try #require(value["type"]?.stringValue)
      #expect(value["streamId"]?.stringValue == LegalHoldReviewer.stream)
      let data = try #require(value["data"])
      let event = try LegalHoldEvent.decode(type: type, schemaVersion: 1, value: data)
      #expect(event.eventType == type)
      #expect(event.json.canonicalBytes == data.canonicalBytes, "\(name)")
    }
  }

  @Test(
    "What Swift writes validates against Schemas/events",
    arguments: LegalHoldEvent.allTypes.map(\.type))
  func swiftOutputValidates(_ type: String) throws {
    let lines = Self.payloads.filter { $0.eventType == type }.map {
      String(decoding: $0.json.canonicalBytes, as: UTF8.self)
    }
    #expect(!lines.isEmpty)
    let directory = TemporaryDirectory("hold-schema")
    defer { directory.remove() }
    let file = directory.appending("\(type).ndjson")
    try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: file))
    let result = try ProcessResult.run(
      "/usr/bin/env",
      [
        "python3", RepositoryPaths.root + "/Tools/schema-validate/validate_events.py", "--kind",
        "data", "--type", type, file,
      ])
    #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
  }

  @Test func theReviewerStateSurvivesItsStoredForm() throws {
    let reviewer = LegalHoldReviewer()
    var state = LegalHoldState()
    for (index, event) in Self.payloads.enumerated() {
      let recorded = RecordedEvent(
        eventId: UUID(), type: event.eventType, schemaVersion: 1,
        streamId: LegalHoldReviewer.stream, streamVersion: UInt64(index),
        globalPosition: UInt64(index), occurredAt: "2026-11-20T09:00:00-05:00",
        recordedAt: "2026-11-20T14:00:00Z",
        recordedBy: Recorder(id: "staff-1", name: "Robin Example", role: "complianceOfficer"),
        correlationId: nil, causationId: nil, data: event.json, flags: [], previousHash: .zero,
        previousStreamHash: .zero, hash: .zero, canonicalBytes: [])
      reviewer.absorb(recorded, stream: LegalHoldReviewer.stream, state: &state)
    }
    #expect(state.holds == ["matter-1": true, "matter-2": false])
    let bytes = reviewer.encodeState(state)
    #expect(try reviewer.decodeState(bytes, stream: LegalHoldReviewer.stream) == state)
    #expect(try reviewer.decodeState(nil, stream: LegalHoldReviewer.stream) == LegalHoldState())
    #expect(throws: EventStoreError.self) {
      try reviewer.decodeState(Array("xmatter".utf8), stream: LegalHoldReviewer.stream)
    }
  }

  @Test func everyRuleHasAFieldAndALimit() {
    let codes = LegalHoldRule.allCases.map(\.rawValue)
    #expect(Set(codes).count == codes.count)
    #expect(codes.allSatisfy { $0.hasPrefix("hold.") })
    #expect(LegalHoldRule.allCases.allSatisfy { !$0.field.isEmpty && !$0.limit.isEmpty })
  }
}
