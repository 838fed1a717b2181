import Foundation
import Logging
import TreatmentLedger

/// Runs every Swift snippet of the README and the DocC articles against real stores in the
/// directory given as the only argument: the Getting Started service twice on one store, then
/// the other snippets on a second store. Prints `ok <step>` per step; any failure exits 1.
/// `DocumentationSnippetTests` checks that each snippet's text is in this target and runs it.
@main
struct EmbeddingExamples {
  struct Failed: Error, CustomStringConvertible {
    let description: String
  }

  static func main() async {
    do {
      try await run()
    } catch {
      FileHandle.standardError.write(Data("embedding-examples: \(error)\n".utf8))
      exit(1)
    }
  }

  static func check(_ condition: Bool, _ step: String) throws {
    guard condition else { throw Failed(description: "step failed: \(step)") }
    print("ok \(step)")
  }

  static func run() async throws {
    guard CommandLine.arguments.count == 2 else {
      throw Failed(description: "usage: embedding-examples <empty directory>")
    }
    let root = CommandLine.arguments[1]
    guard FileManager.default.changeCurrentDirectoryPath(root) else {
      throw Failed(description: "cannot enter the directory")
    }
    try await runClinicService(storePath: root + "/service")
    try await runClinicService(storePath: root + "/service")
    try check(true, "getting started, twice on one store")

    let logger = Logger(label: "embedding-examples")
    try await readmeEmbedding(storePath: root + "/readme", logger: logger)
    try check(true, "README")
    try await controlledSubstancesSnippet(storePath: root + "/dea")
    try await retentionSnippet(storePath: root + "/dea")

    let ledger = try Ledger.open(
      Ledger.Configuration(path: root + "/readme", logger: logger, anchorFile: root + "/anchor"))
    try await recordIntake(in: ledger)
    let nurse = Recorder(id: "staff-0107", name: "Jordan Example, RN", role: "nurse")
    try await recordReading(in: ledger, nurse: nurse)
    try check(try ledger.timeline(of: "7f3a").entries.count == 6, "overview")

    let prescriber = Recorder(id: "staff-0042", name: "Dr. Avery Example", role: "prescriber")
    let dose = DoseAdministered(
      sessionId: "session-7f3a-a1", courseId: "course-7f3a-a", drug: .ketamine, route: .iv,
      doseMg: 35, weightKg: 70, doseMgPerKg: 0.5, plannedDurationMinutes: 40,
      lotNumber: "KT24B0117")
    let read = UInt64(try ledger.events(of: "7f3a").count - 1)
    let doseTime = try ClinicalTime(validating: "2026-11-04T10:20:00-05:00")
    let first = try await recordDose(
      dose, patientId: "7f3a", readAtVersion: read, occurredAt: doseTime, by: prescriber,
      in: ledger)
    let stale = try await recordDose(
      dose, patientId: "7f3a", readAtVersion: read, occurredAt: doseTime, by: prescriber,
      in: ledger)
    try check(first && !stale, "appends and concurrency")

    try check(try checkIntegrity(of: ledger, patientId: "7f3a"), "integrity")
    try check(try verify(ledger, againstAnchorFile: root + "/anchor").isIntact, "anchor")
    let officer = Recorder(id: "compliance-07", name: "Dana Auditor", role: "compliance")
    let export = try await exportPatientRecord(
      patientId: "7f3a", to: root + "/export-1", by: officer, reason: "access request #87",
      from: ledger)
    try check(export.manifest.counts.events == 7, "audit export")
    let (report, checked) = try await auditLibraryAPI(ledger)
    try check(report.problem == nil && checked.problem == nil, "audit library API")
    try await exportAndVerify(store: ledger.store, officer: officer, into: root + "/export-3")
    try check(true, "LedgerAudit overview")

    try await rebuildStaleProjections(of: ledger)
    let reports = try await rebuildEverything(of: ledger)
    try check(reports.allSatisfy(\.replaced), "projections and rebuilds")
    ledger.close()

    let store = try openWithFlagCounts(path: root + "/readme")
    defer { store.close() }
    try check(try flagCounts(patientId: "7f3a", in: store).isEmpty, "a projection of one's own")
  }

  /// What the overview's reading needs: consultation, consent, course and session of `7f3a`.
  static func recordIntake(in ledger: Ledger) async throws {
    let prescriber = Recorder(id: "staff-0042", name: "Dr. Avery Example", role: "prescriber")
    let consultation = ConsultationRecorded(
      indication: .treatmentResistantDepression, diagnoses: ["F33.2"], allergies: [],
      currentMedications: [],
      priorAntidepressantTrials: [
        PriorAntidepressantTrial(drug: "escitalopram", weeks: 8, outcome: .none),
        PriorAntidepressantTrial(drug: "venlafaxine", weeks: 12, outcome: .partial),
      ],
      contraindications: [], eligible: true)
    let consent = ConsentRecorded(
      consentId: "consent-7f3a-1", scope: .treatment, formVersion: "2026.1", given: true)
    let course = CoursePlanned(
      courseId: "course-7f3a-a", indication: .treatmentResistantDepression, drug: .ketamine,
      route: .iv, phase: .induction, plannedSessions: 6, sessionsPerWeek: 2,
      targetDoseMgPerKg: 0.5)
    let session = SessionStarted(
      sessionId: "session-7f3a-a1", courseId: "course-7f3a-a", weightKg: 70,
      escortArranged: true, fasted: true)
    try await ledger.record([
      ClinicalEntry(
        .consultationRecorded(consultation), patient: "7f3a",
        occurredAt: try ClinicalTime(validating: "2026-10-27T09:30:00-04:00"), by: prescriber),
      ClinicalEntry(
        .consentRecorded(consent), patient: "7f3a",
        occurredAt: try ClinicalTime(validating: "2026-10-27T10:15:00-04:00"), by: prescriber),
      ClinicalEntry(
        .coursePlanned(course), patient: "7f3a",
        occurredAt: try ClinicalTime(validating: "2026-10-27T10:30:00-04:00"), by: prescriber),
      ClinicalEntry(
        .sessionStarted(session), patient: "7f3a",
        occurredAt: try ClinicalTime(validating: "2026-11-04T09:30:00-05:00"), by: prescriber),
    ])
  }
}
