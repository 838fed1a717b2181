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
    ] {
      #expect(table.contains(line), "missing from the table: \(line)")
    }
    if BenchTests.isDebugBuild { #expect(table.contains("DEBUG BUILD")) }
    #expect(!table.contains("FAILED:"))

    let data = try Data(contentsOf: URL(fileURLWithPath: json))
    let report = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    #expect(report["mode"] as? String == "quick")
    let results = try #require(report["results"] as? [[String: Any]])
    for workload in 1...6 {
      let systems = Set(
        results.filter { $0["workload"] as? Int == workload }.compactMap { $0["system"] as? String }
      )
      #expect(
        systems.isSuperset(of: ["TreatmentLedger", "raw LMDB", "SQLite FULL"]),
        "workload \(workload): \(systems)")
    }
    #expect(results.allSatisfy { ($0["eventsPerSecond"] as? Double ?? 0) > 0 })
    #expect(results.allSatisfy { ($0["peakRSSBytes"] as? Int ?? 0) > 0 })
    let targets = try #require(report["targets"] as? [[String: Any]])
    #expect(targets.count >= 7)
    // The work folder given is emptied of the stores afterwards.
    let left =
      (try? FileManager.default.contentsOfDirectory(atPath: directory.appending("work"))) ?? []
    #expect(!left.contains("dataset"))
  }

  @Test func unknownWorkloadsAreRefused() throws {
    let result = try ProcessResult.run(Self.executable, ["--workloads", "1,7", "--allow-debug"])
    #expect(result.status != 0)
    #expect(result.stderr.contains("--workloads takes numbers from 1 to 6"))
  }

  @Test(.enabled(if: BenchTests.isDebugBuild, "a release build measures without --allow-debug"))
  func aDebugBuildRefusesToMeasureWithoutAllowDebug() throws {
    let result = try ProcessResult.run(Self.executable, ["--quick"])
    #expect(result.status == 2)
    #expect(result.stderr.contains("debug build"))
  }

  static var isDebugBuild: Bool {
    #if DEBUG
      return true
    #else
      return false
    #endif
  }
}
