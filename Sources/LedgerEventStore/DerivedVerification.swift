import Foundation
import LedgerLMDB

/// What ``EventStore/verifyDerived(stream:)`` found for one projection.
public struct DerivedProjectionCheck: Sendable, Hashable, Codable {
  /// The projection.
  public var projection: String
  /// Streams whose stored state was compared with a fold of their events.
  public var streamsChecked: Int
  /// The first stream (in name order) whose stored state differs from the fold of its events up
  /// to the projection's checkpoint, or is stored without events or missing with events; nil
  /// when all agree.
  public var firstDifferingStream: String?
  /// Why the projection was not checked (its stored state is of another version, or it has never
  /// run), or nil when it was.
  public var skipped: String?
}

/// What ``EventStore/verifyDerived(stream:)`` found.
public struct DerivedVerificationReport: Sendable, Hashable, Codable {
  /// One entry per registered projection, in registration order.
  public var projections: [DerivedProjectionCheck]
  /// Streams whose stored review state was compared with one recomputed from their events.
  public var reviewStatesChecked: Int
  /// The first stream (in name order) whose stored review state differs from the recomputed
  /// one, or nil.
  public var firstDifferingReviewStream: String?

  /// True when every stored derived state that was checked equals its recomputation.
  public var isIntact: Bool {
    firstDifferingReviewStream == nil && projections.allSatisfy { $0.firstDifferingStream == nil }
  }
}

extension EventStore {
  /// Recomputes the derived state (every projection's per-stream state and the reviewer's
  /// per-stream state) from the log and compares it with what is stored, in one read
  /// transaction: one consistent snapshot, never blocking appends.
  ///
  /// - A projection's stored state for a stream must equal the fold of the stream's events below
  ///   the projection's checkpoint (state and checkpoint are committed together), so a projection
  ///   that is behind the log is checked as of its checkpoint.
  /// - A stored review state must equal the state the reviewer absorbs from the stream's events;
  ///   a stream without a stored review state is not a problem (the state is recomputed from the
  ///   stream before its next append).
  ///
  /// Reads every event of every checked stream once per projection, so it costs about as much as
  /// a rebuild without writing anything. `stream` limits the check to one stream.
  public func verifyDerived(stream: String? = nil) throws(EventStoreError)
    -> DerivedVerificationReport
  {
    try withRead { txn in
      let streams = try stream.map { [$0] } ?? streamNames(txn)
      var checks: [DerivedProjectionCheck] = []
      for handle in projections {
        checks.append(try check(handle, streams: streams, txn))
      }
      var reviewChecked = 0
      var reviewDiffering: String?
      if let reviewer {
        for name in streams where reviewer.reviews(stream: name) {
          guard let stored = try reviewStateForCheck(name, txn) else { continue }
          reviewChecked += 1
          let events = try streamEvents(name, txn)
          if try reviewStateDiffers(reviewer, stream: name, stored: stored, events: events, txn)
            || reviewFactsDiffer(reviewer, stream: name, stored: stored, events: events, txn)
          {
            reviewDiffering = name
            break
          }
        }
      }
      return DerivedVerificationReport(
        projections: checks, reviewStatesChecked: reviewChecked,
        firstDifferingReviewStream: reviewDiffering)
    }
  }

  /// Every stream name, in byte order.
  private func streamNames(_ txn: Transaction) throws -> [String] {
    try txn.withCursor(layout.streamHeads) { cursor in
      var names: [String] = []
      var entry = try cursor.first()
      while let current = entry {
        names.append(String(decoding: current.key, as: UTF8.self))
        entry = try cursor.next()
      }
      return names
    }
  }

  private func check(
    _ handle: ProjectionHandle, streams: [String], _ txn: Transaction
  ) throws -> DerivedProjectionCheck {
    var check = DerivedProjectionCheck(
      projection: handle.name, streamsChecked: 0, firstDifferingStream: nil, skipped: nil)
    guard let meta = try layout.projectionMeta(txn, handle.name) else {
      check.skipped = "it has never run"
      return check
    }
    guard meta.version == handle.version else {
      check.skipped =
        "its stored state is of version \(meta.version), the code's is \(handle.version)"
      return check
    }
    for name in streams where handle.includes(name) {
      let events = try streamEvents(name, txn).filter { $0.globalPosition < meta.checkpoint }
      let stored = try storedRecordsIfIntact(handle.name, slot: meta.slot, stream: name, txn)
      check.streamsChecked += 1
      let expected =
        events.isEmpty ? [] : try foldedRecords(handle, stream: name, events: events, txn)
      if stored != expected {
        check.firstDifferingStream = name
        break
      }
    }
    return check
  }

  /// The stream's review state for a check: opened, or the raw stored bytes when they do not open
  /// (a damaged value, which then differs from what the log gives), or nil.
  private func reviewStateForCheck(_ name: String, _ txn: Transaction) throws -> [UInt8]? {
    if let opened = try? reviewValue(txn, stream: name, key: Array(name.utf8)) { return opened }
    return try txn.get(layout.reviewState, Array(name.utf8))
  }

  /// True when `stored` does not decode, or decodes to another state than `reviewer` absorbs from
  /// `events` (both compared in their encoded form, so an older stored encoding of the same state
  /// agrees).
  func reviewStateDiffers<R: AppendReviewer>(
    _ reviewer: R, stream: String, stored: [UInt8], events: [RecordedEvent], _ txn: Transaction
  ) throws -> Bool {
    // Stored bytes that do not even open or decode differ from anything the log gives.
    let facts =
      reviewer.keepsStateInFacts && reviewer.storedStateHasFacts(stored, stream: stream)
      ? try storedFactsIfIntact(txn, stream: stream) : []
    guard let facts,
      let storedState = try? reviewer.decodeState(stored, stream: stream, facts: facts)
    else {
      return true
    }
    var recomputed = try reviewer.decodeState(nil, stream: stream)
    for event in events { reviewer.absorb(event, stream: stream, state: &recomputed) }
    return reviewer.encodeState(storedState) != reviewer.encodeState(recomputed)
  }

  /// True when the reviewer keeps keyed facts and the stored facts of `stream` differ from those
  /// its events give.
  func reviewFactsDiffer<R: AppendReviewer>(
    _ reviewer: R, stream: String, stored state: [UInt8], events: [RecordedEvent],
    _ txn: Transaction
  ) throws -> Bool {
    // A whole state of an older form has no facts yet: the next append writes them.
    guard reviewer.storedStateHasFacts(state, stream: stream),
      let expected = reviewer.facts(of: events, stream: stream)
    else { return false }
    guard let stored = try storedFactsIfIntact(txn, stream: stream) else { return true }
    guard stored.count == expected.count else { return true }
    return stored.contains { expected[$0.key] != $0.value }
  }

  /// Removes every stored review state that ``verifyDerived(stream:)`` would report as differing,
  /// with the stream's keyed facts, in one write transaction, and returns the streams. The next append to such a stream
  /// recomputes its state from the stream's events before the rules judge it, so nothing is
  /// decided from the damaged state again.
  @discardableResult
  public func removeDifferingReviewStates() throws(EventStoreError) -> [String] {
    guard let reviewer else { return [] }
    return try withWrite { txn in
      var removed: [String] = []
      for name in try streamNames(txn) where reviewer.reviews(stream: name) {
        let key = Array(name.utf8)
        guard let stored = try reviewStateForCheck(name, txn) else { continue }
        let events = try streamEvents(name, txn)
        if try reviewStateDiffers(reviewer, stream: name, stored: stored, events: events, txn)
          || reviewFactsDiffer(reviewer, stream: name, stored: stored, events: events, txn)
        {
          try txn.delete(layout.reviewState, key)
          for fact in try storedFactKeys(txn, stream: name) {
            try txn.delete(layout.reviewState, fact)
          }
          removed.append(name)
        }
      }
      return removed
    }
  }
}
