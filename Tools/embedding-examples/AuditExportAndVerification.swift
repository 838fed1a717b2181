// Compiled and run by the tests (DocumentationSnippetTests): keep in step with AuditExportAndVerification.md.
import Foundation
import TreatmentLedger

/// Verifies the whole store, then one patient's stream on its own.
func checkIntegrity(of ledger: Ledger, patientId: String) throws -> Bool {
  let report = try ledger.verify()
  guard report.isIntact else {
    // e.g. "hashMismatch at position 1 (stream 'patient-7f3a'): stored bytes do not match their hash"
    print("FAILED after \(report.eventsChecked) events:", report.problem.map(\.description) ?? "")
    return false
  }
  print("intact: \(report.eventsChecked) events, chain head \(report.chainHead)")

  let patient = try ledger.store.verifyStream(Ledger.stream(forPatient: patientId))
  return patient.isIntact
}

/// Verifies the store against an anchor file written earlier by `anchorFile`.
func verify(_ ledger: Ledger, againstAnchorFile path: String) throws -> VerificationReport {
  let data = try Data(contentsOf: URL(fileURLWithPath: path))
  let anchor = try JSONDecoder().decode(ChainAnchor.self, from: data)
  return try ledger.verify(anchor: anchor)
}

/// Exports one patient's record for an access request, then re-verifies the files against the
/// store's `$audit` record of them.
func exportPatientRecord(
  patientId: String, to directory: String, by officer: Recorder, reason: String,
  from ledger: Ledger
) async throws -> AuditExport {
  let export = try await ledger.exportAudit(
    AuditExportRequest(
      directory: directory, filter: AuditFilter(patientId: patientId), exportedBy: officer,
      reason: reason))
  let report = await ledger.verifyAuditExport(at: directory)
  if let problem = report.problem { print("export does not verify:", problem) }
  return export
}
