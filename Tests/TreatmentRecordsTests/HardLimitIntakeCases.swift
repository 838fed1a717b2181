import Foundation
import LedgerFoundation
import Testing
import TreatmentRecords

/// Bad inputs of decoding and formats, and of the intake events: PatientRegistered,
/// ConsultationRecorded and CoursePlanned (part of ``badInputs``).
let intakeBadInputs: [BadInput] = [
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
]
