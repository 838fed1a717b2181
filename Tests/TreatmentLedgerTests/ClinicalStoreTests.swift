import ClinicalTestSupport
import Foundation
import LedgerTestSupport
import Testing
import TreatmentLedger

/// The schema examples in clinical order: one coherent patient record.
func exampleEvents() throws -> [ProposedEvent] {
  let events = try SchemaExamples.patientRecord()
  #expect(events.count == SchemaExamples.eventCount)
  return events
}

let patient = "demo-0001"
let stream = "patient-demo-0001"
let session = "session-demo-0001-a1"
let nurse = Recorder(id: "staff-0107", name: "Jordan Example, RN", role: "nurse")

func openLedger(
  _ dir: TemporaryDirectory, protocol clinicalProtocol: ClinicalProtocol = ClinicalProtocol()
) throws -> Ledger {
  try Ledger.open(Ledger.Configuration(path: dir.path, clinicalProtocol: clinicalProtocol))
}

/// The examples up to and including the IV dose: registration, consultation, consent, course,
/// session, baseline vitals and assessment.
func openSession(_ ledger: Ledger) async throws {
  let events = try exampleEvents()
  guard let dose = events.firstIndex(where: { $0.type == "DoseAdministered" }) else {
    Issue.record("no dose example")
    return
  }
  _ = try await ledger.store.append(Array(events[...dose]), to: stream, expectedVersion: .noStream)
}

func vitals(_ data: [String: JSONValue], id: UUID = UUID()) -> ProposedEvent {
  var members = data
  members["sessionId"] = members["sessionId"] ?? .string(session)
  members["timepoint"] = members["timepoint"] ?? .string("during")
  return ProposedEvent(
    eventId: id, type: "VitalsRecorded", occurredAt: "2026-11-04T10:00:00-05:00", recordedBy: nurse,
    data: .object(members))
}

@Suite struct ClinicalStoreTests {
  @Test func theExampleRecordIsAcceptedWholeAndVerifies() async throws {
    let dir = TemporaryDirectory("clinical")
    defer { dir.remove() }
    let ledger = try openLedger(dir)
    defer { ledger.close() }
    let result = try await ledger.store.append(
      try exampleEvents(), to: stream, expectedVersion: .noStream)
    #expect(result.written == 16)
    #expect(try ledger.store.verify().isIntact)
  }

  @Test func softAlertsAreStoredWithTheEventAndSeenBySubscribers() async throws {
    let dir = TemporaryDirectory("clinical")
    defer { dir.remove() }
    let ledger = try openLedger(dir)
    defer { ledger.close() }
    try await openSession(ledger)
    let start = try ledger.store.nextPosition()
    _ = try await ledger.store.append(
      [vitals(["heartRateBpm": .number(44), "respiratoryRatePerMinute": .number(6)])], to: stream)
    let stored = try ledger.store.readAll(from: start)
    let codes = stored[0].flags.compactMap { $0["code"]?.stringValue }.sorted()
    #expect(codes == ["vitals.heartRate.low", "vitals.respiratoryRate.low"])
    #expect(stored[0].flags.allSatisfy { $0["protocolVersion"] == .string("default-1") })
    #expect(stored[0].flags.allSatisfy { $0["field"] != nil && $0["rule"] != nil })
    let typed = stored[0].flags.compactMap { ClinicalFlag(json: $0) }
    #expect(typed.map(\.field).sorted() == ["heartRateBpm", "respiratoryRatePerMinute"])
    #expect(ClinicalFlag(json: .object(["code": .string("x")])) == nil)
    var iterator = ledger.store.subscribe(from: start).makeAsyncIterator()
    let seen = try await iterator.next()
    #expect(seen?.flags == stored[0].flags)
  }

  @Test func aHardLimitRejectsAndChangesNothing() async throws {
    let dir = TemporaryDirectory("clinical")
    defer { dir.remove() }
    let ledger = try openLedger(dir)
    defer { ledger.close() }
    try await openSession(ledger)
    let before = try ledger.store.statistics()
    let cases: [(ProposedEvent, String, String)] = [
      (vitals(["heartRateBpm": .number(301.4375)]), "vitals.heartRate.range", "heartRateBpm"),
      (vitals(["sessionId": .string("session-unknown")]), "vitals.session.notStarted", "sessionId"),
      (
        vitals(["systolicMmHg": .number(80.8125), "diastolicMmHg": .number(90.8125)]),
        "vitals.bloodPressure.order", "systolicMmHg"
      ),
    ]
    for (event, rule, field) in cases {
      do {
        _ = try await ledger.store.append(
          [vitals(["heartRateBpm": .number(70)]), event], to: stream)
        Issue.record("accepted an event breaking \(rule)")
      } catch {
        guard
          case .rejected(let index, let eventId, let type, let reportedField, let reportedRule, _) =
            error
        else {
          Issue.record("unexpected error \(error)")
          continue
        }
        #expect(index == 1 && eventId == event.eventId && type == "VitalsRecorded")
        #expect(reportedRule == rule)
        #expect(reportedField.hasPrefix(field) || field.hasPrefix(reportedField))
        for sentinel in ["301.4375", "80.8125", "90.8125", "session-unknown"] {
          #expect(!error.description.contains(sentinel))
        }
      }
    }
    #expect(try ledger.store.statistics() == before)
  }

  @Test func aDoseNeedsConsentAndEligibilityFromEarlierAppendsAcrossReopen() async throws {
    let dir = TemporaryDirectory("clinical")
    defer { dir.remove() }
    let events = try exampleEvents()
    let dose = try #require(events.first { $0.type == "DoseAdministered" })
    let beforeDose = events.prefix { $0.type != "DoseAdministered" }
    do {
      let ledger = try openLedger(dir)
      // Without the consent the dose is refused.
      let withoutConsent = beforeDose.filter { $0.type != "ConsentRecorded" }
      _ = try await ledger.store.append(Array(withoutConsent), to: stream)
      await #expect(throws: EventStoreError.self) {
        try await ledger.store.append([dose], to: stream)
      }
      ledger.close()
    }
    let reopened = try openLedger(dir)
    defer { reopened.close() }
    do {
      _ = try await reopened.store.append([dose], to: stream)
      Issue.record("a dose without consent was accepted after reopening")
    } catch {
      guard case .rejected(_, _, _, _, let rule, _) = error else {
        Issue.record("expected a rejection, got \(error)")
        return
      }
      #expect(rule == "dose.consent.notInForce")
    }
    let consent = try #require(beforeDose.first { $0.type == "ConsentRecorded" })
    _ = try await reopened.store.append([consent, dose], to: stream)
    #expect(try reopened.store.readStream(stream).last?.type == "DoseAdministered")
  }

  @Test func registrationMustMatchTheStreamAndOtherStreamsAreNotReviewed() async throws {
    let dir = TemporaryDirectory("clinical")
    defer { dir.remove() }
    let ledger = try openLedger(dir)
    defer { ledger.close() }
    let registration = try #require(try exampleEvents().first { $0.type == "PatientRegistered" })
    do {
      _ = try await ledger.store.append([registration], to: "patient-someone-else")
      Issue.record("registration in another patient's stream was accepted")
    } catch {
      if case .rejected(_, _, _, let field, let rule, _) = error {
        #expect(rule == ClinicalReviewer.patientIdStreamRule && field == "patientId")
      } else {
        Issue.record("unexpected \(error)")
      }
    }
    let unknownType = ProposedEvent(
      type: "Teleported", occurredAt: "2026-11-04T10:00:00Z", recordedBy: nurse, data: .object([:]))
    await #expect(throws: EventStoreError.self) {
      try await ledger.store.append([unknownType], to: stream)
    }
    _ = try await ledger.store.append([unknownType], to: "supplies-site-1")
    #expect(try ledger.store.nextPosition() == 1)
  }

  @Test func aClinicsProtocolChangesFlagsAndIsNamedInThem() async throws {
    let dir = TemporaryDirectory("clinical")
    defer { dir.remove() }
    let custom = try ClinicalProtocol.load(
      json: Data(#"{"protocolVersion":"clinic-7","thresholds":{"heartRateLowBpm":40}}"#.utf8))
    let ledger = try openLedger(dir, protocol: custom)
    defer { ledger.close() }
    try await openSession(ledger)
    let start = try ledger.store.nextPosition()
    _ = try await ledger.store.append(
      [vitals(["heartRateBpm": .number(44)]), vitals(["heartRateBpm": .number(39)])], to: stream)
    let stored = try ledger.store.readAll(from: start)
    #expect(stored[0].flags.isEmpty)
    #expect(stored[1].flags.first?["code"] == .string("vitals.heartRate.low"))
    #expect(stored[1].flags.first?["protocolVersion"] == .string("clinic-7"))
  }

  /// The deprecated entry point with a `String` time keeps working for one release.
  @available(*, deprecated, message: "tests the deprecated record(_:patientId:occurredAt:…)")
  @Test func typedEventsCanBeRecordedDirectly() async throws {
    let dir = TemporaryDirectory("clinical")
    defer { dir.remove() }
    let ledger = try openLedger(dir)
    defer { ledger.close() }
    try await openSession(ledger)
    let reading = VitalsRecorded(
      sessionId: session, timepoint: .recovery, heartRateBpm: 120, spo2Percent: 97)
    let result = try await ledger.record(
      .vitalsRecorded(reading), patientId: patient, occurredAt: "2026-11-04T10:45:00-05:00",
      recordedBy: nurse)
    let lastId = try #require(try ledger.store.readStream(stream).last?.eventId)
    let stored = try #require(try ledger.store.event(id: lastId))
    #expect(result.written == 1)
    #expect(stored.flags.first?["code"] == .string("vitals.heartRate.high"))
    #expect(stored.data["heartRateBpm"] == .number(120))
  }

  @Test func correctionsAndVoidsAreRecordsThatNameTheirTarget() async throws {
    let dir = TemporaryDirectory("clinical")
    defer { dir.remove() }
    let ledger = try openLedger(dir)
    defer { ledger.close() }
    try await openSession(ledger)
    let wrong = vitals(["heartRateBpm": .number(87)])
    _ = try await ledger.store.append([wrong], to: stream)
    let correction = ProposedEvent(
      type: "EntryCorrected", occurredAt: "2026-11-04T10:30:00-05:00", recordedBy: nurse,
      data: .object([
        "correctedEventId": .string(wrong.eventId.uuidString.lowercased()),
        "reason": .string("digits transposed"),
        "replacement": .object([
          "sessionId": .string(session), "timepoint": .string("during"),
          "heartRateBpm": .number(78),
        ]),
      ]))
    let void = ProposedEvent(
      type: "EntryVoided", occurredAt: "2026-11-04T10:31:00-05:00", recordedBy: nurse,
      data: .object([
        "voidedEventId": .string(wrong.eventId.uuidString.lowercased()),
        "reason": .string("wrong patient"),
      ]))
    _ = try await ledger.store.append([correction, void], to: stream)
    // The original is still there, unchanged.
    #expect(try ledger.store.event(id: wrong.eventId)?.data["heartRateBpm"] == .number(87))
    // A second void of the same entry is refused.
    let again = ProposedEvent(
      type: "EntryVoided", occurredAt: "2026-11-04T10:32:00-05:00", recordedBy: nurse,
      data: .object([
        "voidedEventId": .string(wrong.eventId.uuidString.lowercased()), "reason": .string("again"),
      ]))
    await #expect(throws: EventStoreError.self) {
      try await ledger.store.append([again], to: stream)
    }
    // Correcting an event of another stream names that problem.
    _ = try await ledger.store.append(
      [vitals(["heartRateBpm": .number(70)])], to: "supplies-site-1")
    let foreign = try #require(try ledger.store.readStream("supplies-site-1").first)
    let crossStream = ProposedEvent(
      type: "EntryVoided", occurredAt: "2026-11-04T10:33:00-05:00", recordedBy: nurse,
      data: .object([
        "voidedEventId": .string(foreign.eventId.uuidString.lowercased()), "reason": .string("x"),
      ]))
    do {
      _ = try await ledger.store.append([crossStream], to: stream)
      Issue.record("voided another stream's event")
    } catch {
      guard case .rejected(_, _, _, _, let rule, _) = error else {
        Issue.record("expected a rejection, got \(error)")
        return
      }
      #expect(rule == "void.target.otherStream")
    }
  }

  @Test func everyStoredEnvelopeValidatesAgainstThePublishedSchemas() async throws {
    let dir = TemporaryDirectory("clinical")
    defer { dir.remove() }
    let ledger = try openLedger(dir)
    try await openSession(ledger)
    _ = try await ledger.store.append(
      [vitals(["heartRateBpm": .number(44), "temperatureCelsius": .number(38.5)])], to: stream)
    let lines = try ledger.store.readAll(limit: 1_000).map {
      String(decoding: $0.envelopeJSON.canonicalBytes, as: UTF8.self)
    }
    ledger.close()
    let result = try PublishedSchemas.validateEnvelopes(lines)
    #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    #expect(result.stdout.contains("\(lines.count) valid"))
  }
}

/// Issue 12.11: `EventStore.open(at:)` skipped the clinical rules, so a dose for a patient with no
/// registration, consent or eligible consultation was accepted.
@Suite struct ClinicalRulesCannotBeBypassedTests {
  @Test func aPlainHandleIsRefusedPatientAppendsButNotOtherStreams() async throws {
    let dir = TemporaryDirectory("bypass")
    defer { dir.remove() }
    let ledger = try openLedger(dir)
    ledger.close()
    let dose = try #require(try exampleEvents().first { $0.type == "DoseAdministered" })
    let plain = try EventStore.open(at: dir.path)
    defer { plain.close() }
    await #expect {
      _ = try await plain.append([dose], to: "patient-nobody", expectedVersion: .noStream)
    } throws: { error in
      guard case .reviewerRequired(let stream, let reviewer) = error as? EventStoreError else {
        return false
      }
      return stream == "patient-nobody" && reviewer == "treatment-records.clinical"
        && !"\(error)".contains(dose.eventId.uuidString)
    }
    #expect(try plain.nextPosition() == 0)
    // Site streams are governed too (the controlled-substance rules of the same rule set).
    await #expect(throws: EventStoreError.self) {
      _ = try await plain.append([dose], to: "inventory-main")
    }
    // Streams the rules do not govern are the plain store's to write.
    let note = ProposedEvent(
      eventId: UUID(), type: "NoteRecorded", occurredAt: "2026-11-02T10:15:00-05:00",
      recordedBy: nurse, data: .object(["n": .number(1)]))
    #expect(try await plain.append([note], to: "supplies-site-1").written == 1)
  }
}
