import Foundation
import LedgerTestSupport
import Testing
import TreatmentLedger

@testable import LedgerEventStore
@testable import TreatmentRecords

/// Issue 13: the derived state one append writes does not grow with the patient's history.
/// Untimed: the test compares every derived value before and after one append and counts the
/// bytes of the keys and values that the append added or changed.
@Suite struct DerivedGrainTests {
  static let patient = "grain-monitor"
  static let nurse = Recorder(id: "staff-0107", name: "Grain Nurse", role: "nurse")
  static let start = Date(timeIntervalSince1970: 1_767_621_600)

  /// Event `index` of a monitored patient: setup (registration, eligible consultation, consent,
  /// an IV course, a session), then one vitals reading every 3 minutes.
  static func entry(_ index: Int) -> ClinicalEntry {
    let time = ClinicalTime(start.addingTimeInterval(Double(index) * 180), offsetMinutes: -300)
    let event: ClinicalEvent
    switch index {
    case 0:
      event = .patientRegistered(
        PatientRegistered(patientId: patient, birthYear: 1979, sexAtBirth: .male))
    case 1:
      event = .consultationRecorded(
        ConsultationRecorded(
          indication: .majorDepression, diagnoses: ["F33.2"], allergies: [],
          currentMedications: [], priorAntidepressantTrials: [], contraindications: [],
          eligible: true))
    case 2:
      event = .consentRecorded(
        ConsentRecorded(consentId: "c-1", scope: .treatment, formVersion: "1", given: true))
    case 3:
      event = .coursePlanned(
        CoursePlanned(
          courseId: "course-1", indication: .majorDepression, drug: .ketamine, route: .iv,
          phase: .induction, plannedSessions: 6, sessionsPerWeek: 2, targetDoseMgPerKg: 0.5))
    case 4:
      event = .sessionStarted(
        SessionStarted(
          sessionId: "session-1", courseId: "course-1", weightKg: 72, escortArranged: true,
          fasted: true))
    default:
      event = .vitalsRecorded(
        VitalsRecorded(
          sessionId: "session-1", timepoint: .during, heartRateBpm: Double(60 + index % 30),
          systolicMmHg: Double(110 + index % 25), diastolicMmHg: 70, spo2Percent: 97))
    }
    return ClinicalEntry(event, patient: patient, occurredAt: time, by: nurse)
  }

  /// Every key and value of the derived databases, by database.
  static func derived(_ store: EventStore) throws -> [String: [[UInt8]: [UInt8]]] {
    try store.withRead { txn in
      var result: [String: [[UInt8]: [UInt8]]] = [:]
      for (name, database) in [
        ("projection-state", store.layout.projectionState),
        ("review-state", store.layout.reviewState),
      ] {
        result[name] = try txn.withCursor(database) { cursor in
          var all: [[UInt8]: [UInt8]] = [:]
          var entry = try cursor.first()
          while let current = entry {
            all[current.key] = current.value
            entry = try cursor.next()
          }
          return all
        }
      }
      return result
    }
  }

  /// Bytes (key and value) of derived state that one more append adds or changes, per database.
  static func bytesOfOneAppend(_ ledger: Ledger, index: Int) async throws -> [String: Int] {
    let before = try derived(ledger.store)
    let entry = entry(index)
    _ = try await ledger.record(
      entry.event, patient: patient, occurredAt: entry.occurredAt, by: entry.recordedBy)
    let after = try derived(ledger.store)
    return after.mapValues { _ in 0 }.merging(
      after.map { name, values in
        let old = before[name] ?? [:]
        let changed = values.filter { old[$0.key] != $0.value }
        return (name, changed.reduce(0) { $0 + $1.key.count + $1.value.count })
      }, uniquingKeysWith: { $1 })
  }

  /// A ledger that does not seal: these tests write values of an older layout (or damage one)
  /// by hand, as a store written before sealing held them; a sealed store has only values of the
  /// current layout (it is made new by `migrate`).
  static func unsealed(_ path: String, readOnly: Bool = false) -> Ledger.Configuration {
    var configuration = Ledger.Configuration(path: path, readOnly: readOnly)
    configuration.sealsPatientData = false
    return configuration
  }

  @Test func oneAppendWritesAsMuchDerivedStateAtHistory5000AsAt10() async throws {
    let dir = TemporaryDirectory("derived-grain")
    defer { dir.remove() }
    var configuration = Ledger.Configuration(path: dir.path)
    configuration.durability = .unsafeNoSyncMayLoseRecentCommits
    let ledger = try Ledger.open(configuration)
    defer { ledger.close() }
    _ = try await ledger.record((0..<10).map(Self.entry))
    let early = try await Self.bytesOfOneAppend(ledger, index: 10)
    var next = 11
    while next < 5_000 {
      let end = min(5_000, next + 1_000)
      _ = try await ledger.record((next..<end).map(Self.entry))
      next = end
    }
    let late = try await Self.bytesOfOneAppend(ledger, index: 5_000)
    let projections = try #require(late["projection-state"])
    #expect(projections > 0)
    // The same kind of event writes the same records; only the varints of positions may grow.
    #expect(projections <= (early["projection-state"] ?? 0) + 16)
    let review = try #require(late["review-state"])
    #expect(review > 0)
    #expect(review <= (early["review-state"] ?? 0) + 16)
  }

  @Test func verifyDerivedNamesAPatientWhoseTimelineRecordDiffersAndAPatientRebuildRepairsIt()
    async throws
  {
    let dir = TemporaryDirectory("derived-grain-verify")
    defer { dir.remove() }
    let ledger = try Ledger.open(Self.unsealed(dir.path))
    defer { ledger.close() }
    _ = try await ledger.record((0..<12).map(Self.entry))
    let store = ledger.store
    #expect(try store.verifyDerived().isIntact)
    let stream = Ledger.stream(forPatient: Self.patient)
    let before = try ledger.timeline(of: Self.patient)
    // Swap the values of two of the patient's timeline records (a damaged store).
    try store.withWrite { txn in
      let meta = try #require(try store.layout.projectionMeta(txn, "patient-timeline"))
      let base = Layout.projectionStateKey("patient-timeline", slot: meta.slot, stream: stream)
      let records = try store.storedRecords(
        "patient-timeline", slot: meta.slot, stream: stream, txn)
      #expect(records.count == 12)
      try txn.put(store.layout.projectionState, base + [0] + records[3].key, records[4].value)
    }
    let damaged = try store.verifyDerived()
    #expect(
      damaged.projections.first { $0.projection == "patient-timeline" }?.firstDifferingStream
        == stream)
    #expect(
      damaged.projections.first { $0.projection == "course-summary" }?.firstDifferingStream
        == nil)
    let kept = try store.rebuild(projection: "patient-timeline", stream: stream)
    #expect(kept.differingStreams == [stream] && !kept.replaced)
    let repaired = try store.rebuild(
      projection: "patient-timeline", stream: stream, replaceDiffering: true)
    #expect(repaired.replaced)
    #expect(try store.verifyDerived().isIntact)
    #expect(try ledger.timeline(of: Self.patient) == before)
  }

  @Test func aStoreWithWholeStateProjectionsOfVersion2AnswersTheSameAndSaysWhatToRun()
    async throws
  {
    let dir = TemporaryDirectory("derived-grain-upgrade")
    defer { dir.remove() }
    let stream = Ledger.stream(forPatient: Self.patient)
    let expected: PatientTimeline
    do {
      let ledger = try Ledger.open(Self.unsealed(dir.path))
      defer { ledger.close() }
      _ = try await ledger.record((0..<20).map(Self.entry))
      expected = try ledger.timeline(of: Self.patient)
      // Make the store look as the previous release left it: projection-meta of version 2 and
      // one whole-state value per patient in the live slot, beside no records of version 3.
      try ledger.store.withWrite { txn in
        for name in ["patient-timeline", "course-summary"] {
          let meta = try #require(try ledger.store.layout.projectionMeta(txn, name))
          for record in try ledger.store.storedRecords(name, slot: meta.slot, stream: stream, txn) {
            try txn.delete(
              ledger.store.layout.projectionState,
              Layout.projectionStateKey(name, slot: meta.slot, stream: stream) + [0] + record.key)
          }
          try txn.put(
            ledger.store.layout.projectionState,
            Layout.projectionStateKey(name, slot: meta.slot, stream: stream), [2, 0, 0])
          try ledger.store.layout.putProjectionMeta(
            txn, name, ProjectionMeta(version: 2, slot: meta.slot, checkpoint: meta.checkpoint))
        }
      }
    }
    // Read-only: answers from the log, the same.
    let reader = try Ledger.open(Self.unsealed(dir.path, readOnly: true))
    #expect(try reader.timeline(of: Self.patient) == expected)
    reader.close()
    let ledger = try Ledger.open(Self.unsealed(dir.path))
    defer { ledger.close() }
    // A writer refuses the stale state and names the command that fixes it; appends go on.
    do {
      _ = try ledger.timeline(of: Self.patient)
      Issue.record("a stale projection was served")
    } catch {
      #expect("\(error)".contains("treatment-ledger rebuild --projection patient-timeline"))
    }
    let reports = try await ledger.store.rebuild(projections: ledger.projectionNames)
    #expect(reports.allSatisfy { $0.replaced && $0.replacedVersion == 2 })
    #expect(try ledger.timeline(of: Self.patient) == expected)
    #expect(try ledger.store.verifyDerived().isIntact)
    // Nothing of the whole-state layout is left behind.
    try ledger.store.withRead { txn in
      for name in ["patient-timeline", "course-summary"] {
        let meta = try #require(try ledger.store.layout.projectionMeta(txn, name))
        for slot: UInt8 in [0, 1] {
          let records = try ledger.store.storedRecords(name, slot: slot, stream: stream, txn)
          #expect(!records.contains { $0.key.isEmpty })
          #expect(slot == meta.slot ? !records.isEmpty : records.isEmpty)
        }
      }
    }
  }

  @Test func aWholeDecisionStateOfVersion2IsReplacedByAHeadAndFactsWithTheNextAppend()
    async throws
  {
    let dir = TemporaryDirectory("derived-grain-review")
    defer { dir.remove() }
    let ledger = try Ledger.open(Self.unsealed(dir.path))
    defer { ledger.close() }
    _ = try await ledger.record((0..<12).map(Self.entry))
    let store = ledger.store
    let stream = Ledger.stream(forPatient: Self.patient)
    let key = Array(stream.utf8)
    // What an earlier release stored: the whole decision state as one value, no entry facts.
    try store.withWrite { txn in
      let head = try #require(try txn.get(store.layout.reviewState, key))
      let facts = try store.storedFacts(txn, stream: stream)
      #expect(facts.count == 12)
      let state = try ClinicalReviewer().decodeState(head, stream: stream, facts: facts)
      for fact in facts {
        try txn.delete(store.layout.reviewState, ReviewFacts.prefix(stream) + fact.key)
      }
      try txn.put(store.layout.reviewState, key, state.binaryEncoded())
    }
    #expect(try store.verifyDerived().isIntact, "the whole form of version 2 is accepted")
    let next = Self.entry(12)
    _ = try await ledger.record(
      next.event, patient: Self.patient, occurredAt: next.occurredAt, by: next.recordedBy)
    let head = try #require(try store.reviewState(stream: stream))
    #expect(head.first == PatientDecisionState.factsFormat)
    #expect(try store.reviewFacts(stream: stream).count == 13)
    #expect(try store.verifyDerived().isIntact)
    // A damaged entry fact is found by verify.
    try store.withWrite { txn in
      try txn.put(
        store.layout.reviewState,
        ReviewFacts.prefix(stream) + PatientDecisionState.entryFactKey(3), [0])
    }
    #expect(try store.verifyDerived().firstDifferingReviewStream == stream)
  }
}
