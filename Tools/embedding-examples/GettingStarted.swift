// Compiled and run by the tests (DocumentationSnippetTests): keep in step with GettingStarted.md.
import Foundation
import Logging
import TreatmentLedger

// Over 80 lines, knowingly: the Getting Started article shows this program whole, step by step.
func runClinicService(storePath: String) async throws {
  // 1. Open. The service owns logging; the library only uses the logger it is given.
  var logger = Logger(label: "clinic-service")
  logger.logLevel = .info
  let ledger = try Ledger.open(Ledger.Configuration(path: storePath, logger: logger))
  defer { ledger.close() }

  // 2. Take the position to follow flags from, before recording anything.
  let start = try ledger.nextPosition()

  // 3. Record typed events. Each call returns once its events are validated and on disk.
  let patientId = "p-" + UUID().uuidString.prefix(8).lowercased()
  let nurse = Recorder(id: "staff-0107", name: "Jordan Example, RN", role: "nurse")
  let prescriber = Recorder(id: "staff-0042", name: "Dr. Avery Example", role: "prescriber")
  let course = "course-\(patientId)-a"
  let session = "session-\(patientId)-a1"

  // Intake: several events in one atomic call (all of them are stored, or none).
  try await ledger.record(
    [
      ClinicalEntry(
        .patientRegistered(
          PatientRegistered(patientId: patientId, birthYear: 1984, sexAtBirth: .female)),
        patient: patientId, occurredAt: try ClinicalTime(validating: "2026-10-27T08:45:00-04:00"),
        by: nurse),
      ClinicalEntry(
        .consultationRecorded(
          ConsultationRecorded(
            indication: .treatmentResistantDepression, diagnoses: ["F33.2"],
            allergies: [], currentMedications: ["sertraline 100 mg daily"],
            priorAntidepressantTrials: [
              PriorAntidepressantTrial(drug: "escitalopram", weeks: 8, outcome: .none),
              PriorAntidepressantTrial(drug: "venlafaxine", weeks: 12, outcome: .partial),
            ],
            contraindications: [], eligible: true)),
        patient: patientId, occurredAt: try ClinicalTime(validating: "2026-10-27T09:30:00-04:00"),
        by: prescriber),
      ClinicalEntry(
        .consentRecorded(
          ConsentRecorded(
            consentId: "consent-\(patientId)-1", scope: .treatment, formVersion: "2026.1",
            given: true)),
        patient: patientId, occurredAt: try ClinicalTime(validating: "2026-10-27T10:15:00-04:00"),
        by: prescriber),
      ClinicalEntry(
        .coursePlanned(
          CoursePlanned(
            courseId: course, indication: .treatmentResistantDepression, drug: .ketamine,
            route: .iv, phase: .induction, plannedSessions: 6, sessionsPerWeek: 2,
            targetDoseMgPerKg: 0.5)),
        patient: patientId, occurredAt: try ClinicalTime(validating: "2026-10-27T10:30:00-04:00"),
        by: prescriber),
    ], expectedVersions: [patientId: .noStream])

  // The session: one event per call, as a bedside app sends them.
  try await ledger.record(
    .sessionStarted(
      SessionStarted(
        sessionId: session, courseId: course, weightKg: 70, escortArranged: true, fasted: true)),
    patient: patientId, occurredAt: try ClinicalTime(validating: "2026-11-04T09:30:00-05:00"),
    by: nurse)
  try await ledger.record(
    .doseAdministered(
      DoseAdministered(
        sessionId: session, courseId: course, drug: .ketamine, route: .iv, doseMg: 35,
        weightKg: 70, doseMgPerKg: 0.5, plannedDurationMinutes: 40, lotNumber: "KT24B0117")),
    patient: patientId, occurredAt: try ClinicalTime(validating: "2026-11-04T09:50:00-05:00"),
    by: prescriber)
  // A heart rate of 118 is possible but alarming: accepted, and flagged vitals.heartRate.high.
  try await ledger.record(
    .vitalsRecorded(
      VitalsRecorded(
        sessionId: session, timepoint: .during, heartRateBpm: 118, systolicMmHg: 134,
        diastolicMmHg: 84, spo2Percent: 97)),
    patient: patientId, occurredAt: try ClinicalTime(validating: "2026-11-04T10:05:00-05:00"),
    by: nurse)
  try await ledger.record(
    .patientDischarged(
      PatientDischarged(
        sessionId: session, minutesObserved: 55, criteriaMet: true, escortPresent: true,
        noDrivingAdviceGiven: true)),
    patient: patientId, occurredAt: try ClinicalTime(validating: "2026-11-04T11:35:00-05:00"),
    by: nurse)

  // An impossible value is refused, naming the field and the rule, never the value.
  do {
    try await ledger.record(
      .vitalsRecorded(VitalsRecorded(sessionId: session, timepoint: .recovery, spo2Percent: 140)),
      patient: patientId, occurredAt: try ClinicalTime(validating: "2026-11-04T10:40:00-05:00"),
      by: nurse)
  } catch {
    switch error {
    case "vitals.spo2.range":
      logger.warning(
        "refused",
        metadata: ["field": "\(error.refusal?.field ?? "")", "rule": "vitals.spo2.range"])
    default:
      throw error
    }
  }

  // 4. The flags of what this program recorded: the feed ends at the position taken now.
  let end = try ledger.nextPosition()
  for try await flagged in ledger.flaggedEvents(from: start, until: end) {
    print("flag", flagged.type, flagged.flags.map(\.code).joined(separator: ", "))
  }

  // 5. Read what the projections show: in clinical order, with flags; per course.
  let timeline = try ledger.timeline(of: patientId)
  for entry in timeline.entries {
    print(entry.occurredAt, entry.type, entry.flags.isEmpty ? "" : "(flagged)")
  }
  let summary = try ledger.summary(of: patientId)
  for course in summary.courses {
    print(
      course.courseId, "sessions \(course.sessionsCompleted)/\(course.sessionsPlanned)",
      "flagged readings \(course.vitals.flaggedReadings)")
  }
  // 6. The deferred close lets appends already submitted finish first.
}
