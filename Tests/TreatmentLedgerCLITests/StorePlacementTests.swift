import Foundation
import LedgerTestSupport
import Testing

/// `treatment-ledger --store PATH <command>` (as the README documents, like `git -C`) and
/// `treatment-ledger <command> --store PATH` mean the same; both with different paths is a usage
/// error. Run through the built executable.
@Suite("--store before or after the command")
struct StorePlacementTests {
  /// Runs the built tool with exactly `arguments` (no `--store` added), in `directory`.
  static func tool(
    _ arguments: [String], input: String? = nil, in directory: String,
    environment: [String: String]? = nil
  ) throws -> ProcessResult {
    try ProcessResult.run(
      LedgerCLI.executable, arguments, input: input, environment: environment,
      directory: directory)
  }

  /// The commands whose output does not change between two runs on the same store.
  static let readCommands: [[String]] = [
    ["stats", "--json"], ["read", "--all", "--json"],
    ["read", "--stream", "cli-place-0", "--json"],
    ["verify"], ["verify", "--stream", "cli-place-0", "--json"], ["audit", "log", "--json"],
  ]

  @Test func bothPlacementsWorkForEveryKindOfCommand() throws {
    let cli = LedgerCLI("store-placement")
    defer { cli.remove() }
    let here = cli.directory.path
    let created = try Self.tool(["--store", cli.store, "init"], in: here)
    #expect(created.status == 0, "\(created.stderr)")
    #expect(created.stdout.contains("store ready at"))
    let lines = EventLine.generate(count: 3, streams: 1, group: 21, prefix: "cli-place")
    let appended = try Self.tool(
      ["--store", cli.store, "append", "--stream", "cli-place-0", "-"],
      input: lines.joined(separator: "\n"), in: here)
    #expect(appended.status == 0, "\(appended.stderr)")
    let more = EventLine.generate(count: 2, streams: 1, group: 22, prefix: "cli-place")
    let imported = try Self.tool(
      ["--store=\(cli.store)", "import", try cli.write("more.ndjson", more)], in: here)
    #expect(imported.status == 0, "\(imported.stderr)")
    let exported = try Self.tool(
      [
        "--store", cli.store, "audit", "export", "--out", cli.directory.appending("export"),
        "--by", "u-1", "--reason", "placement",
      ], in: here)
    #expect(exported.status == 0, "\(exported.stderr)")
    // Five events, the signing key's publication and the export's record in $audit.
    #expect(try cli.stats().events == 7)

    for command in Self.readCommands {
      let before = try Self.tool(["--store", cli.store] + command, in: here)
      let equals = try Self.tool(["--store=\(cli.store)"] + command, in: here)
      let after = try Self.tool(command + ["--store", cli.store], in: here)
      #expect(before.status == 0, "\(command): \(before.stderr)")
      #expect(after.status == 0, "\(command): \(after.stderr)")
      #expect(!before.stdout.isEmpty, "\(command)")
      #expect(before.stdout == after.stdout, "\(command)")
      #expect(equals.stdout == after.stdout, "\(command)")
    }
    // `audit verify DIR --store PATH` checks the export against the store's $audit record.
    let verified = try Self.tool(
      ["--store", cli.store, "audit", "verify", cli.directory.appending("export")], in: here)
    #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
    #expect(verified.stdout.contains("intact"))
  }

  @Test func theLeadingStoreIsTheOneUsed() throws {
    let cli = LedgerCLI("store-leading")
    defer { cli.remove() }
    try cli.succeed(["init"])
    try cli.succeed(
      ["append", "--stream", "cli-one", "-"], input: EventLine.make(id: EventLine.id(23, 1)))
    // Neither the working directory's default store nor $TREATMENT_LEDGER_STORE is used.
    let other = cli.directory.appending("elsewhere")
    let result = try Self.tool(
      ["--store", cli.store, "stats", "--json"], in: cli.directory.path,
      environment: ["TREATMENT_LEDGER_STORE": other])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.contains(#""events":1"#), "\(result.stdout)")
    #expect(!FileManager.default.fileExists(atPath: other))
    #expect(
      !FileManager.default.fileExists(atPath: cli.directory.appending("treatment-ledger.store")))
    // A path without a store exits 66 in either place, and creates nothing.
    let missing = cli.directory.appending("missing")
    #expect(try Self.tool(["--store", missing, "stats"], in: cli.directory.path).status == 66)
    #expect(try Self.tool(["stats", "--store", missing], in: cli.directory.path).status == 66)
    #expect(!FileManager.default.fileExists(atPath: missing))
  }

  @Test func twoDifferentStoresAreAUsageError() throws {
    let cli = LedgerCLI("store-twice")
    defer { cli.remove() }
    try cli.succeed(["init"])
    let other = cli.directory.appending("other")
    let here = cli.directory.path
    for arguments in [
      ["--store", cli.store, "stats", "--store", other],
      ["--store=\(cli.store)", "verify", "--store=\(other)"],
      ["--store", other, "audit", "log", "--store", cli.store],
    ] {
      let result = try Self.tool(arguments, in: here)
      #expect(result.status == 64, "\(arguments): \(result.stderr)")
      #expect(result.stderr.contains("given before the command"), "\(result.stderr)")
      #expect(result.stderr.contains(other) && result.stderr.contains(cli.store))
      #expect(result.stdout.isEmpty)
    }
    #expect(!FileManager.default.fileExists(atPath: other))
    // The same path twice is not a conflict.
    let same = try Self.tool(["--store", cli.store, "stats", "--store", cli.store], in: here)
    #expect(same.status == 0, "\(same.stderr)")
  }

  @Test func aLeadingStoreNeedsAPathAndACommandThatOpensAStore() throws {
    let directory = TemporaryDirectory("store-usage")
    defer { directory.remove() }
    let cases: [(arguments: [String], message: String)] = [
      (["--store"], "needs a path"),
      (["--store", "--json", "stats"], "needs a path"),
      (["--store", "s"], "must be followed by a command"),
      (["--store", "s", "frobnicate"], "must be followed by a command"),
      (["--store", "s", "schemas"], "`schemas` opens no store"),
      (["--store", "s", "token", "list", "--auth", "a.json"], "`token list` opens no store"),
      (["--store", "s", "audit"], "`audit` needs a subcommand (export, verify, log, access)"),
      (["--store", "a", "--store", "b", "stats"], "twice before the command"),
    ]
    for (arguments, message) in cases {
      let result = try Self.tool(arguments, in: directory.path)
      #expect(result.status == 64, "\(arguments): \(result.stderr)")
      #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
    }
    // Help is unchanged by the rewriting, and names the placement.
    let help = try Self.tool(["--help"], in: directory.path)
    #expect(help.status == 0)
    #expect(help.stdout.contains("treatment-ledger --store PATH stats"))
    let helpAfterStore = try Self.tool(["--store", "s", "--help"], in: directory.path)
    #expect(helpAfterStore.status == 0)
    #expect(helpAfterStore.stdout == help.stdout)
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
  }
}
