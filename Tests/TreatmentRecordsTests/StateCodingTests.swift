import Foundation
import LedgerEventStore
import LedgerFoundation
import LedgerTestSupport
import Testing
import TreatmentRecords

/// The binary forms of the projection states and of the decision state: random patient streams
/// (corrections, voids, several courses) round-trip exactly, re-encode to the same bytes, and
/// damaged bytes are refused with `.incompatibleStore`, never a trap.
@Suite("State coding of projections and the decision state")
struct ClinicalStateCodingTests {
  static let recorder = Recorder(id: "staff-1", name: "Test Nurse \"Ü\"", role: "nurse")

  private func recorded(_ events: [StreamEvent]) throws -> [RecordedEvent] {
    try events.enumerated().map { index, event in
      RecordedEvent(
        eventId: event.eventId, type: event.event.eventType, schemaVersion: 1,
        streamId: "patient-x",
        streamVersion: UInt64(index), globalPosition: UInt64(index * 3 + 1),
        occurredAt: event.occurredAt.text,
        recordedAt: "2026-11-23T00:00:\(String(format: "%02d", index % 60)).000000Z",
        recordedBy: Self.recorder,
        correlationId: nil, causationId: nil, data: try JSONValue.parse(try event.event.jsonData()),
        flags: index % 5 == 0
          ? [.object(["code": .string("bp.high"), "field": .string("systolicMmHg")])] : [],
        previousHash: .zero, previousStreamHash: .zero, hash: .zero, canonicalBytes: [])
    }
  }

  @Test(
    "Projection states round-trip and re-encode identically", arguments: [3, 5, 8, 13] as [UInt64])
  func projectionRoundTrip(seed: UInt64) throws {
    var scenario = ScenarioGenerator(seed: seed)
    let events = try recorded(scenario.generate(length: 140))
    let timeline = PatientTimelineProjection()
    let summary = CourseSummaryProjection()
    var timelineState = timeline.initialState(stream: "patient-x")
    var summaryState = summary.initialState(stream: "patient-x")
    for (index, event) in events.enumerated() {
      try timeline.apply(event, to: &timelineState)
      try summary.apply(event, to: &summaryState)
      guard index % 10 == 0 || index == events.count - 1 else { continue }
      let timelineBytes = timeline.encode(timelineState)
      let decodedTimeline = try timeline.decode(timelineBytes, stream: "patient-x")
      #expect(decodedTimeline == timelineState)
      #expect(timeline.encode(decodedTimeline) == timelineBytes)
      let summaryBytes = summary.encode(summaryState)
      let decodedSummary = try summary.decode(summaryBytes, stream: "patient-x")
      #expect(decodedSummary == summaryState)
      #expect(summary.encode(decodedSummary) == summaryBytes)
      // The summary is memoised per state value: after more events, or at another time, it must
      // still equal the summary of a freshly decoded state.
      for now in [
        Date(timeIntervalSince1970: 1_900_000_000), Date(timeIntervalSince1970: 1_700_000_000),
      ] {
        #expect(summaryState.summary(now: now) == decodedSummary.summary(now: now))
        let fresh = try summary.decode(summaryBytes, stream: "patient-x")
        #expect(fresh.summary(now: now) == summaryState.summary(now: now))
      }
    }
    #expect(timelineState.entries.contains { $0.correctedBy != nil || $0.voidedBy != nil })
  }

  @Test("Damaged projection state is refused as an incompatible store")
  func damagedProjectionState() throws {
    var scenario = ScenarioGenerator(seed: 21)
    let events = try recorded(scenario.generate(length: 30))
    let timeline = PatientTimelineProjection()
    var state = timeline.initialState(stream: "patient-x")
    for event in events { try timeline.apply(event, to: &state) }
    let bytes = timeline.encode(state)
    for length in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 200)) {
      #expect(throws: EventStoreError.self) {
        _ = try timeline.decode(Array(bytes[..<length]), stream: "patient-x")
      }
    }
    // Version 1 stored JSON: it is not read as state of this version.
    let json = Array(try JSONEncoder().encode(state))
    #expect(throws: EventStoreError.self) { _ = try timeline.decode(json, stream: "patient-x") }
    #expect(throws: EventStoreError.self) {
      _ = try CourseSummaryProjection().decode(json, stream: "patient-x")
    }
  }

  @Test(
    "The decision state round-trips in binary, and its JSON form still decodes", arguments: 0..<12)
  func decisionStateRoundTrip(seed: UInt64) throws {
    var scenario = ScenarioGenerator(seed: seed &* 7_919 &+ 3)
    let events = scenario.generate(length: 100)
    let reviewer = ClinicalReviewer()
    var state = PatientDecisionState()
    for (index, item) in events.enumerated() {
      state = state.applying(item.event, eventId: item.eventId, occurredAt: item.occurredAt)
      guard index % 9 == 0 || index == events.count - 1 else { continue }
      let bytes = reviewer.encodeState(state)
      let decoded = try reviewer.decodeState(bytes, stream: "patient-x")
      #expect(decoded == state)
      #expect(reviewer.encodeState(decoded) == bytes)
    }
    let legacy = Array(try JSONEncoder().encode(state))
    #expect(try reviewer.decodeState(legacy, stream: "patient-x") == state)
    let bytes = reviewer.encodeState(state)
    for length in 0..<min(bytes.count, 300) {
      #expect(throws: EventStoreError.self) {
        _ = try reviewer.decodeState(Array(bytes[..<length]), stream: "patient-x")
      }
    }
  }
}

/// `ClinicalEvent.decode(type:schemaVersion:value:)` (decoding the parsed payload directly) must
/// agree with the JSON text path in results and in errors.
@Suite("Decoding parsed payloads")
struct ParsedPayloadDecodingTests {
  @Test(
    "Valid payloads of every type decode as from their JSON text",
    arguments: ClinicalEvent.allTypes.map(\.type))
  func validPayloads(_ type: String) throws {
    var generator = ClinicalEventGenerator(seed: 0xFA57 &+ UInt64(type.utf8.count))
    for _ in 0..<150 {
      let generated = generator.event(ofType: type)
      let event = try #require(generated)
      let json = try event.jsonData()
      let value = try JSONValue.parse(json)
      #expect(try ClinicalEvent.decode(type: type, schemaVersion: 1, value: value) == event)
      #expect(try ClinicalEvent.decode(type: type, schemaVersion: 1, json: json) == event)
    }
  }

  private enum Outcome: Equatable {
    case decoded(ClinicalEvent)
    case refused(field: String, rule: String, limit: String)
  }

  private func outcome(_ body: () throws(ClinicalValidationError) -> ClinicalEvent) -> Outcome {
    do { return .decoded(try body()) } catch {
      return .refused(field: error.field, rule: error.rule, limit: error.limit)
    }
  }

  @Test(
    "Damaged payloads fail with the same field, rule and limit",
    arguments: ClinicalEvent.allTypes.map(\.type))
  func damagedPayloads(_ type: String) throws {
    var generator = ClinicalEventGenerator(seed: 0xBAD5 &+ UInt64(type.utf8.count))
    var rng = SeededGenerator(seed: 77)
    let replacements: [JSONValue] = [
      .null, .bool(true), .number(1.5), .number(3), .number(-1e300), .string("x"),
      .string("2026-11-02T10:15:00Z"),
      .array([]), .array([.number(1), .string("a")]), .object([:]), .object(["x": .null]),
    ]
    for _ in 0..<150 {
      let generated = generator.event(ofType: type)
      let event = try #require(generated)
      guard case .object(var members) = try JSONValue.parse(try event.jsonData()), !members.isEmpty
      else { continue }
      switch Int.random(in: 0...2, using: &rng) {
      case 0:
        let key = members.keys.sorted()[Int.random(in: 0..<members.count, using: &rng)]
        members[key] = replacements[Int.random(in: 0..<replacements.count, using: &rng)]
      case 1:
        let key = members.keys.sorted()[Int.random(in: 0..<members.count, using: &rng)]
        members[key] = nil
      default:
        members["unexpected"] = .number(1)
      }
      let value = JSONValue.object(members)
      let fast = outcome { () throws(ClinicalValidationError) in
        try ClinicalEvent.decode(type: type, schemaVersion: 1, value: value)
      }
      let text = outcome { () throws(ClinicalValidationError) in
        try ClinicalEvent.decode(type: type, schemaVersion: 1, json: Data(value.canonicalBytes))
      }
      #expect(fast == text)
    }
    #expect(throws: ClinicalValidationError.self) {
      try ClinicalEvent.decode(type: type, schemaVersion: 2, value: .object([:]))
    }
    #expect(throws: ClinicalValidationError.self) {
      try ClinicalEvent.decode(type: type, schemaVersion: 1, value: .array([]))
    }
  }
}
