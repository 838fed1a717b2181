import Foundation
import LedgerLMDB

extension EventStore {
  /// Writes `batches` into `txn`, advancing `head`. Throws ``EventStoreError`` for a caller's
  /// mistake (the caller's transaction is then discarded) and ``LMDBError`` for storage failures
  /// (which fail the whole group, or make the environment grow the map and run it again).
  func appendBatches(
    _ batches: [StreamAppend], system: Bool, _ txn: WriteTransaction, _ head: inout Layout.Head,
    _ recordedAt: String
  ) throws -> [AppendResult] {
    var results: [AppendResult] = []
    results.reserveCapacity(batches.count)
    for batch in batches {
      results.append(try appendBatch(batch, system: system, txn, &head, recordedAt))
    }
    return results
  }

  private func appendBatch(
    _ batch: StreamAppend, system: Bool, _ txn: WriteTransaction, _ head: inout Layout.Head,
    _ recordedAt: String
  ) throws -> AppendResult {
    let stream = batch.stream
    try StreamNames.validate(stream, allowSystem: system)
    if !system && stream.hasPrefix(StreamNames.systemPrefix) {
      throw EventStoreError.invalidStreamName(reason: "reserved for the store")
    }
    guard !batch.events.isEmpty else { throw EventStoreError.emptyBatch }

    // First pass: check every envelope and find events that are already stored.
    var positions = [EventPosition?](repeating: nil, count: batch.events.count)
    var firstIndexOfId: [UUID: Int] = [:]
    var fresh: [Int] = []
    for (index, candidate) in batch.events.enumerated() {
      try Self.checkEnvelope(candidate, index: index)
      if let earlier = firstIndexOfId[candidate.eventId] {
        guard batch.events[earlier] == candidate else {
          throw EventStoreError.invalidEvent(
            index: index, eventId: candidate.eventId, field: "eventId",
            reason: "repeats an earlier candidate id of the batch with different content")
        }
        continue
      }
      firstIndexOfId[candidate.eventId] = index
      if let storedBytes = try txn.get(layout.eventIds, Layout.eventIdKey(candidate.eventId)) {
        guard let storedPosition = UInt64(bigEndianBytes: storedBytes) else {
          throw EventStoreError.incompatibleStore(reason: "an event-ids value has the wrong size")
        }
        let stored = try event(at: storedPosition, txn)
        guard stored.streamId == stream, stored.proposed.sameContent(as: candidate) else {
          throw EventStoreError.eventIdConflict(eventId: candidate.eventId, storedAt: storedPosition)
        }
        positions[index] = EventPosition(
          globalPosition: storedPosition, streamVersion: stored.streamVersion)
      } else {
        fresh.append(index)
      }
    }

    var streamHead = try layout.streamHead(txn, stream)
    if fresh.isEmpty {
      return AppendResult(
        streamId: stream, positions: Self.resolve(positions, batch.events, firstIndexOfId),
        wasAlreadyStored: true, written: 0)
    }
    switch batch.expectedVersion {
    case .any: break
    case .noStream where streamHead == nil: break
    case .exact(let version) where streamHead?.version == version: break
    default:
      throw EventStoreError.wrongExpectedVersion(
        stream: stream, expected: batch.expectedVersion, actual: streamHead?.version)
    }

    for index in fresh {
      let proposed = batch.events[index]
      let version = streamHead.map { $0.version + 1 } ?? 0
      let position = head.nextPosition
      let members = RecordedEvent.hashedMembers(
        proposed: proposed, streamId: stream, streamVersion: version, globalPosition: position,
        recordedAt: recordedAt, flags: [], previousHash: head.lastHash,
        previousStreamHash: streamHead?.hash ?? .zero)
      let canonical = JSONValue.object(members).canonicalBytes
      guard canonical.count <= Self.maximumEventBytes else {
        throw EventStoreError.invalidEvent(
          index: index, eventId: proposed.eventId, field: "data",
          reason: "makes the event larger than \(Self.maximumEventBytes) bytes")
      }
      let hash = ChainHash.sha256(canonical)
      let positionKey = position.bigEndianBytes
      try txn.put(
        layout.log, positionKey, RecordCodec.encode(hash: hash, canonical: canonical),
        options: .append)
      try txn.put(layout.streams, Layout.streamKey(stream, version), positionKey, options: .noOverwrite)
      try txn.put(
        layout.eventIds, Layout.eventIdKey(proposed.eventId), positionKey, options: .noOverwrite)
      streamHead = Layout.StreamHead(version: version, hash: hash)
      head.nextPosition += 1
      head.lastHash = hash
      positions[index] = EventPosition(globalPosition: position, streamVersion: version)
    }
    if let streamHead {
      try txn.put(layout.streamHeads, Array(stream.utf8), streamHead.encoded)
    }
    return AppendResult(
      streamId: stream, positions: Self.resolve(positions, batch.events, firstIndexOfId),
      wasAlreadyStored: false, written: fresh.count)
  }

  /// Fills the positions of in-batch repeats from their first occurrence.
  private static func resolve(
    _ positions: [EventPosition?], _ events: [ProposedEvent], _ firstIndexOfId: [UUID: Int]
  ) -> [EventPosition] {
    positions.enumerated().compactMap { index, position in
      position ?? firstIndexOfId[events[index].eventId].flatMap { positions[$0] }
    }
  }

  /// Checks the writer-supplied envelope fields of one event. Errors name the field, not its value.
  static func checkEnvelope(_ event: ProposedEvent, index: Int) throws(EventStoreError) {
    func fail(_ field: String, _ reason: String) -> EventStoreError {
      .invalidEvent(index: index, eventId: event.eventId, field: field, reason: reason)
    }
    let type = Array(event.type.utf8)
    guard (1...128).contains(type.count), let first = type.first, isLetter(first),
      type.allSatisfy({ isLetter($0) || isDigit($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") })
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
      guard !value.trimmingCharacters(in: .whitespaces).isEmpty, value.utf8.count <= 200 else {
        throw fail(field, "must be a non-empty string of at most 200 bytes")
      }
    }
    guard case .object = event.data else { throw fail("data", "must be a JSON object") }
  }

  private static func isLetter(_ c: UInt8) -> Bool {
    (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(c)
      || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(c)
  }

  private static func isDigit(_ c: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) }
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
