import Foundation
import LedgerTestSupport
import Testing

/// Runs the built `LedgerReliability` executable with short settings. Each trial ends with the
/// line `N passed, M failed`; a test passes when the tool exits 0 and that line says 0 failed.
///
/// The trials spawn and kill their own child processes and use their own temporary folders, so
/// these tests may run in parallel with each other and with the rest of the suite.
@Suite("ledger-reliability trials")
struct ReliabilityToolTests {
  static let tool = RepositoryPaths.executable("LedgerReliability")

  /// The counts of the closing `N passed, M failed` line, when there is exactly one such line.
  static func closingCounts(_ output: String) -> (passed: Int, failed: Int)? {
    let lines = output.split(separator: "\n").filter {
      $0.hasSuffix(" failed") && $0.contains(" passed, ")
    }
    guard lines.count == 1, let line = lines.first, line == output.split(separator: "\n").last
    else { return nil }
    let words = line.split(separator: " ")
    guard words.count == 4, let passed = Int(words[0]), words[1] == "passed,",
      let failed = Int(words[2])
    else { return nil }
    return (passed, failed)
  }

  /// Runs the tool and checks exit status 0 and a closing line with `passed >= minimumPassed`
  /// and 0 failed. Returns standard output for further checks.
  @discardableResult
  static func expectPasses(_ arguments: [String], minimumPassed: Int) throws -> String {
    let result = try ProcessResult.run(tool, arguments)
    let context = Comment(
      rawValue:
        "\(arguments.joined(separator: " "))\n\(result.stdout)\n\(result.stderr.suffix(2_000))")
    #expect(result.status == 0, context)
    let counts = closingCounts(result.stdout)
    #expect(counts != nil, context)
    #expect((counts?.passed ?? 0) >= minimumPassed, context)
    #expect(counts?.failed == 0, context)
    return result.stdout
  }

  /// A figure line `label: N` (the number right after the label).
  static func figure(_ label: String, in output: String) -> Int? {
    guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix(label + ": ") })
    else { return nil }
    return Int(line.dropFirst(label.count + 2).prefix { $0.isNumber })
  }

  @Test("crash-trials, import mode: acknowledged batches survive SIGKILL", .timeLimit(.minutes(2)))
  func crashTrialsImport() throws {
    let output = try Self.expectPasses(
      ["crash-trials", "--trials", "10", "--mode", "import", "--max-kill-ms", "900"],
      minimumPassed: 10)
    let acknowledged = Self.figure("events acknowledged", in: output)
    #expect(
      acknowledged != nil && acknowledged == Self.figure("events found", in: output), "\(output)")
    #expect((acknowledged ?? 0) > 0, "no append was acknowledged before the kills: \(output)")
  }

  @Test(
    "crash-trials, appenders mode: concurrent single appends survive SIGKILL",
    .timeLimit(.minutes(2)))
  func crashTrialsAppenders() throws {
    let output = try Self.expectPasses(
      ["crash-trials", "--trials", "10", "--mode", "appenders", "--max-kill-ms", "900"],
      minimumPassed: 10)
    let acknowledged = Self.figure("events acknowledged", in: output)
    #expect(
      acknowledged != nil && acknowledged == Self.figure("events found", in: output), "\(output)")
    #expect((acknowledged ?? 0) > 0, "no append was acknowledged before the kills: \(output)")
  }

  @Test(
    "crash-trials, clinical mode: acknowledged events survive and projections equal a rebuild",
    .timeLimit(.minutes(2)))
  func crashTrialsClinical() throws {
    let output = try Self.expectPasses(
      ["crash-trials", "--trials", "8", "--mode", "clinical", "--max-kill-ms", "900"],
      minimumPassed: 8)
    let acknowledged = Self.figure("events acknowledged", in: output)
    #expect(
      acknowledged != nil && acknowledged == Self.figure("events found", in: output), "\(output)")
    #expect((acknowledged ?? 0) > 0, "no append was acknowledged before the kills: \(output)")
    #expect(
      (Self.figure("projection states compared with a rebuild after a kill", in: output) ?? 0) > 0,
      "\(output)")
    #expect(
      (Self.figure("review states compared with the log after a kill", in: output) ?? 0) > 0,
      "\(output)")
  }

  @Test(
    "multi-process: 4 processes on overlapping streams lose and duplicate nothing",
    .timeLimit(.minutes(2)))
  func multiProcess() throws {
    let output = try Self.expectPasses(
      ["multi-process", "--processes", "4", "--events-per-process", "150"], minimumPassed: 8)
    #expect(Self.figure("events acknowledged", in: output) == 600, "\(output)")
    #expect((Self.figure("conflicts reported to callers", in: output) ?? 0) > 0, "\(output)")
  }

  @Test(
    "map-growth: a store opened with a 64 KiB map grows without a failed append",
    .timeLimit(.minutes(2)))
  func mapGrowth() throws {
    let output = try Self.expectPasses(["map-growth", "--events", "20000"], minimumPassed: 5)
    #expect((Self.figure("final map size", in: output) ?? 0) > 64 << 10, "\(output)")
  }

  @Test(
    "disk-full: a clear storage error, an intact store, appends again once room is freed",
    .timeLimit(.minutes(2)))
  func diskFull() throws {
    let result = try ProcessResult.run(Self.tool, ["disk-full"])
    if result.status == 77 {
      try Test.cancel("disk-full could not run on this machine: \(result.stdout)")
    }
    #expect(result.stdout.contains("method: "), "\(result.stdout)")
    #expect(result.status == 0, "\(result.stdout)\n\(result.stderr.suffix(2_000))")
    let counts = Self.closingCounts(result.stdout)
    #expect(counts?.failed == 0 && (counts?.passed ?? 0) >= 10, "\(result.stdout)")
  }

  @Test(
    "tamper: every flipped byte, deletion, reordering, truncation and index change is detected",
    .timeLimit(.minutes(3)))
  func tamper() throws {
    let output = try Self.expectPasses(
      ["tamper", "--patients", "3", "--flips", "40", "--cases", "4"], minimumPassed: 6)
    #expect(output.contains("flip one byte of a stored event: 40 of 40 detected"), "\(output)")
    #expect(output.contains("detected: 56 of 56 tampered stores"), "\(output)")
  }

  @Test(
    "maintenance: concurrent rebuilds, catch-ups and appends keep the derived state exact",
    .timeLimit(.minutes(4)))
  func maintenance() throws {
    let output = try Self.expectPasses(
      ["maintenance", "--rounds", "2", "--rebuilders", "3", "--patients", "8", "--seed", "5"],
      minimumPassed: 14)
    // Round 0 kills nobody, so one of its rebuilders holds the claim and completes; in round 1
    // the killed rebuilder may be the one holding it, and then none of that round completes.
    #expect((Self.figure("rebuilds completed", in: output) ?? 0) >= 1, "\(output)")
    // Whether the kill lands before the victim ends depends on timing; the checks above hold
    // either way (a last rebuild is never refused, so a killed holder released its claim).
    #expect(Self.figure("rebuilds killed midway", in: output) != nil, "\(output)")
    #expect((Self.figure("per-stream derived states compared with the log", in: output) ?? 0) > 0)
  }

  @Test(
    "damaged: truncated, empty, zeroed, random and foreign files give errors, never signals",
    .timeLimit(.minutes(4)))
  func damaged() throws {
    let output = try Self.expectPasses(
      ["damaged", "--cases", "7", "--seed", "9"], minimumPassed: 42)
    #expect(Self.figure("operations ended by a signal", in: output) == 0, "\(output)")
  }

  @Test("the help lists the seven trials and hides the child subcommands")
  func help() throws {
    let result = try ProcessResult.run(Self.tool, ["--help"])
    #expect(result.status == 0)
    for name in [
      "crash-trials", "multi-process", "map-growth", "disk-full", "tamper", "maintenance",
      "damaged",
    ] {
      #expect(result.stdout.contains(name), "\(name) missing from --help")
    }
    #expect(!result.stdout.contains("-child"), "a child subcommand is shown in --help")
  }

  @Test("a usage error exits 64 without running a trial")
  func usageError() throws {
    let result = try ProcessResult.run(Self.tool, ["crash-trials", "--trials", "0"])
    #expect(result.status == 64, "\(result.stdout) \(result.stderr)")
    #expect(Self.closingCounts(result.stdout) == nil)
  }
}
