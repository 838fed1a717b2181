import Foundation
import LedgerTestSupport
import Testing

/// `hold place|release|list` and `retention due|show` on a demo store (docs/RETENTION.md).
@Suite("retention and hold commands")
struct RetentionCommandTests {
  static func json(_ text: String) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(text.utf8))
  }

  static func dueIds(_ cli: LedgerCLI, _ extra: [String] = []) throws -> [String] {
    let out = try cli.succeed(["retention", "due", "--as-of", "2040-01-01", "--json"] + extra)
    let list = try #require(try json(out.stdout) as? [[String: Any]])
    return list.compactMap { $0["patientId"] as? String }
  }

  @Test func holdsBlockDueUntilReleasedAndRefusalsExit65() throws {
    let cli = LedgerCLI("retention")
    defer { cli.remove() }
    try cli.succeed(["demo", "--patients", "3", "--seed", "1"])
    #expect(try Self.dueIds(cli) == ["demo-0001", "demo-0002", "demo-0003"])
    let early = try cli.succeed(["retention", "due", "--as-of", "2030-01-01"])
    #expect(early.stdout.contains("0 patients due for erasure as of 2030-01-01"))
    let placed = try cli.succeed([
      "hold", "place", "--hold-id", "m-1", "--scope", "demo-0002", "--reason", "Counsel request",
      "--by", "staff-0012", "--occurred-at", "2026-11-20T09:00:00-05:00",
    ])
    #expect(placed.stdout.contains("hold m-1 placed on demo-0002"))
    #expect(try Self.dueIds(cli) == ["demo-0001", "demo-0003"])
    let duplicate = try cli.run([
      "hold", "place", "--hold-id", "m-1", "--scope", "all", "--reason", "Again", "--by", "s",
    ])
    #expect(duplicate.status == 65)
    #expect(duplicate.stderr.contains("hold.holdId.duplicate"))
    let unknown = try cli.run([
      "hold", "release", "--hold-id", "m-9", "--reason", "Closed", "--by", "s",
    ])
    #expect(unknown.status == 65)
    #expect(unknown.stderr.contains("hold.release.unknown"))
    let shown = try cli.succeed([
      "retention", "show", "--patient", "demo-0002", "--as-of", "2040-01-01",
    ])
    #expect(shown.stdout.contains("legal holds in force: m-1"))
    #expect(shown.stdout.hasSuffix("held\n"))
    let listed = try #require(
      try Self.json(try cli.succeed(["hold", "list", "--json"]).stdout) as? [[String: Any]])
    #expect(listed.count == 1)
    #expect(listed.first?["inForce"] as? Bool == true)
    #expect((listed.first?["placed"] as? [String: Any])?["reason"] as? String == "Counsel request")
    try cli.succeed([
      "hold", "release", "--hold-id", "m-1", "--reason", "Matter closed", "--by", "staff-0012",
    ])
    #expect(try Self.dueIds(cli) == ["demo-0001", "demo-0002", "demo-0003"])
    #expect(try cli.succeed(["hold", "list", "--in-force"]).stdout == "no legal holds\n")
    // The hold rules' state is derived state `verify` recomputes: 3 patients, the site, holds.
    let verified = try cli.succeed(["verify"]).stdout
    #expect(verified.contains("review state agrees with the log for 5 streams"), "\(verified)")
  }

  @Test func aPolicyLengthensThePeriodsAndAShorterOneIsRefused() throws {
    let cli = LedgerCLI("retention-policy")
    defer { cli.remove() }
    try cli.succeed(["demo", "--patients", "2", "--seed", "1"])
    let longer = try cli.write(
      "longer.json", [#"{"policyVersion":"p-30","controlledSubstances":{"yearsAfterEvent":30}}"#])
    let out = try cli.succeed([
      "retention", "show", "--patient", "demo-0001", "--policy", longer, "--json",
    ])
    let status = try #require(try Self.json(out.stdout) as? [String: Any])
    let governing = try #require(status["governing"] as? [String: Any])
    #expect(governing["rule"] as? String == "controlledSubstances")
    #expect((governing["description"] as? String)?.contains("policy p-30") == true)
    let rules = (status["periods"] as? [[String: Any]])?.compactMap { $0["rule"] as? String }
    #expect(rules == ["adult", "controlledSubstances"])
    #expect(try Self.dueIds(cli, ["--policy", longer]).isEmpty)
    let shorter = try cli.write(
      "shorter.json", [#"{"policyVersion":"p","adults":{"yearsAfterLastEvent":6}}"#])
    let refused = try cli.run(["retention", "due", "--policy", shorter])
    #expect(refused.status == 65)
    #expect(refused.stderr.contains("adults.yearsAfterLastEvent"))
    #expect(refused.stderr.contains("at least 10"))
    let nobody = try cli.run(["retention", "show", "--patient", "nobody"])
    #expect(nobody.status == 65)
  }
}
