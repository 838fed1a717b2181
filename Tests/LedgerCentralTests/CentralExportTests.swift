import Foundation
import LedgerAudit
import LedgerCentral
import LedgerEventStore
import LedgerTestSupport
import Testing
import TreatmentLedger

@Suite(
  .enabled(if: CentralTestDatabase.configured, "needs TREATMENT_LEDGER_POSTGRES_URL"),
  .timeLimit(.minutes(3)))
struct CentralExportTests {
  let officer = Recorder(id: "u-9", name: "Compliance Officer", role: "auditor")

  func files(_ directory: String) throws -> [String: Data] {
    var found: [String: Data] = [:]
    for name in ["events.ndjson", "events.csv"] {
      found[name] = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name))
    }
    return found
  }

  /// The central export of a clinic has the very files the clinic's own export has, for the whole
  /// log, a recorded-time range and one patient, and the store's verifier accepts it.
  @Test func theCentralExportIsTheClinicsExport() async throws {
    let central = try await CentralTestDatabase.create()
    let store = try TestClinicStore("export")
    let out = TemporaryDirectory("central-export-out")
    defer {
      store.remove()
      out.remove()
      Task { await central.drop() }
    }
    try await store.append(30, streams: 4, perCommit: 7, prefix: "patient-p")
    let middle = try #require(try store.store.readAll(from: 12, limit: 1).first?.recordedAt)
    try await store.append(25, streams: 2, perCommit: 5, tag: "b", prefix: "patient-p")
    let clinic = try #require(ClinicID("export"))
    try await ClinicForwarder(store: store.store, database: central.database, clinic: clinic)
      .forwardOnce()

    let filters = [
      ("all", AuditFilter()),
      ("range", AuditFilter(timeBasis: .recordedAt, from: middle, to: nil)),
      ("patient", AuditFilter(patientId: "p1")),
    ]
    let exporter = CentralAuditExporter(
      database: central.database, semantics: ClinicalAuditSemantics())
    for (name, filter) in filters {
      let local = try await AuditExporter(store: store.store, semantics: ClinicalAuditSemantics())
        .export(
          AuditExportRequest(
            directory: out.appending("local-\(name)"), filter: filter, exportedBy: officer,
            reason: "comparison"))
      try AuditExporter.publish(local)
      let remote = try await exporter.export(
        clinic: clinic,
        AuditExportRequest(
          directory: out.appending("central-\(name)"), filter: filter, exportedBy: officer,
          reason: "comparison"))
      #expect(try files(local.directory) == files(remote.directory), "\(name)")
      #expect(remote.manifest.counts == local.manifest.counts, "\(name)")
      #expect(remote.manifest.anchors == local.manifest.anchors, "\(name)")
      #expect(remote.manifest.counts.events > 0, "\(name)")
      let verdict = await AuditVerifier(semantics: ClinicalAuditSemantics()).verify(
        directory: remote.directory)
      #expect(verdict.isIntact, "\(name): \(verdict)")
    }
    await #expect(throws: CentralError.unknownClinic("nobody")) {
      try await exporter.export(
        clinic: try #require(ClinicID("nobody")),
        AuditExportRequest(
          directory: out.appending("none"), exportedBy: officer, reason: "no such clinic"))
    }
  }
}
