import Foundation
import LedgerTestSupport
import Testing
import TreatmentLedger

// Exports are all or nothing: written beside their final directory under a staging name, renamed
// only once their `$audit` record is committed. The command line under `kill -9` is in
// TreatmentLedgerCLITests/AuditInterruptionTests.swift.

@Suite struct AuditStagingTests {
  private func mode(_ path: String) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
  }

  private func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

  @Test func anExportAppearsUnderItsNameOnlyOnceRecorded() async throws {
    let fixture = try await AuditStore.make("staging")
    defer { fixture.close() }
    let final = fixture.directory.appending("exports/2026-q1")
    let export = try await AuditExporter(store: fixture.ledger.store).export(
      AuditExportRequest(
        directory: final, exportedBy: AuditStore.auditor, reason: "Quarterly review"))
    // Written and verifiable, but not under its name: nothing with patient data is there yet.
    #expect(!exists(final))
    let staging = fixture.directory.appending("exports/.2026-q1.partial-\(getpid())")
    #expect(URL(fileURLWithPath: export.stagingDirectory).standardizedFileURL.path == staging)
    #expect(try mode(staging) == 0o700)
    for name in ["events.ndjson", "events.csv", "manifest.json"] {
      #expect(try mode(staging + "/" + name) == 0o600, "\(name)")
    }
    #expect(await AuditVerifier().verify(directory: staging).isIntact)
    #expect(try fixture.ledger.auditLog().isEmpty)

    let recorded = try await AuditExporter.record(export, in: fixture.ledger.store)
    #expect(recorded.eventId.uuidString.lowercased() == export.manifest.exportId)
    #expect(exists(final + "/manifest.json") && !exists(staging))
    #expect(try mode(final) == 0o700)
    #expect(await fixture.ledger.verifyAuditExport(at: final).isIntact)
    #expect(AuditExporter.unfinishedExports(near: final).isEmpty)
    // Recording again stores nothing more and leaves the export where it is.
    try await AuditExporter.record(export, in: fixture.ledger.store)
    #expect(try fixture.ledger.auditLog().count == 1 && exists(final + "/manifest.json"))
  }

  @Test func anInterruptedExportLeavesOnlyAPartialDirectoryThatTheNextExportReports() async throws {
    let fixture = try await AuditStore.make("interrupted")
    defer { fixture.close() }
    let first = fixture.directory.appending("out/march")
    // The process "dies" after writing and before recording: the export is never recorded.
    let abandoned = try await AuditExporter(store: fixture.ledger.store).export(
      AuditExportRequest(directory: first, exportedBy: AuditStore.auditor, reason: "March"))
    #expect(!exists(first))
    #expect(try fixture.ledger.auditLog().isEmpty)

    let second = fixture.directory.appending("out/april")
    let leftovers = AuditExporter.unfinishedExports(near: second)
    #expect(leftovers.count == 1)
    #expect(
      leftovers.map { URL(fileURLWithPath: $0).lastPathComponent } == [".march.partial-\(getpid())"]
    )
    #expect(
      leftovers.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        == [URL(fileURLWithPath: abandoned.stagingDirectory).standardizedFileURL.path])
    // A new export to the same name while the partial one is there is refused, naming it.
    let again = await #expect(throws: AuditError.self) {
      try await AuditExporter(store: fixture.ledger.store).export(
        AuditExportRequest(directory: first, exportedBy: AuditStore.auditor, reason: "March"))
    }
    guard case .output(let path, let reason) = again else {
      Issue.record("unexpected error \(String(describing: again))")
      return
    }
    #expect(path.hasSuffix(".march.partial-\(getpid())") && reason.contains("did not finish"))

    // Another export in the same parent is unaffected; removing the leftover clears the report.
    let april = try await fixture.ledger.exportAudit(
      AuditExportRequest(directory: second, exportedBy: AuditStore.auditor, reason: "April"))
    #expect(await fixture.ledger.verifyAuditExport(at: april.directory).isIntact)
    abandoned.removeFiles()
    #expect(AuditExporter.unfinishedExports(near: second).isEmpty)
    #expect(!exists(first))
  }

  @Test func anEmptyDirectoryIsReplacedAndOneFilledMeanwhileIsNotOverwritten() async throws {
    let fixture = try await AuditStore.make("replace")
    defer { fixture.close() }
    let empty = fixture.directory.appending("empty")
    try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: false)
    let export = try await fixture.ledger.exportAudit(
      AuditExportRequest(directory: empty, exportedBy: AuditStore.auditor, reason: "Review"))
    #expect(await fixture.ledger.verifyAuditExport(at: export.directory).isIntact)

    // Someone writes into the final directory while the export runs: the export is recorded,
    // the other files are kept, and the error names where the export is.
    let busy = fixture.directory.appending("busy")
    let pending = try await AuditExporter(store: fixture.ledger.store).export(
      AuditExportRequest(directory: busy, exportedBy: AuditStore.auditor, reason: "Review"))
    try FileManager.default.createDirectory(atPath: busy, withIntermediateDirectories: false)
    try Data("notes".utf8).write(to: URL(fileURLWithPath: busy + "/notes.txt"))
    let error = await #expect(throws: AuditError.self) {
      try await AuditExporter.record(pending, in: fixture.ledger.store)
    }
    guard case .output(_, let reason) = error else {
      Issue.record("unexpected error \(String(describing: error))")
      return
    }
    #expect(reason.contains(pending.manifest.exportId) && reason.contains(".busy.partial-"))
    #expect(try fixture.ledger.auditLog().count == 2)
    #expect(exists(busy + "/notes.txt") && !exists(busy + "/manifest.json"))
    #expect(await AuditVerifier().verify(directory: pending.stagingDirectory).isIntact)
  }
}
