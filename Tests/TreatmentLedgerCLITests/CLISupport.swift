import CSV
import Foundation
import LedgerTestSupport
import Testing

// End-to-end tests of the `treatment-ledger` executable: each test runs the built binary against a
// store in its own temporary directory and checks exit codes and output.
//
// Streams are named `cli-*` (never `patient-*`, which the clinical rules govern) and event types
// are free-form: the subject is the command line, not the clinical catalogue.

// MARK: - Helpers shared by the command tests

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

extension LedgerCLI {
  /// 5 events in `cli-read-s` and 2 in `cli-read-t`, interleaved: S0 S1 T0 S2 S3 T1 S4.
  func populateForReading() throws {
    let s = "cli-read-s"
    let t = "cli-read-t"
    try succeed(
      ["append", "--stream", s, "-"],
      input: EventLine.make(id: EventLine.id(1, 0)) + "\n" + EventLine.make(id: EventLine.id(1, 1)))
    try succeed(
      ["append", "--stream", t, "-"],
      input: EventLine.make(id: EventLine.id(2, 0), type: "Other.Type_v2"))
    try succeed(
      ["append", "--stream", s, "-"],
      input: EventLine.make(id: EventLine.id(1, 2)) + "\n" + EventLine.make(id: EventLine.id(1, 3)))
    try succeed(
      ["append", "--stream", t, "-"],
      input: EventLine.make(id: EventLine.id(2, 1), type: "Other.Type_v2"))
    try succeed(["append", "--stream", s, "-"], input: EventLine.make(id: EventLine.id(1, 4)))
  }
}

/// Runs `script` with bash (`-euo pipefail`) in `directory`, with the built tools first on the
/// PATH.
func runShell(_ script: String, in directory: String) throws -> ProcessResult {
  let tools = URL(fileURLWithPath: RepositoryPaths.executable("treatment-ledger"))
    .deletingLastPathComponent().path
  let path = tools + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
  return try ProcessResult.run(
    "/bin/bash", ["-euo", "pipefail", "-c", script], environment: ["PATH": path],
    directory: directory)
}

/// The rows of a CSV file the tool wrote, read by CSV.swift (yaslab/CSV.swift), a reader
/// independent of the tool's writer.
func readCSV(_ path: String) throws -> [[String]] {
  var text = try String(contentsOfFile: path, encoding: .utf8)
  // The byte-order mark spreadsheets use to recognise UTF-8 is not part of the first cell.
  if text.unicodeScalars.first == "\u{FEFF}" { text.unicodeScalars.removeFirst() }
  let reader = try CSVReader(string: text)
  var rows: [[String]] = []
  while let row = reader.next() { rows.append(row) }
  if let error = reader.error { throw error }
  return rows
}
