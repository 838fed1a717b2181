import Foundation
import LedgerTestSupport
import Testing

/// `append`: batches, expected versions, idempotence, stream names and malformed lines.
@Suite("treatment-ledger append")
struct AppendCommandTests {
  static let enDash = "\u{2013}"

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
}
