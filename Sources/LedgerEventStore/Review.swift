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

  /// The work of reviewing `event` that needs neither the stream's state nor the store (such
  /// as decoding its data into a typed event), or nil (the default). A large append calls it
  /// on another thread, ahead of the writer, and hands the result to
  /// ``review(_:index:stream:state:context:prepared:)``. It must not throw: a failure is kept in
  /// the result and reported by the review, exactly where the review would report it.
  func prepare(_ event: ProposedEvent, stream: String) -> (any Sendable)?

  /// Reviews one new event with what ``prepare(_:stream:)`` returned for it (nil when it was not
  /// prepared). The default ignores `prepared` and calls
  /// ``review(_:index:stream:state:context:)``.
  func review(
    _ event: ProposedEvent, index: Int, stream: String, state: inout State, context: ReviewContext,
    prepared: (any Sendable)?
  ) throws(EventStoreError) -> [JSONValue]

  /// True when ``review(_:index:stream:state:context:)`` never changes `state` when it throws.
  /// The store then lets it update the batch's state in place instead of reviewing a copy of it
  /// (which costs a copy of the whole state per event). Default false.
  var leavesStateUnchangedWhenRefusing: Bool { get }

  /// Folds an event that is already stored into the state without judging it. The store calls
  /// it to rebuild a stream's state from the stream's events when none is stored (a stream
  /// written before the reviewer was in use), so rules never decide from a blank state.
  func absorb(_ event: RecordedEvent, stream: String, state: inout State)

  /// The keyed facts (``ReviewContext/setFact(_:_:)``) that reviewing `events`, all of
  /// `stream` in order, leaves in the store, or nil (the default) for a reviewer that keeps none.
  /// ``EventStore/verifyDerived(stream:)`` compares them with the stored facts.
  func facts(of events: [RecordedEvent], stream: String) -> [[UInt8]: [UInt8]]?

  /// True when the reviewer keeps its state at the grain it changes: a small stored head (what
  /// ``encodeState(_:)`` returns) plus keyed facts (``ReviewContext/setFact(_:_:)``) that each
  /// review writes for what it changes. The store then reads the stream's facts to decode a
  /// stored head (``decodeState(_:stream:facts:)``) and, when a state was recomputed from the
  /// stream's events or read from a form without facts, writes all of ``stateFacts(_:stream:)``
  /// with the next append. Default false.
  var keepsStateInFacts: Bool { get }

  /// Decodes a stored head together with the stream's keyed facts, in key order. The default
  /// ignores the facts and calls ``decodeState(_:stream:)``.
  func decodeState(
    _ bytes: [UInt8]?, stream: String, facts: [(key: [UInt8], value: [UInt8])]
  ) throws(EventStoreError) -> State

  /// Every keyed fact that `state` consists of besides its head (default none).
  func stateFacts(_ state: State, stream: String) -> [[UInt8]: [UInt8]]

  /// True when stored `bytes` are a head whose facts are in the store; false for an older form
  /// that holds the whole state (default true).
  func storedStateHasFacts(_ bytes: [UInt8], stream: String) -> Bool

  /// The requirement a store records when it is opened with this reviewer, or nil (the default)
  /// to record none. Once recorded, every handle of the store opened without a reviewer of the
  /// same name is refused appends to the streams it names, so a rule set cannot be bypassed by
  /// opening the store without it.
  var requirement: ReviewerRequirement? { get }
}

extension AppendReviewer {
  /// Nil: nothing is prepared ahead.
  public func prepare(_ event: ProposedEvent, stream: String) -> (any Sendable)? { nil }

  /// Ignores `prepared`: ``review(_:index:stream:state:context:)``.
  public func review(
    _ event: ProposedEvent, index: Int, stream: String, state: inout State, context: ReviewContext,
    prepared: (any Sendable)?
  ) throws(EventStoreError) -> [JSONValue] {
    try review(event, index: index, stream: stream, state: &state, context: context)
  }

  /// False: the store reviews a copy of the state, whatever `review` does before it throws.
  public var leavesStateUnchangedWhenRefusing: Bool { false }

  /// Nil: the reviewer keeps no keyed facts.
  public func facts(of events: [RecordedEvent], stream: String) -> [[UInt8]: [UInt8]]? { nil }

  /// Nil: the store records no requirement.
  public var requirement: ReviewerRequirement? { nil }

  /// False: the stored state is one value.
  public var keepsStateInFacts: Bool { false }

  /// Ignores the facts: ``decodeState(_:stream:)``.
  public func decodeState(
    _ bytes: [UInt8]?, stream: String, facts: [(key: [UInt8], value: [UInt8])]
  ) throws(EventStoreError) -> State {
    try decodeState(bytes, stream: stream)
  }

  /// None.
  public func stateFacts(_ state: State, stream: String) -> [[UInt8]: [UInt8]] { [:] }

  /// True.
  public func storedStateHasFacts(_ bytes: [UInt8], stream: String) -> Bool { true }
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

  /// What a store records when a handle with rule set `opening` opens it, given the requirement
  /// it has recorded (`stored`), or nil to leave the record as it is. A new store records the
  /// opener's; a rule set of the same name that now governs more prefixes (a newer release)
  /// widens the record to the union, so that from then on no handle without those rules writes
  /// there either. A record is never narrowed, and another rule set's record is kept.
  static func recording(
    _ opening: ReviewerRequirement, over stored: ReviewerRequirement?
  ) -> ReviewerRequirement? {
    guard let stored else { return opening }
    guard stored.name == opening.name else { return nil }
    let added = opening.streamPrefixes.filter { !stored.streamPrefixes.contains($0) }
    guard !added.isEmpty else { return nil }
    return ReviewerRequirement(name: stored.name, streamPrefixes: stored.streamPrefixes + added)
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
  let load: (UUID) throws -> RecordedEvent?
  let facts: ReviewFacts?

  init(
    recordedAtMicros: Int64, facts: ReviewFacts? = nil,
    load: @escaping (UUID) throws -> RecordedEvent? = { _ in nil },
    locate: @escaping (UUID) throws -> (stream: String, type: String)?
  ) {
    self.recordedAtMicros = recordedAtMicros
    self.locate = locate
    self.load = load
    self.facts = facts
  }

  /// The whole stored event with id `eventId` (including events written earlier in the same
  /// transaction, in any stream), or nil when no event has that id. For rules that cross
  /// streams, such as a withdrawal of stock that must match the dose it names.
  public func storedRecord(_ eventId: UUID) throws(EventStoreError) -> RecordedEvent? {
    do { return try load(eventId) } catch { throw Self.storeError(error, "review record") }
  }

  /// The reviewer's keyed fact `key` of the stream under review, as the batch has left it so
  /// far (facts of refused events are never seen), or nil.
  ///
  /// Facts are the reviewer's derived state at the grain it changes: one small value per key
  /// (a container, a dose), stored in the `review-state` database under the stream's name, a
  /// 0x00 byte and `key`, in the append's own transaction. An append reads and writes only the
  /// keys it touches, so its cost does not grow with the stream's history.
  public func fact(_ key: [UInt8]) throws(EventStoreError) -> [UInt8]? {
    guard let facts else { return nil }
    do { return try facts.get(key) } catch { throw Self.storeError(error, "review fact") }
  }

  /// Sets the keyed fact `key` of the stream under review. The write is kept with the event
  /// under review: it reaches the store only when that event is written, and is dropped when the
  /// event is refused.
  public func setFact(_ key: [UInt8], _ value: [UInt8]) {
    facts?.stage(key, value)
  }

  private static func storeError(_ error: any Error, _ operation: String) -> EventStoreError {
    if let error = error as? EventStoreError { return error }
    if let error = error as? LMDBError { return .storage(error) }
    return .storage(LMDBError(.other(-1), operation: operation))
  }

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
  /// Reviews an event (its index in the batch, the context, what was prepared for it ahead).
  let review: (ProposedEvent, Int, ReviewContext, (any Sendable)?) throws -> [JSONValue]
  let save: (WriteTransaction) throws -> Void

  private init(
    review: @escaping (ProposedEvent, Int, ReviewContext, (any Sendable)?) throws -> [JSONValue],
    save: @escaping (WriteTransaction) throws -> Void
  ) {
    self.review = review
    self.save = save
  }

  /// Opens a session when `reviewer` governs `stream`; nil otherwise.
  /// `keys` is the stream's memo of data keys in `txn`, if the caller keeps one.
  static func open<R: AppendReviewer>(
    _ reviewer: R, stream: String, store: EventStore, txn: WriteTransaction,
    keys: StreamKeys? = nil
  ) throws -> ReviewSession? {
    guard reviewer.reviews(stream: stream) else { return nil }
    let key = Array(stream.utf8)
    // The head as stored (sealed or not): the cache is keyed by these bytes, so a cached state
    // is served without opening its sealed head (each seal has a nonce of its own, so equal
    // stored bytes are the very value this process wrote).
    let raw = try txn.get(store.layout.reviewState, key)
    let box: StateBox<R.State>
    // A state recomputed from the events, or read from a form without facts, has its facts
    // written before the batch is reviewed.
    var writeAllFacts = reviewer.keepsStateInFacts
    if let raw,
      let cached = store.reviewStateCache.take(stream: stream, storedBytes: raw) as? R.State
    {
      box = StateBox(cached)
      writeAllFacts = false
    } else {
      let stored = try raw.map { bytes in
        try store.derivedSealer.open(
          bytes, stream: stream, database: "review-state", key: key, in: txn, keys: keys)
      }
      if reviewer.keepsStateInFacts, let stored,
        reviewer.storedStateHasFacts(stored, stream: stream)
      {
        let facts = try store.storedFacts(txn, stream: stream, keys: keys)
        box = StateBox(try reviewer.decodeState(stored, stream: stream, facts: facts))
        writeAllFacts = false
      } else {
        box = StateBox(try reviewer.decodeState(stored, stream: stream))
      }
    }
    if raw == nil {
      for event in try store.streamEvents(stream, txn) {
        reviewer.absorb(event, stream: stream, state: &box.state)
      }
    }
    if writeAllFacts {
      // The facts of the state as it stands before the batch (none for a new stream); the
      // batch's reviews then write what they change.
      let prefix = ReviewFacts.prefix(stream)
      for (fact, value) in reviewer.stateFacts(box.state, stream: stream) {
        try store.putReviewValue(txn, stream: stream, key: prefix + fact, value, keys: keys)
      }
    }
    let inPlace = reviewer.leavesStateUnchangedWhenRefusing
    return ReviewSession(
      review: { event, index, context, prepared in
        // A refused event leaves the state as it was: a reviewer that promises not to touch it
        // when it throws updates the only copy in place; any other reviews a copy.
        if inPlace {
          return try reviewer.review(
            event, index: index, stream: stream, state: &box.state, context: context,
            prepared: prepared)
        }
        var next = box.state
        let flags = try reviewer.review(
          event, index: index, stream: stream, state: &next, context: context, prepared: prepared)
        box.state = next
        return flags
      },
      save: { txn in
        let bytes = reviewer.encodeState(box.state)
        let stored = try store.putReviewValue(txn, stream: stream, key: key, bytes, keys: keys)
        store.reviewStateCache.store(stream: stream, bytes: stored, state: box.state)
      })
  }
}

/// The one copy of a review state during a batch, so that it can be changed in place.
private final class StateBox<State> {
  var state: State
  init(_ state: State) { self.state = state }
}

/// The keyed facts of one stream during one batch: writes staged per event, then written into
/// the transaction with the event (``flush()``) or dropped with a refused one (``discard()``).
final class ReviewFacts {
  private let txn: WriteTransaction
  private let store: EventStore
  private let stream: String
  private let prefix: [UInt8]
  private let keys: StreamKeys?
  private var staged: [[UInt8]: [UInt8]] = [:]

  init(txn: WriteTransaction, store: EventStore, stream: String, keys: StreamKeys? = nil) {
    self.txn = txn
    self.store = store
    self.stream = stream
    self.prefix = Self.prefix(stream)
    self.keys = keys
  }

  /// The `review-state` key prefix of `stream`'s facts: its name and a 0x00 byte (stream names
  /// hold no 0x00, so no fact key equals a stream's own state key).
  static func prefix(_ stream: String) -> [UInt8] { Array(stream.utf8) + [0] }

  func get(_ key: [UInt8]) throws -> [UInt8]? {
    if let value = staged[key] { return value }
    return try store.reviewValue(txn, stream: stream, key: prefix + key, keys: keys)
  }

  func stage(_ key: [UInt8], _ value: [UInt8]) { staged[key] = value }

  func discard() { staged.removeAll(keepingCapacity: true) }

  func flush() throws {
    for (key, value) in staged {
      try store.putReviewValue(txn, stream: stream, key: prefix + key, value, keys: keys)
    }
    staged.removeAll(keepingCapacity: true)
  }
}

extension EventStore {
  /// The reviewer's keyed fact `key` of `stream` as last committed (see
  /// ``ReviewContext/fact(_:)``), or nil. Read in its own read transaction.
  public func reviewFact(stream: String, key: [UInt8]) throws(EventStoreError) -> [UInt8]? {
    try withRead { txn in
      try reviewValue(txn, stream: stream, key: ReviewFacts.prefix(stream) + key)
    }
  }

  /// Every committed keyed fact of `stream` whose key starts with `prefix`, in key byte order,
  /// read in one read transaction (one consistent snapshot).
  public func reviewFacts(
    stream: String, prefix: [UInt8] = []
  ) throws(EventStoreError) -> [(key: [UInt8], value: [UInt8])] {
    try withRead { txn in try storedFacts(txn, stream: stream, prefix: prefix) }
  }

  /// The database keys of every stored fact of `stream`, unopened (damaged or not).
  func storedFactKeys(_ txn: Transaction, stream: String) throws -> [[UInt8]] {
    let prefix = ReviewFacts.prefix(stream)
    return try txn.withCursor(layout.reviewState) { cursor in
      var keys: [[UInt8]] = []
      var entry = try cursor.seek(atLeast: prefix)
      while let current = entry, current.key.starts(with: prefix) {
        keys.append(current.key)
        entry = try cursor.next()
      }
      return keys
    }
  }

  /// ``storedFacts(_:stream:prefix:keys:)`` of all of `stream`, or nil when one does not open (a
  /// damaged sealed value): such a stream's state differs from anything its events give.
  func storedFactsIfIntact(
    _ txn: Transaction, stream: String
  ) throws -> [(key: [UInt8], value: [UInt8])]? {
    do {
      return try storedFacts(txn, stream: stream)
    } catch EventStoreError.incompatibleStore {
      return nil
    }
  }

  /// The stored facts of `stream` whose key starts with `prefix`, in `txn`.
  func storedFacts(
    _ txn: Transaction, stream: String, prefix: [UInt8] = [], keys: StreamKeys? = nil
  ) throws -> [(key: [UInt8], value: [UInt8])] {
    let full = ReviewFacts.prefix(stream) + prefix
    let skip = ReviewFacts.prefix(stream).count
    return try txn.withCursor(layout.reviewState) { cursor in
      var found: [(key: [UInt8], value: [UInt8])] = []
      var entry = try cursor.seek(atLeast: full)
      while let current = entry, current.key.starts(with: full) {
        let value = try derivedSealer.open(
          current.value, stream: stream, database: "review-state", key: current.key, in: txn,
          keys: keys)
        found.append((Array(current.key.dropFirst(skip)), value))
        entry = try cursor.next()
      }
      return found
    }
  }
}

extension EventStore {
  /// The reviewer's stored state of `stream` (its own encoding), or nil when it has none.
  public func reviewState(stream: String) throws(EventStoreError) -> [UInt8]? {
    try withRead { txn in try reviewValue(txn, stream: stream, key: Array(stream.utf8)) }
  }
}

extension EventStore {
  /// The review-state value under `key` (of `stream`), opened by the derived sealer, or nil.
  func reviewValue(
    _ txn: Transaction, stream: String, key: [UInt8], keys: StreamKeys? = nil
  ) throws -> [UInt8]? {
    guard let stored = try txn.get(layout.reviewState, key) else { return nil }
    return try derivedSealer.open(
      stored, stream: stream, database: "review-state", key: key, in: txn, keys: keys)
  }

  /// Stores `value` under review-state `key` (of `stream`), sealed by the derived sealer, and
  /// returns the bytes stored.
  @discardableResult
  func putReviewValue(
    _ txn: WriteTransaction, stream: String, key: [UInt8], _ value: [UInt8],
    keys: StreamKeys? = nil
  ) throws -> [UInt8] {
    let sealed = try derivedSealer.seal(
      value, stream: stream, database: "review-state", key: key, in: txn, keys: keys)
    try txn.put(layout.reviewState, key, sealed)
    return sealed
  }
}
