import Foundation
import LedgerFoundation
import Testing
import TreatmentRecords

/// One numeric edge of a rule of the catalogue (docs/CLINICAL-RULES.md sections 3 and 5): the
/// value at the edge that must pass and the nearest value beyond it that must trip the rule.
struct RuleEdge: Sendable, CustomTestStringConvertible {
  enum Kind: Sendable { case hardLimit, softAlert }

  let code: String
  let kind: Kind
  let passing: Double
  let tripping: Double
  let attempt: @Sendable (Double) throws -> Result<[ClinicalFlag], ClinicalValidationError>

  var testDescription: String { "\(code): \(passing) passes, \(tripping) trips" }

  static func hard(
    _ code: String, pass: Double, trip: Double,
    _ attempt:
      @escaping @Sendable (Double) throws -> Result<[ClinicalFlag], ClinicalValidationError>
  ) -> RuleEdge {
    RuleEdge(code: code, kind: .hardLimit, passing: pass, tripping: trip, attempt: attempt)
  }

  static func soft(
    _ code: String, pass: Double, trip: Double,
    _ attempt:
      @escaping @Sendable (Double) throws -> Result<[ClinicalFlag], ClinicalValidationError>
  ) -> RuleEdge {
    RuleEdge(code: code, kind: .softAlert, passing: pass, tripping: trip, attempt: attempt)
  }
}

/// Vitals with one measurement only (so that no other rule interferes).
func reading(
  _ timepoint: VitalsTimepoint = .during, _ set: (inout VitalsRecorded) -> Void
) -> ClinicalEvent {
  var vitals = VitalsRecorded(sessionId: "s1", timepoint: timepoint)
  set(&vitals)
  return .vitalsRecorded(vitals)
}

/// A dose of `perKg` mg/kg for a patient of `weight` kg.
func dose(perKg: Double, weight: Double = 70, route: Route = .iv) -> ClinicalEvent {
  var dose = Fixture.dose(perKg * weight, weightKg: weight, route: route)
  dose.doseMgPerKg = perKg
  return .doseAdministered(dose)
}

func assessment(_ instrument: Instrument, items: [Int], total: Int? = nil) -> ClinicalEvent {
  .assessmentRecorded(
    AssessmentRecorded(
      instrument: instrument, itemScores: items, totalScore: total ?? items.reduce(0, +),
      timepoint: .preSession, courseId: "c1"))
}

/// Hard limits with a numeric boundary: both sides of every edge.
let hardEdges: [RuleEdge] = [
  .hard("patient.birthYear.min", pass: 1900, trip: 1899) { value in
    flags(
      Fixture(),
      .patientRegistered(
        PatientRegistered(patientId: "p", birthYear: Int(value), sexAtBirth: .male)))
  },
  .hard("patient.birthYear.future", pass: 2026, trip: 2027) { value in
    flags(
      Fixture(),
      .patientRegistered(
        PatientRegistered(patientId: "p", birthYear: Int(value), sexAtBirth: .male)))
  },
  .hard("consultation.trial.weeks.min", pass: 0, trip: -1) { value in
    var consultation = Fixture.consultation
    consultation.priorAntidepressantTrials[0].weeks = Int(value)
    return flags(try Fixture.registered(), .consultationRecorded(consultation))
  },
  .hard("course.plannedSessions.min", pass: 1, trip: 0) { value in
    var course = Fixture.course()
    course.plannedSessions = Int(value)
    return flags(try Fixture.consented(), .coursePlanned(course))
  },
  .hard("course.sessionsPerWeek.positive", pass: 0.01, trip: 0) { value in
    var course = Fixture.course()
    course.sessionsPerWeek = value
    return flags(try Fixture.consented(), .coursePlanned(course))
  },
  .hard("course.targetDoseMgPerKg.positive", pass: 0.01, trip: 0) { value in
    var course = Fixture.course()
    course.targetDoseMgPerKg = value
    return flags(try Fixture.consented(), .coursePlanned(course))
  },
  .hard("session.weightKg.range", pass: 350, trip: 350.1) { value in
    flags(try Fixture.inSession(), .sessionStarted(Fixture.session("s2", weightKg: value)))
  },
  .hard("session.weightKg.range", pass: 20, trip: 19.9) { value in
    flags(try Fixture.inSession(), .sessionStarted(Fixture.session("s2", weightKg: value)))
  },
  .hard("dose.weightKg.range", pass: 350, trip: 350.1) { value in
    flags(try Fixture.inSession(), dose(perKg: 0.5, weight: value))
  },
  .hard("dose.weightKg.range", pass: 20, trip: 19.9) { value in
    flags(try Fixture.inSession(), dose(perKg: 0.5, weight: value))
  },
  .hard("dose.doseMg.positive", pass: 0.001, trip: 0) { value in
    flags(try Fixture.inSession(), .doseAdministered(Fixture.dose(value)))
  },
  .hard("dose.doseMgPerKg.mismatch", pass: 0.505, trip: 0.5052) { value in
    var dose = Fixture.dose(35)  // 0.5 mg/kg computed
    dose.doseMgPerKg = value
    return flags(try Fixture.inSession(), .doseAdministered(dose))
  },
  .hard("dose.iv.maxMgPerKg", pass: 2, trip: 2.001) { value in
    flags(try Fixture.inSession(), dose(perKg: value))
  },
  .hard("dose.esketamine.maxMg", pass: 84, trip: 112) { value in
    flags(
      try Fixture.inSession(drug: .esketamine, route: .intranasal),
      .doseAdministered(Fixture.dose(value, drug: .esketamine, route: .intranasal)))
  },
  .hard("dose.esketamine.multipleOf28", pass: 56, trip: 57) { value in
    flags(
      try Fixture.inSession(drug: .esketamine, route: .intranasal),
      .doseAdministered(Fixture.dose(value, drug: .esketamine, route: .intranasal)))
  },
  .hard("dose.plannedDurationMinutes.positive", pass: 0.01, trip: 0) { value in
    var dose = Fixture.dose()
    dose.plannedDurationMinutes = value
    return flags(try Fixture.inSession(), .doseAdministered(dose))
  },
  .hard("infusion.newRate.positive", pass: 0.01, trip: 0) { value in
    flags(
      try Fixture.dosed(),
      .infusionAdjusted(
        InfusionAdjusted(
          sessionId: "s1", action: .rateChanged, newRateMgPerMinute: value, reason: "BP")))
  },
  .hard("vitals.heartRate.range", pass: 300, trip: 300.1) { v in
    flags(try Fixture.inSession(), reading { $0.heartRateBpm = v })
  },
  .hard("vitals.heartRate.range", pass: 0, trip: -0.1) { v in
    flags(try Fixture.inSession(), reading { $0.heartRateBpm = v })
  },
  .hard("vitals.systolic.range", pass: 300, trip: 300.1) { v in
    flags(try Fixture.inSession(), reading { $0.systolicMmHg = v })
  },
  .hard("vitals.systolic.range", pass: 0, trip: -0.1) { v in
    flags(try Fixture.inSession(), reading { $0.systolicMmHg = v })
  },
  .hard("vitals.diastolic.range", pass: 200, trip: 200.1) { v in
    flags(try Fixture.inSession(), reading { $0.diastolicMmHg = v })
  },
  .hard("vitals.diastolic.range", pass: 0, trip: -0.1) { v in
    flags(try Fixture.inSession(), reading { $0.diastolicMmHg = v })
  },
  .hard("vitals.bloodPressure.order", pass: 80.1, trip: 80) { v in
    flags(
      try Fixture.inSession(),
      reading {
        $0.systolicMmHg = v
        $0.diastolicMmHg = 80
      })
  },
  .hard("vitals.spo2.range", pass: 100, trip: 100.1) { v in
    flags(try Fixture.inSession(), reading { $0.spo2Percent = v })
  },
  .hard("vitals.spo2.range", pass: 0, trip: -0.1) { v in
    flags(try Fixture.inSession(), reading { $0.spo2Percent = v })
  },
  .hard("vitals.respiratoryRate.range", pass: 80, trip: 80.1) { v in
    flags(try Fixture.inSession(), reading { $0.respiratoryRatePerMinute = v })
  },
  .hard("vitals.respiratoryRate.range", pass: 0, trip: -0.1) { v in
    flags(try Fixture.inSession(), reading { $0.respiratoryRatePerMinute = v })
  },
  .hard("vitals.temperature.range", pass: 45, trip: 45.1) { v in
    flags(try Fixture.inSession(), reading { $0.temperatureCelsius = v })
  },
  .hard("vitals.temperature.range", pass: 25, trip: 24.9) { v in
    flags(try Fixture.inSession(), reading { $0.temperatureCelsius = v })
  },
  .hard("assessment.itemCount", pass: 9, trip: 10) { v in
    flags(try Fixture.inSession(), assessment(.phq9, items: Array(repeating: 1, count: Int(v))))
  },
  .hard("assessment.itemRange", pass: 6, trip: 7) { v in
    flags(
      try Fixture.inSession(), assessment(.madrs, items: [Int(v)] + Array(repeating: 0, count: 9)))
  },
  .hard("assessment.itemRange", pass: 4, trip: 5) { v in
    flags(
      try Fixture.inSession(), assessment(.pcl5, items: [Int(v)] + Array(repeating: 0, count: 19)))
  },
  .hard("assessment.itemRange", pass: 0, trip: -1) { v in
    flags(
      try Fixture.inSession(), assessment(.phq9, items: [Int(v)] + Array(repeating: 1, count: 8)))
  },
  .hard("assessment.totalScore.range", pass: 27, trip: 28) { v in
    flags(
      try Fixture.inSession(),
      assessment(.phq9, items: Array(repeating: 3, count: 9), total: Int(v)))
  },
  .hard("assessment.totalScore.mismatch", pass: 9, trip: 10) { v in
    flags(try Fixture.inSession(), assessment(.gad7, items: [3, 3, 3, 0, 0, 0, 0], total: Int(v)))
  },
  .hard("assessment.totalScore.mismatch", pass: 3, trip: 5) { v in
    // QIDS-SR16 scores the highest of items 6-9 (here item 9) once; the plain sum would be 5.
    flags(
      try Fixture.inSession(),
      assessment(
        .qidsSr16, items: [0, 0, 0, 0, 0, 2, 0, 0, 3] + Array(repeating: 0, count: 7), total: Int(v)
      ))
  },
  .hard("discharge.minutesObserved.min", pass: 0, trip: -1) { v in
    flags(
      try Fixture.dosed(),
      .patientDischarged(
        PatientDischarged(
          sessionId: "s1", minutesObserved: Int(v), criteriaMet: true, escortPresent: true,
          noDrivingAdviceGiven: true)))
  },
]

/// A discharge after `minutes` of observation in an esketamine session.
func esketamineDischarge(_ minutes: Double) throws -> Result<
  [ClinicalFlag], ClinicalValidationError
> {
  var fixture = try Fixture.inSession(drug: .esketamine, route: .intranasal)
  try fixture.add(.doseAdministered(Fixture.dose(56, drug: .esketamine, route: .intranasal)))
  return flags(
    fixture,
    .patientDischarged(
      PatientDischarged(
        sessionId: "s1", minutesObserved: Int(minutes), criteriaMet: true, escortPresent: true,
        noDrivingAdviceGiven: true)))
}

/// A follow-up completed `seconds` after its due time.
func followUpCompleted(after seconds: Double) throws -> Result<
  [ClinicalFlag], ClinicalValidationError
> {
  var fixture = try Fixture.registered()
  let due = fixture.clock.addingTimeInterval(3_600)
  try fixture.add(
    .followUpScheduled(
      FollowUpScheduled(followUpId: "f1", dueAt: ClinicalTime(due, offsetMinutes: 60), kind: .call))
  )
  return flags(
    fixture,
    .followUpCompleted(FollowUpCompleted(followUpId: "f1", outcome: "well", newSideEffects: [])),
    at: ClinicalTime(due.addingTimeInterval(seconds), offsetMinutes: -300))
}

/// Soft alerts with a numeric threshold (defaults of protocol default-1): both sides.
let softEdges: [RuleEdge] = [
  .soft("patient.age.minor", pass: 2008, trip: 2009) { value in
    flags(
      Fixture(),
      .patientRegistered(
        PatientRegistered(patientId: "p", birthYear: Int(value), sexAtBirth: .male)))
  },
  .soft("consultation.trd.insufficientTrials", pass: 6, trip: 5) { value in
    var consultation = Fixture.consultation
    consultation.priorAntidepressantTrials[1].weeks = Int(value)
    return flags(try Fixture.registered(), .consultationRecorded(consultation))
  },
  .soft("course.maintenance.frequency", pass: 2, trip: 2.01) { value in
    var course = Fixture.course(phase: .maintenance)
    course.sessionsPerWeek = value
    return flags(try Fixture.consented(), .coursePlanned(course))
  },
  .soft("session.weight.changed", pass: 73.5, trip: 73.51) { value in
    flags(try Fixture.inSession(), .sessionStarted(Fixture.session("s2", weightKg: value)))
  },
  .soft("session.weight.changed", pass: 66.5, trip: 66.49) { value in
    flags(try Fixture.inSession(), .sessionStarted(Fixture.session("s2", weightKg: value)))
  },
  .soft("dose.iv.high", pass: 0.75, trip: 0.7501) { v in
    flags(try Fixture.inSession(), dose(perKg: v))
  },
  .soft("dose.im.high", pass: 1, trip: 1.001) { v in
    flags(try Fixture.inSession(route: .im), dose(perKg: v, route: .im))
  },
  .soft("dose.sc.high", pass: 1, trip: 1.001) { v in
    flags(try Fixture.inSession(route: .sc), dose(perKg: v, route: .sc))
  },
  .soft("dose.oral.outOfRange", pass: 0.25, trip: 0.2499) { v in
    flags(try Fixture.inSession(route: .oral), dose(perKg: v, route: .oral))
  },
  .soft("dose.oral.outOfRange", pass: 7, trip: 7.001) { v in
    flags(try Fixture.inSession(route: .oral), dose(perKg: v, route: .oral))
  },
  .soft("dose.sublingual.outOfRange", pass: 0.25, trip: 0.2499) { v in
    flags(try Fixture.inSession(route: .sublingual), dose(perKg: v, route: .sublingual))
  },
  .soft("dose.sublingual.outOfRange", pass: 7, trip: 7.001) { v in
    flags(try Fixture.inSession(route: .sublingual), dose(perKg: v, route: .sublingual))
  },
  .soft("vitals.heartRate.low", pass: 50.1, trip: 50) { v in
    flags(try Fixture.inSession(), reading { $0.heartRateBpm = v })
  },
  .soft("vitals.heartRate.high", pass: 110.9, trip: 111) { v in
    flags(try Fixture.inSession(), reading { $0.heartRateBpm = v })
  },
  .soft("vitals.systolic.highAtBaseline", pass: 139.9, trip: 140) { v in
    flags(try Fixture.inSession(), reading(.baseline) { $0.systolicMmHg = v })
  },
  .soft("vitals.systolic.high", pass: 179.9, trip: 180) { v in
    flags(try Fixture.inSession(), reading { $0.systolicMmHg = v })
  },
  .soft("vitals.systolic.low", pass: 90.1, trip: 90) { v in
    flags(try Fixture.inSession(), reading { $0.systolicMmHg = v })
  },
  .soft("vitals.diastolic.highAtBaseline", pass: 89.9, trip: 90) { v in
    flags(try Fixture.inSession(), reading(.baseline) { $0.diastolicMmHg = v })
  },
  .soft("vitals.diastolic.high", pass: 109.9, trip: 110) { v in
    flags(try Fixture.inSession(), reading { $0.diastolicMmHg = v })
  },
  .soft("vitals.spo2.low", pass: 93.1, trip: 93) { v in
    flags(try Fixture.inSession(), reading { $0.spo2Percent = v })
  },
  .soft("vitals.respiratoryRate.low", pass: 8.1, trip: 8) { v in
    flags(try Fixture.inSession(), reading { $0.respiratoryRatePerMinute = v })
  },
  .soft("vitals.respiratoryRate.high", pass: 24.9, trip: 25) { v in
    flags(try Fixture.inSession(), reading { $0.respiratoryRatePerMinute = v })
  },
  .soft("vitals.temperature.low", pass: 35.1, trip: 35) { v in
    flags(try Fixture.inSession(), reading { $0.temperatureCelsius = v })
  },
  .soft("vitals.temperature.high", pass: 38.0, trip: 38.1) { v in
    flags(try Fixture.inSession(), reading { $0.temperatureCelsius = v })
  },
  .soft("assessment.phq9.suicidalThoughts", pass: 0, trip: 1) { v in
    flags(try Fixture.inSession(), assessment(.phq9, items: [1, 1, 1, 1, 1, 1, 1, 1, Int(v)]))
  },
  .soft("discharge.esketamine.shortObservation", pass: 120, trip: 119) { v in
    try esketamineDischarge(v)
  },
  .soft("followUp.completedLate", pass: 0, trip: 1) { v in try followUpCompleted(after: v) },
]

/// Catalogue rules without a numeric boundary, with the reason (a new rule must be added to the
/// edges above or here, or ``BoundaryTests/everyRuleHasAnEdgeOrAReason()`` fails).
let rulesWithoutEdges: [String: String] = {
  var reasons: [String: String] = [:]
  for code in [
    "decode.json.invalid", "decode.type.unknown", "decode.schemaVersion.unsupported",
    "decode.field.missing",
    "decode.field.wrongType", "decode.field.unknownEnumValue", "decode.field.unknownKey",
    "decode.field.invalidFormat", "encode.number.notFinite", "format.id", "format.text.empty",
    "format.diagnosis.icd10", "consultation.allergies.missing",
    "consultation.currentMedications.missing",
    "infusion.reason.empty", "correction.reason.empty", "void.reason.empty",
    "vitals.measurements.none",
    "course.targetDoseMgPerKg.esketamine", "dose.plannedDurationMinutes.notIV",
    "infusion.newRate.required",
    "infusion.newRate.notAllowed", "protocol.version.empty",
  ] { reasons[code] = "shape or format, not a number" }
  for code in [
    "patient.notRegistered", "patient.alreadyRegistered", "course.courseId.duplicate",
    "session.course.unknown",
    "session.course.completed", "session.sessionId.duplicate", "dose.session.notStarted",
    "dose.course.mismatch",
    "dose.consent.notInForce", "dose.consultation.notEligible", "dose.esketamine.contraindicated",
    "infusion.session.notStarted", "infusion.session.noIVDose", "vitals.session.notStarted",
    "sideEffect.session.notStarted", "assessment.course.unknown", "assessment.session.notStarted",
    "discharge.session.notStarted", "discharge.session.alreadyDischarged",
    "followUp.followUpId.duplicate",
    "followUp.session.notStarted", "followUp.unknown", "followUp.alreadyCompleted",
    "courseCompleted.course.unknown",
    "courseCompleted.course.alreadyCompleted", "correction.target.unknown",
    "correction.target.otherStream",
    "correction.target.voided", "correction.target.isCorrection", "void.target.unknown",
    "void.target.otherStream",
    "void.target.alreadyVoided", "void.target.isVoid",
  ] { reasons[code] = "refers to other events of the stream" }
  for code in [
    "protocol.threshold.positive", "protocol.threshold.order", "protocol.threshold.range",
  ] {
    reasons[code] = "protocol files, tested in ProtocolTests"
  }
  for code in [
    "consultation.eligible.withContraindication", "session.escort.notArranged",
    "dose.route.differsFromCourse",
    "dose.drug.differsFromCourse", "infusion.stoppedEarly", "sideEffect.severe",
    "sideEffect.serious",
    "discharge.escort.absent", "discharge.criteria.notMet",
  ] { reasons[code] = "a yes/no or a code, tested in SoftAlertTests" }
  return reasons
}()

@Suite("Rule boundaries from the catalogue")
struct BoundaryTests {
  @Test(
    "A hard limit accepts its edge and refuses the nearest value beyond it", arguments: hardEdges)
  func hardLimitEdge(_ edge: RuleEdge) throws {
    switch try edge.attempt(edge.passing) {
    case .success: break
    case .failure(let error):
      Issue.record("\(edge.passing) was refused: \(error.rule) \(error.field)")
    }
    switch try edge.attempt(edge.tripping) {
    case .success: Issue.record("\(edge.tripping) was accepted")
    case .failure(let error): #expect(error.rule == edge.code)
    }
  }

  @Test(
    "A soft alert is silent at its edge and flags the nearest value beyond it", arguments: softEdges
  )
  func softAlertEdge(_ edge: RuleEdge) throws {
    let quiet = try edge.attempt(edge.passing).get().map(\.code)
    #expect(!quiet.contains(edge.code), "\(edge.passing) flagged")
    let loud = try edge.attempt(edge.tripping).get().map(\.code)
    #expect(loud.contains(edge.code), "\(edge.tripping) not flagged: \(loud)")
  }

  @Test("Every rule of the catalogue has a boundary case or a reason it has none")
  func everyRuleHasAnEdgeOrAReason() {
    let catalogue = Set(ClinicalRuleCatalogue.hardLimits.map(\.code))
      .union(ClinicalRuleCatalogue.softAlerts().map(\.code))
    let edged = Set((hardEdges + softEdges).map(\.code))
    let explained = Set(rulesWithoutEdges.keys)
    #expect(catalogue.subtracting(edged).subtracting(explained).sorted() == [])
    #expect(edged.intersection(explained).sorted() == [])
    #expect(edged.union(explained).subtracting(catalogue).sorted() == [])
    #expect(
      Set(hardEdges.map(\.code)).isSubset(of: Set(ClinicalRuleCatalogue.hardLimits.map(\.code))))
    #expect(
      Set(softEdges.map(\.code)).isSubset(of: Set(ClinicalRuleCatalogue.softAlerts().map(\.code))))
  }
}
