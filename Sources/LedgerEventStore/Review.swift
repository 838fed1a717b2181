import Foundation
import LedgerFoundation
import LedgerLMDB

/// A rule set of a layer above the store, consulted inside the append's write transaction before
/// each new event is written: it can refuse the event or attach flags to it.
///
/// The store keeps one opaque state value per stream for the reviewer (in the `review-state`
/// database, in the same transaction as the events), so a reviewer can decide from a small
/// summary instead of scanning the log. The state is loaded once per batch, threaded through the
/// batch's events in order, and saved with them: it can never disagree with the committed log.
///
/// Events already stored (idempotent re-appends) are not reviewed again.
public protocol AppendReviewer: Sendable {
  /// True for streams this reviewer governs; other streams are appended unreviewed.
  func reviews(stream: String) -> Bool

  /// The per-stream state; it must have value semantics (the store keeps recently saved states
  /// in memory and hands out copies).
  associatedtype State

  /// Decodes the stored state of a stream; `nil` bytes mean the stream has none yet.
  /// Throw `.incompatibleStore` when the bytes cannot be read.
  func decodeState(_ bytes: [UInt8]?, stream: String) throws(EventStoreError) -> State

  /// Encodes the state for storage.
  func encodeState(_ state: State) -> [UInt8]

  /// Reviews one new event. Throw ``EventStoreError/rejected(index:eventId:type:field:rule:limit:)``
  /// to refuse it (the caller's whole batch is then refused); return the flags to store with it,
  /// and update `state` to what it is after the event.
  func review(
    _ event: ProposedEvent, index: Int, stream: String, state: inout State, context: ReviewContext
  ) throws(EventStoreError) -> [JSONValue]

  /// True when ``review(_:index:stream:state:context:)`` never changes `state` when it throws.
  /// The store then lets it update the batch's state in place instead of reviewing a copy of it
  /// (which costs a copy of the whole state per event). Default false.
  var leavesStateUnchangedWhenRefusing: Bool { get }

  /// Folds an event that is already stored into the state without judging it. The store calls
  /// it to rebuild a stream's state from the stream's events when none is stored (a stream
  /// written before the reviewer was in use), so rules never decide from a blank state.
  func absorb(_ event: RecordedEvent, stream: String, state: inout State)

  /// The requirement a store records when it is opened with this reviewer, or nil (the default)
  /// to record none. Once recorded, every handle of the store opened without a reviewer of the
  /// same name is refused appends to the streams it names, so a rule set cannot be bypassed by
  /// opening the store without it.
  var requirement: ReviewerRequirement? { get }
}

extension AppendReviewer {
  /// False: the store reviews a copy of the state, whatever `review` does before it throws.
  public var leavesStateUnchangedWhenRefusing: Bool { false }

  /// Nil: the store records no requirement.
  public var requirement: ReviewerRequirement? { nil }
}

/// A rule set a store requires for some of its streams: recorded in the store when it is first
/// opened with a reviewer that states it (``AppendReviewer/requirement``).
public struct ReviewerRequirement: Sendable, Hashable {
  /// The rule set's stable name, such as `treatment-records.clinical`.
  public var name: String
  /// Streams whose names start with one of these are governed by it.
  public var streamPrefixes: [String]

  /// A requirement named `name` for the streams starting with one of `streamPrefixes`.
  public init(name: String, streamPrefixes: [String]) {
    self.name = name
    self.streamPrefixes = streamPrefixes
  }

  /// True when the rule set governs `stream`.
  public func governs(_ stream: String) -> Bool {
    streamPrefixes.contains { stream.hasPrefix($0) }
  }

  /// Stored form: the name, then each prefix, separated by line feeds (names and prefixes hold
  /// none).
  var encoded: [UInt8] { Array(([name] + streamPrefixes).joined(separator: "\n").utf8) }

  init?(encoded bytes: [UInt8]) {
    let parts = String(decoding: bytes, as: UTF8.self).split(
      separator: "\n", omittingEmptySubsequences: false)
    guard let first = parts.first, !first.isEmpty else { return nil }
    self.init(name: String(first), streamPrefixes: parts.dropFirst().map(String.init))
  }
}

/// What a reviewer may consult besides its own state. Valid only during the review call.
public struct ReviewContext {
  /// The recordedAt the event will get, in microseconds since the epoch.
  public let recordedAtMicros: Int64
  let locate: (UUID) throws -> (stream: String, type: String)?

  /// The stream and type of a stored event (including events written earlier in the same
  /// transaction), or nil when no event has that id.
  public func storedEvent(_ eventId: UUID) throws(EventStoreError) -> (
    stream: String, type: String
  )? {
    do { return try locate(eventId) } catch let error as EventStoreError { throw error } catch let
      error as LMDBError
    {
      throw .storage(error)
    } catch {
      throw .storage(LMDBError(.other(-1), operation: "review lookup"))
    }
  }
}

/// One stream's review during one batch: the reviewer's state held between events.
final class ReviewSession {
  let review: (ProposedEvent, Int, ReviewContext) throws -> [JSONValue]
  let save: (WriteTransaction) throws -> Void

  private init(
    review: @escaping (ProposedEvent, Int, ReviewContext) throws -> [JSONValue],
    save: @escaping (WriteTransaction) throws -> Void
  ) {
    self.review = review
    self.save = save
  }

  /// Opens a session when `reviewer` governs `stream`; nil otherwise.
  static func open<R: AppendReviewer>(
    _ reviewer: R, stream: String, store: EventStore, txn: WriteTransaction, database: Database
  ) throws -> ReviewSession? {
    guard reviewer.reviews(stream: stream) else { return nil }
    let key = Array(stream.utf8)
    let stored = try txn.get(database, key)
    let box: StateBox<R.State>
    if let stored,
      let cached = store.reviewStateCache.take(stream: stream, storedBytes: stored) as? R.State
    {
      box = StateBox(cached)
    } else {
      box = StateBox(try reviewer.decodeState(stored, stream: stream))
    }
    if stored == nil {
      for event in try store.streamEvents(stream, txn) {
        reviewer.absorb(event, stream: stream, state: &box.state)
      }
    }
    let inPlace = reviewer.leavesStateUnchangedWhenRefusing
    return ReviewSession(
      review: { event, index, context in
        // A refused event leaves the state as it was: a reviewer that promises not to touch it
        // when it throws updates the only copy in place; any other reviews a copy.
        if inPlace {
          return try reviewer.review(
            event, index: index, stream: stream, state: &box.state, context: context)
        }
        var next = box.state
        let flags = try reviewer.review(
          event, index: index, stream: stream, state: &next, context: context)
        box.state = next
        return flags
      },
      save: { txn in
        let bytes = reviewer.encodeState(box.state)
        try txn.put(database, key, bytes)
        store.reviewStateCache.store(stream: stream, bytes: bytes, state: box.state)
      })
  }
}

/// The one copy of a review state during a batch, so that it can be changed in place.
private final class StateBox<State> {
  var state: State
  init(_ state: State) { self.state = state }
}
