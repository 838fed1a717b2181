import Foundation
import LedgerTestSupport
import Testing

@Suite("the auditor's path") struct AuditorPathTests {
  /// The README's auditor procedure, as written, on a demo store made in the same directory.
  @Test func theReadmeProcedureRunsAsWrittenOnTheDemoStore() throws {
    let readme = try String(contentsOfFile: RepositoryPaths.root + "/README.md", encoding: .utf8)
    let marker = try #require(readme.range(of: "<!-- auditor-procedure"))
    let rest = readme[marker.upperBound...]
    let open = try #require(rest.range(of: "```sh\n"))
    let close = try #require(rest[open.upperBound...].range(of: "```"))
    let block = String(rest[open.upperBound..<close.lowerBound])
    #expect(block.contains("treatment-ledger audit export"))

    let directory = TemporaryDirectory("readme-procedure")
    defer { directory.remove() }
    let demo = try runShell("treatment-ledger demo --patients 4 > /dev/null", in: directory.path)
    try #require(demo.status == 0, "\(demo.stderr)")
    let result = try runShell(block, in: directory.path)
    #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    #expect(!result.stderr.contains("warning"), "\(result.stderr)")
    #expect(result.stdout.contains("exported "))
    #expect(result.stdout.contains("recorded at "))
    #expect(result.stdout.contains("intact: "))
    #expect(result.stdout.contains("(matches the given SHA-256)"))
    // The manifest's SHA-256 of step 3 is the one the log lists.
    let lines = result.stdout.split(separator: "\n")
    let sum = try #require(lines.first { $0.hasSuffix("export-2026/manifest.json") }).prefix(64)
    #expect(lines.contains { $0.hasPrefix("20") && $0.contains(" \(sum) ") })

    // The README's recorded-time example, and the past range it warns about.
    let today = try runShell(
      #"treatment-ledger audit export --out entered-today --by u-417 --reason "entries of the day" --from "$(date -u +%Y-%m-%dT00:00:00Z)""#,
      in: directory.path)
    #expect(today.status == 0, "\(today.stderr)")
    #expect(!today.stdout.contains("exported 0 events"), "\(today.stdout)")
  }

  @Test func anExportOfNothingWarnsAndRequireEventsRefusesIt() throws {
    let cli = LedgerCLI("auditor-empty")
    defer { cli.remove() }
    try cli.succeed(["demo", "--patients", "2"])
    let export = ["audit", "export", "--by", "u-417", "--reason", "annual review"]
    let past = ["--from", "2026-01-01T00:00:00Z", "--to", "2026-12-01T00:00:00Z"]

    let warned = try cli.run(export + ["--out", cli.directory.appending("past")] + past)
    #expect(warned.status == 0, "\(warned.stderr)")
    #expect(warned.stdout.contains("exported 0 events"))
    #expect(warned.stderr.contains("warning: the export selects 0 events"))
    #expect(warned.stderr.contains("add --occurred"))

    let required = cli.directory.appending("required")
    let refused = try cli.run(export + ["--out", required, "--require-events"] + past)
    #expect(refused.status == 65)
    #expect(refused.stderr.contains("nothing was exported or recorded"))
    #expect(!FileManager.default.fileExists(atPath: required + "/manifest.json"))

    let nobody = try cli.run(
      export + [
        "--out", cli.directory.appending("nobody"), "--patient", "nobody", "--require-events",
      ])
    #expect(nobody.status == 65)
    #expect(nobody.stderr.contains("no patient nobody"))
    let unknown = try cli.run(
      export + ["--out", cli.directory.appending("unknown"), "--patient", "nobody"])
    #expect(unknown.status == 0)
    #expect(unknown.stderr.contains("warning: the store holds no patient nobody"))

    // Only the two exports made without --require-events are recorded.
    let log = try cli.succeed(["audit", "log"]).stdout.split(separator: "\n")
    #expect(log.count == 3, "\(log)")

    // With --occurred the same range selects the demo's events, and the verifier comes along.
    let occurred = cli.directory.appending("occurred")
    let made = try cli.run(export + ["--out", occurred, "--occurred", "--require-events"] + past)
    #expect(made.status == 0, "\(made.stderr)")
    #expect(!made.stderr.contains("warning"))
    let copy = try String(contentsOfFile: occurred + "/verify_export.py", encoding: .utf8)
    let original = try String(
      contentsOfFile: RepositoryPaths.root + "/Tools/audit-verify/verify_export.py", encoding: .utf8
    )
    #expect(copy == original)
    let verified = try ProcessResult.run(
      "/usr/bin/env", ["python3", occurred + "/verify_export.py", occurred])
    #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
  }

  @Test func bothVerifiersReportProgressOffATerminalEveryNEvents() throws {
    let cli = LedgerCLI("auditor-progress")
    defer { cli.remove() }
    try cli.succeed(["demo", "--patients", "3"])
    let out = cli.directory.appending("all")
    try cli.succeed(["audit", "export", "--out", out, "--by", "u-417", "--reason", "review"])
    let python = try ProcessResult.run(
      "/usr/bin/env", ["python3", out + "/verify_export.py", out, "--progress-every", "50"])
    #expect(python.status == 0)
    let lines = python.stderr.split(separator: "\n").filter { $0.hasPrefix("verified ") }
    #expect(lines.first?.hasPrefix("verified 50 of ") == true, "\(python.stderr)")
    #expect(lines.count >= 2)
    #expect(python.stdout.hasPrefix("intact: "))
    let quiet = try ProcessResult.run(
      "/usr/bin/env", ["python3", out + "/verify_export.py", out, "--progress-every", "0"])
    #expect(quiet.stderr.isEmpty)
  }
}
