import ArgumentParser
import Foundation
import LedgerDemo
import TreatmentLedger

/// `LedgerBench`: TreatmentLedger against raw LMDB and SQLite, side by side in one run (issue 7).
///
/// Every (workload, system) pair runs in a child process of its own (this executable with the
/// hidden `--child` option), so each gets its own peak RSS and none inherits another's heap or
/// page mappings. The parent plans the runs, collects the children's JSON, prints the table and
/// writes `--json`.
@main
struct LedgerBench: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "LedgerBench",
    abstract: "Benchmark TreatmentLedger against raw LMDB and SQLite on synthetic clinical events.",
    discussion: """
      Workloads (issue 7): 1 single durable appends, one appender; 2 single-event durable \
      appends from 8 concurrent appenders; 3 import of 1M events in large batches; 4 rebuild of \
      all projections over them; 5 a 1,000-event patient's timeline and summary reads; 6 audit \
      export; 7 (issue 13) long patient: single durable appends through Ledger.record to one \
      patient at histories of 100, 1,000 and 10,000 events (--quick: 100, 1,000, 3,000), with \
      the bytes each append adds to the store and writes, beside raw LMDB; 8 (issue 20, only \
      when asked, with --postgres) forward --once of a demo-sized store to the central \
      PostgreSQL beside a binary COPY of the same rows, and the forwarder's lag behind a clinic \
      appending at a fixed rate. Build with `swift build -c release`; a debug build refuses to run unless \
      --allow-debug is given. Run on an idle machine: the load average is printed with the table.
      """)

  @Flag(
    help:
      "Smaller counts (300 single appends, a 20k-event data set, a long patient of up to 3,000 events; less in a debug build): about a minute, same table."
  )
  var quick = false

  @Option(help: ArgumentHelp("Also write the results as JSON to this file.", valueName: "FILE"))
  var json: String?

  @Option(help: "Workloads to run, comma-separated (default: 1,2,3,4,5,6,7; 8 needs --postgres).")
  var workloads: String = "1,2,3,4,5,6,7"

  @Option(
    help: ArgumentHelp(
      "Workload 8's PostgreSQL server (default: $TREATMENT_LEDGER_POSTGRES_URL); each run makes and drops a database of its own.",
      valueName: "postgres://user@host:port/database"))
  var postgres: String?

  var postgresURL: String? {
    (postgres ?? ProcessInfo.processInfo.environment["TREATMENT_LEDGER_POSTGRES_URL"])
      .flatMap { $0.isEmpty ? nil : $0 }
  }

  @Option(
    help:
      "Folder for the stores (default: a new folder in the temporary directory); emptied afterwards unless --keep."
  )
  var workDir: String?

  @Flag(help: "Keep the work folder and its stores.")
  var keep = false

  @Flag(
    help: "Run even in a debug build (the figures are then meaningless; for tests of the tool).")
  var allowDebug = false

  @Option(help: .hidden) var child: String?
  @Option(help: .hidden) var dataset: String?
  @Option(help: .hidden) var datasetEvents: Int?
  @Option(help: .hidden) var label: String = ""

  static var isDebugBuild: Bool {
    #if DEBUG
      return true
    #else
      return false
    #endif
  }

  func selectedWorkloads() throws -> [Int] {
    var selected: [Int] = []
    for part in workloads.split(separator: ",") {
      let text = part.trimmingCharacters(in: .whitespaces)
      guard let number = Int(text), (1...8).contains(number) else {
        throw ValidationError(
          "--workloads takes numbers from 1 to 8, comma-separated (got '\(text)')")
      }
      if !selected.contains(number) { selected.append(number) }
    }
    guard !selected.isEmpty else { throw ValidationError("--workloads names no workload") }
    return selected.sorted()
  }

  func validate() throws {
    if try selectedWorkloads().contains(8) && postgresURL == nil {
      throw ValidationError(
        "workload 8 (forwarding) needs --postgres URL or TREATMENT_LEDGER_POSTGRES_URL")
    }
    if child != nil && workDir == nil { throw ValidationError("--child needs --work-dir") }
  }

  func run() async throws {
    if let child {
      try await runChild(child)
      return
    }
    if Self.isDebugBuild {
      guard allowDebug else {
        printError(
          "LedgerBench: this is a debug build; benchmark figures need `swift build -c release "
            + "--product LedgerBench` (pass --allow-debug only to test the tool).")
        throw ExitCode(2)
      }
      printError(String(repeating: "!", count: 78))
      printError("!!! DEBUG BUILD: the figures below are NOT measurements (--allow-debug).")
      printError(String(repeating: "!", count: 78))
    }
    try await runAll()
  }

  // MARK: Child

  private func runChild(_ spec: String) async throws {
    let sizes = Sizes.chosen(quick: quick)
    let work = workDir ?? FileManager.default.temporaryDirectory.path
    if spec.hasPrefix("screen:") {
      try Self.screenChild(spec)
      return
    }
    let context = ChildContext(
      workDirectory: work, dataset: dataset ?? work + "/dataset",
      datasetEvents: datasetEvents ?? sizes.datasetEvents, sizes: sizes, label: label,
      pool: try ClinicPool(indices: Self.readPool(work)), postgres: postgresURL)
    let measurements = try await Workloads.run(spec, context)
    let data = try JSONEncoder().encode(measurements)
    print(Self.resultMarker + String(decoding: data, as: UTF8.self))
  }

  static let resultMarker = "LEDGERBENCH-RESULT "

  /// `screen:FROM:COUNT`: generates demo patients FROM, FROM + 1, … and prints `ok N` after each,
  /// until COUNT are done. The parent kills it when a patient takes too long (the generator's loop
  /// that never ends) and goes on after that patient.
  private static func screenChild(_ spec: String) throws {
    let parts = spec.split(separator: ":").compactMap { Int($0) }
    guard parts.count == 2 else { throw BenchError("bad screen spec '\(spec)'") }
    let clinic = DemoClinic(patients: 100_000, seed: ClinicPool.seed)
    for index in parts[0]..<(parts[0] + parts[1]) {
      _ = clinic.events(ofPatient: index)
      FileHandle.standardOutput.write(Data("ok \(index)\n".utf8))
    }
  }

  static func poolFile(_ work: String) -> String { work + "/demo-pool.txt" }

  static func readPool(_ work: String) throws -> [Int] {
    guard let text = try? String(contentsOfFile: poolFile(work), encoding: .utf8) else {
      throw BenchError("no \(poolFile(work)): children are started by the parent LedgerBench")
    }
    return text.split(whereSeparator: { $0 == "," || $0 == "\n" }).compactMap { Int($0) }
  }

  // MARK: Parent

  /// The child runs of the selected workloads, in order: each workload's systems, and the data
  /// sets that workloads 4–6 read when workload 3 (which writes them) is not selected.
  static func plan(_ selected: [Int]) -> [String] {
    var specs: [String] = []
    if selected.contains(1) { specs += ["w1.tl", "w1.lmdb", "w1.sqlite-full"] }
    if selected.contains(2) { specs += ["w2.tl", "w2.lmdb", "w2.sqlite-full"] }
    if selected.contains(3) {
      specs += ["w3.tl", "w3.tl-unsealed", "w3.lmdb", "w3.sqlite-normal", "w3.sqlite-full"]
    } else if selected.contains(where: { (4...6).contains($0) }) {
      specs += ["prepare.tl", "prepare.tl-unsealed", "prepare.lmdb", "prepare.sqlite"]
    }
    if selected.contains(4) { specs += ["w4.tl", "w4.tl-unsealed", "w4.lmdb", "w4.sqlite"] }
    if selected.contains(5) { specs += ["w5.tl", "w5.lmdb", "w5.sqlite"] }
    if selected.contains(6) { specs += ["w6.tl", "w6.tl-unsealed", "w6.lmdb", "w6.sqlite"] }
    if selected.contains(7) { specs += ["w7.tl", "w7.lmdb"] }
    if selected.contains(8) { specs += ["w8.forward", "w8.lag"] }
    return specs
  }

  private func runAll() async throws {
    let selected = try selectedWorkloads()
    let sizes = Sizes.chosen(quick: quick)
    let work =
      workDir ?? FileManager.default.temporaryDirectory.path
      + "/ledger-bench-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    let machine = MachineInfo.current(
      workDirectory: work, lmdbVersion: RawLMDB.version, sqliteVersion: SQLiteDB.version)
    let load = MachineInfo.loadAverageOneMinute()
    printError(
      "LedgerBench: \(quick ? "quick" : "full") run of workloads \(selected.map(String.init).joined(separator: ",")) in \(work)"
    )
    printError("load average: \(machine.loadAverageAtStart)")
    if load > 1 && !quick {
      printError("warning: the 1-minute load average is \(load) (above 1): timings will be noisy.")
    }
    var report = RunReport(
      mode: quick ? "quick" : "full", build: Self.isDebugBuild ? "debug" : "release",
      startedAt: ISO8601DateFormatter().string(from: Date()), machine: machine, sizes: sizes,
      workloads: selected, datasetEvents: sizes.datasetEvents, results: [], failures: [],
      auditExport: Self.auditExportStatus)
    let runner = ChildRunner(
      executable: Self.executablePath(), workDirectory: work, quick: quick, allowDebug: allowDebug,
      postgres: selected.contains(8) ? postgresURL : nil)
    let dataset = work + "/dataset"
    let (pool, skipped) = try runner.screen(count: Self.poolSize)
    report.demoPatientsSkipped = skipped
    try pool.map(String.init).joined(separator: ",").write(
      toFile: Self.poolFile(work), atomically: true, encoding: .utf8)
    if !skipped.isEmpty {
      printError(
        "  DemoClinic(seed: \(ClinicPool.seed)) never finished patient(s) \(skipped.map(String.init).joined(separator: ", ")) "
          + "(endless loop in PatientBuilder.items): left out of the pool")
    }

    func step(
      _ spec: String, dataset: String = dataset, events: Int = sizes.datasetEvents,
      label: String = ""
    ) {
      do {
        let measurements = try runner.run(spec, dataset: dataset, events: events, label: label)
        if !spec.hasPrefix("prepare") { report.results += measurements }
        for measurement in measurements {
          printError(
            "  \(spec): \(measurement.system) \(measurement.operation) "
              + "\(Format.count(Int(measurement.eventsPerSecond.rounded()))) events/s "
              + "(\(Format.count(measurement.events)) events in \(String(format: "%.2f", measurement.seconds)) s)"
          )
        }
      } catch {
        report.failures.append("\(spec): \(error)")
        printError("  \(spec) FAILED: \(error)")
      }
    }

    for spec in Self.plan(selected) { step(spec) }
    if let scaling = sizes.scalingEvents, selected.contains(4) || selected.contains(6) {
      // Peak RSS of rebuild and export on a data set a tenth the size: is memory flat?
      let small = work + "/dataset-small"
      let label = "\(Format.count(scaling)) events"
      step("prepare.tl", dataset: small, events: scaling)
      if selected.contains(4) { step("w4.tl", dataset: small, events: scaling, label: label) }
      if selected.contains(6) { step("w6.tl", dataset: small, events: scaling, label: label) }
    }

    report.machine.loadAverageAtEnd = MachineInfo.loadAverage()
    report.evaluateTargets()
    print(report.table())
    try finish(report, work: work)
  }

  /// Writes `--json`, removes the work folder (or, with `--work-dir`, the data sets in it) unless
  /// `--keep`, and fails when a workload failed.
  private func finish(_ report: RunReport, work: String) throws {
    if let json {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
      do {
        try encoder.encode(report).write(to: URL(fileURLWithPath: json))
      } catch {
        printError("cannot write \(json): \(error)")
        throw ExitCode(1)
      }
    }
    if !keep {
      if workDir == nil {
        try? FileManager.default.removeItem(atPath: work)
      } else {
        for name in ["dataset", "dataset-small", "demo-pool.txt"] {
          try? FileManager.default.removeItem(atPath: work + "/" + name)
        }
      }
    }
    if !report.failures.isEmpty { throw ExitCode(1) }
  }

  /// Demo patients the bench patients are copies of.
  static let poolSize = 100

  /// What workload 6 measures.
  static let auditExportStatus =
    "AuditExporter.export (Sources/TreatmentLedger/Audit, uncommitted work in progress at the time of "
    + "writing) of the whole log from a read-only store; baselines write the same events.ndjson lines"

  /// This executable's path (children are started from it).
  static func executablePath() -> String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
      ?? CommandLine.arguments[0]
  }
}

/// Starts one child process per (workload, system) and reads its result line.
struct ChildRunner {
  let executable: String
  let workDirectory: String
  let quick: Bool
  let allowDebug: Bool
  /// Workload 8's server, passed to its children.
  var postgres: String? = nil

  /// Finds `count` demo patients whose generation finishes, by running the `screen` child and
  /// killing it when a patient takes more than a second. Returns them and the ones skipped.
  func screen(count: Int) throws -> (pool: [Int], skipped: [Int]) {
    var good: [Int] = []
    var skipped: [Int] = []
    var next = 0
    while good.count < count {
      guard skipped.count < 50 else {
        throw BenchError("the demo generator hangs on too many patients")
      }
      let process = Process()
      process.executableURL = URL(fileURLWithPath: executable)
      process.arguments =
        ["--child", "screen:\(next):\(count - good.count)", "--work-dir", workDirectory]
        + (allowDebug ? ["--allow-debug"] : [])
      let output = Pipe()
      process.standardOutput = output
      try process.run()
      let descriptor = output.fileHandleForReading.fileDescriptor
      var pending: [UInt8] = []
      var timedOut = false
      var buffer = [UInt8](repeating: 0, count: 4_096)
      reading: while true {
        var request = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let ready = poll(&request, 1, 1_000)
        if ready < 0 && errno == EINTR { continue }
        if ready == 0 {
          timedOut = true
          break
        }
        let count = buffer.withUnsafeMutableBytes {
          Glibc.read(descriptor, $0.baseAddress, $0.count)
        }
        if count <= 0 { break reading }
        pending.append(contentsOf: buffer[0..<count])
        while let newline = pending.firstIndex(of: 0x0A) {
          let line = String(decoding: pending[..<newline], as: UTF8.self)
          pending.removeSubrange(...newline)
          if line.hasPrefix("ok "), let index = Int(line.dropFirst(3)) {
            good.append(index)
            next = index + 1
          }
        }
      }
      if timedOut {
        process.terminate()
        skipped.append(next)
        next += 1
      }
      process.waitUntilExit()
      if !timedOut && process.terminationStatus != 0 {
        throw BenchError("screening demo patients: exited with status \(process.terminationStatus)")
      }
    }
    return (good, skipped)
  }

  func run(_ spec: String, dataset: String, events: Int, label: String) throws -> [Measurement] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    var arguments = [
      "--child", spec, "--work-dir", workDirectory, "--dataset", dataset, "--dataset-events",
      String(events),
    ]
    if !label.isEmpty { arguments += ["--label", label] }
    if quick { arguments.append("--quick") }
    if allowDebug { arguments.append("--allow-debug") }
    if let postgres, spec.hasPrefix("w8.") { arguments += ["--postgres", postgres] }
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let text = String(decoding: data, as: UTF8.self)
    guard process.terminationStatus == 0 else {
      throw BenchError("exited with status \(process.terminationStatus)")
    }
    guard
      let line = text.split(separator: "\n").last(where: { $0.hasPrefix(LedgerBench.resultMarker) })
    else {
      throw BenchError("printed no result")
    }
    return try JSONDecoder().decode(
      [Measurement].self, from: Data(line.dropFirst(LedgerBench.resultMarker.count).utf8))
  }
}

func printError(_ text: String) {
  FileHandle.standardError.write(Data((text + "\n").utf8))
}
