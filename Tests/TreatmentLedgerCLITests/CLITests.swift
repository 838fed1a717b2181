import Foundation
import LedgerTestSupport
import Testing

// End-to-end tests of the `treatment-ledger` executable: each test runs the built binary against a
// store in its own temporary directory and checks exit codes and output.
//
// Streams are named `cli-*` (never `patient-*`, which the clinical rules govern) and event types
// are free-form: the subject is the command line, not the clinical catalogue.

// MARK: - Helpers shared with MultiProcessTests.swift

/// A failed expectation about a process, thrown so the test stops with the process's output.
struct CLIFailure: Error, CustomStringConvertible {
  var description: String
}

/// One store in a fresh temporary directory, and the built `treatment-ledger` to run against it.
struct LedgerCLI {
  static let executable = RepositoryPaths.executable("treatment-ledger")
  static let zeroHash = String(repeating: "0", count: 64)

  let directory: TemporaryDirectory
  let store: String

  init(_ label: String) {
    directory = TemporaryDirectory("cli-\(label)")
    store = directory.appending("store")
  }

  /// Runs `treatment-ledger ARGUMENTS --store STORE`.
  func run(_ arguments: [String], input: String? = nil) throws -> ProcessResult {
    try ProcessResult.run(Self.executable, arguments + ["--store", store], input: input)
  }

  /// Runs a command that must exit 0.
  @discardableResult
  func succeed(_ arguments: [String], input: String? = nil) throws -> ProcessResult {
    let result = try run(arguments, input: input)
    guard result.status == 0 else {
      throw CLIFailure(
        description: "\(arguments.joined(separator: " ")) exited \(result.status): "
          + result.stderr + result.stdout)
    }
    return result
  }

  /// Writes `lines` as an NDJSON file in the test's directory and returns its path.
  func write(_ name: String, _ lines: [String]) throws -> String {
    let path = directory.appending(name)
    try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path))
    return path
  }

  /// `stats --json`.
  func stats() throws -> StoreStats {
    let result = try succeed(["stats", "--json"])
    return try JSONDecoder().decode(StoreStats.self, from: Data(result.stdout.utf8))
  }

  /// `read ARGUMENTS --json`, decoded line by line.
  func envelopes(_ arguments: [String]) throws -> [Envelope] {
    let result = try succeed(["read"] + arguments + ["--json"])
    return try result.stdout.split(separator: "\n").map {
      try JSONDecoder().decode(Envelope.self, from: Data($0.utf8))
    }
  }

  func remove() { directory.remove() }
}

/// The fields of `stats --json` the tests compare.
struct StoreStats: Decodable, Equatable {
  var events: UInt64
  var streams: Int
  var chainHead: String
  var lastRecordedAt: String?
}

/// One line of `read --json`. Every member is required, so decoding checks that it is printed.
struct Envelope: Decodable, Equatable {
  var eventId: String
  var type: String
  var streamId: String
  var streamVersion: UInt64
  var globalPosition: UInt64
  var occurredAt: String
  var recordedAt: String
  var hash: String
  var previousHash: String
  var previousStreamHash: String
  var schemaVersion: Int
  var recordedBy: [String: String]
}

/// NDJSON input lines in the shape of `InputLine`.
enum EventLine {
  /// A value put in event data: no message, on any path, may ever contain it.
  static let sentinel = "SENTINEL-VALUE-93731"

  /// A deterministic, valid UUID: `group` and `number` in hex.
  static func id(_ group: Int, _ number: Int) -> String {
    func hex(_ value: Int, _ width: Int) -> String {
      let text = String(value, radix: 16)
      return String(repeating: "0", count: max(0, width - text.count)) + text
    }
    return "\(hex(group, 8))-0000-4000-8000-\(hex(number, 12))"
  }

  /// One input line. `data` and `extra` are JSON text; `extra` goes before `data`, with its comma.
  static func make(
    id: String, stream: String? = nil, type: String = "NoteRecorded",
    occurredAt: String = "2026-11-23T09:30:00+01:00", data: String? = nil, extra: String = ""
  ) -> String {
    var text = #"{"eventId":"\#(id)","type":"\#(type)","#
    if let stream { text += #""streamId":"\#(stream)","# }
    text += #""occurredAt":"\#(occurredAt)","#
    text += #""recordedBy":{"id":"u-17","name":"Nurse Ann","role":"nurse"},"#
    text += extra
    text += #""data":\#(data ?? #"{"note":"\#(sentinel)","n":1}"#)}"#
    return text
  }

  /// `count` lines over `streams` streams (`PREFIX-0` …), round-robin, ids in `group`.
  static func generate(
    count: Int, streams: Int, group: Int = 1, offset: Int = 0, prefix: String = "cli-import"
  ) -> [String] {
    (offset..<offset + count).map { n in
      make(
        id: id(group, n), stream: "\(prefix)-\(n % streams)",
        data: #"{"n":\#(n),"note":"\#(sentinel)","dose":{"mg":35.5,"route":"IV"}}"#)
    }
  }
}

/// Parses `imported W events (S already stored) in …`.
func importCounts(_ stdout: String) -> (written: Int, alreadyStored: Int)? {
  guard let line = stdout.split(separator: "\n").last(where: { $0.hasPrefix("imported ") }) else {
    return nil
  }
  let words = line.split(separator: " ")
  guard words.count > 4, let written = Int(words[1]), let skipped = Int(words[3].dropFirst())
  else { return nil }
  return (written, skipped)
}

/// Checks that `events` (one stream, in version order) are versions 0..<n chained to each other.
func expectGapFreeStream(
  _ events: [Envelope], stream: String, count: Int,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  #expect(events.count == count, "stream \(stream)", sourceLocation: sourceLocation)
  #expect(
    events.map(\.streamVersion) == (0..<UInt64(events.count)).map { $0 }, "stream \(stream)",
    sourceLocation: sourceLocation)
  #expect(events.allSatisfy { $0.streamId == stream }, sourceLocation: sourceLocation)
  let positions = events.map(\.globalPosition)
  #expect(
    positions == positions.sorted() && Set(positions).count == positions.count,
    "stream \(stream): global positions increase", sourceLocation: sourceLocation)
  let expectedPrevious = [LedgerCLI.zeroHash] + events.dropLast().map(\.hash)
  #expect(
    events.map(\.previousStreamHash) == expectedPrevious, "stream \(stream): stream chain",
    sourceLocation: sourceLocation)
}

// MARK: - Tests

@Suite("treatment-ledger command line")
struct CLITests {
  static let enDash = "\u{2013}"

  // MARK: init, missing store, help

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

  // MARK: append

  @Test func appendFromAFileAndFromStandardInput() throws {
    let cli = LedgerCLI("append")
    defer { cli.remove() }
    try cli.succeed(["init"])
    let stream = "cli-append"
    let file = try cli.write(
      "first.ndjson", (0..<3).map { EventLine.make(id: EventLine.id(1, $0), stream: stream) })
    let fromFile = try cli.succeed(["append", "--stream", stream, file])
    #expect(
      fromFile.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        == "appended 3 events to \(stream) (versions 0\(Self.enDash)2, positions 0\(Self.enDash)2)")

    // Another stream in between, so stream versions and global positions differ.
    try cli.succeed(
      ["append", "--stream", "cli-other", "-"], input: EventLine.make(id: EventLine.id(2, 0)) + "\n"
    )

    // Standard input, with CRLF line ends and a blank line; lines without streamId are fine.
    let input = [
      EventLine.make(id: EventLine.id(1, 3)), "",
      EventLine.make(id: EventLine.id(1, 4), stream: stream),
    ].joined(separator: "\r\n")
    let fromStdin = try cli.succeed(["append", "--stream", stream, "-"], input: input)
    #expect(
      fromStdin.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        == "appended 2 events to \(stream) (versions 3\(Self.enDash)4, positions 4\(Self.enDash)5)")

    // The file argument defaults to standard input.
    let defaulted = try cli.succeed(
      ["append", "--stream", stream], input: EventLine.make(id: EventLine.id(1, 5)))
    #expect(defaulted.stdout.contains("versions 5\(Self.enDash)5, positions 6\(Self.enDash)6"))

    let stats = try cli.stats()
    #expect(stats.events == 7)
    #expect(stats.streams == 2)
    let events = try cli.envelopes(["--stream", stream])
    expectGapFreeStream(events, stream: stream, count: 6)
    #expect(events.map(\.eventId) == (0..<6).map { EventLine.id(1, $0) })
    #expect(events.map(\.globalPosition) == [0, 1, 2, 4, 5, 6])
  }

  @Test func appendWithNoEventsIsInvalidInput() throws {
    let cli = LedgerCLI("append-empty")
    defer { cli.remove() }
    try cli.succeed(["init"])
    let result = try cli.run(["append", "--stream", "cli-a", "-"], input: "\n  \n")
    #expect(result.status == 65)
    #expect(result.stderr.contains("no events"))
    let unreadable = try cli.run(["append", "--stream", "cli-a", cli.directory.appending("nope")])
    #expect(unreadable.status == 65)
    #expect(try cli.stats().events == 0)
  }

  @Test func expectedVersionNoStream() throws {
    let cli = LedgerCLI("no-stream")
    defer { cli.remove() }
    try cli.succeed(["init"])
    let stream = "cli-expected"
    let first = try cli.write(
      "first.ndjson", (0..<3).map { EventLine.make(id: EventLine.id(1, $0)) })
    let second = try cli.write(
      "second.ndjson", (3..<5).map { EventLine.make(id: EventLine.id(1, $0)) })

    try cli.succeed(["append", "--stream", stream, "--expected-version", "no-stream", first])
    let before = try cli.stats()
    #expect(before.events == 3)

    let conflict = try cli.run([
      "append", "--stream", stream, "--expected-version", "no-stream", second,
    ])
    #expect(conflict.status == 3, "\(conflict.stderr)")
    #expect(conflict.stderr.contains("wrong expected version"))
    #expect(conflict.stderr.contains(stream))
    #expect(conflict.stdout.isEmpty)
    #expect(try cli.stats() == before)

    // Retrying the first append (a lost reply) is idempotent even with no-stream.
    let retry = try cli.succeed([
      "append", "--stream", stream, "--expected-version", "no-stream", first,
    ])
    #expect(retry.stdout.contains("already stored: 3 events in \(stream); nothing written"))
    #expect(try cli.stats() == before)

    // no-stream on a new stream is fine.
    try cli.succeed(["append", "--stream", "cli-fresh", "--expected-version", "no-stream", second])
    #expect(try cli.stats().events == 5)
  }

  @Test func expectedVersionNumber() throws {
    let cli = LedgerCLI("exact")
    defer { cli.remove() }
    try cli.succeed(["init"])
    let stream = "cli-exact"
    try cli.succeed(
      [
        "append", "--stream", stream,
        try cli.write("a.ndjson", (0..<3).map { EventLine.make(id: EventLine.id(1, $0)) }),
      ])
    let before = try cli.stats()
    let next = try cli.write("b.ndjson", (3..<5).map { EventLine.make(id: EventLine.id(1, $0)) })

    for wrong in ["0", "1", "3", "99"] {
      let result = try cli.run(["append", "--stream", stream, "--expected-version", wrong, next])
      #expect(result.status == 3, "expected version \(wrong): \(result.stderr)")
      #expect(result.stderr.contains("expected \(wrong), found version 2"))
      #expect(try cli.stats() == before)
    }
    // A number on a stream that does not exist is a conflict too.
    let missing = try cli.run(["append", "--stream", "cli-none", "--expected-version", "0", next])
    #expect(missing.status == 3)
    #expect(missing.stderr.contains("found no stream"))
    #expect(try cli.stats() == before)

    let right = try cli.succeed(["append", "--stream", stream, "--expected-version", "2", next])
    #expect(right.stdout.contains("versions 3\(Self.enDash)4"))
    #expect(try cli.stats().events == 5)
    let third = try cli.write("c.ndjson", [EventLine.make(id: EventLine.id(1, 5))])
    #expect(
      try cli.run(["append", "--stream", stream, "--expected-version", "2", third]).status == 3)
    try cli.succeed(["append", "--stream", stream, "--expected-version", "4", third])
    expectGapFreeStream(try cli.envelopes(["--stream", stream]), stream: stream, count: 6)
  }

  @Test func reappendingTheSameFileIsAlreadyStored() throws {
    let cli = LedgerCLI("reappend")
    defer { cli.remove() }
    try cli.succeed(["init"])
    let stream = "cli-again"
    let file = try cli.write(
      "events.ndjson", (0..<4).map { EventLine.make(id: EventLine.id(1, $0), stream: stream) })
    try cli.succeed(["append", "--stream", stream, file])
    let before = try cli.stats()
    #expect(before.events == 4)

    for _ in 0..<2 {
      let again = try cli.run(["append", "--stream", stream, file])
      #expect(again.status == 0, "\(again.stderr)")
      #expect(
        again.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
          == "already stored: 4 events in \(stream); nothing written")
      #expect(try cli.stats() == before)
    }
    // Also through standard input.
    let text = try String(contentsOfFile: file, encoding: .utf8)
    let piped = try cli.succeed(["append", "--stream", stream, "-"], input: text)
    #expect(piped.stdout.contains("already stored: 4 events"))
    #expect(try cli.stats() == before)
  }

  @Test func sameEventIdWithOtherContentIsAConflict() throws {
    let cli = LedgerCLI("id-conflict")
    defer { cli.remove() }
    try cli.succeed(["init"])
    let stream = "cli-conflict"
    let id = EventLine.id(7, 7)
    try cli.succeed(
      [
        "append", "--stream", stream,
        try cli.write("a.ndjson", [EventLine.make(id: id, stream: stream)]),
      ])
    let before = try cli.stats()

    let changed = try cli.write(
      "b.ndjson",
      [
        EventLine.make(id: EventLine.id(7, 8)),
        EventLine.make(id: id, data: #"{"note":"\#(EventLine.sentinel)","n":2}"#),
      ])
    let result = try cli.run(["append", "--stream", stream, changed])
    #expect(result.status == 3, "\(result.stderr)")
    #expect(result.stderr.contains("line 2"))
    #expect(result.stderr.contains(id))
    #expect(result.stderr.contains("different content"))
    #expect(
      !result.stderr.contains(EventLine.sentinel) && !result.stdout.contains(EventLine.sentinel))
    #expect(try cli.stats() == before)

    // The same event (same content) in another stream is a conflict as well.
    let elsewhere = try cli.write("c.ndjson", [EventLine.make(id: id)])
    let moved = try cli.run(["append", "--stream", "cli-elsewhere", elsewhere])
    #expect(moved.status == 3, "\(moved.stderr)")
    #expect(!moved.stderr.contains(EventLine.sentinel))
    #expect(try cli.stats() == before)
  }

  @Test func repeatedEventIdWithinOneBatchNamesTheRepeatingLine() throws {
    let cli = LedgerCLI("dup-in-batch")
    defer { cli.remove() }
    try cli.succeed(["init"])
    let id = EventLine.id(8, 1)
    let file = try cli.write(
      "dup.ndjson",
      [
        EventLine.make(id: id), EventLine.make(id: EventLine.id(8, 2)),
        EventLine.make(id: id, data: #"{"note":"\#(EventLine.sentinel)","n":3}"#),
      ])
    let result = try cli.run(["append", "--stream", "cli-dup", file])
    #expect(result.status == 65, "\(result.stderr)")
    #expect(result.stderr.contains("line 3: field 'eventId'"), "\(result.stderr)")
    #expect(!result.stderr.contains("line 1"), "\(result.stderr)")
    #expect(!result.stderr.contains(EventLine.sentinel))
    #expect(try cli.stats().events == 0)

    // The same line twice (same content) is stored once.
    let twice = try cli.write("twice.ndjson", [EventLine.make(id: id), EventLine.make(id: id)])
    let stored = try cli.succeed(["append", "--stream", "cli-dup", twice])
    #expect(stored.stdout.contains("appended 1 events"), "\(stored.stdout)")
    #expect(try cli.stats().events == 1)
  }

  @Test func invalidStreamNames() throws {
    let cli = LedgerCLI("stream-names")
    defer { cli.remove() }
    try cli.succeed(["init"])
    let line = EventLine.make(id: EventLine.id(4, 0))
    for name in ["bad name", "$audit", "cli/a", ""] {
      let result = try cli.run(["append", "--stream", name, "-"], input: line)
      #expect(result.status == 65 || result.status == 64, "'\(name)': \(result.stderr)")
      #expect(result.stderr.contains("stream name"), "'\(name)': \(result.stderr)")
    }
    #expect(try cli.stats().events == 0)

    // import: a line naming an invalid stream stops the import with 65, its batch unwritten.
    let file = try cli.write(
      "import.ndjson",
      [
        EventLine.make(id: EventLine.id(4, 1), stream: "cli-fine"),
        EventLine.make(id: EventLine.id(4, 2), stream: "cli bad"),
      ])
    let imported = try cli.run(["import", file])
    #expect(imported.status == 65, "\(imported.stderr)")
    #expect(imported.stderr.contains("stream name"), "\(imported.stderr)")
    #expect(try cli.stats().events == 0)
    do {
      #expect(imported.stderr.contains("line 2"), "\(imported.stderr)")
      #expect(imported.stderr.contains("'streamId'"), "\(imported.stderr)")
    }
  }

  /// A malformed line for `append`: the bad line is line 2 of 3.
  struct MalformedLine: Sendable, CustomTestStringConvertible {
    var name: String
    var line: String
    /// Fragments the error message must contain besides "line 2".
    var fragments: [String]
    var testDescription: String { name }
  }

  static let malformedLines: [MalformedLine] = {
    let id = EventLine.id(9, 2)
    let sentinel = EventLine.sentinel
    return [
      MalformedLine(
        name: "truncated JSON",
        line: #"{"eventId":"\#(id)","type":"NoteRecorded","data":{"note":"\#(sentinel)""#,
        fragments: ["JSON"]),
      MalformedLine(
        name: "unquoted value",
        line: #"{"eventId":"\#(id)","type":"NoteRecorded","data":{"note":\#(sentinel)}}"#,
        fragments: ["JSON"]),
      MalformedLine(
        name: "not an object", line: #"["\#(sentinel)"]"#, fragments: ["not a JSON object"]),
      MalformedLine(
        name: "missing type",
        line: EventLine.make(id: id).replacingOccurrences(of: #""type":"NoteRecorded","#, with: ""),
        fragments: ["field 'type'", "missing"]),
      MalformedLine(
        name: "missing data",
        line: #"{"eventId":"\#(id)","type":"NoteRecorded","occurredAt":"2026-11-23T09:30:00Z","#
          + #""recordedBy":{"id":"u-17","name":"Nurse Ann","role":"nurse"}}"#,
        fragments: ["field 'data'", "missing"]),
      MalformedLine(
        name: "missing recordedBy.role",
        line: EventLine.make(id: id).replacingOccurrences(of: #","role":"nurse""#, with: ""),
        fragments: ["field 'recordedBy.role'", "missing"]),
      MalformedLine(
        name: "bad UUID", line: EventLine.make(id: sentinel),
        fragments: ["field 'eventId'", "UUID"]),
      MalformedLine(
        name: "bad causationId",
        line: EventLine.make(id: id, extra: #""causationId":"\#(sentinel)","#),
        fragments: ["field 'causationId'", "UUID"]),
      MalformedLine(
        name: "occurredAt without offset",
        line: EventLine.make(id: id, occurredAt: "2026-11-23T09:30:00"),
        fragments: ["field 'occurredAt'", "offset"]),
      MalformedLine(
        name: "occurredAt not a date", line: EventLine.make(id: id, occurredAt: sentinel),
        fragments: ["field 'occurredAt'"]),
      MalformedLine(
        name: "data not an object", line: EventLine.make(id: id, data: #"["\#(sentinel)"]"#),
        fragments: ["field 'data'", "object"]),
      MalformedLine(
        name: "data a string", line: EventLine.make(id: id, data: #""\#(sentinel)""#),
        fragments: ["field 'data'", "object"]),
      MalformedLine(
        name: "unknown top-level field",
        line: EventLine.make(id: id, extra: #""comment":"\#(sentinel)","#),
        fragments: ["field 'comment'", "not an envelope field"]),
      MalformedLine(
        name: "unknown recordedBy field",
        line: EventLine.make(id: id).replacingOccurrences(
          of: #""role":"nurse""#, with: #""role":"nurse","ssn":"\#(sentinel)""#),
        fragments: ["field 'recordedBy.ssn'"]),
      MalformedLine(
        name: "type with a space", line: EventLine.make(id: id, type: "Note Recorded"),
        fragments: ["field 'type'"]),
      MalformedLine(
        name: "schemaVersion 0", line: EventLine.make(id: id, extra: #""schemaVersion":0,"#),
        fragments: ["field 'schemaVersion'"]),
      MalformedLine(
        name: "streamId differs from --stream",
        line: EventLine.make(id: id, stream: "cli-somewhere-else"),
        fragments: ["field 'streamId'", "differs from --stream"]),
      MalformedLine(
        name: "streamId not a string",
        line: EventLine.make(id: id, extra: #""streamId":42,"#), fragments: ["field 'streamId'"]),
    ]
  }()

  @Test(arguments: malformedLines)
  func malformedLineIsRejectedWithItsLineAndField(_ case: MalformedLine) throws {
    let cli = LedgerCLI("malformed")
    defer { cli.remove() }
    let stream = "cli-malformed"
    try cli.succeed(["init"])
    try cli.succeed(
      ["append", "--stream", stream, "-"], input: EventLine.make(id: EventLine.id(9, 0)))
    let before = try cli.stats()
    #expect(before.events == 1)

    let lines = [
      EventLine.make(id: EventLine.id(9, 1), stream: stream), `case`.line,
      EventLine.make(id: EventLine.id(9, 3)),
    ]
    for source in ["file", "stdin"] {
      let result: ProcessResult
      if source == "file" {
        result = try cli.run(["append", "--stream", stream, try cli.write("bad.ndjson", lines)])
      } else {
        result = try cli.run(
          ["append", "--stream", stream, "-"], input: lines.joined(separator: "\n"))
      }
      #expect(result.status == 65, "\(source): \(result.stderr)")
      #expect(result.stderr.contains("line 2"), "\(source): \(result.stderr)")
      for fragment in `case`.fragments {
        #expect(result.stderr.contains(fragment), "\(source): '\(fragment)' in \(result.stderr)")
      }
      #expect(result.stderr.contains("nothing was written"), "\(source): \(result.stderr)")
      #expect(!result.stderr.contains(EventLine.sentinel), "\(source): \(result.stderr)")
      #expect(!result.stdout.contains(EventLine.sentinel))
      #expect(result.stdout.isEmpty)
      #expect(try cli.stats() == before, "\(source): nothing of the batch is written")
    }
  }

  // MARK: import

  @Test func importGeneratedFileTwice() throws {
    let cli = LedgerCLI("import")
    defer { cli.remove() }
    let file = try cli.write("events.ndjson", EventLine.generate(count: 3_000, streams: 50))

    // Only init creates a store (a mistyped --store must not start a second one).
    #expect(try cli.run(["import", file]).status == 66)
    try cli.succeed(["init"])
    let first = try cli.succeed(["import", "--batch-size", "500", file])
    let firstCounts = try #require(importCounts(first.stdout), "\(first.stdout)")
    #expect(firstCounts.written == 3_000)
    #expect(firstCounts.alreadyStored == 0)
    let stats = try cli.stats()
    #expect(stats.events == 3_000)
    #expect(stats.streams == 50)

    let second = try cli.succeed(["import", "--batch-size", "500", file])
    let secondCounts = try #require(importCounts(second.stdout), "\(second.stdout)")
    #expect(secondCounts.written == 0)
    #expect(secondCounts.alreadyStored == 3_000)
    #expect(try cli.stats() == stats, "same count and chain head")

    for stream in ["cli-import-0", "cli-import-49"] {
      expectGapFreeStream(try cli.envelopes(["--stream", stream]), stream: stream, count: 60)
    }
    let verify = try cli.succeed(["verify"])
    #expect(
      verify.stdout.contains("intact: 3000 events in 50 streams, chain head \(stats.chainHead)"))
  }

  @Test func interruptedImportCompletesWithoutDuplicates() throws {
    let cli = LedgerCLI("import-resume")
    defer { cli.remove() }
    let lines = EventLine.generate(count: 3_000, streams: 50)
    let half = try cli.write("half.ndjson", Array(lines[..<1_500]))
    let whole = try cli.write("whole.ndjson", lines)

    try cli.succeed(["init"])
    let first = try cli.succeed(["import", "--batch-size", "500", half])
    #expect(importCounts(first.stdout)?.written == 1_500)
    #expect(try cli.stats().events == 1_500)

    let second = try cli.succeed(["import", "--batch-size", "500", whole])
    let counts = try #require(importCounts(second.stdout), "\(second.stdout)")
    #expect(counts.written == 1_500)
    #expect(counts.alreadyStored == 1_500)

    let stats = try cli.stats()
    #expect(stats.events == 3_000)
    #expect(stats.streams == 50)
    let all = try cli.envelopes(["--all"])
    #expect(all.count == 3_000)
    #expect(Set(all.map(\.eventId)).count == 3_000, "no duplicates")
    #expect(Set(all.map(\.eventId)) == Set((0..<3_000).map { EventLine.id(1, $0) }))
    #expect(all.map(\.globalPosition) == (0..<3_000).map { UInt64($0) })
    #expect(all.map(\.previousHash) == [LedgerCLI.zeroHash] + all.dropLast().map(\.hash))
    #expect(all.last?.hash == stats.chainHead)
    let verify = try cli.run(["verify"])
    #expect(verify.status == 0, "\(verify.stdout)")
    #expect(verify.stdout.contains("intact: 3000 events"))
  }

  @Test func importStopsAtAMalformedLineAndResumesAfterTheFix() throws {
    let cli = LedgerCLI("import-bad")
    defer { cli.remove() }
    var lines = EventLine.generate(count: 3_000, streams: 50)
    let good = lines[1_233]
    // Line 1234 (in the batch of lines 1001–1500): data is not an object.
    lines[1_233] = EventLine.make(
      id: EventLine.id(1, 1_233), stream: "cli-import-33", data: #"["\#(EventLine.sentinel)"]"#)
    let file = try cli.write("events.ndjson", lines)

    try cli.succeed(["init"])
    let failed = try cli.run(["import", "--batch-size", "500", file])
    #expect(failed.status == 65, "\(failed.stderr)")
    #expect(failed.stderr.contains("line 1234"), "\(failed.stderr)")
    #expect(failed.stderr.contains("field 'data'"))
    #expect(failed.stderr.contains("batch from line 1001 was not written"), "\(failed.stderr)")
    #expect(failed.stderr.contains("1000 events before it are committed"), "\(failed.stderr)")
    #expect(
      !failed.stderr.contains(EventLine.sentinel) && !failed.stdout.contains(EventLine.sentinel))
    let partial = try cli.stats()
    #expect(partial.events == 1_000, "two batches committed, the bad one not")
    let stored = try cli.envelopes(["--all"])
    #expect(Set(stored.map(\.eventId)) == Set((0..<1_000).map { EventLine.id(1, $0) }))
    #expect(try cli.run(["verify"]).status == 0)

    lines[1_233] = good
    let fixed = try cli.write("events.ndjson", lines)
    let rerun = try cli.succeed(["import", "--batch-size", "500", fixed])
    let counts = try #require(importCounts(rerun.stdout), "\(rerun.stdout)")
    #expect(counts.written == 2_000)
    #expect(counts.alreadyStored == 1_000)
    let stats = try cli.stats()
    #expect(stats.events == 3_000)
    #expect(stats.streams == 50)
    let verify = try cli.run(["verify"])
    #expect(verify.status == 0, "\(verify.stdout)")
  }

  @Test func importNeedsAStreamIdOnEveryLine() throws {
    let cli = LedgerCLI("import-nostream")
    defer { cli.remove() }
    try cli.succeed(["init"])
    let lines = [
      EventLine.make(id: EventLine.id(1, 0), stream: "cli-a"),
      EventLine.make(id: EventLine.id(1, 1)),
    ]
    let result = try cli.run(["import", try cli.write("events.ndjson", lines)])
    #expect(result.status == 65)
    #expect(result.stderr.contains("line 2: field 'streamId' is missing"), "\(result.stderr)")
    #expect(!result.stderr.contains(EventLine.sentinel))
    #expect(try cli.stats().events == 0)
  }

  @Test func importOfAConflictingEventIdExits3() throws {
    let cli = LedgerCLI("import-conflict")
    defer { cli.remove() }
    let file = try cli.write("a.ndjson", EventLine.generate(count: 20, streams: 2))
    try cli.succeed(["init"])
    try cli.succeed(["import", file])
    let before = try cli.stats()
    // Event 5 again with other data, after two new events, in one batch.
    let changed = try cli.write(
      "b.ndjson",
      EventLine.generate(count: 2, streams: 2, offset: 20)
        + [EventLine.make(id: EventLine.id(1, 5), stream: "cli-import-1", data: #"{"n":-5}"#)])
    let result = try cli.run(["import", changed])
    #expect(result.status == 3, "\(result.stderr)")
    #expect(result.stderr.contains("line 3"), "\(result.stderr)")
    #expect(result.stderr.contains(EventLine.id(1, 5)))
    #expect(try cli.stats() == before)
  }

  // MARK: read

  /// 5 events in `cli-read-s` and 2 in `cli-read-t`, interleaved: S0 S1 T0 S2 S3 T1 S4.
  static func populateForReading(_ cli: LedgerCLI) throws {
    let s = "cli-read-s"
    let t = "cli-read-t"
    try cli.succeed(
      ["append", "--stream", s, "-"],
      input: EventLine.make(id: EventLine.id(1, 0)) + "\n" + EventLine.make(id: EventLine.id(1, 1)))
    try cli.succeed(
      ["append", "--stream", t, "-"],
      input: EventLine.make(id: EventLine.id(2, 0), type: "Other.Type_v2"))
    try cli.succeed(
      ["append", "--stream", s, "-"],
      input: EventLine.make(id: EventLine.id(1, 2)) + "\n" + EventLine.make(id: EventLine.id(1, 3)))
    try cli.succeed(
      ["append", "--stream", t, "-"],
      input: EventLine.make(id: EventLine.id(2, 1), type: "Other.Type_v2"))
    try cli.succeed(["append", "--stream", s, "-"], input: EventLine.make(id: EventLine.id(1, 4)))
  }

  @Test func readStreamPrintsEnvelopes() throws {
    let cli = LedgerCLI("read")
    defer { cli.remove() }
    try cli.succeed(["init"])
    try Self.populateForReading(cli)
    let stream = "cli-read-s"

    let result = try cli.succeed(["read", "--stream", stream, "--json"])
    let lines = result.stdout.split(separator: "\n")
    #expect(lines.count == 5)
    for line in lines {
      let object = try #require(
        try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
      for key in [
        "hash", "previousHash", "previousStreamHash", "streamVersion", "globalPosition",
        "recordedAt", "eventId", "streamId", "type", "occurredAt", "recordedBy", "data",
      ] {
        #expect(object[key] != nil, "\(key) is printed")
      }
      #expect((object["data"] as? [String: Any])?["note"] as? String == EventLine.sentinel)
    }
    let events = try cli.envelopes(["--stream", stream])
    expectGapFreeStream(events, stream: stream, count: 5)
    #expect(events.map(\.globalPosition) == [0, 1, 3, 4, 6])
    #expect(events.map(\.eventId) == (0..<5).map { EventLine.id(1, $0) })
    for event in events {
      #expect(event.hash.count == 64 && event.hash.allSatisfy(\.isHexDigit))
      #expect(event.recordedAt.hasSuffix("Z"))
      #expect(event.occurredAt == "2026-11-23T09:30:00+01:00")
      #expect(event.recordedBy == ["id": "u-17", "name": "Nurse Ann", "role": "nurse"])
      #expect(event.schemaVersion == 1)
    }
    // The log chain links each event to the previous one of the whole log.
    let all = try cli.envelopes(["--all"])
    #expect(all.count == 7)
    #expect(all.map(\.previousHash) == [LedgerCLI.zeroHash] + all.dropLast().map(\.hash))
    #expect(all.filter { $0.streamId == stream } == events)
    #expect(all.last?.hash == (try cli.stats().chainHead))
    // recordedAt never goes back along the log.
    #expect(all.map(\.recordedAt) == all.map(\.recordedAt).sorted())

    // The text form: one line per event with position, stream@version, type and id.
    let text = try cli.succeed(["read", "--stream", "cli-read-t"])
    let textLines = text.stdout.split(separator: "\n")
    #expect(textLines.count == 2)
    #expect(textLines.first?.contains("cli-read-t@0") == true)
    #expect(textLines.first?.contains("Other.Type_v2") == true)
    #expect(textLines.first?.contains(EventLine.id(2, 0)) == true)
    #expect(textLines.last?.contains("cli-read-t@1") == true)

    // An unknown stream prints nothing.
    let unknown = try cli.succeed(["read", "--stream", "cli-nobody", "--json"])
    #expect(unknown.stdout.isEmpty)
  }

  @Test func readFromLimitAndBackward() throws {
    let cli = LedgerCLI("read-window")
    defer { cli.remove() }
    try cli.succeed(["init"])
    try Self.populateForReading(cli)
    let s = ["--stream", "cli-read-s"]
    func versions(_ extra: [String]) throws -> [UInt64] {
      try cli.envelopes(s + extra).map(\.streamVersion)
    }
    #expect(try versions([]) == [0, 1, 2, 3, 4])
    #expect(try versions(["--from", "2"]) == [2, 3, 4])
    #expect(try versions(["--from", "2", "--limit", "2"]) == [2, 3])
    #expect(try versions(["--limit", "1"]) == [0])
    #expect(try versions(["--limit", "0"]) == [])
    #expect(try versions(["--from", "5"]) == [])
    #expect(try versions(["--backward"]) == [4, 3, 2, 1, 0])
    #expect(try versions(["--backward", "--limit", "2"]) == [4, 3])
    #expect(try versions(["--backward", "--from", "3"]) == [3, 2, 1, 0])
    #expect(try versions(["--backward", "--from", "3", "--limit", "2"]) == [3, 2])
    #expect(try versions(["--backward", "--from", "0"]) == [0])

    func positions(_ extra: [String]) throws -> [UInt64] {
      try cli.envelopes(["--all"] + extra).map(\.globalPosition)
    }
    #expect(try positions([]) == [0, 1, 2, 3, 4, 5, 6])
    #expect(try positions(["--from", "1", "--limit", "3"]) == [1, 2, 3])
    #expect(try positions(["--from", "5"]) == [5, 6])
    #expect(try positions(["--from", "7"]) == [])
    #expect(try positions(["--limit", "2"]) == [0, 1])

    #expect(try cli.run(["read", "--stream", "cli-read-s", "--limit", "-1"]).status == 64)
  }

  @Test func readAsOf() throws {
    let cli = LedgerCLI("read-asof")
    defer { cli.remove() }
    try cli.succeed(["init"])
    let s = "cli-asof"
    try cli.succeed(
      ["append", "--stream", s, "-"],
      input: (0..<3).map { EventLine.make(id: EventLine.id(1, $0)) }.joined(separator: "\n"))
    let firstCut = try #require(try cli.stats().lastRecordedAt)
    Thread.sleep(forTimeInterval: 0.01)
    try cli.succeed(
      ["append", "--stream", s, "-"],
      input: (3..<5).map { EventLine.make(id: EventLine.id(1, $0)) }.joined(separator: "\n"))
    try cli.succeed(
      ["append", "--stream", "cli-asof-other", "-"], input: EventLine.make(id: EventLine.id(2, 0)))

    let before = try cli.succeed(["read", "--all", "--as-of", "2000-01-01T00:00:00Z"])
    #expect(before.stdout.isEmpty)
    let beforeJSON = try cli.succeed([
      "read", "--all", "--json", "--as-of", "2000-01-01T00:00:00+02:00",
    ])
    #expect(beforeJSON.stdout.isEmpty)
    #expect(
      try cli.succeed(["read", "--stream", s, "--as-of", "2000-01-01T00:00:00Z"]).stdout.isEmpty)

    let formatter = ISO8601DateFormatter()
    let later = formatter.string(from: Date().addingTimeInterval(3_600))
    let everything = try cli.envelopes(["--all", "--as-of", later])
    #expect(everything.count == 6)
    #expect(everything == (try cli.envelopes(["--all"])))

    // Exactly at the first batch's recordedAt: that batch, nothing later.
    let asOfFirst = try cli.envelopes(["--all", "--as-of", firstCut])
    #expect(asOfFirst.map(\.globalPosition) == [0, 1, 2])
    #expect(asOfFirst.allSatisfy { $0.recordedAt <= firstCut })
    #expect(
      try cli.envelopes(["--stream", s, "--as-of", firstCut]).map(\.streamVersion) == [0, 1, 2])
    #expect(
      try cli.envelopes(["--stream", s, "--backward", "--as-of", firstCut]).map(\.streamVersion)
        == [2, 1, 0])
    #expect(try cli.envelopes(["--stream", "cli-asof-other", "--as-of", firstCut]).isEmpty)
  }

  // MARK: verify

  @Test func verifyAndAnchors() throws {
    let cli = LedgerCLI("verify")
    defer { cli.remove() }
    try cli.succeed(["init"])
    try Self.populateForReading(cli)
    let stats = try cli.stats()
    #expect(stats.events == 7)

    let verify = try cli.run(["verify"])
    #expect(verify.status == 0)
    #expect(
      verify.stdout.split(separator: "\n").first
        == "intact: 7 events in 2 streams, chain head \(stats.chainHead)")
    let logOnly = try cli.succeed(["verify", "--no-derived"])
    #expect(
      logOnly.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        == "intact: 7 events in 2 streams, chain head \(stats.chainHead)")
    let json = try cli.succeed(["verify", "--json"])
    #expect(json.stdout.contains(stats.chainHead))
    let stream = try cli.run(["verify", "--stream", "cli-read-s"])
    #expect(stream.status == 0, "\(stream.stdout)")
    #expect(stream.stdout.contains("intact"))

    let anchored = try cli.run(
      ["verify", "--anchor-events", "\(stats.events)", "--anchor-head", stats.chainHead])
    #expect(anchored.status == 0, "\(anchored.stdout)")
    #expect(anchored.stdout.contains("intact"))

    let last = stats.chainHead.last == "0" ? "1" : "0"
    let wrongHead = String(stats.chainHead.dropLast()) + last
    let wrong = try cli.run([
      "verify", "--anchor-events", "\(stats.events)", "--anchor-head", wrongHead,
    ])
    #expect(wrong.status == 4, "\(wrong.stdout)")
    #expect(wrong.stdout.contains("FAILED"))
    let wrongJSON = try cli.run(
      ["verify", "--json", "--anchor-events", "\(stats.events)", "--anchor-head", wrongHead])
    #expect(wrongJSON.status == 4)

    // An anchor claiming more events than stored (the newest removed) fails.
    let longer = try cli.run(
      ["verify", "--anchor-events", "\(stats.events + 1)", "--anchor-head", stats.chainHead])
    #expect(longer.status == 4, "\(longer.stdout)")

    // An anchor kept earlier still holds after later appends.
    try cli.succeed(
      ["append", "--stream", "cli-read-t", "-"], input: EventLine.make(id: EventLine.id(3, 0)))
    let old = try cli.run(
      ["verify", "--anchor-events", "\(stats.events)", "--anchor-head", stats.chainHead])
    #expect(old.status == 0, "\(old.stdout)")
    let oldWrong = try cli.run(
      ["verify", "--anchor-events", "\(stats.events)", "--anchor-head", wrongHead])
    #expect(oldWrong.status == 4)
  }

  @Test func statsReportsCountsAndHead() throws {
    let cli = LedgerCLI("stats")
    defer { cli.remove() }
    try cli.succeed(["init"])
    try Self.populateForReading(cli)
    let stats = try cli.stats()
    #expect(stats.events == 7)
    #expect(stats.streams == 2)
    #expect(stats.chainHead.count == 64 && stats.chainHead != LedgerCLI.zeroHash)
    #expect(stats.lastRecordedAt == (try cli.envelopes(["--all"])).last?.recordedAt)
    let text = try cli.succeed(["stats"]).stdout
    #expect(text.contains("events        7"))
    #expect(text.contains("streams       2"))
    #expect(text.contains("chain head    \(stats.chainHead)"))
  }
}
