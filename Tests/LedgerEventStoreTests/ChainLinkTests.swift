import Foundation
import LedgerEventStore
import LedgerLMDB
import LedgerTestSupport
import Testing

/// A break that only the global chain shows: the newest event, alone in its stream, rewritten
/// with another `previousHash`, its own hash and both heads recomputed. Every other check
/// (content hash, canonical form, positions, stream chain, indexes, heads) still passes.
@Suite struct ChainLinkTests {
  @Test func verifyReportsAPreviousHashThatIsNotThePreviousEvent() async throws {
    let dir = TemporaryDirectory("chain-link")
    defer { dir.remove() }
    let store = try EventStore.open(at: dir.path)
    _ = try await store.append([event()], to: "ward-1")
    _ = try await store.append([event()], to: "ward-2")
    let last = try #require(try store.readAll().last)
    store.close()

    let forged = String(repeating: "ab", count: 32)
    try rewriteNewestEvent(
      in: dir, last, replacing: "\"previousHash\":\"\(last.previousHash.hex)\"",
      with: "\"previousHash\":\"\(forged)\"")

    let reopened = try EventStore.open(at: dir.path)
    defer { reopened.close() }
    let problem = try #require(try reopened.verify().problem)
    #expect(problem.kind == .brokenChain)
    #expect(problem.position == last.globalPosition)
    // The stream on its own still verifies: only the log's chain is broken.
    #expect(try reopened.verifyStream("ward-2").isIntact)
  }
}
