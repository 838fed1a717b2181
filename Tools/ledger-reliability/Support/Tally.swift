import ArgumentParser
import Foundation

/// Counts passed and failed checks and prints the closing line every subcommand ends with.
struct Tally {
  private(set) var passed = 0
  private(set) var failed = 0

  /// Records one check; a failed one is printed at once with `label` and `detail`.
  mutating func check(_ ok: Bool, _ label: String, _ detail: @autoclosure () -> String = "") {
    if ok {
      passed += 1
    } else {
      failed += 1
      let extra = detail()
      print("FAIL: \(label)" + (extra.isEmpty ? "" : ": \(extra)"))
    }
  }

  /// Records a list of problems as one check: passed when there are none.
  mutating func check(problems: [String], _ label: String) {
    check(problems.isEmpty, label, Self.summary(problems))
  }

  /// The first few problems of a list, and how many more there were.
  static func summary(_ problems: [String], limit: Int = 5) -> String {
    let shown = problems.prefix(limit).joined(separator: "; ")
    return problems.count > limit ? shown + " (and \(problems.count - limit) more)" : shown
  }

  /// Prints `N passed, M failed` alone on a line; throws exit code 1 when a check failed.
  func finish() throws {
    print("\(passed) passed, \(failed) failed")
    if failed > 0 { throw ExitCode.failure }
  }
}

/// Writes a diagnostic line to standard error (figures go to standard output).
func diagnose(_ message: String) {
  FileHandle.standardError.write(Data(("ledger-reliability: " + message + "\n").utf8))
}
