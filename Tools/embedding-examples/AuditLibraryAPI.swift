// Compiled and run by the tests (DocumentationSnippetTests): keep in step with docs/AUDIT.md (6. The library API).
import TreatmentLedger

/// docs/AUDIT.md's library example: export one patient's record into `audit-7f3a` (relative to
/// the working directory), verify it twice, list the audit log.
func auditLibraryAPI(_ ledger: Ledger) async throws -> (
  AuditVerificationReport, AuditVerificationReport
) {
  let exportDirectory = "audit-7f3a"  // a directory that does not exist yet
  let officer = Recorder(id: "compliance-07", name: "Dana Auditor", role: "compliance")
  let export = try await ledger.exportAudit(
    AuditExportRequest(
      directory: exportDirectory,
      filter: AuditFilter(patientId: "7f3a", from: "2026-01-01T00:00:00Z"),
      exportedBy: officer, reason: "Patient access request #88"))
  print(export.manifest.counts.events, export.manifestSHA256)

  let report = await AuditVerifier().verify(directory: exportDirectory)  // manifest alone
  let checked = await ledger.verifyAuditExport(at: exportDirectory)  // and against $audit
  for entry in try ledger.auditLog() {
    print(entry.exportedBy.id, entry.reason ?? "", entry.manifestSHA256 ?? "")
  }
  return (report, checked)
}
