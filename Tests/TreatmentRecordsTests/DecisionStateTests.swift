import Foundation
import Testing
import TreatmentRecords

/// The public view of the derived facts, without stream positions.
struct DerivedView: Equatable, CustomStringConvertible {
  var registered: Bool
  var consents: [ConsentScope: Bool]
  var consultation: ConsultationFacts?
  var courses: [String: CourseFacts]
  var sessions: [String: SessionFacts]
  var followUps: [String: FollowUpFacts]
  var lastWeight: Double?

  init(_ state: PatientDecisionState) {
    registered = state.isPatientRegistered
    consents = Dictionary(
      uniqueKeysWithValues: ConsentScope.allCases.map { ($0, state.consentInForce($0)) })
    consultation = state.latestConsultation()
    courses = state.courses
    sessions = state.sessions
    followUps = state.followUps
    lastWeight = state.lastSessionWeightKg()
  }

  var description: String {
    "registered \(registered), consents \(consents), courses \(courses.count), sessions \(sessions.count), followUps \(followUps.count)"
  }
}

@Suite("Decision state")
struct DecisionStateTests {
  @Test("Folding with applying equals folding from scratch, for random streams", arguments: 0..<40)
  func foldLaw(seed: Int) throws {
    var scenario = ScenarioGenerator(seed: UInt64(seed) &* 7919 &+ 17)
    let events = scenario.generate(length: 60 + seed % 5 * 20)
    #expect(events.count >= 40, "only \(events.count) events accepted")

    let incremental = events.reduce(PatientDecisionState()) {
      $0.applying($1.event, eventId: $1.eventId, occurredAt: $1.occurredAt)
    }
    let scratch = PatientDecisionState.fold(events)
    #expect(incremental == scratch)

    // Every prefix agrees too (the law holds after each step, not only at the end).
    var state = PatientDecisionState()
    for (index, item) in events.enumerated() {
      state = state.applying(item.event, eventId: item.eventId, occurredAt: item.occurredAt)
      if index % 7 == 0 {
        #expect(state == PatientDecisionState.fold(Array(events[...index])))
      }
    }

    // The facts equal those of the effective stream: voided events dropped, corrected ones
    // replaced by their replacement, corrections and voids themselves removed.
    let effective = PatientDecisionState.fold(EffectiveStream.effectiveEvents(events))
    #expect(DerivedView(effective) == DerivedView(scratch))

    // A snapshot decodes to an equal state.
    let snapshot = try JSONEncoder().encode(scratch)
    #expect(try JSONDecoder().decode(PatientDecisionState.self, from: snapshot) == scratch)
  }

  @Test("The scenarios exercise every type, corrections, voids and late entries")
  func scenariosAreRich() {
    var types: [String: Int] = [:]
    var late = 0
    var doubleCorrections = 0
    var voidedCorrections = 0
    var voidedCorrected = 0
    var multiDoseSessions = 0
    var meantRefusals = 0
    for seed in 0..<40 {
      var scenario = ScenarioGenerator(seed: UInt64(seed) &* 7919 &+ 17)
      let events = scenario.generate(length: 60)
      meantRefusals += scenario.rejected
      var latest = Date.distantPast
      var targets: [UUID: Int] = [:]
      var corrections: Set<UUID> = []
      var doses: [String: Int] = [:]
      for item in events {
        types[item.event.eventType, default: 0] += 1
        if item.occurredAt.date < latest { late += 1 }
        latest = max(latest, item.occurredAt.date)
        switch item.event {
        case .entryCorrected(let data):
          targets[data.correctedEventId, default: 0] += 1
          corrections.insert(item.eventId)
        case .entryVoided(let data):
          if corrections.contains(data.voidedEventId) { voidedCorrections += 1 }
          if targets[data.voidedEventId] != nil { voidedCorrected += 1 }
        case .doseAdministered(let data):
          doses[data.sessionId, default: 0] += 1
        default: break
        }
      }
      doubleCorrections += targets.values.filter { $0 >= 2 }.count
      multiDoseSessions += doses.values.filter { $0 >= 2 }.count
    }
    #expect(Set(types.keys) == Set(ClinicalEvent.allTypes.map(\.type)), "\(types)")
    #expect(types["EntryCorrected", default: 0] >= 40)
    #expect(types["EntryVoided", default: 0] >= 40)
    #expect(late >= 40)
    #expect(doubleCorrections > 0)
    #expect(voidedCorrections > 0)
    #expect(voidedCorrected > 0)
    #expect(multiDoseSessions > 0)
    #expect(meantRefusals > 0)
  }

  @Test("Every event of a scenario decodes from its own JSON and validates again in order")
  func scenarioEventsRoundTrip() throws {
    var scenario = ScenarioGenerator(seed: 99)
    let events = scenario.generate(length: 80)
    var state = PatientDecisionState()
    for item in events {
      let decoded = try ClinicalEvent.decode(
        type: item.event.eventType, schemaVersion: 1, json: item.event.jsonData())
      #expect(decoded == item.event)
      _ = try state.validate(
        decoded, eventId: item.eventId, occurredAt: item.occurredAt, now: scenario.now,
        protocol: ClinicalProtocol(), otherStreamHasEvent: { _ in false })
      state = state.applying(decoded, eventId: item.eventId, occurredAt: item.occurredAt)
    }
  }

  @Test("Voiding the only consent leaves no consent in force")
  func voidConsent() throws {
    var fixture = try Fixture.inSession()
    #expect(fixture.state.consentInForce(.treatment))
    try fixture.add(
      .entryVoided(EntryVoided(voidedEventId: fixture.id("consent"), reason: "wrong patient")))
    #expect(!fixture.state.consentInForce(.treatment))
    #expect(fixture.state.entry(fixture.id("consent"))?.isVoided == true)
    guard case .failure(let error) = fixture.attempt(.doseAdministered(Fixture.dose())) else {
      Issue.record("dose accepted without consent")
      return
    }
    #expect(error.rule == "dose.consent.notInForce")
  }

  @Test(
    "Correcting a session's weight changes the remembered weight; voiding the correction restores it"
  )
  func correctWeight() throws {
    var fixture = try Fixture.inSession()
    #expect(fixture.state.sessions["s1"]?.weightKg == 70)
    let flags = try fixture.add(
      .entryCorrected(
        try EntryCorrected(
          correctedEventId: fixture.id("session"), reason: "scale misread",
          replacement: Fixture.session(weightKg: 80))),
      name: "correction")
    #expect(flags == [])
    #expect(fixture.state.sessions["s1"]?.weightKg == 80)
    #expect(fixture.state.lastSessionWeightKg() == 80)
    #expect(fixture.state.entry(fixture.id("session"))?.isCorrected == true)
    #expect(fixture.state.entry(fixture.id("correction"))?.isCorrection == true)
    // A dose must now agree with the corrected weight for a 5% check of the next session.
    let next = try fixture.add(.sessionStarted(Fixture.session("s2", weightKg: 81)))
    #expect(next == [])
    try fixture.add(
      .entryVoided(EntryVoided(voidedEventId: fixture.id("correction"), reason: "was right")))
    #expect(fixture.state.sessions["s1"]?.weightKg == 70)
    #expect(fixture.state.entry(fixture.id("session"))?.isCorrected == false)
  }

  @Test("A correction's replacement raises its own flags under replacement.")
  func correctionFlags() throws {
    var fixture = try Fixture.dosed()
    try fixture.add(.vitalsRecorded(Fixture.vitals()), name: "vitals")
    var corrected = Fixture.vitals()
    corrected.heartRateBpm = 44
    let flags = try fixture.attempt(
      .entryCorrected(
        try EntryCorrected(
          correctedEventId: fixture.id("vitals"), reason: "typo", replacement: corrected))
    ).get()
    #expect(flags.map(\.code) == ["vitals.heartRate.low"])
    #expect(flags.map(\.field) == ["replacement.heartRateBpm"])
  }

  @Test("A correction may keep the identity of what it corrects (no duplicate against itself)")
  func correctionOfCourseAndDischarge() throws {
    var fixture = try Fixture.dosed()
    var course = Fixture.course()
    course.plannedSessions = 4
    try fixture.add(
      .entryCorrected(
        try EntryCorrected(
          correctedEventId: fixture.id("course"), reason: "plan", replacement: course)))
    #expect(fixture.state.courses["c1"] != nil)
    let discharge = PatientDischarged(
      sessionId: "s1", minutesObserved: 50, criteriaMet: true, escortPresent: true,
      noDrivingAdviceGiven: true)
    try fixture.add(.patientDischarged(discharge), name: "discharge")
    var fixed = discharge
    fixed.minutesObserved = 55
    try fixture.add(
      .entryCorrected(
        try EntryCorrected(
          correctedEventId: fixture.id("discharge"), reason: "clock", replacement: fixed)))
    #expect(fixture.state.sessions["s1"]?.discharged == true)
  }

  @Test("A replacement must be of the corrected event's type")
  func replacementType() throws {
    let fixture = try Fixture.inSession()
    let error = rejection(
      fixture,
      .entryCorrected(
        try EntryCorrected(
          correctedEventId: fixture.id("session"), reason: "typo", replacement: Fixture.consent)))
    #expect(error?.rule == "decode.field.unknownKey")
    #expect(error?.field.hasPrefix("replacement.") == true)
  }

  @Test("Consent and eligibility are judged at the dose's clinical time")
  func lateEntries() throws {
    var fixture = try Fixture.inSession()
    let doseTime = fixture.nextTime()
    fixture.clock = fixture.clock.addingTimeInterval(3600)
    var withdrawal = Fixture.consent
    withdrawal.given = false
    try fixture.add(.consentRecorded(withdrawal))
    // The withdrawal came an hour after the dose: the dose, entered late, is lawful.
    #expect(throws: Never.self) { try fixture.add(.doseAdministered(Fixture.dose()), at: doseTime) }
    // A dose after the withdrawal is not.
    #expect(
      rejection(fixture, .doseAdministered(Fixture.dose()))?.rule == "dose.consent.notInForce")
  }

  @Test("Applying a known event id again changes nothing")
  func idempotent() throws {
    let fixture = try Fixture.inSession()
    let last = try #require(fixture.events.last)
    #expect(
      fixture.state.applying(last.event, eventId: last.eventId, occurredAt: last.occurredAt)
        == fixture.state)
    #expect(fixture.state.eventCount == fixture.events.count)
  }

  @Test("Patient ids come from patient-<id> stream names only")
  func streamNames() {
    #expect(PatientDecisionState.patientId(fromStream: "patient-demo-0001") == "demo-0001")
    #expect(PatientDecisionState.patientId(fromStream: "patient-") == nil)
    #expect(PatientDecisionState.patientId(fromStream: "patient-a b") == nil)
    #expect(PatientDecisionState.patientId(fromStream: "inventory-site1") == nil)
    #expect(PatientDecisionState.patientId(fromStream: "$system") == nil)
    #expect(
      PatientDecisionState.patientId(fromStream: "patient-" + String(repeating: "x", count: 129))
        == nil)
  }

  @Test("The state keeps contributions, not payloads")
  func compact() throws {
    var fixture = try Fixture.registered()
    var consultation = Fixture.consultation
    consultation.currentMedications = [String(repeating: "secret medication ", count: 50)]
    try fixture.add(.consultationRecorded(consultation))
    let snapshot = String(decoding: try JSONEncoder().encode(fixture.state), as: UTF8.self)
    #expect(!snapshot.contains("secret medication"))
    #expect(!snapshot.contains("demo-0001"))
  }
}
