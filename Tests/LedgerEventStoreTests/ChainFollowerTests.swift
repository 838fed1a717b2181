import Foundation
import LedgerEventStore
import LedgerTestSupport
import Testing

/// The chain follower on hand-made links: a well-formed chain of three streams, then each rule
/// broken once. The stores' `verify` paths over it are in VerificationTests and ChainLinkTests.
@Suite struct ChainFollowerTests {
  /// `count` links over streams `s0`, `s1`, `s2` (round robin), one microsecond apart, chained
  /// along the log and along each stream.
  static func chain(_ count: Int) -> [ChainLink] {
    var links: [ChainLink] = []
    var streamHeads: [String: (version: UInt64, hash: ChainHash)] = [:]
    for index in 0..<count {
      let stream = "s\(index % 3)"
      let head = streamHeads[stream]
      let hash = ChainHash.sha256(Array("event \(index)".utf8))
      links.append(
        ChainLink(
          globalPosition: UInt64(index), streamId: stream,
          streamVersion: head.map { $0.version + 1 } ?? 0,
          recordedAtMicros: 1_000_000 + Int64(index), previousHash: links.last?.hash ?? .zero,
          previousStreamHash: head?.hash ?? .zero, hash: hash))
      streamHeads[stream] = (links[index].streamVersion, hash)
    }
    return links
  }

  /// Feeds `links` and returns the first break with the index of the link that broke.
  static func follow(_ follower: inout ChainFollower, _ links: [ChainLink]) -> (Int, ChainBreak)? {
    for (index, link) in links.enumerated() {
      if let broken = follower.follow(link) { return (index, broken) }
    }
    return nil
  }

  @Test func anIntactChainIsFollowedToItsHeads() {
    let links = Self.chain(10)
    var follower = ChainFollower(.log(streams: true))
    #expect(Self.follow(&follower, links) == nil)
    #expect(follower.count == 10)
    #expect(follower.head == ChainFollower.Point(index: 9, hash: links[9].hash))
    #expect(follower.nextIndex == 10)
    #expect(follower.nextLink == links[9].hash)
    #expect(follower.streamHeads.count == 3)
    #expect(follower.streamHeads["s0"] == ChainFollower.Point(index: 3, hash: links[9].hash))
    #expect(follower.streamHeads["s2"] == ChainFollower.Point(index: 2, hash: links[8].hash))

    var stream = ChainFollower(.stream("s1"))
    #expect(Self.follow(&stream, links.filter { $0.streamId == "s1" }) == nil)
    #expect(stream.head == ChainFollower.Point(index: 2, hash: links[7].hash))
  }

  @Test func eachLogRuleIsReportedWithItsKind() throws {
    let links = Self.chain(8)
    func broken(_ change: (inout [ChainLink]) -> Void) -> (Int, ChainBreak)? {
      var changed = links
      change(&changed)
      var follower = ChainFollower(.log(streams: true))
      return Self.follow(&follower, changed)
    }
    // A removed event: the next one holds a later position.
    let removed = try #require(broken { $0.remove(at: 4) })
    #expect(removed.0 == 4)
    #expect(removed.1 == .position(expected: 4, found: 5))
    #expect(removed.1.kind == .positionMismatch)
    // A repeated event: its position comes again.
    let repeated = try #require(broken { $0.insert($0[3], at: 4) })
    #expect(repeated.0 == 4 && repeated.1 == .position(expected: 4, found: 3))
    // Another previousHash.
    let relinked = try #require(broken { $0[6].previousHash = ChainHash.sha256([1]) })
    #expect(relinked.0 == 6 && relinked.1 == .logLink && relinked.1.kind == .brokenChain)
    // A stream version skipped, or a stream link changed, with the log chain intact.
    let skipped = try #require(broken { $0[5].streamVersion += 1 })
    #expect(skipped.0 == 5 && skipped.1 == .streamVersion(expected: 1, found: 2))
    #expect(skipped.1.kind == .brokenStreamChain)
    let streamLink = try #require(broken { $0[7].previousStreamHash = .zero })
    #expect(streamLink.0 == 7 && streamLink.1 == .streamLink(version: 2))
    // recordedAt going back, or not a time.
    let earlier = try #require(broken { $0[2].recordedAtMicros = 999_999 })
    #expect(earlier.0 == 2 && earlier.1 == .recordedAtDecreased)
    #expect(earlier.1.kind == .recordedAtDecreased)
    let unreadable = try #require(broken { $0[0].recordedAtMicros = nil })
    #expect(unreadable.0 == 0 && unreadable.1 == .recordedAtDecreased)
  }

  @Test func followingTheLogAloneIgnoresStreamChains() {
    var links = Self.chain(6)
    links[4].streamVersion = 40
    var follower = ChainFollower(.log(streams: false))
    #expect(Self.follow(&follower, links) == nil)
    #expect(follower.streamHeads.isEmpty)
  }

  @Test func aStreamIsFollowedFromAStartPointAndKeepsItsOwnRules() throws {
    let all = Self.chain(12)
    let s1 = all.filter { $0.streamId == "s1" }  // positions 1, 4, 7, 10
    let start = ChainFollower.Point(index: 0, hash: s1[0].hash)
    var follower = ChainFollower(.stream("s1"), after: start)
    #expect(follower.nextIndex == 1 && follower.nextLink == s1[0].hash)
    #expect(Self.follow(&follower, Array(s1.dropFirst())) == nil)

    func broken(_ links: [ChainLink]) -> (Int, ChainBreak)? {
      var follower = ChainFollower(.stream("s1"), after: start)
      return Self.follow(&follower, links)
    }
    #expect(broken([all[0]])?.1 == .otherStream)
    #expect(broken([s1[2]])?.1 == .streamVersion(expected: 1, found: 2))
    var relinked = s1[1]
    relinked.previousStreamHash = ChainHash.sha256([2])
    #expect(broken([relinked])?.1 == .streamLink(version: 1))
    // Versions in order but a position that goes back.
    var back = s1[2]
    back.globalPosition = 2
    let positions = try #require(broken([s1[1], back]))
    #expect(positions.0 == 1 && positions.1 == .positionNotIncreasing)
    #expect(positions.1.kind == .positionMismatch)
  }

  @Test func aBreakLeavesTheFollowerAsItWas() {
    let links = Self.chain(4)
    var follower = ChainFollower(.log(streams: true))
    #expect(follower.follow(links[0]) == nil)
    #expect(follower.follow(links[2]) == .position(expected: 1, found: 2))
    #expect(follower.count == 1 && follower.last == links[0])
    #expect(Self.follow(&follower, Array(links[1...])) == nil)
    #expect(follower.count == 4)
  }

  /// Following the log from a point mid-log: the streams' earlier events are unseen, so a
  /// stream's first event may hold any version; a version 0 still names zeros, and every later
  /// event of a seen stream keeps the stream's rules.
  @Test func theLogFollowedFromAPointChecksStreamsFromTheirFirstEventSeen() throws {
    let all = Self.chain(12)
    let start = ChainFollower.Point(index: 5, hash: all[5].hash)
    func follow(_ links: [ChainLink]) -> (Int, ChainBreak)? {
      var follower = ChainFollower(.log(streams: true), after: start)
      return Self.follow(&follower, links)
    }
    #expect(follow(Array(all[6...])) == nil)
    // A later event of a stream seen in the export: its version and link are checked.
    var gap = all[9]
    gap.streamVersion += 1
    #expect(follow(Array(all[6..<9]) + [gap])?.1 == .streamVersion(expected: 3, found: 4))
    var relinked = all[10]
    relinked.previousStreamHash = all[9].hash
    #expect(follow(Array(all[6..<10]) + [relinked])?.1 == .streamLink(version: 3))
    // A stream's first event seen claiming version 0 must name zeros.
    var restart = all[6]
    restart.streamVersion = 0
    #expect(follow([restart])?.1 == .streamLink(version: 0))
    // From the log's start, a stream's first event must be version 0.
    var fromStart = ChainFollower(.log(streams: true))
    var late = all[0]
    late.streamVersion = 1
    #expect(fromStart.follow(late) == .streamVersion(expected: 0, found: 1))
  }
}
