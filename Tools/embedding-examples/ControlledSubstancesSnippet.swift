// Compiled and run by the tests (DocumentationSnippetTests): keep in step with docs/DEA.md
// ("Recording a dose and its withdrawal").
import Foundation
import TreatmentLedger

/// docs/DEA.md's snippet, on a new store at `storePath`: a site with one vial, a patient ready
/// for a dose, then the dose and its withdrawal in one atomic append.
func controlledSubstancesSnippet(storePath: String) async throws {
  let ledger = try Ledger.open(Ledger.Configuration(path: storePath))
  defer { ledger.close() }
  let nurse = Recorder(id: "staff-0107", name: "Jordan Example, RN", role: "nurse")
  let pharmacist = Recorder(id: "staff-0009", name: "Morgan Example", role: "pharmacist")
  guard let registrationEnds = CalendarDay("2028-06-30"),
    let lotExpires = CalendarDay("2027-06-30"),
    let received = CalendarDay("2026-11-02")
  else { throw EmbeddingExamples.Failed(description: "bad date") }
  let opened = try ClinicalTime(validating: "2026-11-02T08:00:00-05:00")
  try await ledger.record(
    .registrationRecorded(
      RegistrationRecorded(
        site: "main", registrantName: "Example Ketamine Clinic", address: "2 Main Street",
        deaNumber: "FE1234563", deaExpiresOn: registrationEnds, stateLicense: "CS-0001")),
    site: "main", occurredAt: opened, by: pharmacist)
  try await ledger.record(
    .stockReceived(
      StockReceived(
        lotNumber: "KT24B0117", drug: .ketamine, ndc: "42023-113-10", form: .injectionSolution,
        contents: .solution(strengthMgPerMl: 50, containerVolumeMl: 10), containerIds: ["KV-0001"],
        expiresOn: lotExpires,
        supplier: Registrant(
          name: "Example Wholesale", address: "1 Depot Road", deaNumber: "RW1234563"),
        invoiceRef: "INV-1042", receivedOn: received)),
    site: "main", occurredAt: opened, by: pharmacist)
  let intake = try ClinicalTime(validating: "2026-11-03T09:00:00-05:00")
  try await ledger.record([
    ClinicalEntry(
      .patientRegistered(
        PatientRegistered(patientId: "7f3a", birthYear: 1980, sexAtBirth: .female)),
      patient: "7f3a", occurredAt: intake, by: nurse),
    ClinicalEntry(
      .consultationRecorded(
        ConsultationRecorded(
          indication: .majorDepression, diagnoses: ["F32.2"], allergies: [], currentMedications: [],
          priorAntidepressantTrials: [], contraindications: [], eligible: true)),
      patient: "7f3a", occurredAt: intake, by: nurse),
    ClinicalEntry(
      .consentRecorded(
        ConsentRecorded(consentId: "c-1", scope: .treatment, formVersion: "1", given: true)),
      patient: "7f3a", occurredAt: intake, by: nurse),
    ClinicalEntry(
      .coursePlanned(
        CoursePlanned(
          courseId: "course-7f3a-a", indication: .majorDepression, drug: .ketamine, route: .iv,
          phase: .induction, plannedSessions: 6, sessionsPerWeek: 2, targetDoseMgPerKg: 0.5)),
      patient: "7f3a", occurredAt: intake, by: nurse),
    ClinicalEntry(
      .sessionStarted(
        SessionStarted(
          sessionId: "session-7f3a-a1", courseId: "course-7f3a-a", weightKg: 70,
          escortArranged: true, fasted: true)), patient: "7f3a", occurredAt: intake, by: nurse),
  ])
  let patientVersion: UInt64 = 4
  let siteVersion: UInt64 = 1
  let doseTime = try ClinicalTime(validating: "2026-11-03T09:30:00-05:00")
  let given = DoseAdministered(
    sessionId: "session-7f3a-a1", courseId: "course-7f3a-a", drug: .ketamine, route: .iv,
    doseMg: 35, weightKg: 70, doseMgPerKg: 0.5, plannedDurationMinutes: 40, lotNumber: "KT24B0117")

  let dose = ClinicalEntry(
    .doseAdministered(given), patient: "7f3a", occurredAt: doseTime, by: nurse)
  let draw = StockAdministered(
    containerId: "KV-0001", amountMg: 35, volumeMl: 0.7, patientId: "7f3a",
    doseEventId: dose.eventId)
  try await ledger.recordDose(
    dose,
    withdrawal: InventoryEntry(
      .stockAdministered(draw), site: "main", occurredAt: doseTime, by: nurse),
    patientVersion: .exact(patientVersion), siteVersion: .exact(siteVersion))
  for container in try ledger.inventory.balances(site: "main") {
    print(container.containerId, container.state, container.balanceMg, container.balanceMl ?? 0)
  }

  let vial = try ledger.inventory.balances(site: "main").first
  try EmbeddingExamples.check(vial?.balanceMg == 465 && vial?.state == .open, "docs/DEA.md")
}
