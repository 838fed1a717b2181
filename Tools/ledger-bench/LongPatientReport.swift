import Foundation

/// Workload 7's part of the table and its target (issue 13).
extension RunReport {
  /// What the per-append figures of workload 7 are.
  static let longPatientLegend =
    "7: written = bytes passed to write calls per append (/proc/self/io wchar: LMDB's dirty pages "
    + "+ a meta page update); pages = written / page size; allocated = growth of LMDB's last page "
    + "(me_last_pgno, from data.mdb's meta page) × page size; txns = growth of me_last_txnid; "
    + "CPU = user + system time of the process (getrusage), all threads."

  /// Workload 7's rows of one system, by history length.
  func longPatientRows(_ system: System) -> [Measurement] {
    results.filter { $0.workload == 7 && $0.system == system.rawValue }
      .sorted { ($0.historyEvents ?? 0) < ($1.historyEvents ?? 0) }
  }

  /// The table lines of workload 7.
  func longPatientLines(_ rows: [Measurement]) -> [String] {
    var lines = ["7 \(Self.titles[7] ?? "")"]
    let ledger = longPatientRows(.ledger)
    let raw = longPatientRows(.lmdb)
    for row in ledger + raw {
      let name =
        "  " + (row.system == System.ledger.rawValue ? "TreatmentLedger" : row.system) + " "
        + row.operation
      lines.append(
        [
          pad(name, 34), lpad(Format.count(Int(row.eventsPerSecond.rounded())), 12),
          lpad(row.p50Micros.map(Format.millis) ?? "-", 9),
          lpad(row.p99Micros.map(Format.millis) ?? "-", 9),
          lpad(Format.mebibytes(row.peakRSSBytes), 10),
          lpad(Format.mebibytes(row.peakAnonBytes), 10),
          lpad(row.diskBytesPerEvent.map { Format.count(Int($0.rounded())) } ?? "-", 10),
        ].joined())
    }
    for row in ledger + raw {
      let name = row.system == System.ledger.rawValue ? "TL" : row.system
      lines.append("  → per append, \(name) \(row.operation): " + Self.perAppendText(row))
    }
    for row in ledger {
      guard let base = raw.first(where: { $0.historyEvents == row.historyEvents }),
        let a = row.p50Micros, let b = base.p50Micros, b > 0
      else { continue }
      lines.append("  → p50 \(row.operation): TL/raw LMDB \(Format.ratio(a / b)) the raw time")
    }
    for (name, system) in [("TL", System.ledger), ("raw LMDB", .lmdb)] {
      if let growth = p50Growth(system) {
        lines.append(
          "  → \(name) p50 at \(Format.count(growth.last)) / p50 at \(Format.count(growth.first)) "
            + "events: \(Format.ratio(growth.ratio))")
      }
    }
    return lines
  }

  /// `written 123,456 B (30.1 pages, 3.0 write calls), allocated 4,096 B, 1.00 txns`.
  static func perAppendText(_ row: Measurement) -> String {
    func bytes(_ value: Double?) -> String {
      value.map { Format.count(Int($0.rounded())) + " B" } ?? "-"
    }
    let pages = row.pagesWrittenPerAppend.map { String(format: "%.1f pages", $0) } ?? "- pages"
    let calls = row.writeCallsPerAppend.map { String(format: "%.1f write calls", $0) } ?? ""
    let txns = row.transactionsPerAppend.map { String(format: "%.2f txns", $0) } ?? "- txns"
    let cpu = row.cpuMicrosPerAppend.map { String(format: "CPU %.2f ms, ", $0 / 1_000) } ?? ""
    return cpu + "written \(bytes(row.writtenBytesPerAppend)) (\(pages), \(calls)), "
      + "allocated \(bytes(row.allocatedBytesPerAppend)), file +\(bytes(row.fileBytesPerAppend)), "
      + txns
  }

  /// p50 at the longest history over p50 at the shortest, for `system`.
  func p50Growth(_ system: System) -> (first: Int, last: Int, ratio: Double)? {
    let rows = longPatientRows(system)
    guard rows.count >= 2, let first = rows.first, let last = rows.last,
      let a = last.p50Micros, let b = first.p50Micros, b > 0
    else { return nil }
    return (first.historyEvents ?? 0, last.historyEvents ?? 0, a / b)
  }

  /// Issue 13's target: p50 at 10,000 events ≤ 1.2× p50 at 100 (in a quick run, at its sizes).
  func longPatientTarget() -> TargetResult {
    let growth = p50Growth(.ledger)
    let target =
      "long patient: p50 at \(growth.map { Format.count($0.last) } ?? "10,000") events "
      + "≤ 1.2× p50 at \(growth.map { Format.count($0.first) } ?? "100") events"
    var measured = growth.map { "\(Format.ratio($0.ratio)) (TreatmentLedger)" } ?? "not measured"
    if let raw = p50Growth(.lmdb) { measured += "; raw LMDB \(Format.ratio(raw.ratio))" }
    return TargetResult(
      workload: 7, target: target, measured: measured, met: growth.map { $0.ratio <= 1.2 })
  }
}
