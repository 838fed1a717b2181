import Foundation
import LedgerTestSupport
import Testing

/// Several `treatment-ledger` processes writing to one store at the same time. LMDB serializes
/// writers across processes; these tests check that no event is lost or duplicated, that stream
/// versions stay gap-free and that the chains verify.
@Suite("treatment-ledger: several processes on one store")
struct MultiProcessTests {
  /// A process started without waiting, its output going to files (no pipe can fill up).
  struct Started {
    let process: Process
    let stdoutPath: String
    let stderrPath: String

    static func start(
      _ arguments: [String], in directory: TemporaryDirectory, name: String, stdin: String? = nil
    ) throws -> Started {
      let stdoutPath = directory.appending("\(name).out")
      let stderrPath = directory.appending("\(name).err")
      _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
      _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
      let process = Process()
      process.executableURL = URL(fileURLWithPath: LedgerCLI.executable)
      process.arguments = arguments
      process.standardOutput = FileHandle(forWritingAtPath: stdoutPath)
      process.standardError = FileHandle(forWritingAtPath: stderrPath)
      if let stdin {
        process.standardInput = FileHandle(forReadingAtPath: stdin)
      } else {
        process.standardInput = FileHandle.nullDevice
      }
      try process.run()
      return Started(process: process, stdoutPath: stdoutPath, stderrPath: stderrPath)
    }

    func wait() throws -> Finished {
      process.waitUntilExit()
      return Finished(
        status: process.terminationStatus,
        stdout: try String(contentsOfFile: stdoutPath, encoding: .utf8),
        stderr: try String(contentsOfFile: stderrPath, encoding: .utf8))
    }
  }

  /// A finished process's status and output.
  struct Finished {
    var status: Int32
    var stdout: String
    var stderr: String
  }

  /// Starts every command at once, then waits for all of them.
  static func runTogether(_ commands: [[String]], in directory: TemporaryDirectory) throws
    -> [Finished]
  {
    let started = try commands.enumerated().map { index, arguments in
      try Started.start(arguments, in: directory, name: "p\(index)")
    }
    return try started.map { try $0.wait() }
  }

  /// Checks every stream with `read --stream S --json`, the whole log with `read --all --json`,
  /// and `verify`.
  static func checkStore(
    _ cli: LedgerCLI, streams: [String], perStream: Int, total: Int
  ) throws {
    let stats = try cli.stats()
    #expect(stats.events == UInt64(total))
    #expect(stats.streams == streams.count)

    for stream in streams {
      expectGapFreeStream(
        try cli.envelopes(["--stream", stream]), stream: stream, count: perStream)
    }
    let all = try cli.envelopes(["--all"])
    #expect(all.count == total)
    #expect(Set(all.map(\.eventId)).count == total, "no event is stored twice")
    #expect(all.map(\.globalPosition) == (0..<UInt64(total)).map { $0 })
    #expect(all.map(\.previousHash) == [LedgerCLI.zeroHash] + all.dropLast().map(\.hash))
    #expect(all.map(\.recordedAt) == all.map(\.recordedAt).sorted(), "recordedAt never goes back")
    #expect(all.last?.hash == stats.chainHead)

    let verify = try cli.run(["verify"])
    #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
    #expect(verify.stdout.contains("intact: \(total) events in \(streams.count) streams"))
  }

  @Test func concurrentImportsOfDisjointFilesOverSharedStreams() throws {
    let cli = LedgerCLI("mp-disjoint")
    defer { cli.remove() }
    try cli.succeed(["init"])
    let processes = 4
    let perProcess = 750
    let streamCount = 25
    // Every file has events for every stream, with ids of its own (group = process).
    var commands: [[String]] = []
    for index in 0..<processes {
      let lines = EventLine.generate(
        count: perProcess, streams: streamCount, group: 100 + index, prefix: "cli-mp")
      let file = try cli.write("part\(index).ndjson", lines)
      commands.append(["import", "--batch-size", "25", file, "--store", cli.store])
    }
    let results = try Self.runTogether(commands, in: cli.directory)
    var written = 0
    for (index, result) in results.enumerated() {
      #expect(result.status == 0, "process \(index): \(result.stderr)")
      let counts = try #require(importCounts(result.stdout), "process \(index): \(result.stdout)")
      #expect(counts.written == perProcess)
      #expect(counts.alreadyStored == 0)
      written += counts.written
    }
    #expect(written == processes * perProcess)
    try Self.checkStore(
      cli, streams: (0..<streamCount).map { "cli-mp-\($0)" },
      perStream: processes * perProcess / streamCount, total: processes * perProcess)
  }

  @Test func concurrentImportsOfTheSameFileStoreEachEventOnce() throws {
    let cli = LedgerCLI("mp-same")
    defer { cli.remove() }
    // The processes race to create the store first (only init creates one), then to import.
    let inits = try Self.runTogether(
      Array(repeating: ["init", "--store", cli.store], count: 3), in: cli.directory)
    #expect(inits.allSatisfy { $0.status == 0 }, "\(inits.map(\.stderr))")
    let count = 1_200
    let streamCount = 12
    let file = try cli.write(
      "events.ndjson", EventLine.generate(count: count, streams: streamCount, prefix: "cli-same"))
    let processes = 3
    let results = try Self.runTogether(
      Array(
        repeating: ["import", "--batch-size", "40", file, "--store", cli.store], count: processes),
      in: cli.directory)
    var written = 0
    var alreadyStored = 0
    for (index, result) in results.enumerated() {
      #expect(result.status == 0, "process \(index): \(result.stderr)")
      let counts = try #require(importCounts(result.stdout), "process \(index): \(result.stdout)")
      #expect(counts.written + counts.alreadyStored == count)
      written += counts.written
      alreadyStored += counts.alreadyStored
    }
    #expect(written == count, "each event written by exactly one process")
    #expect(alreadyStored == count * (processes - 1))
    try Self.checkStore(
      cli, streams: (0..<streamCount).map { "cli-same-\($0)" }, perStream: count / streamCount,
      total: count)
  }

  @Test func concurrentAppendsWithNoStreamExpectationHaveOneWinner() throws {
    let cli = LedgerCLI("mp-race")
    defer { cli.remove() }
    try cli.succeed(["init"])
    let stream = "cli-race"
    let processes = 4
    var commands: [[String]] = []
    for index in 0..<processes {
      let file = try cli.write(
        "claim\(index).ndjson",
        (0..<3).map { EventLine.make(id: EventLine.id(200 + index, $0)) })
      commands.append(
        [
          "append", "--stream", stream, "--expected-version", "no-stream", file, "--store",
          cli.store,
        ])
    }
    let results = try Self.runTogether(commands, in: cli.directory)
    let winners = results.filter { $0.status == 0 }
    #expect(winners.count == 1, "\(results.map(\.status))")
    #expect(results.allSatisfy { $0.status == 0 || $0.status == 3 }, "\(results.map(\.stderr))")
    for loser in results where loser.status == 3 {
      #expect(loser.stderr.contains("wrong expected version"))
    }
    try Self.checkStore(cli, streams: [stream], perStream: 3, total: 3)
  }
}
