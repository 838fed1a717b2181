import Foundation
import LedgerTestSupport
import Testing

/// `treatment-ledger dea …` and `import` of a site's log, run as a user runs them.
@Suite("dea command") struct DEACommandTests {
  /// A store holding the schema examples: the demo patient and site main's log.
  func examples(_ label: String) throws -> LedgerCLI {
    let cli = LedgerCLI(label)
    try cli.succeed(["init"])
    let lines = try ProcessResult.run(
      "/usr/bin/env",
      [
        "python3", RepositoryPaths.root + "/Tools/schema-validate/examples_to_ndjson.py",
        "--inventory",
      ])
    try cli.succeed(["import", "-"], input: lines.stdout)
    return cli
  }

  @Test func balanceNowAndAsOfADate() throws {
    let cli = try examples("dea-balance")
    defer { cli.remove() }
    let now = try cli.succeed(["dea", "balance", "--site", "main", "--json"])
    let value = try JSONSerialization.jsonObject(with: Data(now.stdout.utf8)) as? [String: Any]
    let containers = value?["containers"] as? [[String: Any]] ?? []
    #expect(containers.map { $0["state"] as? String } == ["disposed", "lost"])
    #expect(containers.map { $0["balanceMg"] as? Double } == [0, 0])
    let before = try cli.succeed(["dea", "balance", "--site", "main", "--as-of", "2026-11-05"])
    #expect(before.stdout.contains("KV-0001"))
    #expect(before.stdout.contains("450.000"))
    #expect(before.stdout.contains("500.000"))
    let text = try cli.succeed(["dea", "balance", "--site", "main"])
    #expect(text.stdout.contains("next due 2028-10-01"))
    let bad = try cli.run(["dea", "balance", "--site", "main", "--as-of", "yesterday"])
    #expect(bad.status == 64)
  }

  @Test func reportVerifiesAndATamperedReportFails() throws {
    let cli = try examples("dea-report")
    defer { cli.remove() }
    let out = cli.directory.appending("report")
    let made = try cli.succeed([
      "dea", "report", "--site", "main", "--from", "2026-11-01T00:00:00-04:00", "--to",
      "2026-12-01T00:00:00-05:00", "--out", out, "--by", "inspector-7", "--reason", "inspection",
    ])
    #expect(made.stdout.contains("recorded in $audit"))
    let log = try cli.succeed(["audit", "log"])
    #expect(log.stdout.contains("inspection"))
    #expect(made.stdout.contains("administrations.csv  1 rows"))
    #expect(made.stdout.contains("counts.csv  0 rows"))
    try cli.succeed(["dea", "verify", out])
    // Beside the report, the site's whole stream as an audit export, which the audit verifiers
    // check like any export (with the store: against its $audit record).
    let swift = try cli.succeed(["audit", "verify", out + "/audit"])
    #expect(swift.stdout.hasPrefix("intact: "), "\(swift.stdout)")
    #expect(swift.stdout.contains("matches its record"), "\(swift.stdout)")
    let python = try ProcessResult.run(
      "/usr/bin/env", ["python3", out + "/audit/verify_export.py", out + "/audit"])
    #expect(python.status == 0, "\(python.stdout)\(python.stderr)")
    let manifest =
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: URL(fileURLWithPath: out + "/audit/manifest.json")))
      as? [String: Any]
    let filter = manifest?["filter"] as? [String: Any]
    #expect(filter?["stream"] as? String == "inventory-main" && filter?["patientId"] == nil)
    #expect((manifest?["anchors"] as? [String: Any])?["chain"] as? String == "stream")
    let administrations = try readCSV(out + "/administrations.csv")
    #expect(administrations.count == 2)
    #expect(administrations.last?.contains("3d43f4d0-b4ac-471c-b8a1-32618c1aca9e") == true)
    let path = out + "/administrations.csv"
    let text = try String(contentsOfFile: path, encoding: .utf8)
    try Data(text.replacingOccurrences(of: ",35,", with: ",3.5,").utf8)
      .write(to: URL(fileURLWithPath: path))
    let failed = try cli.run(["dea", "verify", out])
    #expect(failed.status == 4)
    #expect(failed.stderr.contains("administrations.csv"))
    let backwards = try cli.run([
      "dea", "report", "--site", "main", "--from", "2026-12-01", "--to", "2026-11-01", "--out", out,
      "--by", "inspector-7", "--reason", "inspection",
    ])
    #expect(backwards.status == 64)
  }

  @Test func importRefusesAWithdrawalThatDoesNotMatchItsDoseAndWritesNothingOfTheBatch() throws {
    let cli = LedgerCLI("dea-import")
    defer { cli.remove() }
    try cli.succeed(["init"])
    let lines = try ProcessResult.run(
      "/usr/bin/env",
      [
        "python3", RepositoryPaths.root + "/Tools/schema-validate/examples_to_ndjson.py",
        "--inventory",
      ])
    // The withdrawal of the example dose, claiming 36 mg of a 35 mg dose.
    let wrong = lines.stdout.replacingOccurrences(
      of: #""amountMg":35,"volumeMl":0.7"#, with: #""amountMg":36,"volumeMl":0.72"#)
    let refused = try cli.run(["import", "-"], input: wrong)
    #expect(refused.status == 65)
    #expect(refused.stderr.contains("stock.dose.amount"))
    #expect(try cli.stats().events == 0)
    // The withdrawal's line may come before its dose's line: a batch writes patients' streams
    // first. Order within each stream is kept.
    let all = lines.stdout.split(separator: "\n").map(String.init)
    let site = all.filter { $0.contains(#""streamId":"inventory-main""#) }
    let patient = all.filter { !site.contains($0) }
    try cli.succeed(["import", "-"], input: (site + patient).joined(separator: "\n") + "\n")
    #expect(try cli.stats().events == all.count)
  }
}
