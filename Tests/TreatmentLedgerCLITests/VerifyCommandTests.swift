import Foundation
import LedgerTestSupport
import Testing

/// `verify`: the whole log, one stream and anchors.
@Suite("treatment-ledger verify")
struct VerifyCommandTests {
  @Test func verifyAndAnchors() throws {
    let cli = LedgerCLI("verify")
    defer { cli.remove() }
    try cli.succeed(["init"])
    try cli.populateForReading()
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
}
