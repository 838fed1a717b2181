import Foundation
import LedgerFoundation
import LedgerLMDB

/// How an append treats events that are refused one by one (a malformed envelope, an id stored
/// with other content, a reviewer's rejection).
public struct AppendOptions: Sendable, Hashable {
  /// Write the events that pass and report the refused ones in ``AppendResult/rejections``,
  /// instead of refusing the whole batch at the first one. Default false.
  public var skipRejected: Bool
  /// Decide everything exactly as a real append would, then write nothing. Default false.
  public var dryRun: Bool
  /// The batch is an erasure (``EventStore/erase(stream:record:basis:)``): the stream's data keys and
  /// derived state are destroyed in its transaction, and its one event is written plain.
  package var erasing = false
  /// An erasure's precondition: nothing appended since its decision to the streams it names.
  package var erasureBasis: ErasureBasis?

  /// Creates options.
  public init(skipRejected: Bool = false, dryRun: Bool = false) {
    self.skipRejected = skipRejected
    self.dryRun = dryRun
  }
}

/// One event an append refused, with its place in the batch.
public struct Rejection: Sendable, Hashable {
  /// 0-based index in the stream batch.
  public var index: Int
  /// Why.
  public var error: EventStoreError
}

extension EventStore {
  /// Writes `batches` into `txn`, advancing `head`. Throws ``EventStoreError`` for a caller's
  /// mistake (the caller's transaction is then discarded) and ``LMDBError`` for storage failures
  /// (which fail the whole group, or make the environment grow the map and run it again).
  func appendBatches(
    _ batches: [StreamAppend], system: Bool, options: AppendOptions, inline: [InlineProjection],
    _ txn: WriteTransaction, _ head: inout Layout.Head, _ recordedAtMicros: Int64,
    prepared: PreparedAppend? = nil
  ) throws -> [AppendResult] {
    let recordedAt = Timestamp.format(micros: recordedAtMicros)
    var results: [AppendResult] = []
    results.reserveCapacity(batches.count)
    for (index, batch) in batches.enumerated() {
      var writer = BatchWriter(
        store: self, batch: batch, options: options, inline: inline, txn: txn,
        recordedAt: recordedAt, recordedAtMicros: recordedAtMicros,
        prepared: prepared?.batch(index))
      results.append(try writer.run(system: system, head: &head))
    }
    return results
  }

  /// Checks the writer-supplied envelope fields of one event. Errors name the field, not its value.
  static func checkEnvelope(_ event: ProposedEvent, index: Int) throws(EventStoreError) {
    func fail(_ field: String, _ reason: String) -> EventStoreError {
      .invalidEvent(index: index, eventId: event.eventId, field: field, reason: reason)
    }
    let type = Array(event.type.utf8)
    let allowed = { (c: UInt8) in
      isLetter(c) || (0x30...0x39).contains(c) || c == UInt8(ascii: ".") || c == UInt8(ascii: "_")
        || c == UInt8(ascii: "-")
    }
    guard (1...128).contains(type.count), let first = type.first, isLetter(first),
      type.allSatisfy(allowed)
    else {
      throw fail("type", "must be 1–128 letters, digits, '.', '_' or '-', starting with a letter")
    }
    guard (1...1_000).contains(event.schemaVersion) else {
      throw fail("schemaVersion", "must be an integer from 1 to 1000")
    }
    guard Timestamp.parseMicros(event.occurredAt) != nil else {
      throw fail("occurredAt", "must be an RFC 3339 date-time with an explicit offset")
    }
    for (field, value) in [
      ("recordedBy.id", event.recordedBy.id), ("recordedBy.name", event.recordedBy.name),
      ("recordedBy.role", event.recordedBy.role),
    ] {
      guard hasNonWhitespace(value), value.utf8.count <= 200 else {
        throw fail(field, "must be a non-empty string of at most 200 bytes")
      }
    }
    guard case .object = event.data else { throw fail("data", "must be a JSON object") }
  }

  /// True when `value` has a character outside `CharacterSet.whitespaces` (Unicode category Zs
  /// and tab): what `!value.trimmingCharacters(in: .whitespaces).isEmpty` says, without building
  /// a string for the usual case of an ASCII character that is not a space or a tab.
  static func hasNonWhitespace(_ value: String) -> Bool {
    for byte in value.utf8 {
      guard byte < 0x80 else { return !value.trimmingCharacters(in: .whitespaces).isEmpty }
      if byte != 0x20 && byte != 0x09 { return true }
    }
    return false
  }

  private static func isLetter(_ c: UInt8) -> Bool {
    (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(c)
      || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(c)
  }
}

/// A projection updated in the append's own transaction, and the slot of its live state.
struct InlineProjection {
  let handle: ProjectionHandle
  let slot: UInt8
}

/// Appends one stream's batch inside a write transaction.
private struct BatchWriter {
  let store: EventStore
  let batch: StreamAppend
  let options: AppendOptions
  let inline: [InlineProjection]
  let txn: WriteTransaction
  let recordedAt: String
  let recordedAtMicros: Int64
  var positions: [EventPosition?] = []
  var rejections: [Rejection] = []
  var firstIndexOfId: [UUID: Int] = [:]
  /// The stream's data keys, read (or made) once for the batch: the event's data and every
  /// derived value it seals use the same key.
  let keys: StreamKeys
  /// The batch's events prepared ahead (``PreparedAppend``), or nil: then each is checked here.
  let prepared: [PreparedEvent]?

  init(
    store: EventStore, batch: StreamAppend, options: AppendOptions, inline: [InlineProjection],
    txn: WriteTransaction, recordedAt: String, recordedAtMicros: Int64,
    prepared: [PreparedEvent]? = nil
  ) {
    self.prepared = prepared
    self.store = store
    self.batch = batch
    self.options = options
    self.inline = inline
    self.txn = txn
    self.recordedAt = recordedAt
    self.recordedAtMicros = recordedAtMicros
    keys = StreamKeys(stream: batch.stream)
    positions = Array(repeating: nil, count: batch.events.count)
  }

  /// Refuses event `index`: throws, or records it when skipping is allowed.
  mutating func refuse(_ index: Int, _ error: EventStoreError) throws {
    guard options.skipRejected else { throw error }
    rejections.append(Rejection(index: index, error: error))
  }

  mutating func run(system: Bool, head: inout Layout.Head) throws -> AppendResult {
    let stream = batch.stream
    try StreamNames.validate(stream, allowSystem: system)
    guard !batch.events.isEmpty else { throw EventStoreError.emptyBatch }
    if try store.layout.erasure(txn, stream) != nil {
      throw EventStoreError.streamErased(stream: stream)
    }
    let fresh = try findFresh()
    let streamHead = try store.layout.streamHead(txn, stream)
    if fresh.isEmpty {
      return result(stream, written: 0, alreadyStored: rejections.isEmpty)
    }
    try checkExpectedVersion(streamHead)
    let written = try writeFresh(fresh, after: streamHead, head: &head)
    return result(stream, written: written, alreadyStored: false)
  }

  /// First pass: checks every envelope and finds the events that are already stored (their
  /// positions are noted). Returns the indexes of the events to write, in batch order.
  private mutating func findFresh() throws -> [Int] {
    let layout = store.layout
    var fresh: [Int] = []
    for (index, candidate) in batch.events.enumerated() {
      if let refusal = envelopeError(candidate, index) {
        try refuse(index, refusal)
        continue
      }
      if let earlier = firstIndexOfId[candidate.eventId] {
        if batch.events[earlier] != candidate {
          try refuse(
            index,
            .invalidEvent(
              index: index, eventId: candidate.eventId, field: "eventId",
              reason: "repeats an earlier event id of the batch with different content"))
        }
        continue
      }
      firstIndexOfId[candidate.eventId] = index
      if let storedBytes = try txn.get(layout.eventIds, Layout.eventIdKey(candidate.eventId)) {
        guard let storedPosition = UInt64(bigEndianBytes: storedBytes) else {
          throw EventStoreError.incompatibleStore(reason: "an event-ids value has the wrong size")
        }
        let stored = try store.event(at: storedPosition, txn)
        if stored.streamId == batch.stream, stored.proposed.sameContent(as: candidate) {
          positions[index] = EventPosition(
            globalPosition: storedPosition, streamVersion: stored.streamVersion)
        } else {
          try refuse(index, .eventIdConflict(eventId: candidate.eventId, storedAt: storedPosition))
        }
      } else {
        fresh.append(index)
      }
    }
    return fresh
  }

  /// The refusal of event `index`'s envelope, as prepared ahead or checked now, or nil.
  private func envelopeError(_ candidate: ProposedEvent, _ index: Int) -> EventStoreError? {
    if let prepared { return prepared[index].envelopeError }
    do { try EventStore.checkEnvelope(candidate, index: index) } catch { return error }
    return nil
  }

  /// Throws `wrongExpectedVersion` unless the stream is where the batch expects it.
  private func checkExpectedVersion(_ streamHead: Layout.StreamHead?) throws {
    switch batch.expectedVersion {
    case .any: break
    case .noStream where streamHead == nil: break
    case .exact(let version) where streamHead?.version == version: break
    default:
      throw EventStoreError.wrongExpectedVersion(
        stream: batch.stream, expected: batch.expectedVersion, actual: streamHead?.version)
    }
  }

  /// Second pass: reviews and writes the events at `fresh`, folds them into the inline
  /// projections that follow the stream, then saves the stream head and the review state.
  /// Returns how many events were written.
  private mutating func writeFresh(
    _ fresh: [Int], after storedHead: Layout.StreamHead?, head: inout Layout.Head
  ) throws -> Int {
    let layout = store.layout
    let stream = batch.stream
    if let basis = options.erasureBasis {
      try store.checkUnchanged(basis, until: head.nextPosition, txn)
    }
    let erased = options.erasing ? try store.destroyKeys(stream, txn) : nil
    let session = try (erased == nil ? store.reviewer : nil).flatMap { reviewer in
      try ReviewSession.open(
        reviewer, stream: stream, store: store, txn: txn, keys: keys)
    }
    let facts =
      session == nil
      ? nil : ReviewFacts(txn: txn, store: store, stream: stream, keys: keys)
    let context = reviewContext(facts)
    var streamHead = storedHead
    var written = 0
    var recorded: [RecordedEvent] = []
    let projected = erased == nil ? inline.filter { $0.handle.includes(stream) } : []
    for index in fresh {
      var proposed = batch.events[index]
      if let erased, case .object(var members) = proposed.data {
        members["keyVersions"] = .array(erased.map { .number(Double($0)) })
        proposed.data = .object(members)
      }
      let flags: [JSONValue]
      do {
        flags =
          erased == nil
          ? try session?.review(proposed, index, context, prepared?[index].reviewed) ?? [] : []
      } catch let error
        as EventStoreError
      {
        facts?.discard()
        try refuse(index, error)
        continue
      }
      guard
        let link = try writeEvent(
          proposed, index: index, flags: flags, streamHead: &streamHead, head: &head)
      else {
        facts?.discard()
        continue
      }
      try facts?.flush()
      written += 1
      if !projected.isEmpty {
        var event = RecordedEvent(
          eventId: proposed.eventId, type: proposed.type, schemaVersion: proposed.schemaVersion,
          streamId: stream, streamVersion: link.version, globalPosition: link.position,
          occurredAt: proposed.occurredAt, recordedAt: recordedAt,
          recordedBy: proposed.recordedBy,
          correlationId: proposed.correlationId, causationId: proposed.causationId,
          data: proposed.data, flags: flags, previousHash: link.previousHash,
          previousStreamHash: link.previousStreamHash, hash: link.hash,
          canonicalBytes: link.canonical)
        if let version = link.keyVersion { event.dataForm = .opened(keyVersion: version) }
        recorded.append(event)
      }
    }
    for projection in projected where !recorded.isEmpty {
      try store.foldInto(
        projection.handle, slot: projection.slot, stream: stream, events: recorded, txn,
        keys: keys)
    }
    if written > 0, let streamHead {
      try txn.put(layout.streamHeads, Array(stream.utf8), streamHead.encoded)
      if erased == nil { try session?.save(txn) }
    }
    return written
  }

  /// What the reviewer sees of the store while it reviews this batch's events: the stored events
  /// (also those written earlier in the transaction) and the stream's keyed `facts`.
  private func reviewContext(_ facts: ReviewFacts?) -> ReviewContext {
    let layout = store.layout
    let load = { [txn, store] (id: UUID) throws -> RecordedEvent? in
      guard let bytes = try txn.get(layout.eventIds, Layout.eventIdKey(id)),
        let position = UInt64(bigEndianBytes: bytes)
      else { return nil }
      return try store.event(at: position, txn)
    }
    return ReviewContext(recordedAtMicros: recordedAtMicros, facts: facts, load: load) { id in
      try load(id).map { ($0.streamId, $0.type) }
    }
  }

  /// Where `writeEvent` put an event and how it is chained.
  private struct Link {
    let version: UInt64
    let position: UInt64
    let previousHash: ChainHash
    let previousStreamHash: ChainHash
    let hash: ChainHash
    let canonical: [UInt8]
    /// The data key version when the event's data was sealed.
    let keyVersion: UInt64?
  }

  /// Writes one reviewed event at the end of the log, the stream index and the event-id index,
  /// advancing both heads. Nil, with the refusal recorded, when the event would be too large.
  private mutating func writeEvent(
    _ proposed: ProposedEvent, index: Int, flags: [JSONValue],
    streamHead: inout Layout.StreamHead?, head: inout Layout.Head
  ) throws -> Link? {
    let layout = store.layout
    let version = streamHead.map { $0.version + 1 } ?? 0
    let position = head.nextPosition
    let previousHash = head.lastHash
    let previousStreamHash = streamHead?.hash ?? .zero
    var stored = proposed
    var keyVersion: UInt64?
    if !options.erasing,
      let sealed = try store.sealData(
        proposed, stream: batch.stream, txn, keys: keys,
        canonicalData: prepared?[index].canonicalData)
    {
      stored.data = sealed.data
      keyVersion = sealed.keyVersion
    }
    let canonical = RecordedEvent.canonicalEnvelope(
      proposed: stored, streamId: batch.stream, streamVersion: version,
      globalPosition: position, recordedAt: recordedAt, flags: flags, previousHash: previousHash,
      previousStreamHash: previousStreamHash, sealedKeyVersion: keyVersion)
    guard canonical.count <= EventStore.maximumEventBytes else {
      try refuse(
        index,
        .invalidEvent(
          index: index, eventId: proposed.eventId, field: "data",
          reason: "makes the event larger than \(EventStore.maximumEventBytes) bytes"))
      return nil
    }
    let hash = ChainHash.sha256(canonical)
    let positionKey = position.bigEndianBytes
    try txn.put(
      layout.log, positionKey, RecordCodec.encode(hash: hash, canonical: canonical),
      options: .append)
    try txn.put(
      layout.streams, Layout.streamKey(batch.stream, version), positionKey, options: .noOverwrite)
    try txn.put(
      layout.eventIds, Layout.eventIdKey(proposed.eventId), positionKey, options: .noOverwrite)
    streamHead = Layout.StreamHead(version: version, hash: hash)
    head.nextPosition += 1
    head.lastHash = hash
    positions[index] = EventPosition(globalPosition: position, streamVersion: version)
    return Link(
      version: version, position: position, previousHash: previousHash,
      previousStreamHash: previousStreamHash, hash: hash, canonical: canonical,
      keyVersion: keyVersion)
  }

  /// The result, with in-batch repeats given the positions of their first occurrence.
  private func result(_ stream: String, written: Int, alreadyStored: Bool) -> AppendResult {
    let resolved = positions.enumerated().compactMap { index, position in
      position ?? firstIndexOfId[batch.events[index].eventId].flatMap { positions[$0] }
    }
    return AppendResult(
      streamId: stream, positions: resolved, wasAlreadyStored: alreadyStored, written: written,
      rejections: rejections)
  }
}

extension ProposedEvent {
  /// True when `other` carries the same writer-supplied content (numbers compared as JSON
  /// numbers, object members in any order).
  func sameContent(as other: ProposedEvent) -> Bool {
    eventId == other.eventId && type == other.type && schemaVersion == other.schemaVersion
      && occurredAt == other.occurredAt && recordedBy == other.recordedBy
      && correlationId == other.correlationId && causationId == other.causationId
      && data.canonicalBytes == other.data.canonicalBytes
  }
}
