import Foundation
import LedgerFoundation
import LedgerLMDB

/// The chain head an operator kept outside the store: how many events there were and the hash
/// of the newest. Verifying against it detects truncation of the newest events, which the chain
/// alone cannot show.
public struct ChainAnchor: Sendable, Hashable, Codable {
  /// Number of events when the anchor was taken.
  public var events: UInt64
  /// Hash of event `events - 1` (hex).
  public var chainHead: String

  /// Creates an anchor.
  public init(events: UInt64, chainHead: String) {
    self.events = events
    self.chainHead = chainHead
  }
}

/// The first problem a verification found.
public struct VerificationProblem: Sendable, Hashable, Codable, CustomStringConvertible {
  /// The kinds of problems verification detects.
  public enum Kind: String, Sendable, Codable {
    /// The stored hash is not the SHA-256 of the stored canonical bytes: bytes were changed.
    case hashMismatch
    /// `previousHash` is not the hash of the previous event of the log.
    case brokenChain
    /// `previousStreamHash` is not the hash of the stream's previous event, or versions skip.
    case brokenStreamChain
    /// The event's `globalPosition` differs from its key: events were moved or reordered.
    case positionMismatch
    /// A position below the head has no event: an event was removed.
    case missingEvent
    /// The record cannot be decoded.
    case undecodable
    /// The streams index disagrees with the log.
    case streamIndexMismatch
    /// The event-id index disagrees with the log.
    case eventIdIndexMismatch
    /// A stream head disagrees with the stream's last event.
    case streamHeadMismatch
    /// An index or the log holds more or fewer entries than the head says.
    case countMismatch
    /// `recordedAt` decreased along the log.
    case recordedAtDecreased
    /// The stored head (next position, last hash) disagrees with the log.
    case headMismatch
    /// The store does not reach the anchor kept outside it: newest events were removed or changed.
    case anchorMismatch
    /// The stored bytes hash correctly but are not the canonical form of the envelope they hold
    /// (a rewritten event whose hashes were recomputed).
    case notCanonical
  }

  /// What is wrong.
  public var kind: Kind
  /// The first bad global position, when the problem is at one event.
  public var position: UInt64?
  /// The stream concerned, when there is one.
  public var stream: String?
  /// A sentence about the problem (no payload values).
  public var detail: String

  /// `kind at position N (stream S): detail`.
  public var description: String {
    var text = kind.rawValue
    if let position { text += " at position \(position)" }
    if let stream { text += " (stream '\(stream)')" }
    return text + ": " + detail
  }
}

/// The outcome of ``EventStore/verify(anchor:progress:)`` or
/// ``EventStore/verifyStream(_:)``.
public struct VerificationReport: Sendable, Hashable, Codable {
  /// Events whose hashes were recomputed.
  public var eventsChecked: UInt64
  /// Streams whose chains were followed.
  public var streamsChecked: Int
  /// Hash of the last event checked (the chain head for a full verification).
  public var chainHead: String
  /// The first problem, or nil when everything checked out.
  public var problem: VerificationProblem?
  /// True when no problem was found.
  public var isIntact: Bool { problem == nil }
}

extension EventStore {
  /// Events read per read transaction while verifying, so no reader is held for long.
  static let verificationChunk: UInt64 = 4_096

  /// Recomputes every hash of the log, follows both chains (log and per stream), checks every
  /// index and the stored head against the log, and, given an `anchor` kept outside the store,
  /// checks that the store still reaches it. Stops at the first problem.
  ///
  /// Events appended while it runs are not checked; it verifies the log as it was when it began.
  /// `progress` is called after each chunk with (checked, total).
  public func verify(
    anchor: ChainAnchor? = nil, progress: (@Sendable (UInt64, UInt64) -> Void)? = nil
  ) throws(EventStoreError) -> VerificationReport {
    let snapshot: VerificationSnapshot
    do {
      snapshot = try withRead { txn in try VerificationSnapshot(txn, layout) }
    } catch .incompatibleStore(let reason) {
      return VerificationReport(
        eventsChecked: 0, streamsChecked: 0, chainHead: ChainHash.zero.hex,
        problem: VerificationProblem(
          kind: .headMismatch, position: nil, stream: nil, detail: reason))
    }
    let total = snapshot.head.nextPosition
    var report = VerificationReport(
      eventsChecked: 0, streamsChecked: 0, chainHead: ChainHash.zero.hex, problem: nil)
    var follower = ChainFollower(.log(streams: true))
    if let problem = try followLog(
      total: total, with: &follower, report: &report, progress: progress)
    {
      report.problem = problem
      return report
    }
    report.streamsChecked = follower.streamHeads.count
    report.problem = snapshot.problem(after: follower)
    if report.problem == nil, let anchor {
      report.problem = try problem(reaching: anchor, total: total)
    }
    return report
  }

  /// Reads positions 0..<`total` in chunks of short read transactions, checks each event's bytes,
  /// follows it with `follower` and checks the indexes point at it; the first problem, or nil.
  private func followLog(
    total: UInt64, with follower: inout ChainFollower, report: inout VerificationReport,
    progress: (@Sendable (UInt64, UInt64) -> Void)?
  ) throws(EventStoreError) -> VerificationProblem? {
    var position: UInt64 = 0
    while position < total {
      let end = min(total, position + Self.verificationChunk)
      let problem: VerificationProblem? = try withRead { txn in
        while position < end {
          func fail(_ kind: VerificationProblem.Kind, _ stream: String?, _ detail: String)
            -> VerificationProblem
          {
            VerificationProblem(kind: kind, position: position, stream: stream, detail: detail)
          }
          guard let value = try txn.get(layout.log, position.bigEndianBytes) else {
            return fail(.missingEvent, nil, "no event is stored at this position")
          }
          let event: RecordedEvent
          do { event = try RecordCodec.decode(position: position, value) } catch {
            return fail(.undecodable, nil, "the record does not decode")
          }
          if let problem = Self.checkBytes(event) {
            return fail(problem.kind, event.streamId, problem.detail)
          }
          if let broken = follower.follow(ChainLink(event)) {
            return fail(broken.kind, event.streamId, Self.logDetail(broken))
          }
          if try txn.get(layout.streams, Layout.streamKey(event.streamId, event.streamVersion))
            != position.bigEndianBytes
          {
            return fail(
              .streamIndexMismatch, event.streamId, "the streams index does not point here")
          }
          if try txn.get(layout.eventIds, Layout.eventIdKey(event.eventId))
            != position.bigEndianBytes
          {
            return fail(
              .eventIdIndexMismatch, event.streamId, "the event-id index does not point here")
          }
          report.eventsChecked += 1
          report.chainHead = event.hash.hex
          position += 1
        }
        return nil
      }
      if let problem { return problem }
      progress?(position, total)
    }
    return nil
  }

  /// Whether the store still reaches `anchor`: event `anchor.events - 1` exists and has its hash.
  private func problem(reaching anchor: ChainAnchor, total: UInt64) throws(EventStoreError)
    -> VerificationProblem?
  {
    let reached: Bool = try withRead { txn in
      guard anchor.events > 0 else { return true }
      guard anchor.events <= total,
        let value = try txn.get(layout.log, (anchor.events - 1).bigEndianBytes)
      else {
        return false
      }
      return ChainHash(bytes: value[1..<33])?.hex == anchor.chainHead
    }
    if reached { return nil }
    return VerificationProblem(
      kind: .anchorMismatch, position: anchor.events > 0 ? anchor.events - 1 : nil, stream: nil,
      detail: "the store does not contain the anchored chain head (\(anchor.events) events)")
  }

  /// The first problem of an event's bytes on their own: its hash, then its canonical form.
  package static func checkBytes(_ event: RecordedEvent) -> (
    kind: VerificationProblem.Kind, detail: String
  )? {
    if ChainHash.sha256(event.canonicalBytes) != event.hash {
      return (.hashMismatch, "stored bytes do not match their hash")
    }
    if !isCanonical(event) {
      return (.notCanonical, "stored bytes are not the canonical form of the envelope")
    }
    return nil
  }

  /// `verify`'s sentence for a break of the chain.
  package static func logDetail(_ broken: ChainBreak) -> String {
    switch broken {
    case .position(_, let found): return "the event names position \(found)"
    case .logLink: return "previousHash is not the hash of the previous event"
    case .streamVersion(let expected, let found):
      return "the stream's chain does not continue here (version \(found), expected \(expected))"
    case .streamLink(let version):
      return "the stream's chain does not continue here (version \(version), expected \(version))"
    case .otherStream, .positionNotIncreasing:
      return "the event's stream or position does not follow the chain"
    case .recordedAtDecreased: return "recordedAt is earlier than the previous event's"
    }
  }

  /// True when the stored bytes are exactly the canonical form of the envelope they decode to
  /// (which also rules out members the envelope does not have).
  static func isCanonical(_ event: RecordedEvent) -> Bool {
    JSONValue.object(
      RecordedEvent.hashedMembers(
        proposed: event.proposed, streamId: event.streamId, streamVersion: event.streamVersion,
        globalPosition: event.globalPosition, recordedAt: event.recordedAt, flags: event.flags,
        previousHash: event.previousHash, previousStreamHash: event.previousStreamHash,
        sealedKeyVersion: event.dataForm.keyVersion)
    ).canonicalBytes == event.canonicalBytes
  }

  /// Verifies one stream on its own: every event's hash, the stream's chain from its first event,
  /// gap-free versions, and the stream's indexes and head.
  public func verifyStream(_ stream: String) throws(EventStoreError) -> VerificationReport {
    try withRead { txn in
      var report = VerificationReport(
        eventsChecked: 0, streamsChecked: 1, chainHead: ChainHash.zero.hex, problem: nil)
      func fail(_ kind: VerificationProblem.Kind, _ position: UInt64?, _ detail: String)
        -> VerificationReport
      {
        var failed = report
        failed.problem = VerificationProblem(
          kind: kind, position: position, stream: stream, detail: detail)
        return failed
      }
      var follower = ChainFollower(.stream(stream))
      let prefix = Layout.streamPrefix(stream)
      let problem: VerificationReport? = try txn.withCursor(layout.streams) { cursor in
        var entry = try cursor.seek(atLeast: prefix)
        while let current = entry, current.key.starts(with: prefix) {
          guard current.key.count == prefix.count + 8,
            UInt64(bigEndianBytes: current.key[prefix.count...]) == follower.nextIndex,
            let position = UInt64(bigEndianBytes: current.value)
          else {
            return fail(
              .streamIndexMismatch, nil,
              "the streams index skips or repeats version \(follower.nextIndex)")
          }
          guard let value = try txn.get(layout.log, position.bigEndianBytes) else {
            return fail(.missingEvent, position, "the streams index points at a missing event")
          }
          let event: RecordedEvent
          do { event = try RecordCodec.decode(position: position, value) } catch {
            return fail(.undecodable, position, "the record does not decode")
          }
          if let problem = Self.checkBytes(event) {
            return fail(problem.kind, position, problem.detail)
          }
          if event.globalPosition != position {
            return fail(
              .positionMismatch, position, "the event's stream or positions differ from the index")
          }
          switch follower.follow(ChainLink(event)) {
          case nil: break
          case .streamLink?:
            return fail(
              .brokenStreamChain, position,
              "previousStreamHash is not the hash of the stream's previous event")
          case .recordedAtDecreased?:
            return fail(
              .recordedAtDecreased, position, "recordedAt is earlier than the previous event's")
          case .position?, .logLink?, .otherStream?, .streamVersion?, .positionNotIncreasing?:
            return fail(
              .positionMismatch, position, "the event's stream or positions differ from the index")
          }
          if try txn.get(layout.eventIds, Layout.eventIdKey(event.eventId))
            != position.bigEndianBytes
          {
            return fail(.eventIdIndexMismatch, position, "the event-id index does not point here")
          }
          report.eventsChecked += 1
          report.chainHead = event.hash.hex
          entry = try cursor.next()
        }
        return nil
      }
      if let problem { return problem }
      report.streamsChecked = report.eventsChecked > 0 ? 1 : 0
      let head = try layout.streamHead(txn, stream)
      let expected = follower.head.map { Layout.StreamHead(version: $0.index, hash: $0.hash) }
      if report.eventsChecked == 0 ? head != nil : head != expected {
        return fail(
          .streamHeadMismatch, nil, "the stream head does not match the stream's last event")
      }
      return report
    }
  }
}

/// What `verify` compares the log with, read in one transaction before following it: the stored
/// head, the stream heads and the number of entries of each table.
private struct VerificationSnapshot {
  var head: Layout.Head
  var streamHeads: [String: [UInt8]]
  var logEntries: Int
  var lastLogKey: UInt64?
  var streamEntries: Int
  var eventIdEntries: Int
  var streamHeadEntries: Int

  init(_ txn: Transaction, _ layout: Layout) throws {
    head = try layout.head(txn)
    streamHeads = try txn.withCursor(layout.streamHeads) { cursor in
      var heads: [String: [UInt8]] = [:]
      var entry = try cursor.first()
      while let current = entry {
        heads[String(decoding: current.key, as: UTF8.self)] = current.value
        entry = try cursor.next()
      }
      return heads
    }
    logEntries = try txn.count(layout.log)
    lastLogKey = try txn.withCursor(layout.log) { try $0.last() }.flatMap {
      UInt64(bigEndianBytes: $0.key)
    }
    streamEntries = try txn.count(layout.streams)
    eventIdEntries = try txn.count(layout.eventIds)
    streamHeadEntries = try txn.count(layout.streamHeads)
  }

  /// The first disagreement between the snapshot and the log `follower` followed to its end.
  func problem(after follower: ChainFollower) -> VerificationProblem? {
    func fail(
      _ kind: VerificationProblem.Kind, _ position: UInt64?, _ stream: String?, _ detail: String
    ) -> VerificationProblem {
      VerificationProblem(kind: kind, position: position, stream: stream, detail: detail)
    }
    let total = head.nextPosition
    let streams = follower.streamHeads.mapValues {
      Layout.StreamHead(version: $0.index, hash: $0.hash)
    }
    if head.lastHash != follower.nextLink
      || (total > 0 && head.lastRecordedMicros != (follower.last?.recordedAtMicros ?? .min))
    {
      return fail(
        .headMismatch, total > 0 ? total - 1 : nil, nil,
        "the stored head does not match the newest event")
    }
    if logEntries != Int(total) || (total > 0 && lastLogKey != total - 1) {
      return fail(
        .countMismatch, total, nil, "the log holds \(logEntries) entries, the head says \(total)")
    }
    if streamEntries != Int(total) || eventIdEntries != Int(total) {
      return fail(
        .countMismatch, nil, nil, "an index holds entries for events that are not in the log")
    }
    if streamHeadEntries != streams.count {
      return fail(
        .countMismatch, nil, nil,
        "there are \(streamHeadEntries) stream heads for \(streams.count) streams")
    }
    for (stream, expected) in streams where streamHeads[stream] != expected.encoded {
      return fail(
        .streamHeadMismatch, nil, stream, "the stream head does not match the stream's last event")
    }
    return nil
  }
}
