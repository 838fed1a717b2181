import Foundation
import LedgerTestSupport
import Testing

/// `init`, and every command on a path without a store (exit 66), run through the built executable.
@Suite("treatment-ledger init, and commands on a missing store")
struct InitCommandTests {
  @Test func initCreatesAnEmptyStore() throws {
    let cli = LedgerCLI("init")
    defer { cli.remove() }
    let first = try cli.succeed(["init"])
    #expect(first.stdout.contains("store ready at"))
    #expect(first.stdout.contains("(0 events)"))
    #expect(FileManager.default.fileExists(atPath: cli.store + "/data.mdb"))

    let stats = try cli.stats()
    #expect(stats.events == 0)
    #expect(stats.streams == 0)
    #expect(stats.chainHead == LedgerCLI.zeroHash)
    #expect(stats.lastRecordedAt == nil)

    // init is harmless on an existing store.
    let second = try cli.succeed(["init"])
    #expect(second.stdout.contains("(0 events)"))
    #expect(try cli.stats() == stats)
    let verify = try cli.succeed(["verify"])
    #expect(verify.stdout.contains("intact: 0 events"))
  }

  @Test func commandsOnAMissingStoreExit66() throws {
    let cli = LedgerCLI("missing")
    defer { cli.remove() }
    let commands: [[String]] = [
      ["stats"], ["stats", "--json"], ["read", "--all"], ["read", "--stream", "cli-a"],
      ["read", "--all", "--json", "--as-of", "2000-01-01T00:00:00Z"], ["verify"],
      ["verify", "--stream", "cli-a"],
    ]
    for command in commands {
      let result = try cli.run(command)
      #expect(result.status == 66, "\(command): \(result.stderr)")
      #expect(result.stderr.contains("no TreatmentLedger store"), "\(command)")
      #expect(result.stderr.contains("treatment-ledger init"), "\(command)")
      #expect(result.stdout.isEmpty, "\(command)")
    }
    // The environment variable names the store when --store is absent.
    let viaEnvironment = try ProcessResult.run(
      LedgerCLI.executable, ["stats"], environment: ["TREATMENT_LEDGER_STORE": cli.store])
    #expect(viaEnvironment.status == 66)
    // None of them created the store.
    #expect(!FileManager.default.fileExists(atPath: cli.store + "/data.mdb"))
  }

  /// `append` to a path without a store should exit 66 like the other commands (a mistyped
  /// `--store` must not start a second, empty store); since the clinical-validation change it
  /// opens with `create: true` and creates one.
  @Test func appendOnAMissingStoreExits66() throws {
    let cli = LedgerCLI("missing-append")
    defer { cli.remove() }
    let input = try cli.write("one.ndjson", [EventLine.make(id: EventLine.id(1, 1))])
    let result = try cli.run(["append", "--stream", "cli-a", input])
    do {
      #expect(result.status == 66, "\(result.stdout)\(result.stderr)")
      #expect(result.stderr.contains("no TreatmentLedger store"))
      #expect(!FileManager.default.fileExists(atPath: cli.store + "/data.mdb"))
    }
    #expect(!result.stdout.contains(EventLine.sentinel))
  }
}
