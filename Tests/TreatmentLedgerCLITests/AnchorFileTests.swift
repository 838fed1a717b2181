import Foundation
import LedgerTestSupport
import Testing
import TreatmentLedger

@Suite("chain anchor kept outside the store") struct AnchorFileTests {
  @Test func everyCommitRewritesTheAnchorAndVerifyUsesIt() async throws {
    let dir = TemporaryDirectory("anchor")
    defer { dir.remove() }
    let anchorPath = dir.appending("anchor.json")
    var options = EventStore.Options()
    options.anchorFile = anchorPath
    let store = try EventStore.open(at: dir.appending("store"), options: options)
    let recorder = Recorder(id: "u", name: "n", role: "r")
    func event() -> ProposedEvent {
      ProposedEvent(
        type: "Counted", occurredAt: "2026-11-01T10:00:00Z", recordedBy: recorder,
        data: .object([:]))
    }
    _ = try await store.append([event(), event()], to: "tally-1")
    let first = try JSONDecoder().decode(
      ChainAnchor.self, from: Data(contentsOf: URL(fileURLWithPath: anchorPath)))
    #expect(first.events == 2)
    #expect(first.chainHead == (try store.statistics().chainHead))
    _ = try await store.append([event()], to: "tally-2")
    let second = try JSONDecoder().decode(
      ChainAnchor.self, from: Data(contentsOf: URL(fileURLWithPath: anchorPath)))
    #expect(second.events == 3)
    store.close()

    let cli = RepositoryPaths.executable("treatment-ledger")
    let intact = try ProcessResult.run(
      cli, ["verify", "--store", dir.appending("store"), "--anchor", anchorPath])
    #expect(intact.status == 0, "\(intact.stderr)")
    // An anchor the store does not reach (newest events removed) fails with exit 4.
    let ahead = ChainAnchor(events: 4, chainHead: second.chainHead)
    try JSONEncoder().encode(ahead).write(to: URL(fileURLWithPath: dir.appending("ahead.json")))
    let truncated = try ProcessResult.run(
      cli, ["verify", "--store", dir.appending("store"), "--anchor", dir.appending("ahead.json")])
    #expect(truncated.status == 4)
    #expect(truncated.stdout.contains("anchorMismatch"))
    let unreadable = try ProcessResult.run(
      cli, ["verify", "--store", dir.appending("store"), "--anchor", dir.appending("missing.json")])
    #expect(unreadable.status == 65)
  }
}
