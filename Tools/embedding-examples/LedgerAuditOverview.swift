// Compiled and run by the tests (DocumentationSnippetTests): keep in step with LedgerAudit.md.
import TreatmentLedger

func exportAndVerify(store: EventStore, officer: Recorder, into directory: String) async throws {
  let exporter = AuditExporter(store: store, semantics: ClinicalAuditSemantics())
  let export = try await exporter.export(
    AuditExportRequest(
      directory: directory, exportedBy: officer, reason: "Quarterly DEA review"))
  try await AuditExporter.record(export, in: store)
  let report = await AuditVerifier(semantics: ClinicalAuditSemantics())
    .verify(directory: export.directory, against: store)
  print(report.isIntact)
}
