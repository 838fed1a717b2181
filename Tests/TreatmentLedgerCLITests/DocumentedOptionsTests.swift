import Foundation
import LedgerTestSupport
import Testing

/// What README and `--help` promise for `validate`, `import --skip-invalid`, `--anchor-file`,
/// `--protocol` and the CSV of an audit export, run through the built executable.
@Suite("documented command-line options")
struct DocumentedOptionsTests {
  static let patient = "doc-1"
  static let stream = "patient-doc-1"

  /// Three lines of one patient; the second names a session that was never started.
  static func mixedLines() -> [String] {
    [
      EventLine.make(
        id: EventLine.id(7, 1), stream: stream, type: "PatientRegistered",
        data: #"{"patientId":"\#(patient)","birthYear":1980,"sexAtBirth":"female"}"#),
      EventLine.make(
        id: EventLine.id(7, 2), stream: stream, type: "VitalsRecorded",
        data: #"{"sessionId":"s-none","timepoint":"during","heartRateBpm":72}"#),
      EventLine.make(
        id: EventLine.id(7, 3), stream: stream, type: "CoursePlanned",
        data:
          #"{"courseId":"c1","indication":"anxiety","drug":"ketamine","route":"iv","phase":"induction","plannedSessions":4,"sessionsPerWeek":2,"targetDoseMgPerKg":0.5}"#
      ),
    ]
  }

  @Test func validateListsRefusedLinesAndWritesNothing() throws {
    let cli = LedgerCLI("validate")
    defer { cli.remove() }
    try cli.succeed(["init"])
    let result = try cli.run(["validate", try cli.write("in.ndjson", Self.mixedLines())])
    #expect(result.status == 65)
    #expect(result.stdout.contains("3 events checked: 2 valid, 1 invalid"), "\(result.stdout)")
    #expect(result.stderr.contains("line 2"), "\(result.stderr)")
    #expect(result.stderr.contains("vitals.session.notStarted"))
    #expect(try cli.stats().events == 0)

    let valid = try cli.run(["validate", try cli.write("ok.ndjson", [Self.mixedLines()[0]])])
    #expect(valid.status == 0)
    #expect(valid.stdout.contains("1 events checked: 1 valid, 0 invalid"), "\(valid.stdout)")
  }

  @Test func importSkipInvalidCommitsTheRestAndWritesRefusedLines() throws {
    let cli = LedgerCLI("skip-invalid")
    defer { cli.remove() }
    try cli.succeed(["init"])
    let lines = Self.mixedLines()
    let rejected = cli.directory.appending("refused.ndjson")
    let result = try cli.succeed([
      "import", "--skip-invalid", "--rejected-file", rejected, try cli.write("in.ndjson", lines),
    ])
    #expect(result.stdout.contains("1 rejected"), "\(result.stdout)")
    #expect(result.stderr.contains("vitals.session.notStarted"))
    let refused = try String(contentsOfFile: rejected, encoding: .utf8)
    #expect(refused == lines[1] + "\n")
    let stored = try cli.envelopes(["--stream", Self.stream])
    #expect(stored.map(\.eventId) == [EventLine.id(7, 1), EventLine.id(7, 3)])
  }

  @Test func anchorFileOnTheCommandLineIsWrittenAndVerifies() throws {
    let cli = LedgerCLI("anchor-file")
    defer { cli.remove() }
    let anchor = cli.directory.appending("anchor.json")
    let lines = EventLine.generate(count: 5, streams: 1, group: 8, prefix: "cli-anchor")
    try cli.succeed(["init"])
    try cli.succeed([
      "append", "--stream", "cli-anchor-0", "--anchor-file", anchor,
      try cli.write("a.ndjson", lines),
    ])
    let stats = try cli.stats()
    let written = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: anchor)))
        as? [String: Any])
    #expect(written["events"] as? Int == 5)
    #expect(written["chainHead"] as? String == stats.chainHead)
    try cli.succeed(["verify", "--anchor", anchor])
    // An anchor that names a head the store does not hold fails verification.
    let forged = cli.directory.appending("forged.json")
    try Data(#"{"chainHead":"\#(String(repeating: "a", count: 64))","events":5}"#.utf8)
      .write(to: URL(fileURLWithPath: forged))
    #expect(try cli.run(["verify", "--anchor", forged]).status == 4)
  }

  @Test func anAnchorFileThatCannotBeWrittenIsLoggedAndTheAppendStands() throws {
    let cli = LedgerCLI("anchor-fail")
    defer { cli.remove() }
    let anchor = cli.directory.appending("missing-directory/anchor.json")
    let lines = EventLine.generate(count: 1, streams: 1, group: 9, prefix: "cli-anchor")
    try cli.succeed(["init"])
    let result = try cli.run([
      "append", "--stream", "cli-anchor-0", "--anchor-file", anchor,
      try cli.write("a.ndjson", lines),
    ])
    #expect(result.status == 0, "\(result.stderr)")
    #expect((result.stderr + result.stdout).contains("could not write the chain anchor file"))
    #expect(try cli.stats().events == 1)
    #expect(!FileManager.default.fileExists(atPath: anchor))
  }

  @Test func protocolFileThresholdsFlagAndNameTheirVersion() throws {
    let cli = LedgerCLI("protocol")
    defer { cli.remove() }
    try cli.succeed(["init"])
    let protocolFile = cli.directory.appending("protocol.json")
    try Data(#"{"protocolVersion":"clinic-7","thresholds":{"heartRateHighBpm":100}}"#.utf8)
      .write(to: URL(fileURLWithPath: protocolFile))
    let lines = [
      Self.mixedLines()[0], Self.mixedLines()[2],
      EventLine.make(
        id: EventLine.id(7, 4), stream: Self.stream, type: "SessionStarted",
        data:
          #"{"sessionId":"s1","courseId":"c1","weightKg":70,"escortArranged":true,"fasted":true}"#),
      EventLine.make(
        id: EventLine.id(7, 5), stream: Self.stream, type: "VitalsRecorded",
        data: #"{"sessionId":"s1","timepoint":"during","heartRateBpm":104}"#),
    ]
    try cli.succeed(["import", "--protocol", protocolFile, try cli.write("in.ndjson", lines)])
    let read = try cli.succeed(["read", "--stream", Self.stream, "--json"]).stdout
    let last = try #require(
      try JSONSerialization.jsonObject(with: Data((read.split(separator: "\n").last ?? "").utf8))
        as? [String: Any])
    let flags = try #require(last["flags"] as? [[String: Any]])
    #expect(flags.map { $0["code"] as? String } == ["vitals.heartRate.high"])
    #expect(flags.first?["protocolVersion"] as? String == "clinic-7")

    // The defaults would not flag 104 bpm; a protocol file that is not valid is refused.
    let bad = cli.directory.appending("bad.json")
    try Data(#"{"protocolVersion":"","thresholds":{}}"#.utf8).write(to: URL(fileURLWithPath: bad))
    #expect(try cli.run(["stats", "--protocol", bad]).status == 65)
  }

  @Test func csvDataSummariesAreCutAt16000Characters() throws {
    let cli = LedgerCLI("csv-cut")
    defer { cli.remove() }
    try cli.succeed(["init"])
    let long = String(repeating: "a", count: 20_000)
    let lines = [
      EventLine.make(id: EventLine.id(10, 1), stream: "cli-csv", data: #"{"note":"\#(long)"}"#)
    ]
    try cli.succeed(["import", try cli.write("in.ndjson", lines)])
    let out = cli.directory.appending("export")
    try cli.succeed([
      "audit", "export", "--out", out, "--by", "u-1", "--reason", "test", "--format", "ndjson,csv",
    ])
    let rows = try readCSV(out + "/events.csv")
    let header = try #require(rows.first)
    let streamColumn = try #require(header.firstIndex(of: "streamId"))
    let dataColumn = try #require(header.firstIndex(of: "data"))
    let row = try #require(rows.first { $0[streamColumn] == "cli-csv" })
    // The first 16,000 characters of `note=aaa…`, then the marker (docs/AUDIT.md, CSV).
    #expect(row[dataColumn] == "note=" + String(repeating: "a", count: 15_995) + " [truncated]")
    #expect(try cli.run(["audit", "verify", out]).status == 0)
  }
}
