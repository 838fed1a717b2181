import Foundation
import LedgerFoundation
import Testing
import TreatmentRecords

/// One bad input: the rule it must break and the values its error must not repeat.
struct BadInput: Sendable, CustomTestStringConvertible {
  let rule: String
  /// The expected field path, when the case pins it.
  let field: String?
  /// Values that appear in the input and must not appear in the error's description.
  let sentinels: [String]
  let attempt: @Sendable () throws -> ClinicalValidationError?

  init(
    _ rule: String, field: String? = nil, sentinels: [String] = [],
    _ attempt: @escaping @Sendable () throws -> ClinicalValidationError?
  ) {
    self.rule = rule
    self.field = field
    self.sentinels = sentinels
    self.attempt = attempt
  }

  var testDescription: String { rule + (field.map { " @ \($0)" } ?? "") }
}

/// The error of decoding a JSON literal, or `nil` if it decoded.
func decodeError(_ type: String, _ json: String, version: Int = 1) -> ClinicalValidationError? {
  do {
    _ = try ClinicalEvent.decode(type: type, schemaVersion: version, json: Data(json.utf8))
    return nil
  } catch {
    return error
  }
}

/// The error of validating `event` against `fixture`, or `nil` if it was accepted.
func rejection(
  _ fixture: Fixture, _ event: ClinicalEvent, at time: ClinicalTime? = nil,
  otherStreamHas: Set<UUID> = []
) -> ClinicalValidationError? {
  var copy = fixture
  if case .failure(let error) = copy.attempt(event, at: time, otherStreamHas: otherStreamHas) {
    return error
  }
  return nil
}

func encodeError(_ event: ClinicalEvent) -> ClinicalValidationError? {
  do {
    _ = try event.jsonData()
    return nil
  } catch {
    return error
  }
}

func protocolError(_ json: String) -> ClinicalValidationError? {
  do {
    _ = try ClinicalProtocol.load(json: Data(json.utf8))
    return nil
  } catch {
    return error
  }
}

let validPatient = #"{"patientId":"pt-SENTINEL-1","birthYear":1987,"sexAtBirth":"female"}"#

/// One case per hard limit of docs/CLINICAL-RULES.md sections 1-5, plus decoding, format and protocol rules.
let badInputs: [BadInput] = [
  // Decoding.
  BadInput("decode.json.invalid", sentinels: ["SENTINEL-JSON"]) {
    decodeError("PatientRegistered", #"{"patientId": "SENTINEL-JSON""#)
  },
  BadInput("decode.field.wrongType", field: "", sentinels: ["SENTINEL-ARRAY"]) {
    decodeError("PatientRegistered", #"["SENTINEL-ARRAY"]"#)
  },
  BadInput("decode.type.unknown", field: "type", sentinels: ["PatientSENTINELDeleted"]) {
    decodeError("PatientSENTINELDeleted", validPatient)
  },
  BadInput("decode.schemaVersion.unsupported", field: "schemaVersion", sentinels: ["987654"]) {
    decodeError("PatientRegistered", validPatient, version: 987_654)
  },
  BadInput("decode.field.missing", field: "birthYear", sentinels: ["pt-SENTINEL-2"]) {
    decodeError("PatientRegistered", #"{"patientId":"pt-SENTINEL-2","sexAtBirth":"male"}"#)
  },
  BadInput("decode.field.wrongType", field: "birthYear", sentinels: ["SENTINEL-1987"]) {
    decodeError(
      "PatientRegistered",
      #"{"patientId":"pt-1","birthYear":"SENTINEL-1987","sexAtBirth":"male"}"#)
  },
  BadInput("decode.field.wrongType", field: "birthYear", sentinels: ["1987.625"]) {
    decodeError(
      "PatientRegistered", #"{"patientId":"pt-1","birthYear":1987.625,"sexAtBirth":"male"}"#)
  },
  BadInput("decode.field.wrongType", field: "eligibilityNote") {
    decodeError(
      "ConsultationRecorded",
      #"{"indication":"ptsd","diagnoses":[],"allergies":[],"currentMedications":[],"priorAntidepressantTrials":[],"contraindications":[],"eligible":true,"eligibilityNote":null}"#
    )
  },
  BadInput(
    "decode.field.wrongType", field: "priorAntidepressantTrials[1].weeks",
    sentinels: ["SENTINEL-weeks"]
  ) {
    decodeError(
      "ConsultationRecorded",
      #"{"indication":"ptsd","diagnoses":[],"allergies":[],"currentMedications":[],"priorAntidepressantTrials":[{"drug":"a","weeks":8,"outcome":"none"},{"drug":"b","weeks":"SENTINEL-weeks","outcome":"none"}],"contraindications":[],"eligible":true}"#
    )
  },
  BadInput("decode.field.unknownEnumValue", field: "sexAtBirth", sentinels: ["SENTINEL-sex"]) {
    decodeError(
      "PatientRegistered", #"{"patientId":"pt-1","birthYear":1987,"sexAtBirth":"SENTINEL-sex"}"#)
  },
  BadInput(
    "decode.field.unknownEnumValue", field: "contraindications[0]", sentinels: ["SENTINEL-ci"]
  ) {
    decodeError(
      "ConsultationRecorded",
      #"{"indication":"ptsd","diagnoses":[],"allergies":[],"currentMedications":[],"priorAntidepressantTrials":[],"contraindications":["SENTINEL-ci"],"eligible":true}"#
    )
  },
  BadInput("decode.field.unknownKey", field: "nickname", sentinels: ["SENTINEL-name"]) {
    decodeError(
      "PatientRegistered",
      #"{"patientId":"pt-1","birthYear":1987,"sexAtBirth":"male","nickname":"SENTINEL-name"}"#)
  },
  BadInput("decode.field.unknownKey", field: "priorAntidepressantTrials[0].dose") {
    decodeError(
      "ConsultationRecorded",
      #"{"indication":"ptsd","diagnoses":[],"allergies":[],"currentMedications":[],"priorAntidepressantTrials":[{"drug":"a","weeks":8,"outcome":"none","dose":"SENTINEL-dose"}],"contraindications":[],"eligible":true}"#
    )
  },
  BadInput("decode.field.invalidFormat", field: "dueAt", sentinels: ["2026-03-02T09:00:00"]) {
    decodeError(
      "FollowUpScheduled", #"{"followUpId":"fu-1","dueAt":"2026-03-02T09:00:00","kind":"call"}"#)
  },
  BadInput("decode.field.invalidFormat", field: "voidedEventId", sentinels: ["SENTINEL-uuid"]) {
    decodeError("EntryVoided", #"{"voidedEventId":"SENTINEL-uuid","reason":"typo"}"#)
  },
  BadInput("encode.number.notFinite", field: "weightKg") {
    encodeError(.sessionStarted(Fixture.session(weightKg: .nan)))
  },
  // Formats.
  BadInput("format.id", field: "courseId", sentinels: ["course SENTINEL spaces"]) {
    var course = Fixture.course()
    course.courseId = "course SENTINEL spaces"
    return rejection(try Fixture.consented(), .coursePlanned(course))
  },
  BadInput("format.text.empty", field: "formVersion") {
    var consent = Fixture.consent
    consent.formVersion = "  "
    return rejection(try Fixture.registered(), .consentRecorded(consent))
  },
  BadInput("format.diagnosis.icd10", field: "diagnoses[1]", sentinels: ["SENTINEL-F33"]) {
    var consultation = Fixture.consultation
    consultation.diagnoses = ["F33.2", "SENTINEL-F33"]
    return rejection(try Fixture.registered(), .consultationRecorded(consultation))
  },
  BadInput("format.text.empty", field: "currentMedications[1]") {
    var consultation = Fixture.consultation
    consultation.currentMedications = ["lithium 400 mg", ""]
    return rejection(try Fixture.registered(), .consultationRecorded(consultation))
  },
  // PatientRegistered.
  BadInput("patient.notRegistered", field: "") {
    rejection(Fixture(), .consultationRecorded(Fixture.consultation))
  },
  BadInput("patient.alreadyRegistered", field: "patientId") {
    rejection(
      try Fixture.registered(),
      .patientRegistered(PatientRegistered(patientId: "p2", birthYear: 1990, sexAtBirth: .male)))
  },
  BadInput("patient.birthYear.future", field: "birthYear", sentinels: ["2999"]) {
    rejection(
      Fixture(),
      .patientRegistered(PatientRegistered(patientId: "p2", birthYear: 2999, sexAtBirth: .male)))
  },
  BadInput("patient.birthYear.min", field: "birthYear", sentinels: ["1899"]) {
    rejection(
      Fixture(),
      .patientRegistered(PatientRegistered(patientId: "p2", birthYear: 1899, sexAtBirth: .male)))
  },
  // ConsultationRecorded.
  BadInput("consultation.allergies.missing", field: "allergies", sentinels: ["SENTINEL-med"]) {
    decodeError(
      "ConsultationRecorded",
      #"{"indication":"ptsd","diagnoses":[],"currentMedications":["SENTINEL-med"],"priorAntidepressantTrials":[],"contraindications":[],"eligible":true}"#
    )
  },
  BadInput(
    "consultation.currentMedications.missing", field: "currentMedications",
    sentinels: ["SENTINEL-allergy"]
  ) {
    decodeError(
      "ConsultationRecorded",
      #"{"indication":"ptsd","diagnoses":[],"allergies":["SENTINEL-allergy"],"priorAntidepressantTrials":[],"contraindications":[],"eligible":true}"#
    )
  },
  BadInput(
    "consultation.trial.weeks.min", field: "priorAntidepressantTrials[0].weeks", sentinels: ["-37"]
  ) {
    var consultation = Fixture.consultation
    consultation.priorAntidepressantTrials[0].weeks = -37
    return rejection(try Fixture.registered(), .consultationRecorded(consultation))
  },
  // CoursePlanned.
  BadInput("course.plannedSessions.min", field: "plannedSessions", sentinels: ["-41"]) {
    var course = Fixture.course()
    course.plannedSessions = -41
    return rejection(try Fixture.consented(), .coursePlanned(course))
  },
  BadInput("course.courseId.duplicate", field: "courseId") {
    rejection(try Fixture.inSession(), .coursePlanned(Fixture.course()))
  },
  BadInput("course.sessionsPerWeek.positive", field: "sessionsPerWeek", sentinels: ["-2.375"]) {
    var course = Fixture.course()
    course.sessionsPerWeek = -2.375
    return rejection(try Fixture.consented(), .coursePlanned(course))
  },
  BadInput(
    "course.targetDoseMgPerKg.positive", field: "targetDoseMgPerKg", sentinels: ["-0.625"]
  ) {
    var course = Fixture.course()
    course.targetDoseMgPerKg = -0.625
    return rejection(try Fixture.consented(), .coursePlanned(course))
  },
  BadInput(
    "course.targetDoseMgPerKg.esketamine", field: "targetDoseMgPerKg", sentinels: ["0.3125"]
  ) {
    var course = Fixture.course(drug: .esketamine, route: .intranasal)
    course.targetDoseMgPerKg = 0.3125
    return rejection(try Fixture.consented(), .coursePlanned(course))
  },
  // SessionStarted.
  BadInput("session.course.unknown", field: "courseId", sentinels: ["course-SENTINEL"]) {
    rejection(
      try Fixture.consented(), .sessionStarted(Fixture.session(courseId: "course-SENTINEL")))
  },
  BadInput("session.course.completed", field: "courseId") {
    var fixture = try Fixture.consented()
    try fixture.add(.coursePlanned(Fixture.course()))
    try fixture.add(.courseCompleted(CourseCompleted(courseId: "c1", reason: .discontinued)))
    return rejection(fixture, .sessionStarted(Fixture.session()))
  },
  BadInput("session.weightKg.range", field: "weightKg", sentinels: ["9999.125"]) {
    var fixture = try Fixture.consented()
    try fixture.add(.coursePlanned(Fixture.course()))
    return rejection(fixture, .sessionStarted(Fixture.session(weightKg: 9999.125)))
  },
  BadInput("session.weightKg.range", field: "weightKg", sentinels: ["19.875"]) {
    var fixture = try Fixture.consented()
    try fixture.add(.coursePlanned(Fixture.course()))
    return rejection(fixture, .sessionStarted(Fixture.session(weightKg: 19.875)))
  },
  BadInput("session.sessionId.duplicate", field: "sessionId") {
    rejection(try Fixture.inSession(), .sessionStarted(Fixture.session()))
  },
  // DoseAdministered.
  BadInput("dose.session.notStarted", field: "sessionId", sentinels: ["session-SENTINEL"]) {
    rejection(
      try Fixture.inSession(), .doseAdministered(Fixture.dose(sessionId: "session-SENTINEL")))
  },
  BadInput("dose.course.mismatch", field: "courseId") {
    var fixture = try Fixture.inSession()
    try fixture.add(.coursePlanned(Fixture.course("c2")))
    return rejection(fixture, .doseAdministered(Fixture.dose(courseId: "c2")))
  },
  BadInput("dose.doseMg.positive", field: "doseMg", sentinels: ["-12.5"]) {
    rejection(try Fixture.inSession(), .doseAdministered(Fixture.dose(-12.5)))
  },
  BadInput("dose.weightKg.range", field: "weightKg", sentinels: ["9999.125"]) {
    rejection(try Fixture.inSession(), .doseAdministered(Fixture.dose(35, weightKg: 9999.125)))
  },
  BadInput("dose.doseMgPerKg.mismatch", field: "doseMgPerKg", sentinels: ["0.6875"]) {
    var dose = Fixture.dose(35)
    dose.doseMgPerKg = 0.6875
    return rejection(try Fixture.inSession(), .doseAdministered(dose))
  },
  BadInput("dose.iv.maxMgPerKg", field: "doseMgPerKg", sentinels: ["160.5", "2.5078125"]) {
    rejection(try Fixture.inSession(), .doseAdministered(Fixture.dose(160.5, weightKg: 64)))
  },
  BadInput("dose.esketamine.multipleOf28", field: "doseMg", sentinels: ["61.5"]) {
    rejection(
      try Fixture.inSession(drug: .esketamine, route: .intranasal),
      .doseAdministered(Fixture.dose(61.5, drug: .esketamine, route: .intranasal)))
  },
  BadInput("dose.esketamine.maxMg", field: "doseMg", sentinels: ["112"]) {
    rejection(
      try Fixture.inSession(drug: .esketamine, route: .intranasal),
      .doseAdministered(Fixture.dose(112, drug: .esketamine, route: .intranasal)))
  },
  BadInput("dose.consent.notInForce", field: "") {
    var fixture = try Fixture.inSession()
    var withdrawal = Fixture.consent
    withdrawal.given = false
    try fixture.add(.consentRecorded(withdrawal))
    return rejection(fixture, .doseAdministered(Fixture.dose()))
  },
  BadInput("dose.consent.notInForce", field: "") {
    // Consent given at 12:00 does not cover a dose entered late for 09:00.
    var fixture = try Fixture.registered()
    try fixture.add(.consultationRecorded(Fixture.consultation))
    try fixture.add(.coursePlanned(Fixture.course()))
    try fixture.add(.sessionStarted(Fixture.session()))
    let morning = ClinicalTime(fixture.clock.addingTimeInterval(60), offsetMinutes: 60)
    fixture.clock = fixture.clock.addingTimeInterval(3 * 3600)
    try fixture.add(.consentRecorded(Fixture.consent))
    return rejection(fixture, .doseAdministered(Fixture.dose()), at: morning)
  },
  BadInput("dose.consultation.notEligible", field: "") {
    var fixture = try Fixture.inSession()
    var consultation = Fixture.consultation
    consultation.eligible = false
    try fixture.add(.consultationRecorded(consultation))
    return rejection(fixture, .doseAdministered(Fixture.dose()))
  },
  BadInput("dose.consultation.notEligible", field: "") {
    var fixture = try Fixture.registered()
    try fixture.add(.consentRecorded(Fixture.consent))
    try fixture.add(.coursePlanned(Fixture.course()))
    try fixture.add(.sessionStarted(Fixture.session()))
    return rejection(fixture, .doseAdministered(Fixture.dose()))
  },
  BadInput("dose.esketamine.contraindicated", field: "drug") {
    var fixture = try Fixture.inSession(drug: .esketamine, route: .intranasal)
    var consultation = Fixture.consultation
    consultation.contraindications = [.aneurysmalVascularDisease]
    try fixture.add(.consultationRecorded(consultation))
    return rejection(
      fixture, .doseAdministered(Fixture.dose(56, drug: .esketamine, route: .intranasal)))
  },
  BadInput(
    "dose.plannedDurationMinutes.notIV", field: "plannedDurationMinutes", sentinels: ["41.25"]
  ) {
    var dose = Fixture.dose(35, route: .im)
    dose.plannedDurationMinutes = 41.25
    return rejection(try Fixture.inSession(route: .im), .doseAdministered(dose))
  },
  BadInput(
    "dose.plannedDurationMinutes.positive", field: "plannedDurationMinutes", sentinels: ["-41.25"]
  ) {
    var dose = Fixture.dose()
    dose.plannedDurationMinutes = -41.25
    return rejection(try Fixture.inSession(), .doseAdministered(dose))
  },
  // InfusionAdjusted.
  BadInput("infusion.reason.empty", field: "reason") {
    rejection(
      try Fixture.dosed(),
      .infusionAdjusted(InfusionAdjusted(sessionId: "s1", action: .paused, reason: " \n")))
  },
  BadInput("infusion.session.notStarted", field: "sessionId") {
    rejection(
      try Fixture.dosed(),
      .infusionAdjusted(InfusionAdjusted(sessionId: "s9", action: .paused, reason: "nausea")))
  },
  BadInput("infusion.session.noIVDose", field: "sessionId") {
    rejection(
      try Fixture.inSession(),
      .infusionAdjusted(InfusionAdjusted(sessionId: "s1", action: .paused, reason: "nausea")))
  },
  BadInput("infusion.newRate.required", field: "newRateMgPerMinute") {
    rejection(
      try Fixture.dosed(),
      .infusionAdjusted(InfusionAdjusted(sessionId: "s1", action: .rateChanged, reason: "BP up")))
  },
  BadInput("infusion.newRate.notAllowed", field: "newRateMgPerMinute", sentinels: ["0.4375"]) {
    rejection(
      try Fixture.dosed(),
      .infusionAdjusted(
        InfusionAdjusted(sessionId: "s1", action: .paused, newRateMgPerMinute: 0.4375, reason: "x"))
    )
  },
  BadInput("infusion.newRate.positive", field: "newRateMgPerMinute", sentinels: ["-0.4375"]) {
    rejection(
      try Fixture.dosed(),
      .infusionAdjusted(
        InfusionAdjusted(
          sessionId: "s1", action: .rateChanged, newRateMgPerMinute: -0.4375, reason: "x")))
  },
  // VitalsRecorded.
  BadInput("vitals.session.notStarted", field: "sessionId") {
    var vitals = Fixture.vitals()
    vitals.sessionId = "s9"
    return rejection(try Fixture.inSession(), .vitalsRecorded(vitals))
  },
  BadInput("vitals.measurements.none", field: "") {
    rejection(
      try Fixture.inSession(), .vitalsRecorded(VitalsRecorded(sessionId: "s1", timepoint: .during)))
  },
  BadInput("vitals.heartRate.range", field: "heartRateBpm", sentinels: ["333.5"]) {
    var vitals = Fixture.vitals()
    vitals.heartRateBpm = 333.5
    return rejection(try Fixture.inSession(), .vitalsRecorded(vitals))
  },
  BadInput("vitals.systolic.range", field: "systolicMmHg", sentinels: ["456.25"]) {
    var vitals = Fixture.vitals()
    vitals.systolicMmHg = 456.25
    return rejection(try Fixture.inSession(), .vitalsRecorded(vitals))
  },
  BadInput("vitals.diastolic.range", field: "diastolicMmHg", sentinels: ["234.5"]) {
    var vitals = Fixture.vitals()
    vitals.systolicMmHg = nil
    vitals.diastolicMmHg = 234.5
    return rejection(try Fixture.inSession(), .vitalsRecorded(vitals))
  },
  BadInput("vitals.bloodPressure.order", field: "systolicMmHg", sentinels: ["80.5", "95.25"]) {
    var vitals = Fixture.vitals()
    vitals.systolicMmHg = 80.5
    vitals.diastolicMmHg = 95.25
    return rejection(try Fixture.inSession(), .vitalsRecorded(vitals))
  },
  BadInput("vitals.spo2.range", field: "spo2Percent", sentinels: ["101.5"]) {
    var vitals = Fixture.vitals()
    vitals.spo2Percent = 101.5
    return rejection(try Fixture.inSession(), .vitalsRecorded(vitals))
  },
  BadInput(
    "vitals.respiratoryRate.range", field: "respiratoryRatePerMinute", sentinels: ["88.5"]
  ) {
    var vitals = Fixture.vitals()
    vitals.respiratoryRatePerMinute = 88.5
    return rejection(try Fixture.inSession(), .vitalsRecorded(vitals))
  },
  BadInput("vitals.temperature.range", field: "temperatureCelsius", sentinels: ["24.875"]) {
    var vitals = Fixture.vitals()
    vitals.temperatureCelsius = 24.875
    return rejection(try Fixture.inSession(), .vitalsRecorded(vitals))
  },
  // SideEffectObserved.
  BadInput("sideEffect.session.notStarted", field: "sessionId") {
    rejection(
      try Fixture.inSession(),
      .sideEffectObserved(
        SideEffectObserved(
          sessionId: "s9", effect: .nausea, severity: .mild, serious: false, actionTaken: "none")))
  },
  // AssessmentRecorded.
  BadInput("assessment.itemCount", field: "itemScores") {
    rejection(
      try Fixture.registered(),
      .assessmentRecorded(
        AssessmentRecorded(
          instrument: .phq9, itemScores: [1, 1, 1, 1, 1, 1, 1, 1], totalScore: 8,
          timepoint: .baseline)))
  },
  BadInput("assessment.itemRange", field: "itemScores[3]") {
    rejection(
      try Fixture.registered(),
      .assessmentRecorded(
        AssessmentRecorded(
          instrument: .phq9, itemScores: [1, 1, 1, 7, 1, 1, 1, 1, 0], totalScore: 14,
          timepoint: .baseline)))
  },
  BadInput("assessment.totalScore.range", field: "totalScore", sentinels: ["131"]) {
    rejection(
      try Fixture.registered(),
      .assessmentRecorded(
        AssessmentRecorded(
          instrument: .gad7, itemScores: [3, 3, 3, 3, 3, 3, 3], totalScore: 131,
          timepoint: .baseline)))
  },
  BadInput("assessment.totalScore.mismatch", field: "totalScore", sentinels: ["19"]) {
    rejection(
      try Fixture.registered(),
      .assessmentRecorded(
        AssessmentRecorded(
          instrument: .phq9, itemScores: [2, 2, 2, 2, 2, 2, 2, 2, 0], totalScore: 19,
          timepoint: .baseline)))
  },
  BadInput("assessment.totalScore.mismatch", field: "totalScore") {
    // QIDS-SR16 scores nine domains: the plain sum (16) is wrong; the domain score is 9.
    rejection(
      try Fixture.registered(),
      .assessmentRecorded(
        AssessmentRecorded(
          instrument: .qidsSr16, itemScores: Array(repeating: 1, count: 16), totalScore: 16,
          timepoint: .baseline)))
  },
  BadInput("assessment.course.unknown", field: "courseId") {
    rejection(
      try Fixture.registered(),
      .assessmentRecorded(
        AssessmentRecorded(
          instrument: .gad7, itemScores: [0, 0, 0, 0, 0, 0, 0], totalScore: 0,
          timepoint: .baseline, courseId: "c9")))
  },
  BadInput("assessment.session.notStarted", field: "sessionId") {
    rejection(
      try Fixture.inSession(),
      .assessmentRecorded(
        AssessmentRecorded(
          instrument: .gad7, itemScores: [0, 0, 0, 0, 0, 0, 0], totalScore: 0,
          timepoint: .preSession, sessionId: "s9")))
  },
  // PatientDischarged.
  BadInput("discharge.session.notStarted", field: "sessionId") {
    rejection(
      try Fixture.inSession(),
      .patientDischarged(
        PatientDischarged(
          sessionId: "s9", minutesObserved: 60, criteriaMet: true, escortPresent: true,
          noDrivingAdviceGiven: true)))
  },
  BadInput("discharge.session.alreadyDischarged", field: "sessionId") {
    var fixture = try Fixture.dosed()
    let discharge = PatientDischarged(
      sessionId: "s1", minutesObserved: 60, criteriaMet: true, escortPresent: true,
      noDrivingAdviceGiven: true)
    try fixture.add(.patientDischarged(discharge))
    return rejection(fixture, .patientDischarged(discharge))
  },
  BadInput("discharge.minutesObserved.min", field: "minutesObserved", sentinels: ["-45"]) {
    rejection(
      try Fixture.dosed(),
      .patientDischarged(
        PatientDischarged(
          sessionId: "s1", minutesObserved: -45, criteriaMet: true, escortPresent: true,
          noDrivingAdviceGiven: true)))
  },
  // FollowUpScheduled and FollowUpCompleted.
  BadInput("followUp.followUpId.duplicate", field: "followUpId") {
    var fixture = try Fixture.registered()
    let followUp = FollowUpScheduled(
      followUpId: "fu-1", dueAt: ClinicalTime(fixture.now), kind: .call)
    try fixture.add(.followUpScheduled(followUp))
    return rejection(fixture, .followUpScheduled(followUp))
  },
  BadInput("followUp.session.notStarted", field: "sessionId") {
    let fixture = try Fixture.registered()
    return rejection(
      fixture,
      .followUpScheduled(
        FollowUpScheduled(
          followUpId: "fu-1", dueAt: ClinicalTime(fixture.now), kind: .call, sessionId: "s9")))
  },
  BadInput("followUp.unknown", field: "followUpId", sentinels: ["fu-SENTINEL"]) {
    rejection(
      try Fixture.registered(),
      .followUpCompleted(
        FollowUpCompleted(followUpId: "fu-SENTINEL", outcome: "fine", newSideEffects: [])))
  },
  BadInput("followUp.alreadyCompleted", field: "followUpId") {
    var fixture = try Fixture.registered()
    try fixture.add(
      .followUpScheduled(
        FollowUpScheduled(followUpId: "fu-1", dueAt: ClinicalTime(fixture.now), kind: .call)))
    let completion = FollowUpCompleted(followUpId: "fu-1", outcome: "fine", newSideEffects: [])
    try fixture.add(.followUpCompleted(completion))
    return rejection(fixture, .followUpCompleted(completion))
  },
  // CourseCompleted.
  BadInput("courseCompleted.course.unknown", field: "courseId") {
    rejection(
      try Fixture.inSession(), .courseCompleted(CourseCompleted(courseId: "c9", reason: .completed))
    )
  },
  BadInput("courseCompleted.course.alreadyCompleted", field: "courseId") {
    var fixture = try Fixture.inSession()
    try fixture.add(.courseCompleted(CourseCompleted(courseId: "c1", reason: .completed)))
    return rejection(fixture, .courseCompleted(CourseCompleted(courseId: "c1", reason: .completed)))
  },
  // EntryCorrected.
  BadInput("correction.reason.empty", field: "reason") {
    let fixture = try Fixture.inSession()
    return rejection(
      fixture,
      .entryCorrected(
        try EntryCorrected(
          correctedEventId: fixture.id("session"), reason: "",
          replacement: Fixture.session(weightKg: 72))))
  },
  BadInput("correction.target.unknown", field: "correctedEventId") {
    rejection(
      try Fixture.inSession(),
      .entryCorrected(
        try EntryCorrected(
          correctedEventId: UUID(), reason: "typo", replacement: Fixture.session(weightKg: 72))))
  },
  BadInput("correction.target.otherStream", field: "correctedEventId") {
    let elsewhere = UUID()
    return rejection(
      try Fixture.inSession(),
      .entryCorrected(
        try EntryCorrected(
          correctedEventId: elsewhere, reason: "typo", replacement: Fixture.session(weightKg: 72))),
      otherStreamHas: [elsewhere])
  },
  BadInput("correction.target.voided", field: "correctedEventId") {
    var fixture = try Fixture.inSession()
    try fixture.add(.entryVoided(EntryVoided(voidedEventId: fixture.id("session"), reason: "dup")))
    return rejection(
      fixture,
      .entryCorrected(
        try EntryCorrected(
          correctedEventId: fixture.id("session"), reason: "typo",
          replacement: Fixture.session(weightKg: 72))))
  },
  BadInput("correction.target.isCorrection", field: "correctedEventId") {
    var fixture = try Fixture.inSession()
    try fixture.add(
      .entryCorrected(
        try EntryCorrected(
          correctedEventId: fixture.id("session"), reason: "typo",
          replacement: Fixture.session(weightKg: 72))),
      name: "correction")
    return rejection(
      fixture,
      .entryCorrected(
        try EntryCorrected(
          correctedEventId: fixture.id("correction"), reason: "typo",
          replacement: Fixture.session(weightKg: 73))))
  },
  BadInput("session.weightKg.range", field: "replacement.weightKg", sentinels: ["9999.125"]) {
    // A replacement is judged by the rules of the corrected event's type.
    let fixture = try Fixture.inSession()
    return rejection(
      fixture,
      .entryCorrected(
        try EntryCorrected(
          correctedEventId: fixture.id("session"), reason: "typo",
          replacement: Fixture.session(weightKg: 9999.125))))
  },
  BadInput("decode.field.missing", field: "replacement.weightKg") {
    let fixture = try Fixture.inSession()
    return rejection(
      fixture,
      .entryCorrected(
        EntryCorrected(
          correctedEventId: fixture.id("session"), reason: "typo",
          replacement: ["sessionId": .string("s1"), "courseId": .string("c1")])))
  },
  BadInput("dose.consent.notInForce", field: "replacement") {
    // Correcting the only consent into a withdrawal leaves the dose below without consent:
    // a correction of the dose itself is then judged without consent in force.
    var fixture = try Fixture.dosed()
    var withdrawal = Fixture.consent
    withdrawal.given = false
    try fixture.add(
      .entryCorrected(
        try EntryCorrected(
          correctedEventId: fixture.id("consent"), reason: "never signed", replacement: withdrawal))
    )
    return rejection(
      fixture,
      .entryCorrected(
        try EntryCorrected(
          correctedEventId: fixture.id("dose"), reason: "lot", replacement: Fixture.dose(36))))
  },
  // EntryVoided.
  BadInput("void.reason.empty", field: "reason") {
    let fixture = try Fixture.inSession()
    return rejection(
      fixture, .entryVoided(EntryVoided(voidedEventId: fixture.id("session"), reason: "\t")))
  },
  BadInput("void.target.unknown", field: "voidedEventId") {
    rejection(
      try Fixture.inSession(), .entryVoided(EntryVoided(voidedEventId: UUID(), reason: "dup")))
  },
  BadInput("void.target.otherStream", field: "voidedEventId") {
    let elsewhere = UUID()
    return rejection(
      try Fixture.inSession(), .entryVoided(EntryVoided(voidedEventId: elsewhere, reason: "dup")),
      otherStreamHas: [elsewhere])
  },
  BadInput("void.target.alreadyVoided", field: "voidedEventId") {
    var fixture = try Fixture.inSession()
    try fixture.add(.entryVoided(EntryVoided(voidedEventId: fixture.id("session"), reason: "dup")))
    return rejection(
      fixture, .entryVoided(EntryVoided(voidedEventId: fixture.id("session"), reason: "dup")))
  },
  BadInput("void.target.isVoid", field: "voidedEventId") {
    var fixture = try Fixture.inSession()
    try fixture.add(
      .entryVoided(EntryVoided(voidedEventId: fixture.id("session"), reason: "dup")), name: "void")
    return rejection(
      fixture, .entryVoided(EntryVoided(voidedEventId: fixture.id("void"), reason: "undo")))
  },
  // ClinicalProtocol files.
  BadInput("protocol.version.empty", field: "protocolVersion") {
    protocolError(#"{"protocolVersion": " "}"#)
  },
  BadInput("protocol.threshold.positive", field: "thresholds.heartRateLowBpm", sentinels: ["-50.5"])
  {
    protocolError(#"{"protocolVersion": "clinic-2", "thresholds": {"heartRateLowBpm": -50.5}}"#)
  },
  BadInput("protocol.threshold.range", field: "thresholds.spo2LowPercent", sentinels: ["101.25"]) {
    protocolError(#"{"protocolVersion": "clinic-2", "thresholds": {"spo2LowPercent": 101.25}}"#)
  },
  BadInput("protocol.threshold.order", field: "thresholds.heartRateLowBpm", sentinels: ["121.5"]) {
    protocolError(#"{"protocolVersion": "clinic-2", "thresholds": {"heartRateLowBpm": 121.5}}"#)
  },
]

@Suite("Hard limits")
struct HardLimitTests {
  @Test(
    "Each bad input is rejected with its rule code, and the error never repeats a value",
    arguments: badInputs)
  func rejected(_ input: BadInput) throws {
    let error = try #require(try input.attempt(), "\(input.rule) was accepted")
    #expect(error.rule == input.rule, "\(error)")
    if let field = input.field {
      #expect(error.field == field, "\(error)")
    }
    for sentinel in input.sentinels {
      #expect(!error.description.contains(sentinel), "\(error.description) repeats a value")
      #expect(!error.limit.contains(sentinel))
      #expect(!error.field.contains(sentinel))
    }
  }

  @Test("Every hard limit of the catalogue has a bad-input case")
  func catalogueCovered() {
    let covered = Set(badInputs.map(\.rule))
    let catalogue = Set(ClinicalRuleCatalogue.hardLimits.map(\.code))
    #expect(catalogue.subtracting(covered).sorted() == [])
    #expect(covered.subtracting(catalogue).sorted() == [])
  }

  @Test("Rule codes are unique, dotted and documented")
  func catalogueShape() {
    let codes =
      ClinicalRuleCatalogue.hardLimits.map(\.code)
      + ClinicalRuleCatalogue.softAlerts().map(\.code)
    #expect(Set(codes).count == codes.count)
    for entry in ClinicalRuleCatalogue.hardLimits + ClinicalRuleCatalogue.softAlerts() {
      #expect(entry.code.split(separator: ".").count >= 2, "\(entry.code)")
      #expect(!entry.sentence.isEmpty)
    }
  }

  @Test("Errors name the event id when validation rejects")
  func errorNamesEvent() throws {
    var fixture = try Fixture.inSession()
    let eventId = UUID()
    let time = fixture.nextTime()
    #expect {
      _ = try fixture.state.validate(
        .sessionStarted(Fixture.session("s2", weightKg: 9999.125)), eventId: eventId,
        occurredAt: time, now: fixture.now, protocol: fixture.clinic,
        otherStreamHasEvent: { _ in false })
    } throws: { error in
      guard let error = error as? ClinicalValidationError else { return false }
      return error.eventId == eventId && error.eventType == "SessionStarted"
        && error.description.contains(eventId.uuidString.lowercased())
        && !error.description.contains("9999")
    }
  }
}
