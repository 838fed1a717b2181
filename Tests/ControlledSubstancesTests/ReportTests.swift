import CSV
import ControlledSubstances
import Foundation
import LedgerTestSupport
import Testing
import TreatmentLedger

/// The inspector's report, checked against a computation of its own from the site stream's
/// events (their JSON read directly, not through the library's types), and its verification.
@Suite("DEA report")
struct ReportTests {
  typealias F = InventoryFixture

  /// A site with two lots, three patients, waste, counts, a loss and a disposal; some events
  /// before and after the period 2026-11-03 to 2026-11-06 (UTC−05:00).
  func scenario(_ fixture: F) async throws {
    try await fixture.openSite(["V-1", "V-2", "V-3"])
    try await fixture.record(
      F.receipt(["W-1", "W-2"], lot: "LOT2", mgPerMl: 10, volumeMl: 5),
      at: "2026-11-03T07:00:00-05:00")
    for (index, patient) in ["p1", "p2", "p3"].enumerated() {
      try await fixture.preparePatient(patient)
      let dose = F.dose(
        patient, mg: Double(20 + 5 * index), at: "2026-11-0\(3 + index)T09:30:00-05:00")
      try await fixture.ledger.recordDose(
        dose,
        withdrawal: F.withdrawal(
          dose, container: index == 2 ? "V-2" : "V-1", mg: Double(20 + 5 * index),
          at: dose.occurredAt.text))
    }
    try await fixture.record(
      .wasteRecorded(
        WasteRecorded(
          containerId: "V-1", amountMg: 10, volumeMl: 0.2, method: "pouch", witness: F.witness)),
      at: "2026-11-04T10:00:00-05:00")
    try await fixture.record(
      .inventoryCounted(
        InventoryCounted(
          kind: .other, countedAt: F.time("2026-11-05T18:00:00-05:00"), openingOrClose: .close,
          lines: [
            CountLine(containerId: "V-1", sealed: false, volumeMl: 8.7),
            CountLine(containerId: "W-1", sealed: true, volumeMl: 5),
          ], witness: F.witness)), at: "2026-11-05T18:00:00-05:00")
    try await fixture.record(
      .lossReported(
        LossReported(
          containerIds: ["V-3", "W-2"], amountMg: 520, kind: .theft,
          discoveredAt: F.time("2026-11-05T12:00:00-05:00"),
          fieldOfficeNotifiedAt: F.time("2026-11-05T15:00:00-05:00"))),
      at: "2026-11-05T12:30:00-05:00")
    try await fixture.record(
      .stockDisposed(
        StockDisposed(
          containerIds: ["W-1"], amountMg: 50, method: .onSiteDea41,
          witnesses: [F.witness, F.pharmacist])),
      at: "2026-11-05T16:00:00-05:00")
    // After the period.
    try await fixture.record(
      .wasteRecorded(
        WasteRecorded(
          containerId: "V-2", amountMg: 5, volumeMl: 0.1, method: "pouch", witness: F.witness)),
      at: "2026-11-06T10:00:00-05:00")
  }

  /// What each file must hold, computed here from the events' JSON: (file, sort key, cells the
  /// test checks).
  func expectedRows(_ events: [RecordedEvent], from: Int64, to: Int64) -> [String: [[String]]] {
    var drugOf: [String: String] = [:]
    var lotOf: [String: String] = [:]
    var held: [String: Double] = [:]
    var rows: [String: [(key: [String], cells: [String])]] = [:]
    // Amounts to the microgram, as the log keeps them.
    func fmt(_ raw: Double) -> String {
      let value = (raw * 1000).rounded() / 1000
      return value == value.rounded() ? String(Int(value)) : String(value)
    }
    for event in events {
      let data = event.data
      let time = ClinicalTime(event.occurredAt)?.micros ?? 0
      let inPeriod = time >= from && time < to
      let sortBase = { (container: String) in
        [
          drugOf[container] ?? "", container, String(format: "%020lld", time),
          String(format: "%08llu", event.streamVersion),
        ]
      }
      func add(_ file: String, _ container: String, _ cells: [String]) {
        guard inPeriod else { return }
        rows[file, default: []].append(
          (
            sortBase(container),
            [drugOf[container] ?? "", container, lotOf[container] ?? ""] + cells
          ))
      }
      let ids =
        (data["containerIds"].flatMap { value -> [String]? in
          if case .array(let items) = value { return items.compactMap(\.stringValue) }
          return nil
        }) ?? []
      let amount = data["amountMg"]?.numberValue ?? 0
      switch event.type {
      case "StockReceived":
        let each =
          (data["strengthMgPerMl"]?.numberValue ?? 0)
          * (data["containerVolumeMl"]?.numberValue ?? 0)
        for id in ids {
          drugOf[id] = data["drug"]?.stringValue
          lotOf[id] = data["lotNumber"]?.stringValue
          held[id] = each
          add("receipts.csv", id, [fmt(each)])
        }
      case "StockAdministered", "WasteRecorded":
        let id = data["containerId"]?.stringValue ?? ""
        held[id, default: 0] -= amount
        add(event.type == "WasteRecorded" ? "waste.csv" : "administrations.csv", id, [fmt(amount)])
      case "LossReported", "StockDisposed":
        var rest = amount
        for id in ids {
          let part = min(rest, held[id] ?? 0)
          rest -= part
          held[id, default: 0] -= part
          add(event.type == "LossReported" ? "losses.csv" : "disposals.csv", id, [fmt(part)])
        }
      case "InventoryCounted":
        if case .array(let lines)? = data["lines"] {
          for line in lines {
            let id = line["containerId"]?.stringValue ?? ""
            let counted = (line["volumeMl"]?.numberValue ?? 0) * 50 / (lotOf[id] == "LOT2" ? 5 : 1)
            add("counts.csv", id, [fmt(counted), fmt(held[id] ?? 0)])
          }
        }
      default: break
      }
    }
    return rows.mapValues { list in
      list.sorted { $0.key.lexicographicallyPrecedes($1.key) }.map(\.cells)
    }
  }

  func readCSV(_ path: String) throws -> [[String]] {
    let reader = try CSVReader(string: try String(contentsOfFile: path, encoding: .utf8))
    var rows: [[String]] = []
    while let row = reader.next() { rows.append(row) }
    return rows
  }

  @Test(
    "Every file holds exactly the period's events, sorted by drug and container, as computed from the events"
  )
  func reportMatchesAnIndependentComputation() async throws {
    let fixture = try F("dea-report")
    defer { fixture.close() }
    try await scenario(fixture)
    let from = F.time("2026-11-03T00:00:00-05:00")
    let to = F.time("2026-11-06T00:00:00-05:00")
    let out = fixture.directory.appending("report")
    try await fixture.ledger.writeDEAReport(
      site: F.site, from: from, to: to, directory: out, by: F.pharmacist, reason: "inspection")
    let expected = expectedRows(try fixture.siteEvents(), from: from.micros, to: to.micros)
    // The columns this test checks, by file: drug, container, lot, then these.
    let checked: [String: [String]] = [
      "receipts.csv": ["receivedMg"], "administrations.csv": ["amountMg"],
      "waste.csv": ["amountMg"], "losses.csv": ["amountMg"], "disposals.csv": ["amountMg"],
      "counts.csv": ["countedMg", "balanceMg"],
    ]
    for (file, columns) in checked {
      let rows = try readCSV(out + "/" + file)
      let header = try #require(rows.first)
      let picks = (["drug", "containerId", "lotNumber"] + columns).map { header.firstIndex(of: $0) }
      let actual = rows.dropFirst().map { row in picks.map { $0.map { row[$0] } ?? "?" } }
      #expect(actual == expected[file] ?? [], "\(file)")
    }
    // Counts: V-1 is found 0.2 mL (10 mg) short of its 445 mg: a discrepancy in the file.
    let counts = try readCSV(out + "/counts.csv")
    let discrepancy = try #require(counts.first?.firstIndex(of: "discrepancy"))
    #expect(counts.dropFirst().map { $0[discrepancy] } == ["true", "false"])
    // The events file is the whole stream, the manifest anchors it.
    let verification = DEAReportVerifier().verify(directory: out, against: fixture.ledger.store)
    #expect(verification.isIntact, "\(verification.problems)")
    #expect(verification.events == (try fixture.siteEvents().count))
  }

  @Test("The dispensing log of a period: its receipts, withdrawals and waste, in clinical order")
  func dispensingLog() async throws {
    let fixture = try F("dea-dispensing")
    defer { fixture.close() }
    try await scenario(fixture)
    let log = try fixture.ledger.inventory.dispensingLog(
      site: F.site, from: F.time("2026-11-03T00:00:00-05:00"),
      to: F.time("2026-11-05T00:00:00-05:00"))
    #expect(
      log.map(\.type) == [
        "StockReceived", "StockAdministered", "StockAdministered", "WasteRecorded",
      ])
    let times = log.map { ClinicalTime($0.occurredAt)?.micros ?? 0 }
    #expect(times == times.sorted())
    #expect(
      try fixture.ledger.inventory.dispensingLog(
        site: "elsewhere", from: F.time("2026-01-01T00:00:00Z"), to: F.time("2027-01-01T00:00:00Z")
      ).isEmpty)
  }

  @Test("A changed file, a changed event or another store's chain is found")
  func tamperingIsFound() async throws {
    let fixture = try F("dea-tamper")
    defer { fixture.close() }
    try await scenario(fixture)
    let out = fixture.directory.appending("report")
    try await fixture.ledger.writeDEAReport(
      site: F.site, from: F.time("2026-11-01T00:00:00Z"), to: F.time("2026-12-01T00:00:00Z"),
      directory: out, by: F.pharmacist, reason: "inspection")
    let csv = out + "/waste.csv"
    let original = try Data(contentsOf: URL(fileURLWithPath: csv))
    try Data(
      String(decoding: original, as: UTF8.self).replacingOccurrences(of: ",10,", with: ",1,").utf8
    )
    .write(to: URL(fileURLWithPath: csv))
    #expect(
      DEAReportVerifier().verify(directory: out).problems.contains { $0.hasPrefix("waste.csv") })
    try original.write(to: URL(fileURLWithPath: csv))
    #expect(DEAReportVerifier().verify(directory: out).isIntact)
    let ndjson = out + "/inventory.ndjson"
    let events = try Data(contentsOf: URL(fileURLWithPath: ndjson))
    try Data(
      String(decoding: events, as: UTF8.self).replacingOccurrences(
        of: #""amountMg":10,"#, with: #""amountMg":1,"#
      ).utf8
    )
    .write(to: URL(fileURLWithPath: ndjson))
    let problems = DEAReportVerifier().verify(directory: out).problems
    #expect(problems.contains { $0.contains("SHA-256") })
    #expect(problems.contains { $0.contains("previousStreamHash") || $0.contains("stream head") })
    try events.write(to: URL(fileURLWithPath: ndjson))
    // The report is recorded in $audit, with its manifest's SHA-256, and so is the audit export
    // of the site's stream beside it.
    let audit = try fixture.ledger.store.readStream(StreamNames.audit)
    // (The store's first export also published its signing key, before recording the export.)
    #expect(
      audit.map(\.type) == [
        DEAReportWriter.auditEventType, AuditSignature.publicationEventType,
        AuditExporter.eventType,
      ])
    #expect(audit.last?.data["filter"]?["stream"]?.stringValue == "inventory-" + F.site)
    #expect(audit.first?.data["site"]?.stringValue == F.site)
    #expect(audit.first?.recordedBy == F.pharmacist)
    // A report written and not recorded is not accounted for.
    let unrecorded = fixture.directory.appending("unrecorded")
    _ = try DEAReportWriter(store: fixture.ledger.store).write(
      site: F.site, from: F.time("2026-11-01T00:00:00Z"), to: F.time("2026-11-02T00:00:00Z"),
      directory: unrecorded, generatedBy: F.pharmacist)
    #expect(DEAReportVerifier().verify(directory: unrecorded).isIntact)
    #expect(
      DEAReportVerifier().verify(directory: unrecorded, against: fixture.ledger.store).problems
        == ["store: $audit records no report with this manifest's SHA-256"])
    // Another store (the same scenario, other recorded times) does not hold this chain.
    let other = try F("dea-tamper-other")
    defer { other.close() }
    try await scenario(other)
    #expect(!DEAReportVerifier().verify(directory: out, against: other.ledger.store).isIntact)
    #expect(DEAReportVerifier().verify(directory: out, against: fixture.ledger.store).isIntact)
  }
}
