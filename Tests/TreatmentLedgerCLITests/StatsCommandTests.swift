import Foundation
import LedgerTestSupport
import Testing

/// `stats`: counts, the chain head and the newest recorded time.
@Suite("treatment-ledger stats")
struct StatsCommandTests {
  @Test func statsReportsCountsAndHead() throws {
    let cli = LedgerCLI("stats")
    defer { cli.remove() }
    try cli.succeed(["init"])
    try cli.populateForReading()
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
