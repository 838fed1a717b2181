import Foundation
import LedgerTestSupport
import Testing

/// `--help` and usage errors (exit 64), run through the built executable.
@Suite("treatment-ledger usage and help")
struct UsageTests {
  @Test func helpListsTheExitCodes() throws {
    let help = try ProcessResult.run(LedgerCLI.executable, ["--help"])
    #expect(help.status == 0)
    let text = help.stdout
    #expect(text.contains("Exit codes"))
    for (code, word) in [
      ("0", "success"), ("1", "storage"), ("3", "conflict"), ("4", "verification"),
      ("64", "usage"), ("65", "invalid input"), ("66", "no store"),
    ] {
      #expect(
        text.split(separator: "\n").contains { line in
          line.trimmingCharacters(in: .whitespaces).hasPrefix(code + " ") && line.contains(word)
        }, "exit code \(code) (\(word)) is listed")
    }
    for subcommand in ["init", "append", "import", "read", "verify", "stats"] {
      #expect(text.contains(subcommand), "subcommand \(subcommand) is listed")
    }
  }

  @Test func usageErrorsExit64() throws {
    let cli = LedgerCLI("usage")
    defer { cli.remove() }
    try cli.succeed(["init"])
    let input = try cli.write("one.ndjson", [EventLine.make(id: EventLine.id(1, 1))])
    let commands: [[String]] = [
      ["frobnicate"],
      ["append", input],  // no --stream
      ["append", "--stream", "cli-a", "--expected-version", "latest", input],
      ["import", "--batch-size", "0", input],
      ["read", "--stream", "cli-a", "--all"],
      ["read"],
      ["read", "--all", "--backward"],
      ["read", "--all", "--as-of", "yesterday"],
      ["read", "--all", "--as-of", "2026-11-23T09:30:00"],  // no offset
      ["verify", "--anchor-events", "3"],
      ["stats", "--unknown-flag"],
    ]
    for command in commands {
      let result = try cli.run(command)
      #expect(result.status == 64, "\(command): \(result.stderr)")
    }
    #expect(try cli.stats().events == 0)
  }
}
