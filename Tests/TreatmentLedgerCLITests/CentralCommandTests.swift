import Foundation
import LedgerTestSupport
import Testing

/// A database of its own on the server `.ci/run` starts (`TREATMENT_LEDGER_POSTGRES_URL`), made and
/// read with `psql`; no mock stands in for PostgreSQL.
struct CentralCLIDatabase {
  static let adminURL = ProcessInfo.processInfo.environment["TREATMENT_LEDGER_POSTGRES_URL"]
  static var configured: Bool { adminURL != nil }
  let name: String
  let url: String

  init() throws {
    let admin = try #require(Self.adminURL)
    name = "tl_cli_" + UUID().uuidString.prefix(8).lowercased()
    _ = try Self.psql(admin, "CREATE DATABASE \(name)")
    var components = try #require(URLComponents(string: admin))
    components.path = "/" + name
    url = try #require(components.string)
  }

  /// The first value `sql` prints (unaligned, tuples only).
  static func psql(_ url: String, _ sql: String) throws -> String {
    let result = try ProcessResult.run(
      "/usr/bin/psql", [url, "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql])
    guard result.status == 0 else {
      throw CLIFailure(description: "psql exited \(result.status): \(result.stderr)")
    }
    return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
  }

  func value(_ sql: String) throws -> String { try Self.psql(url, sql) }

  func drop() {
    guard let admin = Self.adminURL else { return }
    _ = try? Self.psql(admin, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
  }
}

@Suite(
  .enabled(if: CentralCLIDatabase.configured, "needs TREATMENT_LEDGER_POSTGRES_URL"),
  .timeLimit(.minutes(5)))
struct CentralCommandTests {
  @Test func demoClinicsForwardVerifyAndShowTheirStatus() throws {
    let central = try CentralCLIDatabase()
    defer { central.drop() }
    var counts: [String: UInt64] = [:]
    var clis: [String: LedgerCLI] = [:]
    defer { for cli in clis.values { cli.remove() } }
    for (seed, clinic) in [(1, "north"), (2, "south")] {
      let cli = LedgerCLI("central-\(clinic)")
      clis[clinic] = cli
      try cli.succeed(["demo", "--patients", "3", "--seed", "\(seed)"])
      let forwarded = try cli.succeed([
        "forward", "--postgres", central.url, "--clinic", clinic, "--once", "--batch", "50",
      ])
      counts[clinic] = try cli.stats().events
      #expect(
        forwarded.stdout.contains("forwarded \(counts[clinic] ?? 0) events of clinic \(clinic)"))
      // Again: nothing new.
      #expect(
        try cli.succeed(["forward", "--postgres", central.url, "--clinic", clinic, "--once"])
          .stdout.contains("forwarded 0 events"))
    }
    let verified = try ProcessResult.run(
      LedgerCLI.executable, ["central", "verify", "--postgres", central.url])
    #expect(verified.status == 0, "\(verified.stderr)")
    #expect(verified.stdout.contains("clinic north: OK, \(counts["north"] ?? 0) events"))
    #expect(verified.stdout.contains("clinic south: OK, \(counts["south"] ?? 0) events"))
    let status = try ProcessResult.run(
      LedgerCLI.executable, ["central", "status", "--json"],
      environment: ProcessInfo.processInfo.environment.merging(
        ["TREATMENT_LEDGER_POSTGRES_URL": central.url]) { $1 })
    #expect(status.status == 0, "\(status.stderr)")
    #expect(status.stdout.contains(#""eventsBehind":0"#))

    // The outcome report opens each clinic's data with its key file; a clinic without one is
    // refused by name (exit 64).
    let keys = ["north", "south"].map {
      "--clinic-key=\($0)=" + (clis[$0]?.store ?? "") + ".kek"
    }
    let report = try ProcessResult.run(
      LedgerCLI.executable, ["central", "report", "outcomes", "--postgres", central.url] + keys)
    #expect(report.status == 0, "\(report.stderr)")
    #expect(report.stdout.contains("clinic north: 3 patients read, 0 erased, 0 unreadable"))
    #expect(report.stdout.contains("clinic south: 3 patients read, 0 erased, 0 unreadable"))
    #expect(report.stdout.contains("  drug  route  courses  instrument  assessed  response"))
    let keyless = try ProcessResult.run(
      LedgerCLI.executable,
      ["central", "report", "outcomes", "--postgres", central.url, keys[0], "--json"])
    #expect(keyless.status == 64)
    #expect(keyless.stderr.contains("no key-encryption key for clinic 'south'"))

    // A compliance officer exports a clinic from the central copy alone; both verifiers accept it.
    let exports = TemporaryDirectory("central-exports")
    defer { exports.remove() }
    let out = exports.appending("north")
    let exported = try ProcessResult.run(
      LedgerCLI.executable,
      [
        "central", "audit", "export", "--postgres", central.url, "--clinic", "north", "--out", out,
        "--by", "u-9", "--reason", "chain review",
      ])
    #expect(exported.status == 0, "\(exported.stderr)")
    #expect(exported.stdout.contains("exported \(counts["north"] ?? 0) events of clinic north"))
    let audited = try ProcessResult.run(LedgerCLI.executable, ["audit", "verify", out])
    #expect(audited.status == 0, "\(audited.stdout)\(audited.stderr)")
    let python = try ProcessResult.run("/usr/bin/env", ["python3", out + "/verify_export.py", out])
    #expect(python.status == 0, "\(python.stdout)\(python.stderr)")

    // A changed row: central verify names its position and exits 4.
    _ = try central.value(
      "UPDATE treatment_ledger.events SET envelope = envelope || '\\x20'::bytea "
        + "WHERE clinic_id = 'south' AND global_position = 5")
    let failed = try ProcessResult.run(
      LedgerCLI.executable, ["central", "verify", "--postgres", central.url, "--clinic", "south"])
    #expect(failed.status == 4)
    #expect(failed.stdout.contains("first bad position: 5"))
    let unknown = try ProcessResult.run(
      LedgerCLI.executable, ["central", "verify", "--postgres", central.url, "--clinic", "west"])
    #expect(unknown.status == 64)
    #expect(unknown.stderr.contains("no clinic 'west'"))
  }

  /// kill -9 of the forwarder at random instants while the clinic appends (another process):
  /// afterwards every committed event is in PostgreSQL exactly once and central verify passes.
  /// `TREATMENT_LEDGER_KILL_TRIALS` sets the number of kills (3 by default; the long run in
  /// docs/CENTRAL.md used 100).
  @Test func killedForwardersResumeWithNothingLostOrDuplicated() async throws {
    let trials = Int(ProcessInfo.processInfo.environment["TREATMENT_LEDGER_KILL_TRIALS"] ?? "") ?? 3
    let central = try CentralCLIDatabase()
    defer { central.drop() }
    let cli = LedgerCLI("central-kill")
    defer { cli.remove() }
    try cli.succeed(["init"])
    var generator = SeededGenerator(seed: 20)
    var appended = 0
    var group = 0
    for trial in 0..<trials {
      let forwarder = try MultiProcessTests.Started.start(
        [
          "forward", "--postgres", central.url, "--clinic", "kill", "--batch", "13", "--store",
          cli.store,
        ],
        in: cli.directory, name: "forward-\(trial)")
      // The clinic appends while the forwarder runs; the kill comes at a random instant.
      let imports = Int.random(in: 1...3, using: &generator)
      for _ in 0..<imports {
        group += 1
        let count = Int.random(in: 5...60, using: &generator)
        let file = try cli.write(
          "batch-\(group).ndjson",
          EventLine.generate(count: count, streams: 5, group: group, prefix: "cli-kill"))
        try cli.succeed(["import", file])
        appended += count
      }
      try await Task.sleep(for: .milliseconds(Int.random(in: 0...250, using: &generator)))
      kill(forwarder.process.processIdentifier, SIGKILL)
      forwarder.process.waitUntilExit()
    }
    // A last run catches up. (The killed forwarder's session may linger for an instant.)
    var last = try cli.run(["forward", "--postgres", central.url, "--clinic", "kill", "--once"])
    for _ in 0..<50 where last.status == 3 && last.stderr.contains("another forwarder") {
      try await Task.sleep(for: .milliseconds(100))
      last = try cli.run(["forward", "--postgres", central.url, "--clinic", "kill", "--once"])
    }
    #expect(last.status == 0, "\(last.stderr)")
    let events = try cli.stats().events
    #expect(events == UInt64(appended))
    #expect(try central.value("SELECT count(*) FROM treatment_ledger.events") == "\(events)")
    #expect(
      try central.value("SELECT count(DISTINCT global_position) FROM treatment_ledger.events")
        == "\(events)")
    #expect(
      try central.value("SELECT head_position + 1 FROM treatment_ledger.clinics") == "\(events)")
    let verified = try ProcessResult.run(
      LedgerCLI.executable, ["central", "verify", "--postgres", central.url, "--clinic", "kill"])
    #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
    print("kill -9 trials: \(trials), events: \(events), central verify exit \(verified.status)")
  }

  @Test func aSecondForwarderAndARestoredStoreAreRefused() async throws {
    let central = try CentralCLIDatabase()
    defer { central.drop() }
    let cli = LedgerCLI("central-refuse")
    defer { cli.remove() }
    try cli.succeed(["init"])
    try cli.succeed([
      "import", try cli.write("a.ndjson", EventLine.generate(count: 20, streams: 2)),
    ])
    let backup = cli.directory.appending("backup")
    try FileManager.default.copyItem(atPath: cli.store, toPath: backup)
    try cli.succeed([
      "import", try cli.write("b.ndjson", EventLine.generate(count: 10, streams: 2, group: 2)),
    ])
    let first = try MultiProcessTests.Started.start(
      ["forward", "--postgres", central.url, "--clinic", "one", "--store", cli.store],
      in: cli.directory, name: "first")
    defer {
      kill(first.process.processIdentifier, SIGKILL)
      first.process.waitUntilExit()
    }
    var waited = 0
    while (try? central.value("SELECT count(*) FROM treatment_ledger.events")) != "30",
      waited < 600
    {
      waited += 1
      try await Task.sleep(for: .milliseconds(50))
    }
    let second = try cli.run(["forward", "--postgres", central.url, "--clinic", "one", "--once"])
    #expect(second.status == 3)
    #expect(second.stderr.contains("another forwarder holds clinic 'one'"))
    kill(first.process.processIdentifier, SIGTERM)
    first.process.waitUntilExit()

    var restored = try ProcessResult.run(
      LedgerCLI.executable,
      ["forward", "--postgres", central.url, "--clinic", "one", "--once", "--store", backup])
    for _ in 0..<50 where restored.stderr.contains("another forwarder") {
      try await Task.sleep(for: .milliseconds(100))
      restored = try ProcessResult.run(
        LedgerCLI.executable,
        ["forward", "--postgres", central.url, "--clinic", "one", "--once", "--store", backup])
    }
    #expect(restored.status == 3)
    #expect(restored.stderr.contains("the store holds 20 events, the central copy 30"))
    #expect(try central.value("SELECT count(*) FROM treatment_ledger.events") == "30")
  }
}
