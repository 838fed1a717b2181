import Foundation
import LedgerEventStore
import LedgerFoundation
import LedgerTestSupport
import Testing
import TreatmentRecords

/// The projection law: the state after incremental updates equals, byte for byte, the state
/// after a full rebuild from the log. Random valid patient streams (late entries, corrections,
/// voids, several courses) go through the real store, in random batch sizes, several patients
/// appending concurrently.
@Suite struct ProjectionLawTests {
  static let recorder = Recorder(id: "staff-1", name: "Test Nurse", role: "nurse")

  /// The store-level event; every registration (a voided one can be followed by another) and
  /// every corrected registration names the stream's patient id, as the store requires.
  static func proposed(_ event: StreamEvent, patientId: String) throws -> ProposedEvent {
    var data = try JSONValue.parse(try event.event.jsonData())
    if case .object(var members) = data {
      if event.event.eventType == "PatientRegistered" { members["patientId"] = .string(patientId) }
      if case .object(var replacement)? = members["replacement"], replacement["patientId"] != nil {
        replacement["patientId"] = .string(patientId)
        members["replacement"] = .object(replacement)
      }
      data = .object(members)
    }
    return ProposedEvent(
      eventId: event.eventId, type: event.event.eventType, schemaVersion: event.event.schemaVersion,
      occurredAt: event.occurredAt.text, recordedBy: Self.recorder, data: data)
  }

  private func openStore(_ dir: TemporaryDirectory) throws -> EventStore {
    var options = EventStore.Options()
    options.reviewer = ClinicalReviewer()
    options.projections = [PatientTimelineProjection(), CourseSummaryProjection()]
    return try EventStore.open(at: dir.path, options: options)
  }

  private func states(_ store: EventStore, _ streams: [String]) throws -> [String: [UInt8]] {
    var result: [String: [UInt8]] = [:]
    for name in store.projectionNames {
      for stream in streams {
        result[name + "/" + stream] = try store.projectionRecords(name, stream: stream)
          .flatMap { $0.key + [0xFF] + $0.value }
      }
    }
    return result
  }

  @Test(arguments: [11, 29, 47] as [UInt64])
  func rebuildEqualsIncremental(seed: UInt64) async throws {
    let dir = TemporaryDirectory("projection-law")
    defer { dir.remove() }
    let store = try openStore(dir)
    defer { store.close() }
    var batches = SeededGenerator(seed: seed)
    var streams: [String] = []
    try await withThrowingTaskGroup(of: String.self) { group in
      for patient in 0..<4 {
        var scenario = ScenarioGenerator(seed: seed * 100 + UInt64(patient))
        let events = scenario.generate(length: 90)
        guard case .patientRegistered(let registration) = events.first?.event else {
          Issue.record("a scenario must start with the registration")
          continue
        }
        let stream = "patient-" + registration.patientId
        let proposedEvents = try events.map {
          try Self.proposed($0, patientId: registration.patientId)
        }
        var sizes: [Int] = []
        var remaining = proposedEvents.count
        while remaining > 0 {
          let size = min(remaining, Int.random(in: 1...12, using: &batches))
          sizes.append(size)
          remaining -= size
        }
        group.addTask {
          var start = 0
          for size in sizes {
            _ = try await store.append(Array(proposedEvents[start..<start + size]), to: stream)
            start += size
          }
          return stream
        }
      }
      for try await stream in group { streams.append(stream) }
    }
    #expect(streams.count == 4)
    let incremental = try states(store, streams)
    #expect(incremental.values.allSatisfy { !$0.isEmpty })
    for name in store.projectionNames {
      let report = try await store.rebuild(projection: name)
      #expect(report.differingStreams.isEmpty, "\(name): \(report.differingStreams)")
      #expect(report.missingStreams.isEmpty)
    }
    #expect(try states(store, streams) == incremental)
    #expect(try store.verify().isIntact)
    // The decision state kept as keyed facts equals one recomputed from the log.
    let derived = try store.verifyDerived()
    #expect(derived.isIntact && derived.reviewStatesChecked == 4)
  }

  @Test func voidsAndCorrectionsCountAsDomainSaysInTheSummary() async throws {
    var scenario = ScenarioGenerator(seed: 5)
    let events = scenario.generate(length: 140)
    guard case .patientRegistered(let registration) = events.first?.event else {
      Issue.record("a scenario must start with the registration")
      return
    }
    let dir = TemporaryDirectory("projection-law-summary")
    defer { dir.remove() }
    let store = try openStore(dir)
    defer { store.close() }
    let stream = "patient-" + registration.patientId
    _ = try await store.append(
      try events.map { try Self.proposed($0, patientId: registration.patientId) }, to: stream)
    let state = try #require(try store.projectionState(CourseSummaryProjection(), stream: stream))
    let summary = state.summary(now: Date(timeIntervalSince1970: 1_900_000_000))
    // Cross-check a few figures against the decision state's independent view of the stream.
    let decision = PatientDecisionState.fold(events)
    for course in summary.courses {
      let started = decision.sessions.values.filter { $0.courseId == course.courseId }
      #expect(course.sessionsStarted == started.count, "course \(course.courseId)")
      #expect(course.sessionsCompleted == started.filter(\.discharged).count)
    }
    #expect(Set(summary.courses.map(\.courseId)) == Set(decision.courses.keys))
    let open = decision.followUps.filter { !$0.value.completed }.keys
    #expect(Set(summary.openFollowUps.map(\.followUpId)) == Set(open))
  }
}
