/// The chain fields of one event: what a ``ChainFollower`` checks, read from the store, an
/// export line or a CSV row.
public struct ChainLink: Sendable, Hashable {
  /// Position in the log.
  public var globalPosition: UInt64
  /// The stream.
  public var streamId: String
  /// Version in the stream.
  public var streamVersion: UInt64
  /// `recordedAt` in microseconds since the epoch; nil when it is not an RFC 3339 time.
  public var recordedAtMicros: Int64?
  /// Hash of the previous event of the log.
  public var previousHash: ChainHash
  /// Hash of the previous event of the stream.
  public var previousStreamHash: ChainHash
  /// The event's own hash.
  public var hash: ChainHash

  /// Creates a link from its fields.
  public init(
    globalPosition: UInt64, streamId: String, streamVersion: UInt64, recordedAtMicros: Int64?,
    previousHash: ChainHash, previousStreamHash: ChainHash, hash: ChainHash
  ) {
    self.globalPosition = globalPosition
    self.streamId = streamId
    self.streamVersion = streamVersion
    self.recordedAtMicros = recordedAtMicros
    self.previousHash = previousHash
    self.previousStreamHash = previousStreamHash
    self.hash = hash
  }

  /// The link of a stored event.
  public init(_ event: RecordedEvent) {
    self.init(
      globalPosition: event.globalPosition, streamId: event.streamId,
      streamVersion: event.streamVersion, recordedAtMicros: Timestamp.parseMicros(event.recordedAt),
      previousHash: event.previousHash, previousStreamHash: event.previousStreamHash,
      hash: event.hash)
  }
}

/// The first rule of the chain an event does not keep (docs/FORMAT.md, "The hash chain").
///
/// The cases carry positions and versions only, so that each caller words its own message
/// (`verify`, `verifyStream` and `audit verify` report to different readers).
public enum ChainBreak: Sendable, Hashable {
  /// Following the log: the event holds position `found` where `expected` comes next.
  case position(expected: UInt64, found: UInt64)
  /// Following the log: `previousHash` is not the hash of the event before.
  case logLink
  /// Following one stream: the event belongs to another stream.
  case otherStream
  /// The event holds version `found` of its stream where `expected` comes next.
  case streamVersion(expected: UInt64, found: UInt64)
  /// `previousStreamHash` is not the hash of the stream's event before (at `version`).
  case streamLink(version: UInt64)
  /// Following one stream: the event's position is not after the previous event's.
  case positionNotIncreasing
  /// `recordedAt` is earlier than the previous event's, or is not a time.
  case recordedAtDecreased

  /// The kind ``EventStore/verify(anchor:progress:)`` reports for it.
  public var kind: VerificationProblem.Kind {
    switch self {
    case .position, .otherStream, .positionNotIncreasing: return .positionMismatch
    case .logLink: return .brokenChain
    case .streamVersion, .streamLink: return .brokenStreamChain
    case .recordedAtDecreased: return .recordedAtDecreased
    }
  }
}

/// Follows the hash chains along events fed in order and reports the first break: the one
/// definition of the chain, used by ``EventStore/verify(anchor:progress:)``,
/// ``EventStore/verifyStream(_:)`` and the audit export verifier.
///
/// ```swift
/// var follower = ChainFollower(.log(streams: true))
/// for event in events {
///   if let broken = follower.follow(ChainLink(event)) { print(broken.kind); break }
/// }
/// ```
///
/// The rules, checked in this order for each event:
/// 1. following the log, its position is the next one and `previousHash` is the hash of the event
///    before (of the start point for the first event; zeros at the start of the log);
/// 2. following one stream, it belongs to that stream; following streams, its version is the next
///    one of its stream and `previousStreamHash` the hash of the stream's event before (zeros
///    before version 0). A follower of the log that starts after a point (not at the log's start)
///    has not seen the streams' earlier events: a stream's first event there may hold any version,
///    and names zeros if it holds version 0; its later events are checked as above;
/// 3. following one stream, its position is after the previous event's;
/// 4. its `recordedAt` is a time, not earlier than the previous event's.
///
/// Hashes of the bytes themselves (and canonical form) are the reader's to check before: the
/// follower only links the events. An event that breaks a rule is not taken in.
public struct ChainFollower: Sendable {
  /// Which chains to follow.
  public enum Scope: Sendable, Hashable {
    /// The log's chain; with `streams`, every stream's chain as well (from its version 0, or,
    /// for a follower that starts after a point, from the stream's first event it sees).
    case log(streams: Bool)
    /// One stream's chain.
    case stream(String)
  }

  /// Where a chain stands: an index (a position, or a version) and the hash of the event there.
  public struct Point: Sendable, Hashable {
    /// The position (log) or version (stream) of the event.
    public var index: UInt64
    /// Its hash.
    public var hash: ChainHash

    /// Creates a point.
    public init(index: UInt64, hash: ChainHash) {
      self.index = index
      self.hash = hash
    }
  }

  /// The chains followed.
  public let scope: Scope
  /// The last event taken in, or nil before the first.
  public private(set) var last: ChainLink?
  /// Events taken in.
  public private(set) var count: UInt64 = 0
  /// Where the followed chain stands: after the last event, or the start point (nil at the very
  /// start of the chain).
  public private(set) var head: Point?
  /// Following the log with its streams: where each stream seen so far stands.
  public private(set) var streamHeads: [String: Point] = [:]

  /// A follower of `scope`, starting after `start` (the event just before the first one fed), or
  /// at the chain's very start (index 0, previous hash zeros) when nil.
  public init(_ scope: Scope, after start: Point? = nil) {
    self.scope = scope
    self.head = start
    self.startsMidLog = start != nil
  }

  /// Whether the follower started after a point, so that streams may have begun before it.
  private let startsMidLog: Bool

  /// The index the next event must hold.
  public var nextIndex: UInt64 { head.map { $0.index + 1 } ?? 0 }
  /// The hash the next event must name as its previous one.
  public var nextLink: ChainHash { head?.hash ?? .zero }

  /// Checks `link` against the chain so far and takes it in, or returns the first rule it breaks
  /// (and leaves the follower as it was).
  public mutating func follow(_ link: ChainLink) -> ChainBreak? {
    if let broken = check(link) { return broken }
    switch scope {
    case .log(let streams):
      head = Point(index: link.globalPosition, hash: link.hash)
      if streams { streamHeads[link.streamId] = Point(index: link.streamVersion, hash: link.hash) }
    case .stream:
      head = Point(index: link.streamVersion, hash: link.hash)
    }
    last = link
    count += 1
    return nil
  }

  private func check(_ link: ChainLink) -> ChainBreak? {
    switch scope {
    case .log(let streams):
      if link.globalPosition != nextIndex {
        return .position(expected: nextIndex, found: link.globalPosition)
      }
      if link.previousHash != nextLink { return .logLink }
      if streams {
        if let stream = streamHeads[link.streamId] {
          if let broken = Self.checkStream(link, after: stream) { return broken }
        } else if !startsMidLog || link.streamVersion == 0 {
          // A stream's first event: at version 0 naming zeros, unless it began before the start.
          if let broken = Self.checkStream(link, after: nil) { return broken }
        }
      }
    case .stream(let name):
      if link.streamId != name { return .otherStream }
      if let broken = Self.checkStream(link, after: head) { return broken }
      if let last, link.globalPosition <= last.globalPosition { return .positionNotIncreasing }
    }
    guard let recorded = link.recordedAtMicros else { return .recordedAtDecreased }
    if let earlier = last?.recordedAtMicros, recorded < earlier { return .recordedAtDecreased }
    return nil
  }

  private static func checkStream(_ link: ChainLink, after point: Point?) -> ChainBreak? {
    let expected = point.map { $0.index + 1 } ?? 0
    if link.streamVersion != expected {
      return .streamVersion(expected: expected, found: link.streamVersion)
    }
    if link.previousStreamHash != (point?.hash ?? .zero) {
      return .streamLink(version: link.streamVersion)
    }
    return nil
  }
}
