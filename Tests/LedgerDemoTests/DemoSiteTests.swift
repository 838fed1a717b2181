import Foundation
import LedgerDemo
import LedgerTestSupport
import Testing
import TreatmentLedger

@Suite("Demo site") struct DemoSiteTests {
  @Test func everyDoseIsDrawnOnceAndTheCountsDiscrepancyIsExplained() async throws {
    let directory = TemporaryDirectory("demo-site")
    defer { directory.remove() }
    var configuration = Ledger.Configuration(path: directory.appending("store"))
    configuration.durability = .unsafeNoSyncMayLoseRecentCommits
    let ledger = try Ledger.open(configuration)
    defer { ledger.close() }
    let clinic = DemoClinic(patients: 10, seed: 3)
    let site = DemoSite(clinic: clinic)
    let stream = Ledger.stream(forSite: DemoSite.site)
    _ = try await ledger.store.append(site.opening(), to: stream)
    for index in 0..<clinic.patients {
      // The patient's doses and their withdrawals in one atomic append over the two streams.
      _ = try await ledger.store.append([
        StreamAppend(
          stream: Ledger.stream(forPatient: clinic.patientId(index)),
          events: clinic.events(ofPatient: index)),
        StreamAppend(stream: stream, events: site.events(ofPatient: index)),
      ])
    }
    _ = try await ledger.store.append(site.closing(), to: stream)
    let doses = Set(
      (0..<clinic.patients).flatMap { clinic.events(ofPatient: $0) }.filter {
        $0.type == "DoseAdministered"
      }.map(\.eventId))
    let events = try ledger.store.readStream(stream)
    let drawn = events.filter { $0.type == "StockAdministered" }.compactMap {
      $0.data["doseEventId"]?.stringValue.flatMap(UUID.init(uuidString:))
    }
    #expect(Set(drawn) == doses)
    #expect(drawn.count == doses.count)
    let counts = events.filter { $0.type == "InventoryCounted" }
    #expect(counts.count == 2)
    #expect(counts.last?.flags.compactMap { $0["code"]?.stringValue } == ["count.discrepancy"])
    let status = try ledger.inventory.status(site: DemoSite.site)
    #expect(status.record.discrepancies.isEmpty)
    #expect(try ledger.inventory.balances(site: DemoSite.site).allSatisfy { $0.balanceMg == 0 })
    #expect(try ledger.inventory.storedFactsMatchRebuild(site: DemoSite.site))
    // The same seed gives the same log.
    #expect(DemoSite(clinic: DemoClinic(patients: 10, seed: 3)).closing() == site.closing())
  }
}
