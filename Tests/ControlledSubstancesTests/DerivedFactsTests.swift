import ControlledSubstances
import Foundation
import LedgerTestSupport
import Testing
import TreatmentLedger

/// The per-container facts are derived: `verifyDerived` recomputes them from the log and names a
/// site whose stored facts differ; removing the differing state makes the next append rebuild
/// them.
@Suite("Controlled-substance derived facts")
struct DerivedFactsTests {
  typealias F = InventoryFixture

  static let pythonLMDB: Bool = {
    (try? ProcessResult.run("/usr/bin/env", ["python3", "-c", "import lmdb"]).status) == 0
  }()

  @Test(.enabled(if: pythonLMDB, "needs py-lmdb (.ci/run installs it)"))
  func aChangedContainerFactIsFoundAndRebuilt() async throws {
    let directory = TemporaryDirectory("dea-facts")
    defer { directory.remove() }
    let path = directory.appending("store")
    func open() throws -> Ledger {
      var configuration = Ledger.Configuration(path: path)
      configuration.durability = .unsafeNoSyncMayLoseRecentCommits
      return try Ledger.open(configuration)
    }
    var ledger = try open()
    try await ledger.record(
      F.registration(), site: F.site, occurredAt: F.time("2026-11-01T08:00:00-05:00"), by: F.nurse)
    try await ledger.record(
      F.receipt(["V-1", "V-2"]), site: F.site, occurredAt: F.time("2026-11-02T08:00:00-05:00"),
      by: F.nurse)
    #expect(try ledger.store.verifyDerived().isIntact)
    ledger.close()
    // Another program changes V-1's stored record: 10 mL read back as the record of V-2.
    let script = """
      import lmdb, sys
      env = lmdb.open(sys.argv[1], max_dbs=16)
      db = env.open_db(b"review-state")
      with env.begin(write=True, db=db) as t:
          prefix = b"inventory-main\\x00c\\x00"
          t.put(prefix + b"V-1", t.get(prefix + b"V-2"))
      """
    let changed = try ProcessResult.run("/usr/bin/env", ["python3", "-c", script, path])
    #expect(changed.status == 0, "\(changed.stderr)")
    ledger = try open()
    defer { ledger.close() }
    #expect(try ledger.store.verifyDerived().firstDifferingReviewStream == "inventory-main")
    #expect(try ledger.inventory.storedFactsMatchRebuild(site: F.site) == false)
    #expect(try ledger.store.removeDifferingReviewStates() == ["inventory-main"])
    try await ledger.record(
      .wasteRecorded(
        WasteRecorded(
          containerId: "V-1", amountMg: 5, volumeMl: 0.1, method: "pouch", witness: F.witness)),
      site: F.site, occurredAt: F.time("2026-11-02T09:00:00-05:00"), by: F.nurse)
    #expect(try ledger.store.verifyDerived().isIntact)
    #expect(try ledger.inventory.storedFactsMatchRebuild(site: F.site))
    #expect(try ledger.inventory.balances(site: F.site).map(\.balanceMg) == [495, 500])
  }
}
