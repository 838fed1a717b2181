import Foundation
import LedgerTestSupport
import Testing

/// `read`: envelopes of a stream or the log, ranges, direction and "as of" reads.
@Suite("treatment-ledger read")
struct ReadCommandTests {
  @Test func readStreamPrintsEnvelopes() throws {
    let cli = LedgerCLI("read")
    defer { cli.remove() }
    try cli.succeed(["init"])
    try cli.populateForReading()
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
    try cli.populateForReading()
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
}
