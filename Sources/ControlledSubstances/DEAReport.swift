import Foundation
import LedgerEventStore
import LedgerFoundation

/// An inspector's report of one site for a period (21 CFR 1304): the receipts,
/// administrations, waste, losses, disposals and counts that occurred in `[from, to)`, one CSV
/// file each, rows sorted by drug, container, clinical time and stream version.
///
/// Computed from the site stream's events alone (the whole stream, so balances at each count and
/// the drug and lot of every container are known): ``DEAReportWriter`` writes it beside those
/// events and a manifest, and ``DEAReportVerifier`` computes it again from the written events.
public struct DEAReport: Sendable, Hashable {
  /// One CSV file: its name, header and rows (already sorted).
  public struct Table: Sendable, Hashable {
    /// The file name, e.g. `receipts.csv`.
    public var name: String
    /// The column names.
    public var header: [String]
    /// The rows.
    public var rows: [[String]]

    /// RFC 4180 CSV: CRLF line ends, fields quoted when they hold a comma, quote or line break.
    public var csv: String {
      ([header] + rows).map { row in row.map(Self.quote).joined(separator: ",") + "\r\n" }
        .joined()
    }

    static func quote(_ field: String) -> String {
      guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else {
        return field
      }
      return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
  }

  /// The site.
  public var site: String
  /// Start of the period (inclusive).
  public var from: ClinicalTime
  /// End of the period (exclusive).
  public var to: ClinicalTime
  /// The six tables, in the order receipts, administrations, waste, losses, disposals, counts.
  public var tables: [Table]

  /// The report of `events` (every event of the site's stream, in stream order).
  public init(
    site: String, from: ClinicalTime, to: ClinicalTime, events: [RecordedEvent],
    settings: InventoryProtocol = InventoryProtocol()
  ) {
    self.site = site
    self.from = from
    self.to = to
    var builder = Builder(settings: settings)
    for event in events {
      let inPeriod = event.occurredMicros >= from.micros && event.occurredMicros < to.micros
      builder.add(event, inPeriod: inPeriod)
    }
    tables = builder.tables()
  }
}

/// Folds the stream and collects the rows of the events in the period.
private struct Builder {
  let settings: InventoryProtocol
  var inventory = SiteInventory()
  var rows: [String: [(key: SortKey, row: [String])]] = [:]

  struct SortKey: Comparable {
    var drug: String
    var container: String
    var micros: Int64
    var version: UInt64
    var line: Int
    static func < (a: SortKey, b: SortKey) -> Bool {
      (a.drug, a.container, a.micros, a.version, a.line)
        < (b.drug, b.container, b.micros, b.version, b.line)
    }
  }

  static let headers: [(String, [String])] = [
    (
      "receipts.csv",
      [
        "drug", "containerId", "lotNumber", "ndc", "form", "strength", "receivedMg", "expiresOn",
        "receivedOn", "supplierName", "supplierDeaNumber", "invoiceRef",
      ] + common
    ),
    (
      "administrations.csv",
      ["drug", "containerId", "lotNumber", "patientId", "amountMg", "volumeMl", "doseEventId"]
        + common
    ),
    (
      "waste.csv",
      [
        "drug", "containerId", "lotNumber", "amountMg", "volumeMl", "method", "witnessId",
        "witnessName", "doseEventId",
      ] + common
    ),
    (
      "losses.csv",
      [
        "drug", "containerId", "lotNumber", "amountMg", "kind", "discoveredAt",
        "fieldOfficeNotifiedAt", "dea106SubmittedAt",
      ] + common
    ),
    (
      "disposals.csv",
      [
        "drug", "containerId", "lotNumber", "amountMg", "method", "reverseDistributorDeaNumber",
        "witnessIds",
      ] + common
    ),
    (
      "counts.csv",
      [
        "drug", "containerId", "lotNumber", "kind", "countedAt", "openingOrClose", "sealed",
        "counted", "estimated", "countedMg", "balanceMg", "differenceMg", "discrepancy",
      ] + common
    ),
  ]

  static let common = [
    "occurredAt", "recordedAt", "recordedById", "recordedByName", "eventId", "streamVersion",
  ]

  init(settings: InventoryProtocol) { self.settings = settings }

  func tables() -> [DEAReport.Table] {
    Self.headers.map { name, header in
      DEAReport.Table(
        name: name, header: header,
        rows: (rows[name] ?? []).sorted { $0.key < $1.key }.map(\.row))
    }
  }

  mutating func add(_ event: RecordedEvent, inPeriod: Bool) {
    guard inPeriod,
      let decoded = try? InventoryEvent.decode(
        type: event.type, schemaVersion: event.schemaVersion, value: event.data)
    else {
      inventory.apply(event, settings: settings)
      return
    }
    let before = inventory
    inventory.apply(event, settings: settings)
    for (index, item) in Self.rows(decoded, before: before, after: inventory).enumerated() {
      let container = inventory.containers[item.container] ?? before.containers[item.container]
      let drug = container?.drug.rawValue ?? ""
      let key = SortKey(
        drug: drug, container: item.container, micros: event.occurredMicros,
        version: event.streamVersion, line: index)
      let common = [
        event.occurredAt, event.recordedAt, event.recordedBy.id, event.recordedBy.name,
        event.eventId.lowercasedString, String(event.streamVersion),
      ]
      let row = [drug, item.container, container?.lotNumber ?? ""] + item.cells + common
      rows[item.file, default: []].append((key, row))
    }
  }

  struct Item {
    var file: String
    var container: String
    var cells: [String]
  }

  static func rows(_ event: InventoryEvent, before: SiteInventory, after: SiteInventory) -> [Item] {
    switch event {
    case .registrationRecorded: return []
    case .stockReceived(let data):
      let strength: String =
        switch data.contents {
        case .solution(let mgPerMl, let volume): "\(number(mgPerMl)) mg/mL × \(number(volume)) mL"
        case .units(let perUnit, let count): "\(number(perUnit)) mg/unit × \(count)"
        }
      return data.containerIds.map {
        Item(
          file: "receipts.csv", container: $0,
          cells: [
            data.ndc, data.form.rawValue, strength, number(data.contents.milligrams),
            data.expiresOn.text, data.receivedOn.text, data.supplier.name,
            data.supplier.deaNumber, data.invoiceRef,
          ])
      }
    case .stockAdministered(let data):
      return [
        Item(
          file: "administrations.csv", container: data.containerId,
          cells: [
            data.patientId, number(data.amountMg), data.volumeMl.map(number) ?? "",
            data.doseEventId.lowercasedString,
          ])
      ]
    case .wasteRecorded(let data):
      return [
        Item(
          file: "waste.csv", container: data.containerId,
          cells: [
            number(data.amountMg), data.volumeMl.map(number) ?? "", data.method,
            data.witness?.id ?? "", data.witness?.name ?? "",
            data.doseEventId?.lowercasedString ?? "",
          ])
      ]
    case .inventoryCounted(let data):
      return countRows(data, before: before)
    case .lossReported(let data):
      return taken(data.containerIds, before: before, after: after, \.lostMicrograms).map {
        Item(
          file: "losses.csv", container: $0.id,
          cells: [
            number($0.mg), data.kind.rawValue, data.discoveredAt.text,
            data.fieldOfficeNotifiedAt?.text ?? "", data.dea106SubmittedAt?.text ?? "",
          ])
      }
    case .stockDisposed(let data):
      return taken(data.containerIds, before: before, after: after, \.disposedMicrograms).map {
        Item(
          file: "disposals.csv", container: $0.id,
          cells: [
            number($0.mg), data.method.rawValue, data.reverseDistributor?.deaNumber ?? "",
            (data.witnesses ?? []).map(\.id).joined(separator: " "),
          ])
      }
    }
  }

  static func countRows(_ data: InventoryCounted, before: SiteInventory) -> [Item] {
    data.lines.map { line in
      let container = before.containers[line.containerId]
      let counted = container.flatMap { InventoryJudge.counted(line, $0) }
      let balance = container?.balanceMicrograms
      let judge = InventoryJudge(settings: InventoryProtocol()) { _ in nil }
      let differs =
        container.flatMap { c in
          counted.map {
            judge.discrepancy(line, c, counted: $0, countEventId: UUID(), countedAt: 0) != nil
          }
        } ?? false
      return Item(
        file: "counts.csv", container: line.containerId,
        cells: [
          data.kind.rawValue, data.countedAt.text, data.openingOrClose.rawValue,
          line.sealed ? "true" : "false",
          line.volumeMl.map { number($0) + " mL" } ?? line.units.map { "\($0) units" } ?? "",
          line.estimated ? "true" : "false", counted.map { number(Amount.mg($0)) } ?? "",
          balance.map { number(Amount.mg($0)) } ?? "",
          zip(balance, counted).map { number(Amount.mg($0 - $1)) } ?? "",
          differs ? "true" : "false",
        ])
    }
  }

  /// How much a loss or disposal took from each named container.
  static func taken(
    _ ids: [String], before: SiteInventory, after: SiteInventory,
    _ path: KeyPath<ContainerRecord, Int64>
  ) -> [(id: String, mg: Double)] {
    ids.map { id in
      let was = before.containers[id]?[keyPath: path] ?? 0
      let now = after.containers[id]?[keyPath: path] ?? 0
      return (id, Amount.mg(now - was))
    }
  }

  /// A number as the shortest decimal that reads back the same (`12.5`, `100`).
  static func number(_ value: Double) -> String {
    if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
    return "\(value)"
  }
}

private func zip<A, B>(_ a: A?, _ b: B?) -> (A, B)? {
  guard let a, let b else { return nil }
  return (a, b)
}
