import Foundation

/// A target of issue 7 and whether this run met it.
struct TargetResult: Codable, Sendable {
  var workload: Int
  var target: String
  var measured: String
  /// nil when the run did not measure what the target needs.
  var met: Bool?
}

/// Everything a run produced: what `--json` writes and what the table shows.
struct RunReport: Codable, Sendable {
  var tool = "LedgerBench"
  var mode: String
  var build: String
  var startedAt: String
  var machine: MachineInfo
  var sizes: Sizes
  var workloads: [Int]
  /// Events of the data set of workloads 3–6.
  var datasetEvents: Int
  var results: [Measurement]
  var targets: [TargetResult] = []
  var failures: [String]
  var auditExport: String
  /// Demo patients (seed 3) whose generation never finished, left out of the pool.
  var demoPatientsSkipped: [Int] = []

  static let titles = [
    1: "single durable appends, 1 appender",
    2: "single durable appends, 8 concurrent appenders",
    3: "import in large batches",
    4: "rebuild of all projections (baselines: full log scan)",
    5: "1,000-event patient: timeline and summary reads (baselines: the stream's events)",
    6: "audit export",
    7: "long patient: single durable appends to one patient (Ledger.record) as its record grows",
    8: "forwarding to the central PostgreSQL (docs/CENTRAL.md); p50/p99 of the lag row: lag",
  ]

  // MARK: Looking up figures

  func figure(_ workload: Int, _ system: System, operation: String = "") -> Measurement? {
    results.first {
      $0.workload == workload && $0.system == system.rawValue && $0.operation == operation
    }
  }

  func baselineFigure(_ workload: Int, _ system: System, label: String) -> Measurement? {
    // Workload 5's baselines read the stream once per operation; rebuild/export baselines carry
    // the data set label.
    if workload == 5 { return figure(5, system, operation: "stream read") }
    return figure(workload, system, operation: label)
  }

  // MARK: Targets

  /// The issue targets of the workloads that ran, one function per workload.
  mutating func evaluateTargets() {
    var targets: [TargetResult] = []
    if workloads.contains(1) { targets += targetsOfWorkload1() }
    if workloads.contains(2) { targets += targetsOfWorkload2() }
    if workloads.contains(3) { targets += targetsOfWorkload3() }
    if workloads.contains(4) { targets += targetsOfWorkload4() }
    if workloads.contains(5) { targets += targetsOfWorkload5() }
    if workloads.contains(6) { targets += targetsOfWorkload6() }
    if workloads.contains(4) || workloads.contains(6) { targets += memoryTargets() }
    if workloads.contains(7) { targets.append(longPatientTarget()) }
    if workloads.contains(8) {
      let r = ratio(
        figure(8, .ledger, operation: "forward --once"),
        figure(8, .postgresCopy, operation: "binary COPY"))
      targets.append(
        TargetResult(
          workload: 8, target: "forward --once ≥ 0.5× a binary COPY of the same rows (issue 20)",
          measured: r.map { "\(Format.ratio($0)) COPY" } ?? "not measured",
          met: r.map { $0 >= 0.5 }))
    }
    self.targets = targets
  }

  private func ratio(_ a: Measurement?, _ b: Measurement?) -> Double? {
    guard let a, let b, b.eventsPerSecond > 0 else { return nil }
    return a.eventsPerSecond / b.eventsPerSecond
  }

  private func targetsOfWorkload1() -> [TargetResult] {
    var targets: [TargetResult] = []
    let r = ratio(figure(1, .ledger), figure(1, .lmdb))
    targets.append(
      TargetResult(
        workload: 1, target: "single appender ≥ 0.9× raw LMDB single commits",
        measured: r.map { "\(Format.ratio($0)) raw LMDB" } ?? "not measured",
        met: r.map { $0 >= 0.9 }))
    return targets
  }

  private func targetsOfWorkload2() -> [TargetResult] {
    var targets: [TargetResult] = []
    let vsSingle = ratio(figure(2, .ledger), figure(1, .sqliteFull))
    let vsConcurrent = ratio(figure(2, .ledger), figure(2, .sqliteFull))
    var measured =
      vsSingle.map { "\(Format.ratio($0)) SQLite FULL single commits (workload 1)" } ?? ""
    if let vsConcurrent {
      measured +=
        (measured.isEmpty ? "" : "; ")
        + "\(Format.ratio(vsConcurrent)) SQLite FULL with 8 threads"
    }
    let reference = vsSingle ?? vsConcurrent
    targets.append(
      TargetResult(
        workload: 2, target: "8 concurrent appenders ≥ 3× SQLite's single-commit rate",
        measured: measured.isEmpty ? "not measured" : measured, met: reference.map { $0 >= 3 }))
    return targets
  }

  private func targetsOfWorkload3() -> [TargetResult] {
    var targets: [TargetResult] = []
    let raw = ratio(figure(3, .ledger), figure(3, .lmdb))
    let normal = ratio(figure(3, .ledger), figure(3, .sqliteNormal))
    let full = ratio(figure(3, .ledger), figure(3, .sqliteFull))
    var parts: [String] = []
    if let raw { parts.append("\(Format.ratio(raw)) raw LMDB") }
    if let normal { parts.append("\(Format.ratio(normal)) SQLite NORMAL") }
    if let full { parts.append("\(Format.ratio(full)) SQLite FULL") }
    let met: Bool? = raw.map { raw in raw >= 0.7 && (normal ?? 2) > 1 && (full ?? 2) > 1 }
    targets.append(
      TargetResult(
        workload: 3,
        target: "import ≥ 0.7× raw LMDB and ahead of SQLite (validation and hashing included)",
        measured: parts.isEmpty ? "not measured" : parts.joined(separator: ", "), met: met))
    return targets
  }

  private func targetsOfWorkload4() -> [TargetResult] {
    var targets: [TargetResult] = []
    let r = ratio(figure(4, .ledger), figure(4, .lmdb))
    targets.append(
      TargetResult(
        workload: 4, target: "rebuild ≥ 25% of the raw LMDB full-scan rate",
        measured: r.map { "\(Format.percent($0)) of the raw scan rate" } ?? "not measured",
        met: r.map { $0 >= 0.25 }))
    return targets
  }

  private func targetsOfWorkload5() -> [TargetResult] {
    var targets: [TargetResult] = []
    let raw = figure(5, .lmdb, operation: "stream read")
    for operation in ["timeline", "summary"] {
      let ledger = figure(5, .ledger, operation: operation)
      var times: Double?
      if let a = ledger?.p50Micros, let b = raw?.p50Micros, b > 0 { times = a / b }
      targets.append(
        TargetResult(
          workload: 5, target: "\(operation) read ≤ 2× the raw read of the same events (p50)",
          measured: times.map { "\(Format.ratio($0)) the raw read's time" } ?? "not measured",
          met: operation == "timeline" ? times.map { $0 <= 2 } : times.map { $0 <= 2 }))
    }
    return targets
  }

  private func targetsOfWorkload6() -> [TargetResult] {
    var targets: [TargetResult] = []
    let scan = figure(4, .lmdb)
    let r = ratio(figure(6, .ledger), scan)
    let rawExport = ratio(figure(6, .ledger), figure(6, .lmdb))
    var measured =
      r.map { "\(Format.percent($0)) of the raw scan rate" }
      ?? "raw scan not measured (run workload 4)"
    if let rawExport { measured += "; \(Format.ratio(rawExport)) the raw LMDB export" }
    targets.append(
      TargetResult(
        workload: 6, target: "export ≥ 50% of the raw full-scan rate (AuditExporter, NDJSON)",
        measured: measured, met: r.map { $0 >= 0.5 }))
    return targets
  }

  private func memoryTargets() -> [TargetResult] {
    var targets: [TargetResult] = []
    let rows = results.filter {
      $0.system == System.ledger.rawValue && ($0.workload == 4 || $0.workload == 6)
    }
    if !rows.isEmpty {
      let limit = 256 << 20
      let text = rows.map { row in
        let size = row.operation.isEmpty ? Format.count(row.events) : row.operation
        return
          "\(row.workload == 4 ? "rebuild" : "export") \(size): anon \(Format.mebibytes(row.peakAnonBytes)), "
          + "VmHWM \(Format.mebibytes(row.peakRSSBytes))"
      }.joined(separator: "; ")
      let sizes = Set(rows.map(\.operation)).count
      targets.append(
        TargetResult(
          workload: 4,
          target: "peak RSS of rebuild and export flat, under 256 MiB (anonymous memory)",
          measured: text + (sizes < 2 ? " (one data set size only)" : ""),
          met: rows.allSatisfy { $0.peakAnonBytes < limit }))
    }
    return targets
  }

  // MARK: The table

  /// The printed report: the run's header, one block per workload, the targets and a legend.
  func table() -> String {
    var lines = headerLines()
    lines.append("")
    let header = [
      pad("workload / system", 34), lpad("events/s", 12), lpad("p50 ms", 9), lpad("p99 ms", 9),
      lpad("peak RSS", 10), lpad("peak anon", 10), lpad("disk B/ev", 10),
    ].joined()
    lines.append(header)
    lines.append(String(repeating: "-", count: header.count))
    for workload in workloads { lines += workloadLines(workload) }
    lines.append("")
    lines.append("Targets of issue 7 and, for workload 7, of issue 13 (ratios within this run):")
    for target in targets {
      let verdict = target.met.map { $0 ? "met" : "MISSED" } ?? "n/a"
      lines.append("  [\(verdict)] \(target.workload). \(target.target): \(target.measured)")
    }
    if !failures.isEmpty {
      lines.append("")
      lines.append("FAILED:")
      for failure in failures { lines.append("  " + failure) }
    }
    lines.append("")
    lines.append(
      "peak RSS = VmHWM of the workload's own process (includes LMDB's memory-mapped file pages); "
        + "peak anon = largest RssAnon sampled every 10 ms.")
    lines.append(
      "p50/p99: per append (1, 2, 7), per batch (3), per read of 1,000 events (5), "
        + "an append's lag until it is central (8).")
    if workloads.contains(7) { lines.append(Self.longPatientLegend) }
    return lines.joined(separator: "\n")
  }

  /// What ran where: build, machine, versions, the events.
  private func headerLines() -> [String] {
    var lines: [String] = []
    lines.append(
      "TreatmentLedger benchmark (issue 7): \(mode) run, \(build) build, started \(startedAt)")
    if build != "release" {
      lines.append(
        "!!! DEBUG BUILD: these figures are NOT measurements. Use swift build -c release. !!!")
    }
    lines.append(
      "machine: \(machine.cores) cores \(machine.cpuModel), \(machine.memoryGiB) GiB, Linux \(machine.kernel); "
        + "disk \(machine.disk)")
    lines.append(
      "LMDB \(machine.lmdbVersion), SQLite \(machine.sqliteVersion); load average at start \(machine.loadAverageAtStart)"
        + (machine.loadAverageAtEnd.map { ", at end \($0)" } ?? ""))
    lines.append(
      "events: demo clinic (DemoClinic); TreatmentLedger appends them to patient streams through the Ledger "
        + "(ClinicalReviewer validation, hashing, 2 projections inline) in workloads 1, 2, 3 and 5;"
    )
    lines.append(
      "baselines store the same canonical JSON envelopes with the same key layout, durable commits, no logic."
    )
    lines.append("audit export: \(auditExport)")
    if !demoPatientsSkipped.isEmpty {
      lines.append(
        "demo generator: patients \(demoPatientsSkipped.map(String.init).joined(separator: ", ")) of seed 3 never finish "
          + "(endless loop in DemoClinic's PatientBuilder.items); the bench uses the other patients"
      )
    }
    return lines
  }

  /// One workload's rows and its ratios against the baselines.
  private func workloadLines(_ workload: Int) -> [String] {
    var lines: [String] = []
    let rows = results.filter { $0.workload == workload }
    guard !rows.isEmpty else { return [] }
    if workload == 7 { return longPatientLines(rows) }
    var title = "\(workload) \(Self.titles[workload] ?? "")"
    if [3, 4, 6].contains(workload) { title += " (\(Format.count(datasetEvents)) events)" }
    lines.append(title)
    let order: [System] = [.ledger, .ledgerUnsealed, .lmdb, .sqliteNormal, .sqliteFull]
    let sorted = rows.sorted { a, b in
      let ia = order.firstIndex { $0.rawValue == a.system } ?? 9
      let ib = order.firstIndex { $0.rawValue == b.system } ?? 9
      return (ia, a.operation) < (ib, b.operation)
    }
    for row in sorted {
      var name = "  " + (row.system == System.ledger.rawValue ? "TreatmentLedger" : row.system)
      if workload == 6 && row.system == System.ledger.rawValue
        && !row.operation.hasPrefix("readAll")
      {
        name += " exporter"
      }
      if !row.operation.isEmpty { name += " " + row.operation }
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
    for ledgerRow in sorted where ledgerRow.system == System.ledger.rawValue {
      var parts: [String] = []
      for system in [System.lmdb, .sqliteNormal, .sqliteFull] {
        guard let base = baselineFigure(workload, system, label: ledgerRow.operation),
          base.eventsPerSecond > 0
        else {
          continue
        }
        let name = system == .lmdb ? "raw LMDB" : system.rawValue
        parts.append(
          "TL/\(name) \(Format.ratio(ledgerRow.eventsPerSecond / base.eventsPerSecond))")
      }
      if !parts.isEmpty {
        let which = ledgerRow.operation.isEmpty ? "" : " (\(ledgerRow.operation))"
        lines.append("  → events/s ratios\(which): " + parts.joined(separator: "   "))
      }
    }
    if workload == 8 {
      if let note = figure(8, .ledger, operation: "forward --once")?.note {
        lines.append("  forward: " + note)
      }
      if let note = figure(
        8, .ledger, operation: "lag at \(sizes.lagEventsPerSecond) events/s")?.note
      {
        lines.append("  lag: " + note)
      }
    }
    return lines
  }

  func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
  }

  func lpad(_ text: String, _ width: Int) -> String {
    text.count >= width ? " " + text : String(repeating: " ", count: width - text.count) + text
  }
}

/// Number formatting for the table.
enum Format {
  static func count(_ value: Int) -> String {
    let digits = String(abs(value))
    var out = ""
    for (index, character) in digits.enumerated() {
      if index > 0 && (digits.count - index) % 3 == 0 { out.append(",") }
      out.append(character)
    }
    return (value < 0 ? "-" : "") + out
  }

  static func ratio(_ value: Double) -> String {
    value >= 10 ? String(format: "%.0f×", value) : String(format: "%.2f×", value)
  }

  static func percent(_ value: Double) -> String { String(format: "%.1f%%", value * 100) }

  static func millis(_ micros: Double) -> String {
    micros >= 100_000
      ? String(format: "%.0f", micros / 1_000) : String(format: "%.3f", micros / 1_000)
  }

  static func mebibytes(_ bytes: Int) -> String {
    String(format: "%.0f MiB", Double(bytes) / 1_048_576)
  }
}
