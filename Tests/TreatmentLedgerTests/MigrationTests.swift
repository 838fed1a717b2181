import Foundation
import LedgerTestSupport
import Testing
import TreatmentLedger

/// `Ledger.migrate`: a `treatment-ledger-1` store copied into a sealed `treatment-ledger-2` one,
/// both verifying, the old chain head recorded in the new store.
@Suite struct MigrationTests {
  /// Makes a store of the earlier format at `path`: written without sealing, then given the old
  /// format marker and stripped of the `keys` database (as a store of that release was), with
  /// py-lmdb. Returns its events and the patient's timeline and summary as that store gives them.
  static func previousFormatStore(at path: String) async throws -> (
    [RecordedEvent], PatientTimeline, PatientSummary
  ) {
    var configuration = Ledger.Configuration(path: path)
    configuration.sealsPatientData = false
    let ledger = try Ledger.open(configuration)
    _ = try await SealingTests.populate(ledger)
    _ = try await ledger.exportAudit(
      AuditExportRequest(
        directory: path + "-export", filter: AuditFilter(patientId: "p-2"),
        exportedBy: Recorder(id: "compliance-07", name: "Dana Auditor", role: "compliance"),
        reason: "before the migration"))
    let events = try ledger.store.readAll(limit: 1_000)
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let views = (try ledger.timeline(of: "p-1"), try ledger.summary(of: "p-1", now: now))
    ledger.close()
    let script = """
      import lmdb, sys
      env = lmdb.open(sys.argv[1], max_dbs=16, subdir=True)
      keys = env.open_db(b"keys")
      with env.begin(write=True) as txn:
          txn.drop(keys, delete=True)
          meta = env.open_db(b"meta", txn=txn)
          txn.put(b"format", b"treatment-ledger-1", db=meta)
      """
    let result = try ProcessResult.run("/usr/bin/env", ["python3", "-c", script, path])
    #expect(result.status == 0, "\(result.stderr)")
    return (events, views.0, views.1)
  }

  static func readStore(_ arguments: [String]) throws -> ProcessResult {
    try ProcessResult.run(
      "/usr/bin/env",
      ["python3", RepositoryPaths.root + "/Tools/ledger-inspect/read_store.py"] + arguments)
  }

  @Test func aPreviousFormatStoreIsCopiedSealedAndBothVerify() async throws {
    let dir = TemporaryDirectory("migrate")
    defer { dir.remove() }
    let old = dir.appending("old")
    let new = dir.appending("new")
    let (events, timeline, summary) = try await Self.previousFormatStore(at: old)
    // The old store is refused with the command that copies it.
    #expect {
      _ = try Ledger.open(Ledger.Configuration(path: old))
    } throws: { error in
      "\(error)".contains("treatment-ledger migrate --from OLD --to NEW")
    }
    #expect(
      try Self.readStore([old, "--verify"]).stdout.hasPrefix("intact: \(events.count) events"))
    let operatorRecorder = Recorder(id: "ops-1", name: "Ops", role: "operator")
    let report = try await Ledger.migrate(
      from: old, to: Ledger.Configuration(path: new), by: operatorRecorder)
    #expect(report.events == UInt64(events.count))
    #expect(report.previousChainHead == events.last?.hash.hex)
    #expect(report.migrationPosition == UInt64(events.count))
    // Both verify: the old one with the independent reader, the new one with both.
    #expect(try Self.readStore([old, "--verify"]).status == 0)
    #expect(try Self.readStore([new, "--verify"]).stdout.hasPrefix("intact: \(events.count + 1)"))
    let ledger = try Ledger.open(Ledger.Configuration(path: new))
    defer { ledger.close() }
    #expect(try ledger.verify().problem == nil)
    #expect(try ledger.store.verifyDerived().firstDifferingReviewStream == nil)
    // Same events, same recorded times and data (now sealed at rest), same views.
    let copied = try ledger.store.readAll(limit: 1_000)
    #expect(copied.count == events.count + 1)
    for (before, after) in zip(events, copied) {
      #expect(before.eventId == after.eventId && before.globalPosition == after.globalPosition)
      #expect(before.recordedAt == after.recordedAt && before.streamVersion == after.streamVersion)
      #expect(before.data == after.data && before.flags == after.flags)
      #expect(
        after.dataForm == (after.streamId.hasPrefix("patient-") ? .opened(keyVersion: 1) : .plain))
    }
    let link = try #require(copied.last)
    #expect(link.streamId == StreamNames.migration && link.type == "StoreMigrated")
    #expect(link.data["previousChainHead"] == .string(report.previousChainHead))
    #expect(link.data["events"] == .number(Double(events.count)))
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    #expect(try ledger.timeline(of: "p-1") == timeline)
    #expect(try ledger.summary(of: "p-1", now: now) == summary)
    // A second run into the same place is refused; the new store is unchanged.
    await #expect(throws: LedgerError.self) {
      _ = try await Ledger.migrate(
        from: old, to: Ledger.Configuration(path: new), by: operatorRecorder)
    }
  }

  @Test func aStoreOfTheCurrentFormatIsNotMigrated() async throws {
    let dir = TemporaryDirectory("migrate-current")
    defer { dir.remove() }
    let current = dir.appending("current")
    let ledger = try Ledger.open(Ledger.Configuration(path: current))
    ledger.close()
    await #expect {
      _ = try await Ledger.migrate(
        from: current, to: Ledger.Configuration(path: dir.appending("new")),
        by: Recorder(id: "ops-1", name: "Ops", role: "operator"))
    } throws: { error in
      "\(error)".contains("not treatment-ledger-1")
    }
  }
}
