import Foundation
import LedgerTestSupport
import Logging
import Testing
import TreatmentLedger

/// The embedding API a service developer uses without dropping to the store: clinical times as a
/// type, atomic multi-event records, typed reads and flags, one error type with rule matching,
/// and the configuration.
@Suite struct EmbeddingAPITests {
  static let prescriber = Recorder(id: "staff-0042", name: "Dr. Avery Example", role: "prescriber")

  static func time(_ text: String) throws -> ClinicalTime { try ClinicalTime(validating: text) }

  /// Registration, consultation, consent, course and session of `patientId`, as entries.
  static func intake(_ patientId: String) throws -> [ClinicalEntry] {
    let course = "course-\(patientId)-a"
    return [
      ClinicalEntry(
        .patientRegistered(
          PatientRegistered(patientId: patientId, birthYear: 1984, sexAtBirth: .female)),
        patient: patientId, occurredAt: try time("2026-10-27T08:45:00-04:00"), by: nurse),
      ClinicalEntry(
        .consultationRecorded(
          ConsultationRecorded(
            indication: .treatmentResistantDepression, diagnoses: ["F33.2"], allergies: [],
            currentMedications: [],
            priorAntidepressantTrials: [
              PriorAntidepressantTrial(drug: "escitalopram", weeks: 8, outcome: .none),
              PriorAntidepressantTrial(drug: "venlafaxine", weeks: 12, outcome: .partial),
            ],
            contraindications: [], eligible: true)),
        patient: patientId, occurredAt: try time("2026-10-27T09:30:00-04:00"), by: prescriber),
      ClinicalEntry(
        .consentRecorded(
          ConsentRecorded(
            consentId: "consent-\(patientId)", scope: .treatment, formVersion: "2026.1",
            given: true)),
        patient: patientId, occurredAt: try time("2026-10-27T10:15:00-04:00"), by: prescriber),
      ClinicalEntry(
        .coursePlanned(
          CoursePlanned(
            courseId: course, indication: .treatmentResistantDepression, drug: .ketamine,
            route: .iv, phase: .induction, plannedSessions: 6, sessionsPerWeek: 2,
            targetDoseMgPerKg: 0.5)),
        patient: patientId, occurredAt: try time("2026-10-27T10:30:00-04:00"), by: prescriber),
      ClinicalEntry(
        .sessionStarted(
          SessionStarted(
            sessionId: "session-\(patientId)", courseId: course, weightKg: 70,
            escortArranged: true, fasted: true)),
        patient: patientId, occurredAt: try time("2026-11-04T09:30:00-05:00"), by: nurse),
    ]
  }

  static func reading(_ patientId: String, heartRate: Double, spo2: Double = 97) throws
    -> ClinicalEntry
  {
    ClinicalEntry(
      .vitalsRecorded(
        VitalsRecorded(
          sessionId: "session-\(patientId)", timepoint: .during, heartRateBpm: heartRate,
          spo2Percent: spo2)),
      patient: patientId, occurredAt: try time("2026-11-04T10:05:00-05:00"), by: nurse)
  }

  @Test func severalPatientsAreRecordedInOneTransactionAndReadBackTyped() async throws {
    let dir = TemporaryDirectory("embedding")
    defer { dir.remove() }
    let ledger = try openLedger(dir)
    defer { ledger.close() }
    let entries =
      try Self.intake("p-1") + Self.intake("p-2") + [try Self.reading("p-1", heartRate: 118)]
    let results = try await ledger.record(entries, expectedVersions: ["p-1": .noStream])
    #expect(results.map(\.written) == [6, 5])
    #expect(try ledger.nextPosition() == 11)
    let events = try ledger.events(of: "p-1")
    #expect(events.map(\.version) == Array(0..<6))
    #expect(events.map(\.eventId) == entries.filter { $0.patientId == "p-1" }.map(\.eventId))
    guard case .vitalsRecorded(let vitals) = try #require(events.last).event else {
      Issue.record("the last event of p-1 is not the reading")
      return
    }
    #expect(vitals.heartRateBpm == 118)
    #expect(events.last?.flags.map(\.code) == ["vitals.heartRate.high"])
    #expect(events.last?.occurredAt.text == "2026-11-04T10:05:00-05:00")
    #expect(try ledger.events(of: "nobody").isEmpty)
    #expect(try ledger.timeline(of: "p-2").entries.count == 5)
    #expect(try ledger.summary(of: "p-1").courses.first?.vitals.flaggedReadings == 1)
  }

  @Test func aRefusalAnywhereWritesNothingAndNamesTheCallersIndexFieldAndRule() async throws {
    let dir = TemporaryDirectory("embedding")
    defer { dir.remove() }
    let ledger = try openLedger(dir)
    defer { ledger.close() }
    // The impossible reading is the 12th entry (index 11), the 6th event of p-2's batch.
    let entries =
      try Self.intake("p-1") + [try Self.reading("p-1", heartRate: 80)] + Self.intake("p-2")
      + [try Self.reading("p-2", heartRate: 80, spo2: 140)]
    do {
      try await ledger.record(entries)
      Issue.record("an SpO2 of 140 % was accepted")
    } catch {
      #expect(error.code == .rejected)
      #expect(error.refusal?.index == 11)
      #expect(error.refusal?.eventId == entries[11].eventId)
      #expect(error.refusal?.field.contains("spo2Percent") == true)
      #expect(!error.description.contains("140"))
      switch error {
      case "vitals.spo2.range": break
      default: Issue.record("the refusal did not match its rule code: \(error)")
      }
    }
    #expect(try ledger.nextPosition() == 0)
  }

  @Test func errorsCarryACodeForEveryKindOfFailure() async throws {
    let dir = TemporaryDirectory("embedding")
    defer { dir.remove() }
    do {
      _ = try Ledger.open(Ledger.Configuration(path: dir.path + "/none", createIfMissing: false))
      Issue.record("a missing store was opened")
    } catch {
      #expect(error.code == .storeNotFound)
    }
    let ledger = try openLedger(dir)
    let intake = try Self.intake("p-1")
    try await ledger.record(intake)
    do {
      try await ledger.record(
        intake.map { entry in
          var again = entry
          again.eventId = UUID()
          return again
        }, expectedVersions: ["p-1": .noStream])
      Issue.record("a second registration under .noStream was accepted")
    } catch {
      #expect(error.code == .wrongExpectedVersion)
    }
    ledger.close()
    await #expect(throws: LedgerError.self) { try await ledger.record(try Self.intake("p-3")) }
    do { _ = try ledger.nextPosition() } catch { #expect(error.code == .closed) }
    do {
      _ = try ClinicalTime(validating: "2026-11-04 10:05")
      Issue.record("a time without an offset was accepted")
    } catch {
      #expect(error.code == .invalidInput)
      #expect(error.refusal?.field == "occurredAt")
      #expect(!error.description.contains("10:05"))
    }
  }

  @Test func theFlagFeedEndsAtTheGivenPositionAfterEveryFlaggedEvent() async throws {
    let dir = TemporaryDirectory("embedding")
    defer { dir.remove() }
    let ledger = try openLedger(dir)
    defer { ledger.close() }
    let start = try ledger.nextPosition()
    try await ledger.record(try Self.intake("p-1"))
    for heartRate in [118.0, 80, 125, 40] {
      try await ledger.record([try Self.reading("p-1", heartRate: heartRate)])
    }
    let end = try ledger.nextPosition()
    var seen: [FlaggedEvent] = []
    for try await flagged in ledger.flaggedEvents(from: start, until: end) { seen.append(flagged) }
    #expect(seen.count == 3)
    #expect(seen.allSatisfy { $0.patientId == "p-1" && $0.sessionId == "session-p-1" })
    #expect(
      seen.map { $0.flags.map(\.code) } == [
        ["vitals.heartRate.high"], ["vitals.heartRate.high"], ["vitals.heartRate.low"],
      ])
    var none = 0
    for try await _ in ledger.flaggedEvents(from: end, until: end) { none += 1 }
    #expect(none == 0)
  }

  @Test func theConfigurationCarriesProjectionsDurabilityAndTheTaskLocalLogger() async throws {
    let dir = TemporaryDirectory("embedding")
    defer { dir.remove() }
    let messages = MessageLog()
    let logger = CollectingLogHandler.logger(messages, level: .debug)
    let ledger = try withLogger(logger) { _ in
      var configuration = Ledger.Configuration(path: dir.path)
      configuration.extraProjections = [EventCountProjection()]
      configuration.initialMapSize = 1 << 21
      configuration.durability = .durable
      return try Ledger.open(configuration)
    }
    defer { ledger.close() }
    #expect(ledger.projectionNames == ["patient-timeline", "course-summary", "event-count"])
    #expect(messages.messages.contains("opened event store"))
    try await ledger.record(try Self.intake("p-1"))
    let count = try ledger.store.projectionState(EventCountProjection(), stream: "patient-p-1")
    #expect(count == 5)
  }
}

/// A service's own projection: the number of events per patient stream.
struct EventCountProjection: StreamProjection {
  let name = "event-count"
  let version = 1
  func includes(stream: String) -> Bool { stream.hasPrefix("patient-") }
  func initialState(stream: String) -> Int { 0 }
  func apply(_ event: RecordedEvent, to state: inout Int) throws(EventStoreError) { state += 1 }
  func encode(_ state: Int) -> [UInt8] { Array(String(state).utf8) }
  func decode(_ bytes: [UInt8], stream: String) throws(EventStoreError) -> Int {
    guard let count = Int(String(decoding: bytes, as: UTF8.self)) else {
      throw .incompatibleStore(reason: "event-count state of \(stream) does not decode")
    }
    return count
  }
}
