import ArgumentParser
import Foundation
import TreatmentLedger

/// `treatment-ledger dea …`: the controlled-substance log of a site.
struct DEACommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "dea",
    abstract: "The controlled-substance (DEA) log of a site: balances, reports for an inspector.",
    discussion: """
      Every site keeps its log in the stream inventory-<site>: receipts, withdrawals for doses, \
      waste, counts, losses and disposals (docs/DEA.md). `dea balance` shows every container's \
      balance now or as of a time, with the site's last count, open discrepancies and \
      containers open for more than 24 hours; `dea report` writes an inspector's report of a \
      period; `dea verify` checks one.
      """,
    subcommands: [DEABalanceCommand.self, DEAReportCommand.self, DEAVerifyCommand.self])
}

/// Parses `--from`, `--to` and `--as-of`: an RFC 3339 date-time with an offset, or a date
/// `YYYY-MM-DD` meaning its start in UTC.
func clinicalTime(_ text: String, option: String) throws -> ClinicalTime {
  if let time = ClinicalTime(text) { return time }
  if CalendarDay(text) != nil, let time = ClinicalTime(text + "T00:00:00Z") { return time }
  throw ValidationError(
    "\(option) must be an RFC 3339 date-time with an offset, or a date YYYY-MM-DD (UTC)")
}

struct DEABalanceCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "balance",
    abstract: "Every container of a site with its balance in mg and mL, lot, expiry and state.",
    discussion: """
      Without --as-of the balances are read from the stored per-container records; with \
      --as-of, from the site's events that occurred up to that time (late entries included). \
      Sorted by drug, then container.
      """)

  @OptionGroup var storeOptions: StoreOptions
  @Option(help: "The site id (the stream is inventory-<site>).") var site: String
  @Option(help: "Balances as of this clinical time (RFC 3339, or YYYY-MM-DD for 00:00 UTC).")
  var asOf: String?
  @Flag(help: "Print JSON.") var json = false

  func run() async throws {
    let asOfTime = try asOf.map { try clinicalTime($0, option: "--as-of") }
    let ledger = try storeOptions.open(readOnly: true)
    defer { ledger.close() }
    let records: [ContainerRecord]
    let status: SiteStatus
    do {
      records = try ledger.inventory.balances(site: site, asOf: asOfTime)
      if let asOfTime {
        status = try ledger.inventory.status(site: site, asOf: asOfTime)
      } else {
        status = try ledger.inventory.status(site: site)
      }
    } catch {
      throw Exit.report(error)
    }
    if json {
      print(String(decoding: Self.json(records, status).canonicalBytes, as: UTF8.self))
      return
    }
    print("site \(site)" + (asOfTime.map { " as of \($0.text)" } ?? ""))
    print(Self.row(["drug", "container", "lot", "expires", "state", "mg", "mL/units"]))
    for record in records {
      print(
        Self.row([
          record.drug.rawValue, record.containerId, record.lotNumber, record.expiresOn.text,
          record.state.rawValue, Self.number(record.balanceMg),
          (record.balanceMl ?? record.balanceUnits).map(Self.number) ?? "",
        ]))
    }
    let last = status.record.lastCountedAt.map {
      "\($0.text) (\(status.record.lastCountKind?.rawValue ?? ""))"
    }
    let discrepancies = status.record.discrepancies.map(\.containerId)
    print(
      "last count \(last ?? "none"); next due \(status.nextCountDue?.text ?? "now (no count yet)")")
    print("open discrepancies: \(discrepancies.joined(separator: ", ").nonEmpty ?? "none")")
    print(
      "open over 24 h: "
        + (status.openTooLong.map(\.containerId).joined(separator: ", ").nonEmpty ?? "none"))
  }

  static func row(_ cells: [String]) -> String {
    let widths = [10, 14, 12, 10, 9, 10, 8]
    return zip(cells, widths).map {
      $0.padding(toLength: max($1, $0.count), withPad: " ", startingAt: 0)
    }
    .joined(separator: " ").trimmingCharacters(in: .whitespaces)
  }

  static func number(_ value: Double) -> String { String(format: "%.3f", value) }

  static func json(_ records: [ContainerRecord], _ status: SiteStatus) -> JSONValue {
    .object([
      "site": .string(status.site),
      "containers": .array(
        records.map { record in
          var members: [String: JSONValue] = [
            "containerId": .string(record.containerId), "drug": .string(record.drug.rawValue),
            "lotNumber": .string(record.lotNumber), "expiresOn": .string(record.expiresOn.text),
            "state": .string(record.state.rawValue), "balanceMg": .number(record.balanceMg),
            "form": .string(record.form.rawValue),
          ]
          if let ml = record.balanceMl { members["balanceMl"] = .number(ml) }
          if let units = record.balanceUnits { members["balanceUnits"] = .number(units) }
          return .object(members)
        }),
      "openDiscrepancies": .array(status.record.discrepancies.map { .string($0.containerId) }),
      "openOver24Hours": .array(status.openTooLong.map { .string($0.containerId) }),
      "lastCountedAt": status.record.lastCountedAt.map { .string($0.text) } ?? .null,
      "nextCountDue": status.nextCountDue.map { .string($0.text) } ?? .null,
    ])
  }
}

extension String {
  var nonEmpty: String? { isEmpty ? nil : self }
}

struct DEAReportCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "Write an inspector's report of a site for a period: CSV files and a manifest.",
    discussion: """
      Writes receipts.csv, administrations.csv, waste.csv, losses.csv, disposals.csv and \
      counts.csv (the events that occurred in --from ≤ t < --to, sorted by drug and container), \
      inventory.ndjson (every event of the site's stream with the exact bytes that were hashed) \
      and dea-manifest.json (site, period, who, the stream head as chain anchor, SHA-256 of \
      every file), and records the report in the store's $audit stream (who, why, the \
      manifest's SHA-256); if that fails, the files are removed. `dea verify` checks the \
      directory; docs/DEA.md says how to check it by hand.
      """)

  @OptionGroup var storeOptions: StoreOptions
  @Option(help: "The site id.") var site: String
  @Option(help: "Start of the period (inclusive): RFC 3339, or YYYY-MM-DD for 00:00 UTC.")
  var from: String
  @Option(help: "End of the period (exclusive): RFC 3339, or YYYY-MM-DD for 00:00 UTC.")
  var to: String
  @Option(help: "The report directory (created).") var out: String
  @Option(help: "Who generates the report: the user's id (recorded in $audit).") var by: String
  @Option(help: "Their name (default: the id).") var byName: String?
  @Option(help: "Their role.") var byRole: String = "auditor"
  @Option(help: "Why the report is made (recorded in $audit; no patient data).") var reason: String

  func run() async throws {
    let start = try clinicalTime(from, option: "--from")
    let end = try clinicalTime(to, option: "--to")
    guard start.micros < end.micros else { throw ValidationError("--from must be before --to") }
    let ledger = try storeOptions.open()
    defer { ledger.close() }
    let manifest: JSONValue
    do {
      manifest = try await ledger.writeDEAReport(
        site: site, from: start, to: end, directory: out,
        by: Recorder(id: by, name: byName ?? by, role: byRole), reason: reason)
    } catch {
      printError(error.description)
      throw Exit.failure
    }
    let count = manifest["events"]?["count"]?.numberValue.flatMap { Int(exactly: $0) } ?? 0
    guard case .array(let files)? = manifest["files"] else { return }
    print(
      "report of inventory-\(site), \(start.text) to \(end.text): \(count) events in the stream")
    for file in files {
      let rows = file["rows"]?.numberValue.flatMap { Int(exactly: $0) } ?? 0
      print("  \(file["name"]?.stringValue ?? "")  \(rows) rows")
    }
    print("written to \(out); recorded in $audit")
    // The audit export of the site's whole stream beside the report, with the verifier.
    let audit = out + "/audit"
    print("audit export of inventory-\(site) in \(audit) (treatment-ledger audit verify \(audit))")
    if AuditExportCommand.copyVerifier(into: audit) {
      print("verifier   \(audit)/verify_export.py (python3 \(audit)/verify_export.py \(audit))")
    }
  }
}

struct DEAVerifyCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "verify",
    abstract:
      "Check a DEA report: its event chain, its files, and (with --store) the store and $audit.",
    discussion: """
      Exit 0 when intact, 4 when a problem is found (each printed).
      """)

  @Option(help: "A store to check the report's chain anchor against.") var store: String?
  @Argument(help: "The report directory.") var directory: String

  func run() async throws {
    var ledger: Ledger?
    if let store {
      ledger = try StoreOptions.parse(["--store", store]).open(readOnly: true)
    }
    defer { ledger?.close() }
    let result = DEAReportVerifier().verify(directory: directory, against: ledger?.store)
    for problem in result.problems { printError(problem) }
    guard result.isIntact else { throw Exit.verificationFailed }
    print("report intact: \(result.events) events chained to the stream head; every file matches")
  }
}
