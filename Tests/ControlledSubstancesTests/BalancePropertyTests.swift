import ControlledSubstances
import Foundation
import LedgerTestSupport
import Testing
import TreatmentLedger

/// Over random sequences of receipts, doses, waste, losses and disposals, every container's
/// balance equals a hand count: received − administered − wasted − lost − disposed, never below
/// zero (what would take it below zero is refused); and the stored facts equal a rebuild.
@Suite("Controlled-substance balances")
struct BalancePropertyTests {
  typealias F = InventoryFixture

  /// The test's own tally, in µg, kept without the library's arithmetic.
  struct Tally {
    var received: [String: Int64] = [:]
    var out: [String: Int64] = [:]
    func balance(_ id: String) -> Int64 { (received[id] ?? 0) - (out[id] ?? 0) }
  }

  static func micro(_ mg: Double) -> Int64 { Int64((mg * 1000).rounded()) }

  @Test(
    "balance = received − administered − wasted − lost − disposed, never below zero",
    arguments: [1, 2, 3] as [UInt64])
  func randomSequences(seed: UInt64) async throws {
    let fixture = try F("dea-property-\(seed)")
    defer { fixture.close() }
    var random = SeededGenerator(seed: seed)
    try await fixture.record(F.registration(), at: "2026-11-01T08:00:00-05:00")
    try await fixture.preparePatient("p1", sessions: 1)
    var tally = Tally()
    var ids: [String] = []
    var minute = 0
    func at() -> String {
      minute += 1
      return String(format: "2026-11-03T%02d:%02d:00-05:00", 10 + minute / 60, minute % 60)
    }
    for step in 0..<36 {
      let choice = ids.isEmpty ? 0 : Int.random(in: 0..<10, using: &random)
      let pick = ids.randomElement(using: &random) ?? ""
      let mg = Double(Int.random(in: 2...240, using: &random)) / 2
      switch choice {
      case 0:
        let new = ["C\(step)a", "C\(step)b"]
        try await fixture.record(F.receipt(new), at: at())
        for id in new { tally.received[id] = 500_000 }
        ids += new
      case 1...4:
        let dose = F.dose("p1", mg: min(mg, 140), at: at())
        let draw = F.withdrawal(dose, container: pick, mg: min(mg, 140), at: dose.occurredAt.text)
        let fits = Self.micro(min(mg, 140)) <= tally.balance(pick)
        let accepted = await succeeds { () async throws(LedgerError) -> Any in
          try await fixture.ledger.recordDose(dose, withdrawal: draw)
        }
        #expect(accepted == fits, "step \(step)")
        if accepted { tally.out[pick, default: 0] += Self.micro(min(mg, 140)) }
      case 5, 6:
        let event = InventoryEvent.wasteRecorded(
          WasteRecorded(
            containerId: pick, amountMg: mg, volumeMl: mg / 50, method: "pouch", witness: F.witness)
        )
        try await expect(fixture, event, at(), fits: Self.micro(mg) <= tally.balance(pick)) {
          tally.out[pick, default: 0] += Self.micro(mg)
        }
      default:
        let names = Array(Set([pick, ids.randomElement(using: &random) ?? pick])).sorted()
        try await take(fixture, names, mg * 5, loss: choice == 7, at: at(), tally: &tally)
      }
    }
    let balances = try fixture.ledger.inventory.balances(site: F.site)
    #expect(balances.count == ids.count)
    // The sequence exercised the rules both ways.
    let written = try fixture.siteEvents().count
    #expect(written > 12 && written < 38, "\(written) site events")
    #expect(balances.contains { $0.state == .empty || $0.state == .lost || $0.state == .disposed })
    for record in balances {
      #expect(
        record.balanceMicrograms == tally.balance(record.containerId), "\(record.containerId)")
      #expect(record.balanceMicrograms >= 0)
      #expect(
        record.balanceMicrograms
          == record.receivedMicrograms - record.administeredMicrograms - record.wastedMicrograms
          - record.lostMicrograms - record.disposedMicrograms)
    }
    // Rebuild = incremental: the stored facts and the stored site record equal a fold of the log.
    #expect(try fixture.ledger.inventory.storedFactsMatchRebuild(site: F.site))
    let derived = try fixture.ledger.store.verifyDerived()
    #expect(derived.firstDifferingReviewStream == nil)
    #expect(derived.reviewStatesChecked == 2)
  }

  /// A loss or a disposal of `amount` from `names`, taken in order up to each balance.
  func take(
    _ fixture: F, _ names: [String], _ amount: Double, loss: Bool, at: String, tally: inout Tally
  ) async throws {
    let total = names.reduce(0) { $0 + tally.balance($1) }
    let event: InventoryEvent =
      loss
      ? .lossReported(
        LossReported(
          containerIds: names, amountMg: amount, kind: .spill,
          discoveredAt: F.time("2026-11-03T09:00:00-05:00")))
      : .stockDisposed(
        StockDisposed(
          containerIds: names, amountMg: amount, method: .reverseDistributor,
          reverseDistributor: F.supplier))
    var copy = tally
    try await expect(fixture, event, at, fits: Self.micro(amount) <= total) {
      var remaining = Self.micro(amount)
      for id in names {
        let part = min(remaining, copy.balance(id))
        copy.out[id, default: 0] += part
        remaining -= part
      }
    }
    tally = copy
  }

  func succeeds(_ body: () async throws(LedgerError) -> Any) async -> Bool {
    do {
      _ = try await body()
      return true
    } catch {
      // Only a rule may refuse here: anything else is a failure of the test.
      #expect(error.code == .rejected, "\(error)")
      return false
    }
  }

  func expect(
    _ fixture: F, _ event: InventoryEvent, _ at: String, fits: Bool, then update: () -> Void
  ) async throws {
    let accepted = await succeeds { () async throws(LedgerError) -> Any in
      try await fixture.record(event, at: at, by: F.nurse)
    }
    #expect(accepted == fits)
    if accepted { update() }
  }

  @Test("A site stream written before the rules were in force gets its facts on its next append")
  func upgradeOfUnreviewedStream() async throws {
    let directory = TemporaryDirectory("dea-upgrade")
    defer { directory.remove() }
    let path = directory.appending("store")
    do {
      var options = EventStore.Options()
      options.durability = .unsafeNoSyncMayLoseRecentCommits
      let raw = try EventStore.open(at: path, options: options)
      let stream = Ledger.stream(forSite: F.site)
      var events: [ProposedEvent] = []
      for (event, at) in [
        (F.registration(), "2026-11-01T08:00:00-05:00"),
        (F.receipt(["V-1", "V-2"]), "2026-11-02T08:00:00-05:00"),
        (
          InventoryEvent.wasteRecorded(
            WasteRecorded(
              containerId: "V-2", amountMg: 25, volumeMl: 0.5, method: "pouch",
              witness: F.witness)), "2026-11-02T09:00:00-05:00"
        ),
      ] {
        events.append(
          ProposedEvent(
            eventId: UUID(), type: event.eventType, schemaVersion: 1, occurredAt: at,
            recordedBy: F.nurse, data: event.json))
      }
      _ = try await raw.append(events, to: stream)
      raw.close()
    }
    var configuration = Ledger.Configuration(path: path)
    configuration.durability = .unsafeNoSyncMayLoseRecentCommits
    let ledger = try Ledger.open(configuration)
    defer { ledger.close() }
    #expect(try ledger.inventory.balances(site: F.site).map(\.balanceMg) == [500, 475])
    try await ledger.record(
      .wasteRecorded(
        WasteRecorded(
          containerId: "V-1", amountMg: 10, volumeMl: 0.2, method: "pouch", witness: F.witness)),
      site: F.site, occurredAt: F.time("2026-11-02T10:00:00-05:00"), by: F.nurse)
    #expect(try ledger.inventory.balances(site: F.site).map(\.balanceMg) == [490, 475])
    #expect(try ledger.inventory.storedFactsMatchRebuild(site: F.site))
    // The duplicate rule now sees the containers received before the rules were in force.
    await #expect(throws: LedgerError.self) {
      try await ledger.record(
        F.receipt(["V-2"]), site: F.site, occurredAt: F.time("2026-11-02T11:00:00-05:00"),
        by: F.nurse)
    }
  }
}
