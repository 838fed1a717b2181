import ControlledSubstances
import Foundation
import LedgerTestSupport
import Testing
import TreatmentLedger

/// Every soft alert of docs/DEA.md accepts the event and stores its flag; events that do not
/// cross a threshold carry none.
@Suite("Controlled-substance soft alerts")
struct SoftAlertTests {
  typealias F = InventoryFixture

  /// The flag codes stored with the site stream's last event.
  func lastFlags(_ fixture: F) throws -> [String] {
    try fixture.siteEvents().last?.flags.compactMap { $0["code"]?.stringValue } ?? []
  }

  @Test("Registration and lot expiring soon are flagged; far expiries are not")
  func expiries() async throws {
    let fixture = try F("dea-expiries")
    defer { fixture.close() }
    try await fixture.record(F.registration(expires: "2026-12-15"), at: "2026-11-01T08:00:00-05:00")
    #expect(try lastFlags(fixture) == ["registration.expiresSoon"])
    try await fixture.record(F.registration(), at: "2026-11-01T09:00:00-05:00")
    #expect(try lastFlags(fixture) == [])
    try await fixture.record(F.receipt(["S-1"], expires: "2026-11-20"))
    #expect(try lastFlags(fixture) == ["stock.lot.expiresSoon"])
    try await fixture.record(F.receipt(["S-2"]))
    #expect(try lastFlags(fixture) == [])
  }

  @Test("A container drawn from more than 24 hours after it was opened is flagged")
  func openTooLong() async throws {
    let fixture = try F("dea-open")
    defer { fixture.close() }
    try await fixture.openSite()
    try await fixture.preparePatient("p1")
    let first = F.dose("p1", session: 0, at: "2026-11-03T09:30:00-05:00")
    try await fixture.ledger.recordDose(
      first, withdrawal: F.withdrawal(first, at: "2026-11-03T09:30:00-05:00"))
    #expect(try lastFlags(fixture) == [])
    let second = F.dose("p1", session: 1, at: "2026-11-04T10:30:00-05:00")
    try await fixture.ledger.recordDose(
      second, withdrawal: F.withdrawal(second, at: "2026-11-04T10:30:00-05:00"))
    #expect(try lastFlags(fixture) == ["stock.container.openTooLong"])
    let status = try fixture.ledger.inventory.status(
      site: F.site, now: F.time("2026-11-06T10:30:00-05:00").date)
    #expect(status.openTooLong.map(\.containerId) == ["V-1"])
    let early = try fixture.ledger.inventory.status(
      site: F.site, now: F.time("2026-11-03T12:00:00-05:00").date)
    #expect(early.openTooLong.isEmpty)
  }

  @Test(
    "A count that differs is flagged and stays open until a loss, a late entry or a new count explains it"
  )
  func discrepancies() async throws {
    let fixture = try F("dea-count")
    defer { fixture.close() }
    try await fixture.openSite(["V-1", "V-2", "V-3"])
    func count(_ lines: [CountLine], at: String) async throws {
      try await fixture.record(
        .inventoryCounted(
          InventoryCounted(
            kind: .other, countedAt: F.time(at), openingOrClose: .close, lines: lines,
            witness: F.witness)), at: at)
    }
    // V-1 is 1 mL short, V-2 2 mL short, V-3 as recorded.
    try await count(
      [
        CountLine(containerId: "V-1", sealed: false, volumeMl: 9),
        CountLine(containerId: "V-2", sealed: false, volumeMl: 8),
        CountLine(containerId: "V-3", sealed: true, volumeMl: 10),
      ], at: "2026-11-03T18:00:00-05:00")
    #expect(try lastFlags(fixture) == ["count.discrepancy", "count.discrepancy"])
    #expect(
      try fixture.siteEvents().last?.flags.compactMap { $0["field"]?.stringValue } == [
        "lines[0]", "lines[1]",
      ])
    var open = try fixture.ledger.inventory.status(site: F.site).record.discrepancies
    #expect(open.map(\.containerId) == ["V-1", "V-2"])
    // A late waste entry, dated before the count, explains V-1.
    try await fixture.record(
      .wasteRecorded(
        WasteRecorded(
          containerId: "V-1", amountMg: 50, volumeMl: 1, method: "pouch", witness: F.witness)),
      at: "2026-11-03T17:00:00-05:00")
    open = try fixture.ledger.inventory.status(site: F.site).record.discrepancies
    #expect(open.map(\.containerId) == ["V-2"])
    // A loss report explains V-2.
    try await fixture.record(
      .lossReported(
        LossReported(
          containerIds: ["V-2"], amountMg: 100, kind: .spill,
          discoveredAt: F.time("2026-11-03T18:00:00-05:00"),
          fieldOfficeNotifiedAt: F.time("2026-11-04T09:00:00-05:00"))),
      at: "2026-11-03T18:30:00-05:00")
    #expect(try lastFlags(fixture) == [])
    open = try fixture.ledger.inventory.status(site: F.site).record.discrepancies
    #expect(open.isEmpty)
    // A new count that finds V-3 opened while the log has it sealed: a discrepancy; a later
    // count that agrees closes it.
    try await count(
      [CountLine(containerId: "V-3", sealed: true, volumeMl: 9.5)], at: "2026-11-04T18:00:00-05:00")
    #expect(try fixture.ledger.inventory.status(site: F.site).record.discrepancies.count == 1)
    try await count(
      [CountLine(containerId: "V-3", sealed: true, volumeMl: 10)], at: "2026-11-05T18:00:00-05:00")
    #expect(try fixture.ledger.inventory.status(site: F.site).record.discrepancies.isEmpty)
    #expect(try lastFlags(fixture) == [])
  }

  @Test("An estimated line agrees within 10% of the container; a measured one within 1%")
  func estimates() async throws {
    let fixture = try F("dea-estimate")
    defer { fixture.close() }
    try await fixture.openSite()
    try await fixture.record(
      .inventoryCounted(
        InventoryCounted(
          kind: .initial, countedAt: F.time("2026-11-02T09:00:00-05:00"), openingOrClose: .opening,
          lines: [
            CountLine(containerId: "V-1", sealed: false, volumeMl: 9.2, estimated: true),
            CountLine(containerId: "V-2", sealed: false, volumeMl: 9.2),
          ])), at: "2026-11-02T09:00:00-05:00")
    #expect(
      try fixture.siteEvents().last?.flags.compactMap { $0["field"]?.stringValue } == ["lines[1]"])
  }

  @Test(
    "A count more than two years after the previous one is flagged; the next is due two years on")
  func countOverdue() async throws {
    let fixture = try F("dea-overdue")
    defer { fixture.close() }
    try await fixture.openSite()
    func count(_ at: String) async throws {
      try await fixture.record(
        .inventoryCounted(
          InventoryCounted(
            kind: .biennial, countedAt: F.time(at), openingOrClose: .opening,
            lines: [CountLine(containerId: "V-1", sealed: true, volumeMl: 10)])), at: at)
    }
    try await count("2026-11-02T09:00:00-05:00")
    #expect(try lastFlags(fixture) == [])
    #expect(try fixture.ledger.inventory.status(site: F.site).nextCountDue?.text == "2028-11-01")
    try await count("2028-11-03T09:00:00-05:00")
    #expect(try lastFlags(fixture) == ["count.overdue"])
  }

  @Test(
    "A loss without a field-office notice within one business day, or a late DEA-106, is flagged")
  func lossNotices() async throws {
    let fixture = try F("dea-loss")
    defer { fixture.close() }
    try await fixture.openSite()
    func loss(_ notified: String?, form: String? = nil) async throws -> [String] {
      try await fixture.record(
        .lossReported(
          LossReported(
            containerIds: ["V-1"], amountMg: 1, kind: .theft,
            // A Friday: the next business day is Monday 2026-11-09.
            discoveredAt: F.time("2026-11-06T17:00:00-05:00"),
            fieldOfficeNotifiedAt: notified.map(F.time), dea106SubmittedAt: form.map(F.time))),
        at: "2026-11-06T17:30:00-05:00")
      return try lastFlags(fixture)
    }
    #expect(try await loss(nil) == ["loss.fieldOffice.late"])
    #expect(try await loss("2026-11-09T16:00:00-05:00") == [])
    #expect(try await loss("2026-11-10T08:00:00-05:00") == ["loss.fieldOffice.late"])
    #expect(try await loss("2026-11-07T08:00:00-05:00", form: "2026-12-21T08:00:00-05:00") == [])
    #expect(
      try await loss("2026-11-07T08:00:00-05:00", form: "2026-12-22T08:00:00-05:00")
        == ["loss.dea106.late"])
  }
}
