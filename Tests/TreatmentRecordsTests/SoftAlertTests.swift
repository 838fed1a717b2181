import Foundation
import LedgerFoundation
import Testing
import TreatmentRecords

/// One alarming but possible input: the flag it must raise.
struct AlarmingInput: Sendable, CustomTestStringConvertible {
  let code: String
  let field: String?
  let sentinels: [String]
  let attempt: @Sendable () throws -> Result<[ClinicalFlag], ClinicalValidationError>

  init(
    _ code: String, field: String? = nil, sentinels: [String] = [],
    _ attempt: @escaping @Sendable () throws -> Result<[ClinicalFlag], ClinicalValidationError>
  ) {
    self.code = code
    self.field = field
    self.sentinels = sentinels
    self.attempt = attempt
  }

  var testDescription: String { code }
}

func flags(
  _ fixture: Fixture, _ event: ClinicalEvent, at time: ClinicalTime? = nil
) -> Result<[ClinicalFlag], ClinicalValidationError> {
  var copy = fixture
  return copy.attempt(event, at: time)
}

func vitals(_ change: (inout VitalsRecorded) -> Void) -> ClinicalEvent {
  var vitals = Fixture.vitals()
  change(&vitals)
  return .vitalsRecorded(vitals)
}

/// One case per soft alert of docs/CLINICAL-RULES.md sections 1-5.
let alarmingInputs: [AlarmingInput] = [
  AlarmingInput("patient.age.minor", field: "birthYear", sentinels: ["2015"]) {
    flags(
      Fixture(),
      .patientRegistered(PatientRegistered(patientId: "p", birthYear: 2015, sexAtBirth: .male)))
  },
  AlarmingInput("consultation.trd.insufficientTrials", field: "priorAntidepressantTrials") {
    var consultation = Fixture.consultation
    consultation.priorAntidepressantTrials[1].weeks = 5
    return flags(try Fixture.registered(), .consultationRecorded(consultation))
  },
  AlarmingInput("consultation.eligible.withContraindication", field: "contraindications") {
    var consultation = Fixture.consultation
    consultation.contraindications = [.uncontrolledHypertension]
    return flags(try Fixture.registered(), .consultationRecorded(consultation))
  },
  AlarmingInput("course.maintenance.frequency", field: "sessionsPerWeek", sentinels: ["2.625"]) {
    var course = Fixture.course(phase: .maintenance)
    course.sessionsPerWeek = 2.625
    return flags(try Fixture.consented(), .coursePlanned(course))
  },
  AlarmingInput("session.escort.notArranged", field: "escortArranged") {
    var fixture = try Fixture.consented()
    try fixture.add(.coursePlanned(Fixture.course()))
    var session = Fixture.session()
    session.escortArranged = false
    return flags(fixture, .sessionStarted(session))
  },
  AlarmingInput("session.weight.changed", field: "weightKg", sentinels: ["74.125"]) {
    flags(try Fixture.inSession(), .sessionStarted(Fixture.session("s2", weightKg: 74.125)))
  },
  AlarmingInput("dose.iv.high", field: "doseMgPerKg", sentinels: ["57.75"]) {
    flags(try Fixture.inSession(), .doseAdministered(Fixture.dose(57.75)))
  },
  AlarmingInput("dose.im.high", field: "doseMgPerKg", sentinels: ["77.875"]) {
    flags(try Fixture.inSession(route: .im), .doseAdministered(Fixture.dose(77.875, route: .im)))
  },
  AlarmingInput("dose.sc.high", field: "doseMgPerKg", sentinels: ["77.875"]) {
    flags(try Fixture.inSession(route: .sc), .doseAdministered(Fixture.dose(77.875, route: .sc)))
  },
  AlarmingInput("dose.oral.outOfRange", field: "doseMgPerKg", sentinels: ["12.625"]) {
    flags(
      try Fixture.inSession(route: .oral), .doseAdministered(Fixture.dose(12.625, route: .oral)))
  },
  AlarmingInput("dose.sublingual.outOfRange", field: "doseMgPerKg", sentinels: ["560.5"]) {
    flags(
      try Fixture.inSession(route: .sublingual),
      .doseAdministered(Fixture.dose(560.5, route: .sublingual)))
  },
  AlarmingInput("dose.route.differsFromCourse", field: "route") {
    flags(try Fixture.inSession(), .doseAdministered(Fixture.dose(35, route: .im)))
  },
  AlarmingInput("dose.drug.differsFromCourse", field: "drug") {
    flags(
      try Fixture.inSession(route: .intranasal),
      .doseAdministered(Fixture.dose(56, drug: .esketamine, route: .intranasal)))
  },
  AlarmingInput("infusion.stoppedEarly", field: "action") {
    flags(
      try Fixture.dosed(),
      .infusionAdjusted(InfusionAdjusted(sessionId: "s1", action: .stopped, reason: "distress")))
  },
  AlarmingInput("vitals.heartRate.low", field: "heartRateBpm", sentinels: ["38.5"]) {
    flags(try Fixture.inSession(), vitals { $0.heartRateBpm = 38.5 })
  },
  AlarmingInput("vitals.heartRate.high", field: "heartRateBpm", sentinels: ["131.5"]) {
    flags(try Fixture.inSession(), vitals { $0.heartRateBpm = 131.5 })
  },
  AlarmingInput("vitals.systolic.highAtBaseline", field: "systolicMmHg", sentinels: ["152.5"]) {
    flags(
      try Fixture.inSession(),
      vitals {
        $0.timepoint = .baseline
        $0.systolicMmHg = 152.5
      })
  },
  AlarmingInput("vitals.systolic.high", field: "systolicMmHg", sentinels: ["191.5"]) {
    flags(try Fixture.inSession(), vitals { $0.systolicMmHg = 191.5 })
  },
  AlarmingInput("vitals.systolic.low", field: "systolicMmHg", sentinels: ["84.5"]) {
    flags(
      try Fixture.inSession(),
      vitals {
        $0.systolicMmHg = 84.5
        $0.diastolicMmHg = 52.5
      })
  },
  AlarmingInput("vitals.diastolic.highAtBaseline", field: "diastolicMmHg", sentinels: ["93.5"]) {
    flags(
      try Fixture.inSession(),
      vitals {
        $0.timepoint = .baseline
        $0.diastolicMmHg = 93.5
      })
  },
  AlarmingInput("vitals.diastolic.high", field: "diastolicMmHg", sentinels: ["117.5"]) {
    flags(
      try Fixture.inSession(),
      vitals {
        $0.systolicMmHg = 165.5
        $0.diastolicMmHg = 117.5
      })
  },
  AlarmingInput("vitals.spo2.low", field: "spo2Percent", sentinels: ["88.5"]) {
    flags(try Fixture.inSession(), vitals { $0.spo2Percent = 88.5 })
  },
  AlarmingInput("vitals.respiratoryRate.low", field: "respiratoryRatePerMinute") {
    flags(try Fixture.inSession(), vitals { $0.respiratoryRatePerMinute = 6 })
  },
  AlarmingInput(
    "vitals.respiratoryRate.high", field: "respiratoryRatePerMinute", sentinels: ["27.5"]
  ) {
    flags(try Fixture.inSession(), vitals { $0.respiratoryRatePerMinute = 27.5 })
  },
  AlarmingInput("vitals.temperature.low", field: "temperatureCelsius", sentinels: ["34.25"]) {
    flags(try Fixture.inSession(), vitals { $0.temperatureCelsius = 34.25 })
  },
  AlarmingInput("vitals.temperature.high", field: "temperatureCelsius", sentinels: ["39.25"]) {
    flags(try Fixture.inSession(), vitals { $0.temperatureCelsius = 39.25 })
  },
  AlarmingInput("sideEffect.severe", field: "severity") {
    flags(
      try Fixture.dosed(),
      .sideEffectObserved(
        SideEffectObserved(
          sessionId: "s1", effect: .dissociation, severity: .severe, serious: false,
          actionTaken: "infusion paused")))
  },
  AlarmingInput("sideEffect.serious", field: "serious") {
    flags(
      try Fixture.dosed(),
      .sideEffectObserved(
        SideEffectObserved(
          sessionId: "s1", effect: .allergicReaction, severity: .moderate, serious: true,
          actionTaken: "transferred")))
  },
  AlarmingInput("assessment.phq9.suicidalThoughts", field: "itemScores[8]") {
    flags(
      try Fixture.registered(),
      .assessmentRecorded(
        AssessmentRecorded(
          instrument: .phq9, itemScores: [2, 2, 2, 2, 1, 1, 1, 0, 1], totalScore: 12,
          timepoint: .baseline)))
  },
  AlarmingInput("discharge.esketamine.shortObservation", field: "minutesObserved") {
    var fixture = try Fixture.inSession(drug: .esketamine, route: .intranasal)
    try fixture.add(.doseAdministered(Fixture.dose(56, drug: .esketamine, route: .intranasal)))
    return flags(
      fixture,
      .patientDischarged(
        PatientDischarged(
          sessionId: "s1", minutesObserved: 95, criteriaMet: true, escortPresent: true,
          noDrivingAdviceGiven: true)))
  },
  AlarmingInput("discharge.escort.absent", field: "escortPresent") {
    flags(
      try Fixture.dosed(),
      .patientDischarged(
        PatientDischarged(
          sessionId: "s1", minutesObserved: 60, criteriaMet: true, escortPresent: false,
          noDrivingAdviceGiven: true)))
  },
  AlarmingInput("discharge.criteria.notMet", field: "criteriaMet") {
    flags(
      try Fixture.dosed(),
      .patientDischarged(
        PatientDischarged(
          sessionId: "s1", minutesObserved: 60, criteriaMet: false, escortPresent: true,
          noDrivingAdviceGiven: true)))
  },
  AlarmingInput("followUp.completedLate", field: "followUpId") {
    var fixture = try Fixture.registered()
    let due = ClinicalTime(fixture.clock.addingTimeInterval(300), offsetMinutes: 60)
    try fixture.add(
      .followUpScheduled(FollowUpScheduled(followUpId: "fu-1", dueAt: due, kind: .call)))
    fixture.clock = fixture.clock.addingTimeInterval(86_400)
    return flags(
      fixture,
      .followUpCompleted(FollowUpCompleted(followUpId: "fu-1", outcome: "fine", newSideEffects: []))
    )
  },
]

@Suite("Soft alerts")
struct SoftAlertTests {
  @Test("Each alarming input is accepted and flagged with its code", arguments: alarmingInputs)
  func flagged(_ input: AlarmingInput) throws {
    let result = try input.attempt()
    let raised = try result.get()
    let flag = try #require(raised.first { $0.code == input.code }, "\(raised)")
    if let field = input.field {
      #expect(flag.field == field)
    }
    #expect(flag.protocolVersion == "default-1")
    #expect(!flag.rule.isEmpty)
    for sentinel in input.sentinels {
      #expect(!flag.rule.contains(sentinel))
      #expect(!flag.field.contains(sentinel))
    }
  }

  @Test("Every soft alert of the catalogue has a case")
  func catalogueCovered() {
    let covered = Set(alarmingInputs.map(\.code))
    let catalogue = Set(ClinicalRuleCatalogue.softAlerts().map(\.code))
    #expect(catalogue.subtracting(covered).sorted() == [])
    #expect(covered.subtracting(catalogue).sorted() == [])
  }

  @Test("A calm session raises no flag")
  func calmSession() throws {
    var fixture = try Fixture.dosed()
    #expect(try fixture.add(.vitalsRecorded(Fixture.vitals(.baseline))) == [])
    #expect(try fixture.add(.vitalsRecorded(Fixture.vitals(.recovery))) == [])
    let discharge = PatientDischarged(
      sessionId: "s1", minutesObserved: 60, criteriaMet: true, escortPresent: true,
      noDrivingAdviceGiven: true)
    #expect(try fixture.add(.patientDischarged(discharge)) == [])
  }

  @Test("Thresholds compare as docs/CLINICAL-RULES.md writes them: at or below, at or above, over")
  func boundaries() throws {
    let fixture = try Fixture.inSession()
    func codes(_ event: ClinicalEvent) throws -> Set<String> {
      Set(try flags(fixture, event).get().map(\.code))
    }
    #expect(try codes(vitals { $0.heartRateBpm = 50 }).contains("vitals.heartRate.low"))
    #expect(try !codes(vitals { $0.heartRateBpm = 51 }).contains("vitals.heartRate.low"))
    #expect(try codes(vitals { $0.heartRateBpm = 111 }).contains("vitals.heartRate.high"))
    #expect(try !codes(vitals { $0.heartRateBpm = 110 }).contains("vitals.heartRate.high"))
    #expect(try codes(vitals { $0.spo2Percent = 93 }).contains("vitals.spo2.low"))
    #expect(try !codes(vitals { $0.spo2Percent = 94 }).contains("vitals.spo2.low"))
    #expect(try codes(vitals { $0.temperatureCelsius = 38.1 }).contains("vitals.temperature.high"))
    #expect(try !codes(vitals { $0.temperatureCelsius = 38.0 }).contains("vitals.temperature.high"))
    // 150 mmHg systolic: alarming at baseline, not during the dose.
    #expect(
      try codes(
        vitals {
          $0.timepoint = .baseline
          $0.systolicMmHg = 150
        }
      ).contains("vitals.systolic.highAtBaseline"))
    #expect(try codes(vitals { $0.systolicMmHg = 150 }).isEmpty)
    // 0.75 mg/kg IV is not over 0.75.
    #expect(try codes(.doseAdministered(Fixture.dose(52.5))).isEmpty)
    // Exactly 5% weight change is not over 5%.
    #expect(try codes(.sessionStarted(Fixture.session("s2", weightKg: 73.5))).isEmpty)
  }

  @Test("A custom protocol's thresholds and version appear in flags")
  func customProtocol() throws {
    var fixture = try Fixture.inSession()
    fixture.clinic = try ClinicalProtocol.load(
      json: Data(#"{"protocolVersion": "clinic-7", "thresholds": {"heartRateHighBpm": 100}}"#.utf8))
    let raised = try fixture.attempt(vitals { $0.heartRateBpm = 104 }).get()
    #expect(raised.map(\.code) == ["vitals.heartRate.high"])
    #expect(raised.first?.protocolVersion == "clinic-7")
    #expect(raised.first?.rule == "heart rate at or above 100 bpm")
  }

  @Test("Age is the current year (of now) minus the birth year")
  func ageBoundary() throws {
    let fixture = Fixture()  // now is 2026
    func codes(_ year: Int) throws -> [String] {
      try flags(
        fixture,
        .patientRegistered(PatientRegistered(patientId: "p", birthYear: year, sexAtBirth: .male))
      ).get().map(\.code)
    }
    #expect(try codes(2009) == ["patient.age.minor"])
    #expect(try codes(2008) == [])
    #expect(try codes(2026) == ["patient.age.minor"])
  }
}
