import Foundation
import LedgerTestSupport
import Testing

/// `import`: large idempotent batches, interruption, malformed lines and conflicts.
@Suite("treatment-ledger import")
struct ImportCommandTests {
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
}
