import Foundation
import LedgerEventStore
import LedgerFoundation
import LedgerTestSupport
import Testing

@testable import TreatmentRecords

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

  /// The projections' records of a random patient stream stored through the real store.
  private func storedRecords(seed: UInt64, length: Int) async throws -> (
    timeline: PatientTimeline, summary: CourseSummaryState
  ) {
    let dir = TemporaryDirectory("state-coding")
    defer { dir.remove() }
    var options = EventStore.Options()
    options.reviewer = ClinicalReviewer()
    options.projections = [PatientTimelineProjection(), CourseSummaryProjection()]
    let store = try EventStore.open(at: dir.path, options: options)
    defer { store.close() }
    var scenario = ScenarioGenerator(seed: seed)
    let events = scenario.generate(length: length)
    guard case .patientRegistered(let registration) = events.first?.event else {
      throw StateCodingFailure()
    }
    let stream = "patient-" + registration.patientId
    let proposed = try events.map {
      try ProjectionLawTests.proposed($0, patientId: registration.patientId)
    }
    for start in stride(from: 0, to: proposed.count, by: 7) {
      _ = try await store.append(
        Array(proposed[start..<min(proposed.count, start + 7)]), to: stream)
    }
    let timeline = try #require(
      try store.projectionState(PatientTimelineProjection(), stream: stream))
    let summary = try #require(try store.projectionState(CourseSummaryProjection(), stream: stream))
    return (timeline, summary)
  }

  private struct StateCodingFailure: Error {}

  @Test(
    "Projection records round-trip and re-encode identically", arguments: [3, 5, 8] as [UInt64])
  func projectionRoundTrip(seed: UInt64) async throws {
    let (timeline, summary) = try await storedRecords(seed: seed, length: 140)
    for entry in timeline.entries {
      let bytes = ProjectionCoding.encode(entry)
      let decoded = try ProjectionCoding.decodeEntry(bytes, projection: "t", stream: "patient-x")
      #expect(decoded == entry)
      #expect(ProjectionCoding.encode(decoded) == bytes)
    }
    for fact in summary.facts {
      let bytes = ProjectionCoding.encode(fact)
      let decoded = try ProjectionCoding.decodeFact(bytes, projection: "s", stream: "patient-x")
      #expect(decoded == fact)
      #expect(ProjectionCoding.encode(decoded) == bytes)
    }
    #expect(timeline.entries.contains { $0.correctedBy != nil || $0.voidedBy != nil })
  }

  @Test("A damaged projection record is refused as an incompatible store")
  func damagedProjectionState() async throws {
    let (timeline, summary) = try await storedRecords(seed: 21, length: 30)
    let entry = try #require(timeline.entries.last)
    let bytes = ProjectionCoding.encode(entry)
    for length in 0..<bytes.count {
      #expect(throws: EventStoreError.self) {
        _ = try ProjectionCoding.decodeEntry(
          Array(bytes[..<length]), projection: "t", stream: "patient-x")
      }
    }
    let fact = try #require(summary.facts.last)
    let factBytes = ProjectionCoding.encode(fact)
    for length in 0..<factBytes.count {
      #expect(throws: EventStoreError.self) {
        _ = try ProjectionCoding.decodeFact(
          Array(factBytes[..<length]), projection: "s", stream: "patient-x")
      }
    }
    // Format 2 (a whole state in one value) is not read as a record of format 3.
    #expect(throws: EventStoreError.self) {
      _ = try ProjectionCoding.decodeEntry([2] + bytes.dropFirst(), projection: "t", stream: "x")
    }
  }

  @Test(
    "The decision state round-trips as a head and keyed facts, and its whole forms still decode",
    arguments: 0..<12)
  func decisionStateRoundTrip(seed: UInt64) throws {
    var scenario = ScenarioGenerator(seed: seed &* 7_919 &+ 3)
    let events = scenario.generate(length: 100)
    let reviewer = ClinicalReviewer()
    var state = PatientDecisionState()
    func sortedFacts(_ state: PatientDecisionState) -> [(key: [UInt8], value: [UInt8])] {
      reviewer.stateFacts(state, stream: "patient-x").map { (key: $0.key, value: $0.value) }
        .sorted { $0.key.lexicographicallyPrecedes($1.key) }
    }
    for (index, item) in events.enumerated() {
      state = state.applying(item.event, eventId: item.eventId, occurredAt: item.occurredAt)
      guard index % 9 == 0 || index == events.count - 1 else { continue }
      let head = reviewer.encodeState(state)
      #expect(head.count <= 32, "the head does not grow with the history")
      let decoded = try reviewer.decodeState(head, stream: "patient-x", facts: sortedFacts(state))
      #expect(decoded == state)
      #expect(reviewer.encodeState(decoded) == head)
      // The whole binary form of version 2 still decodes (a store written before).
      #expect(try reviewer.decodeState(state.binaryEncoded(), stream: "patient-x") == state)
    }
    let legacy = Array(try JSONEncoder().encode(state))
    #expect(try reviewer.decodeState(legacy, stream: "patient-x") == state)
    #expect(!reviewer.storedStateHasFacts(legacy, stream: "patient-x"))
    #expect(!reviewer.storedStateHasFacts(state.binaryEncoded(), stream: "patient-x"))
    let head = reviewer.encodeState(state)
    #expect(reviewer.storedStateHasFacts(head, stream: "patient-x"))
    let facts = sortedFacts(state)
    for length in 0..<head.count {
      #expect(throws: EventStoreError.self) {
        _ = try reviewer.decodeState(Array(head[..<length]), stream: "patient-x", facts: facts)
      }
    }
    // A missing, damaged or extra entry fact is refused, never a wrong state.
    #expect(throws: EventStoreError.self) {
      _ = try reviewer.decodeState(head, stream: "patient-x", facts: Array(facts.dropLast()))
    }
    #expect(throws: EventStoreError.self) {
      _ = try reviewer.decodeState(head, stream: "patient-x", facts: Array(facts.dropFirst()))
    }
    var damaged = facts
    damaged[0].value = Array(damaged[0].value.dropLast())
    #expect(throws: EventStoreError.self) {
      _ = try reviewer.decodeState(head, stream: "patient-x", facts: damaged)
    }
    let bytes = state.binaryEncoded()
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
