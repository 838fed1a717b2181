import Foundation
import LedgerTestSupport
import Testing

/// The benchmark tool of issue 7 (`Tools/ledger-bench`): its quick run must keep working and keep
/// printing the table. The figures of a debug build mean nothing, so only the shape is checked.
@Suite("ledger-bench") struct BenchTests {
  static let executable = RepositoryPaths.executable("LedgerBench")

  @Test func quickRunPrintsTheTableAndWritesJSON() throws {
    let directory = TemporaryDirectory("bench")
    defer { directory.remove() }
    let json = directory.appending("bench.json")
    let result = try ProcessResult.run(
      Self.executable,
      ["--quick", "--allow-debug", "--json", json, "--work-dir", directory.appending("work")])
    #expect(result.status == 0, "\(result.stderr)")
    let table = result.stdout
    for line in [
      "workload / system", "events/s", "p50 ms", "p99 ms", "peak RSS", "disk B/ev",
      "1 single durable appends, 1 appender", "2 single durable appends, 8 concurrent appenders",
      "3 import in large batches (", "4 rebuild of all projections",
      "5 1,000-event patient: timeline and summary reads", "6 audit export (",
      "TreatmentLedger timeline", "TreatmentLedger summary", "raw LMDB stream read",
      "SQLite NORMAL", "SQLite FULL", "TL/raw LMDB", "TL/SQLite FULL", "Targets of issue 7",
      "7 long patient: single durable appends to one patient", "TreatmentLedger at 100 events",
      "TreatmentLedger at \(Self.longest) events", "raw LMDB at \(Self.longest) events",
      "→ per append, TL at 100 events", "→ TL p50 at \(Self.longest) / p50 at 100 events",
      "long patient: p50 at \(Self.longest) events ≤ 1.2× p50 at 100 events",
    ] {
      #expect(table.contains(line), "missing from the table: \(line)")
    }
    if BenchTests.isDebugBuild { #expect(table.contains("DEBUG BUILD")) }
    #expect(!table.contains("FAILED:"))

    let data = try Data(contentsOf: URL(fileURLWithPath: json))
    let report = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    #expect(report["mode"] as? String == "quick")
    let results = try #require(report["results"] as? [[String: Any]])
    for workload in 1...7 {
      let systems = Set(
        results.filter { $0["workload"] as? Int == workload }.compactMap { $0["system"] as? String }
      )
      var expected: Set<String> = ["TreatmentLedger", "raw LMDB"]
      if workload != 7 { expected.insert("SQLite FULL") }
      #expect(systems.isSuperset(of: expected), "workload \(workload): \(systems)")
    }
    #expect(results.allSatisfy { ($0["eventsPerSecond"] as? Double ?? 0) > 0 })
    #expect(results.allSatisfy { ($0["peakRSSBytes"] as? Int ?? 0) > 0 })
    let targets = try #require(report["targets"] as? [[String: Any]])
    #expect(targets.count >= 8)
    #expect(targets.contains { $0["workload"] as? Int == 7 && $0["met"] is Bool })
    try Self.checkLongPatient(results, sizes: report["sizes"] as? [String: Any])
    // The work folder given is emptied of the stores afterwards.
    let left =
      (try? FileManager.default.contentsOfDirectory(atPath: directory.appending("work"))) ?? []
    #expect(!left.contains("dataset"))
  }

  /// Workload 7's JSON: one figure per system and history length asked, with sane latencies and
  /// per-append byte counts (a debug build's figures are not measurements: no timing is asserted).
  static func checkLongPatient(_ results: [[String: Any]], sizes: [String: Any]?) throws {
    let histories = try #require(sizes?["longPatientHistories"] as? [Int])
    let appends = try #require(sizes?["longPatientAppends"] as? Int)
    #expect(histories == (isDebugBuild ? [100, 300] : [100, 1_000, 3_000]))
    #expect(appends > 0)
    for system in ["TreatmentLedger", "raw LMDB"] {
      let rows = results.filter { $0["workload"] as? Int == 7 && $0["system"] as? String == system }
      #expect(rows.compactMap { $0["historyEvents"] as? Int } == histories, "\(system)")
      for row in rows {
        let p50 = try #require(row["p50Micros"] as? Double)
        let p99 = try #require(row["p99Micros"] as? Double)
        #expect(p50 > 0 && p99 >= p50, "\(system)")
        #expect(row["operations"] as? Int == appends)
        #expect(row["events"] as? Int == appends)
        let pageSize = try #require(row["pageSize"] as? Int)
        #expect(pageSize >= 512)
        // Every durable commit writes at least one page, and each append is one commit.
        let written = try #require(row["writtenBytesPerAppend"] as? Double)
        #expect(written >= Double(pageSize), "\(system): \(written) bytes written per append")
        #expect((row["pagesWrittenPerAppend"] as? Double ?? 0) >= 1)
        #expect((row["writeCallsPerAppend"] as? Double ?? 0) >= 1)
        #expect(
          row["transactionsPerAppend"] as? Double == 1, "\(system): one transaction per append")
        #expect((row["allocatedBytesPerAppend"] as? Double ?? -1) >= 0)
        #expect((row["fileBytesPerAppend"] as? Double ?? -1) >= 0)
        #expect((row["cpuMicrosPerAppend"] as? Double ?? 0) > 0, "\(system): CPU per append")
      }
    }
  }

  @Test func unknownWorkloadsAreRefused() throws {
    let result = try ProcessResult.run(Self.executable, ["--workloads", "1,9", "--allow-debug"])
    #expect(result.status != 0)
    #expect(result.stderr.contains("--workloads takes numbers from 1 to 8"))
    let serverless = try ProcessResult.run(
      Self.executable, ["--workloads", "8", "--allow-debug"],
      environment: ["TREATMENT_LEDGER_POSTGRES_URL": ""])
    #expect(serverless.status != 0)
    #expect(serverless.stderr.contains("workload 8 (forwarding) needs --postgres URL"))
  }

  /// Workload 8 against the server `.ci/run` starts: forward --once beside a binary COPY of the
  /// same rows, and the lag under a steady append load, each in a database of its own.
  @Test(
    .enabled(
      if: ProcessInfo.processInfo.environment["TREATMENT_LEDGER_POSTGRES_URL"] != nil,
      "needs TREATMENT_LEDGER_POSTGRES_URL"))
  func workloadEightForwardsBesideCopy() throws {
    let directory = TemporaryDirectory("bench8")
    defer { directory.remove() }
    let json = directory.appending("bench.json")
    let result = try ProcessResult.run(
      Self.executable,
      [
        "--quick", "--allow-debug", "--workloads", "8", "--json", json, "--work-dir",
        directory.appending("work"),
      ])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.contains("8 forwarding to the central PostgreSQL"))
    #expect(result.stdout.contains("forward --once ≥ 0.5× a binary COPY"))
    let data = try Data(contentsOf: URL(fileURLWithPath: json))
    let report = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    let results = try #require(report["results"] as? [[String: Any]])
    let operations = Set(results.compactMap { $0["operation"] as? String })
    #expect(operations == ["forward --once", "binary COPY", "lag at 100 events/s"])
    for row in results {
      #expect((row["events"] as? Int ?? 0) > 0, "\(row)")
      #expect((row["eventsPerSecond"] as? Double ?? 0) > 0, "\(row)")
    }
    let lag = try #require(results.first { $0["operation"] as? String == "lag at 100 events/s" })
    #expect((lag["p50Micros"] as? Double ?? 0) > 0)
  }

  @Test func workloadSevenAloneRunsAndListsItsFigures() throws {
    let directory = TemporaryDirectory("bench7")
    defer { directory.remove() }
    let json = directory.appending("bench.json")
    let result = try ProcessResult.run(
      Self.executable,
      [
        "--quick", "--allow-debug", "--workloads", "7", "--json", json, "--work-dir",
        directory.appending("work"),
      ])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.contains("7 long patient"))
    #expect(!result.stdout.contains("1 single durable appends, 1 appender"))
    // Workload 7 makes its own stores: the data set of workloads 3–6 is not imported.
    #expect(!result.stderr.contains("prepare."), "\(result.stderr)")
    let data = try Data(contentsOf: URL(fileURLWithPath: json))
    let report = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    #expect(report["workloads"] as? [Int] == [7])
    let results = try #require(report["results"] as? [[String: Any]])
    #expect(results.allSatisfy { $0["workload"] as? Int == 7 })
    try Self.checkLongPatient(results, sizes: report["sizes"] as? [String: Any])
  }

  @Test(.enabled(if: BenchTests.isDebugBuild, "a release build measures without --allow-debug"))
  func aDebugBuildRefusesToMeasureWithoutAllowDebug() throws {
    let result = try ProcessResult.run(Self.executable, ["--quick"])
    #expect(result.status == 2)
    #expect(result.stderr.contains("debug build"))
  }

  /// Workload 7's longest history in a quick run, as the table prints it.
  static var longest: String { isDebugBuild ? "300" : "3,000" }

  static var isDebugBuild: Bool {
    #if DEBUG
      return true
    #else
      return false
    #endif
  }
}
