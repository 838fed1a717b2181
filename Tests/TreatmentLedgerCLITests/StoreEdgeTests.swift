import Foundation
import LedgerTestSupport
import Testing

// Issue 12, the edges an operator meets: damaged and foreign files, a deleted lock file, two
// maintenance runs at once, read-only media. Each test runs the built tool as an operator would.

/// A demo clinic in a fresh directory, made once per test by the tool itself.
private func demoStore(_ label: String, patients: Int = 6) throws -> LedgerCLI {
  let cli = LedgerCLI(label)
  try cli.succeed(["demo", "--patients", String(patients), "--seed", "3"])
  return cli
}

private func fileSize(_ path: String) -> Int {
  ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? -1
}

/// Every command that opens a store, with arguments that would work on a good one.
private let storeCommands: [[String]] = [
  ["stats"], ["read", "--all"], ["verify"], ["summary", "--patient", "demo-0001"],
  ["timeline", "--patient", "demo-0001"], ["rebuild"], ["import", "/dev/null"],
  ["audit", "log"],
]

@Suite struct StoreEdgeTests {
  /// Issue 12.3: a truncated file crashed every command with SIGBUS.
  @Test func aTruncatedStoreGivesEveryCommandAStorageErrorNotASignal() throws {
    let cli = try demoStore("truncated")
    defer { cli.remove() }
    let file = cli.store + "/data.mdb"
    let cut = fileSize(file) / 2
    #expect(truncate(file, off_t(cut)) == 0)
    for command in storeCommands {
      let result = try cli.run(command)
      #expect(result.status == 1, "\(command) exited \(result.status): \(result.stderr)")
      #expect(result.stderr.contains("data.mdb is truncated"), "\(command): \(result.stderr)")
      #expect(!result.stderr.contains("Program crashed"), "\(command)")
    }
    #expect(fileSize(file) == cut, "no command may change a damaged file")
  }

  /// Issue 12.4: an empty data.mdb was turned into a new store by `rebuild` and read as an empty
  /// one by `summary` (exit 0); a foreign environment got the store's databases from `summary`.
  @Test func anEmptyOrForeignFileIsNeverTakenOver() throws {
    let cli = LedgerCLI("foreign")
    defer { cli.remove() }
    try FileManager.default.createDirectory(atPath: cli.store, withIntermediateDirectories: true)
    #expect(FileManager.default.createFile(atPath: cli.store + "/data.mdb", contents: Data()))
    for command in storeCommands + [["init"]] {
      let result = try cli.run(command)
      #expect(result.status != 0, "\(command) accepted an empty data.mdb")
      #expect(result.stderr.contains("data.mdb is empty"), "\(command): \(result.stderr)")
    }
    #expect(fileSize(cli.store + "/data.mdb") == 0)

    // A foreign LMDB environment: made by py-lmdb's C library through mdb_load, not by us.
    try FileManager.default.removeItem(atPath: cli.store)
    try FileManager.default.createDirectory(atPath: cli.store, withIntermediateDirectories: true)
    let load = try ProcessResult.run(
      "/usr/bin/mdb_load", ["-s", "inventory", cli.store],
      input: "VERSION=3\nformat=print\ntype=btree\nHEADER=END\n key\n value\nDATA=END\n")
    #expect(load.status == 0, "\(load.stderr)")
    let before = try ProcessResult.run("/usr/bin/mdb_stat", ["-a", cli.store]).stdout
    for command in storeCommands + [["init"]] {
      let result = try cli.run(command)
      #expect(result.status != 0, "\(command) accepted a foreign environment")
      #expect(
        result.stderr.contains("holds no TreatmentLedger store"), "\(command): \(result.stderr)")
    }
    let after = try ProcessResult.run("/usr/bin/mdb_stat", ["-a", cli.store]).stdout
    #expect(before == after, "the foreign environment must be left as it was")
    #expect(!after.contains("meta"))
  }

  /// Only `init` (and `demo`, which is init plus a clinic) creates a store.
  @Test func onlyInitCreatesAStore() throws {
    let cli = LedgerCLI("only-init")
    defer { cli.remove() }
    let input = try cli.write(
      "one.ndjson", [EventLine.make(id: EventLine.id(4, 1), stream: "cli-a")])
    for command in [
      ["import", input], ["summary", "--patient", "x"], ["timeline", "--patient", "x"], ["rebuild"],
    ] {
      let result = try cli.run(command)
      #expect(result.status == 66, "\(command): \(result.stderr)")
      #expect(!FileManager.default.fileExists(atPath: cli.store + "/data.mdb"), "\(command)")
    }
    try cli.succeed(["init"])
    try cli.succeed(["import", input])
  }

  /// Issue 12.1: two rebuilds at once overstated doses and duplicated timeline entries.
  @Test func twoRebuildsAtOnceNeverCorruptTheProjections() throws {
    let cli = try demoStore("two-rebuilds", patients: 40)
    defer { cli.remove() }
    let before = try cli.succeed(["summary", "--patient", "demo-0007", "--json"]).stdout
    let group = DispatchGroup()
    nonisolated(unsafe) var results: [ProcessResult?] = [nil, nil, nil]
    for index in 0..<3 {
      group.enter()
      DispatchQueue.global().async {
        results[index] = try? cli.run(["rebuild"])
        group.leave()
      }
    }
    group.wait()
    for result in results {
      guard let result else {
        Issue.record("a rebuild did not run")
        continue
      }
      // Each either rebuilt (0 differences) or was refused because another held the claim.
      if result.status == 0 {
        #expect(result.stdout.contains("; 0 differed"), "\(result.stdout)")
      } else {
        #expect(result.status == 1)
        #expect(result.stderr.contains("maintenance already in progress"), "\(result.stderr)")
      }
    }
    #expect(results.contains { $0?.status == 0 })
    #expect(try cli.succeed(["summary", "--patient", "demo-0007", "--json"]).stdout == before)
    let verify = try cli.succeed(["verify"])
    #expect(
      verify.stdout.contains(
        "derived: projection course-summary agrees with the log for 40 streams"))
  }

  /// A rebuild that finds live state of its own version different from the log keeps it and
  /// says so (exit 4) unless told to replace it; `verify` names the stream.
  @Test func damagedDerivedStateIsFoundByVerifyAndKeptByRebuild() throws {
    let cli = try demoStore("damaged-derived")
    defer { cli.remove() }
    // Damage the stored review state of one patient with LMDB's own tools.
    let key = "patient-demo-0002"
    let dump = try ProcessResult.run("/usr/bin/mdb_dump", ["-p", "-s", "review-state", cli.store])
      .stdout
    #expect(dump.contains(key))
    let load = try ProcessResult.run(
      "/usr/bin/mdb_load", ["-s", "review-state", cli.store],
      input: "VERSION=3\nformat=print\ntype=btree\nHEADER=END\n \(key)\n garbage-state\nDATA=END\n")
    #expect(load.status == 0, "\(load.stderr)")
    let verify = try cli.run(["verify"])
    #expect(verify.status == 4, "\(verify.stdout)\(verify.stderr)")
    #expect(
      verify.stdout.contains("the review state of stream \(key) differs from the log"),
      "\(verify.stdout)")
    #expect(try cli.run(["verify", "--no-derived"]).status == 0)
    let json = try cli.run(["verify", "--json"]).stdout
    #expect(json.contains("\"firstDifferingReviewStream\":\"\(key)\""), "\(json)")
    // rebuild keeps nothing it cannot recompute: projections agree, the review state is removed.
    let repaired = try cli.succeed(["rebuild", "--replace-differing"])
    #expect(
      repaired.stdout.contains("review state of \(key) differed from the log: removed"),
      "\(repaired.stdout)")
    try cli.succeed(["verify"])
    // The next append recomputes the state from the stream and is judged by it.
    let summary = try cli.succeed(["summary", "--patient", "demo-0002", "--json"]).stdout
    #expect(summary.contains("demo-0002"))
  }

  /// Issue 12.2: with a writer open, deleting lock.mdb let a second writer's commits be lost.
  @Test func aWriterRefusesToCommitAfterItsLockFileWasDeleted() throws {
    let cli = LedgerCLI("lock-deleted")
    defer { cli.remove() }
    try cli.succeed(["init"])
    // Writer A: `import` from standard input, committing each line as it arrives.
    let anchor = cli.directory.appending("anchor-a.json")
    let writerA = Process()
    writerA.executableURL = URL(fileURLWithPath: LedgerCLI.executable)
    writerA.arguments = [
      "import", "--batch-size", "1", "--store", cli.store, "--anchor-file", anchor, "-",
    ]
    let input = Pipe()
    let errors = Pipe()
    writerA.standardInput = input
    writerA.standardError = errors
    writerA.standardOutput = FileHandle.nullDevice
    try writerA.run()
    input.fileHandleForWriting.write(
      Data((EventLine.make(id: EventLine.id(5, 1), stream: "cli-a") + "\n").utf8))
    // A has the store open once its first commit wrote the anchor file (wait with a deadline).
    let deadline = Date().addingTimeInterval(60)
    while !FileManager.default.fileExists(atPath: anchor) && Date() < deadline { usleep(20_000) }
    #expect(FileManager.default.fileExists(atPath: anchor), "writer A never committed")
    try FileManager.default.removeItem(atPath: cli.store + "/lock.mdb")
    // Writer B opens the store after the deletion (a new lock file) and imports.
    let lines = EventLine.generate(count: 300, streams: 3, group: 6)
    let imported = try cli.succeed(["import", try cli.write("b.ndjson", lines)])
    #expect(importCounts(imported.stdout)?.written == 300)
    input.fileHandleForWriting.write(
      Data((EventLine.make(id: EventLine.id(5, 2), stream: "cli-a") + "\n").utf8))
    try input.fileHandleForWriting.close()
    writerA.waitUntilExit()
    let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    #expect(writerA.terminationStatus == 1, "writer A must refuse: \(message)")
    #expect(message.contains("lock.mdb was deleted or replaced"), "\(message)")
    // Every event B reported is there, and the store verifies.
    #expect(try cli.stats().events == 301)
    #expect(try cli.envelopes(["--stream", "cli-a"]).count == 1)
    try cli.succeed(["verify"])
  }

  /// Issue 12.12: `summary` and `timeline` opened read-write and failed on read-only media; their
  /// JSON showed event ids in upper case.
  @Test(.enabled(if: ReadOnlyMount.available, "needs root and bind mounts"))
  func summaryAndTimelineWorkOnReadOnlyMedia() throws {
    let cli = try demoStore("read-only")
    defer { cli.remove() }
    let mount = cli.directory.appending("mnt")
    try ReadOnlyMount.withMount(of: cli.directory.path, at: mount) {
      let store = mount + "/store"
      for command in [
        ["summary", "--patient", "demo-0001", "--json"],
        ["timeline", "--patient", "demo-0001", "--json"], ["verify"], ["stats"],
      ] {
        let result = try ProcessResult.run(LedgerCLI.executable, command + ["--store", store])
        #expect(result.status == 0, "\(command): \(result.stderr)")
      }
    }
  }

  @Test func summaryAndTimelineJSONWriteEventIdsInLowerCase() throws {
    let cli = try demoStore("lowercase")
    defer { cli.remove() }
    for command in [
      ["summary", "--patient", "demo-0001", "--json"],
      ["timeline", "--patient", "demo-0001", "--json"],
    ] {
      let text = try cli.succeed(command).stdout
      let ids = text.matches(of: /"eventId":"([0-9A-Fa-f-]{36})"/).map { String($0.1) }
      #expect(!ids.isEmpty || command[0] == "summary", "\(command)")
      #expect(ids.allSatisfy { $0 == $0.lowercased() }, "\(command)")
    }
  }
}

/// A read-only bind mount, for tests of read-only media (root only).
enum ReadOnlyMount {
  static let available: Bool =
    getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/mount")

  static func withMount(of source: String, at target: String, _ body: () throws -> Void) throws {
    try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
    let bind = try ProcessResult.run("/usr/bin/mount", ["--bind", source, target])
    guard bind.status == 0 else { throw CLIFailure(description: "mount --bind: \(bind.stderr)") }
    defer { _ = try? ProcessResult.run("/usr/bin/umount", [target]) }
    let readOnly = try ProcessResult.run("/usr/bin/mount", ["-o", "remount,bind,ro", target])
    guard readOnly.status == 0 else {
      throw CLIFailure(description: "remount ro: \(readOnly.stderr)")
    }
    try body()
  }
}
