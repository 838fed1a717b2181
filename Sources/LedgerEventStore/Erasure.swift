import Foundation
import LedgerFoundation
import LedgerLMDB

extension EventStore {
  /// Erases a sealed stream's data by destroying its data keys (crypto-shredding), and appends
  /// `record` to the stream in the same transaction, plain and unreviewed: the erasure's own
  /// record (who, when, why; no patient data). The store adds `keyVersions` (the destroyed key
  /// versions) to its data.
  ///
  /// In that transaction the stream's data keys are deleted from the `keys` database, an erasure
  /// record takes their place, and the stream's derived state (review state, facts, projection
  /// state) is deleted. Afterwards the stream's earlier events read with ``RecordedEvent/data``
  /// null and ``RecordedEvent/DataForm/erased(keyVersion:)``, their envelopes and hashes
  /// unchanged (so `verify` and earlier audit exports still verify), and further appends to the
  /// stream are refused (`.streamErased`). LMDB may keep the deleted wrapped keys in free pages
  /// and backups keep them: rotate the key-encryption key afterwards
  /// (``rotateKeyEncryptionKey(to:)``, which `treatment-ledger erase` does) so that those copies
  /// are wrapped by a key that no longer exists.
  ///
  /// The caller decides whether erasure is allowed (retention, legal holds): this is the store's
  /// mechanism, not the policy. A caller that decided from the log as it was gives `basis`: the
  /// erasure's transaction then refuses with ``EventStoreError/wrongExpectedVersion(stream:expected:actual:)``,
  /// destroying nothing, when an event was appended since to a stream the decision depends on
  /// (a legal hold placed meanwhile, say); the caller decides again and retries.
  public func erase(
    stream: String, record: ProposedEvent, basis: ErasureBasis? = nil
  ) async throws(EventStoreError) -> AppendResult {
    guard let dataKeys, dataKeys.seals(stream) else {
      throw .keyUnavailable(
        reason: "the stream '\(stream)' is not sealed by this handle, so it has no keys to destroy")
    }
    var options = AppendOptions()
    options.erasing = true
    options.erasureBasis = basis
    let results = try await submit(
      [StreamAppend(stream: stream, expectedVersion: .any, events: [record])], system: false,
      options: options)
    dataKeys.forget()
    guard let result = results.first else { throw .emptyBatch }
    return result
  }

  /// True when the stream's data keys were erased.
  public func isErased(stream: String) throws(EventStoreError) -> Bool {
    try withRead { txn in try layout.erasure(txn, stream) != nil }
  }

  /// In an erasure's transaction, before anything is destroyed: throws `wrongExpectedVersion`
  /// for the first event written from `basis.position` to `end` (exclusive) to a stream that
  /// `basis` names. Cost: the events appended since the decision.
  func checkUnchanged(_ basis: ErasureBasis, until end: UInt64, _ txn: WriteTransaction) throws {
    var position = basis.position
    while position < end {
      let event = try event(at: position, txn)
      if basis.covers(event.streamId) {
        throw EventStoreError.wrongExpectedVersion(
          stream: event.streamId,
          expected: event.streamVersion == 0 ? .noStream : .exact(event.streamVersion - 1),
          actual: event.streamVersion)
      }
      position += 1
    }
  }

  /// In an erasure's transaction: deletes the stream's derived state and data keys and stores
  /// its erasure record. Returns the destroyed key versions.
  func destroyKeys(_ stream: String, _ txn: WriteTransaction) throws -> [UInt64] {
    guard try layout.streamHead(txn, stream) != nil else {
      throw EventStoreError.invalidStreamName(reason: "the stream '\(stream)' has no events")
    }
    let prefix = Array(stream.utf8) + [0]
    var versions: [UInt64] = []
    try txn.withCursor(layout.keys) { cursor in
      var entry = try cursor.seek(atLeast: prefix)
      while let current = entry, current.key.starts(with: prefix) {
        if current.key.count == prefix.count + 8,
          let version = UInt64(bigEndianBytes: current.key[prefix.count...])
        {
          versions.append(version)
        }
        entry = try cursor.next()
      }
    }
    guard !versions.isEmpty else {
      throw EventStoreError.keyUnavailable(reason: "the stream '\(stream)' has no data keys")
    }
    try deleteDerivedState(stream, txn)
    for version in versions { _ = try txn.delete(layout.keys, DataKeys.keyKey(stream, version)) }
    let erasure = JSONValue.object(["keyVersions": .array(versions.map { .number(Double($0)) })])
    try txn.put(layout.keys, Layout.erasureKey(stream), erasure.canonicalBytes)
    return versions
  }

  /// Deletes the stream's review state and facts and its state in every projection slot.
  private func deleteDerivedState(_ stream: String, _ txn: WriteTransaction) throws {
    _ = try txn.delete(layout.reviewState, Array(stream.utf8))
    for key in try storedFactKeys(txn, stream: stream) {
      _ = try txn.delete(layout.reviewState, key)
    }
    for handle in projections {
      for slot: UInt8 in [0, 1] {
        for key in try storedRecordKeys(handle.name, slot: slot, stream: stream, txn) {
          _ = try txn.delete(layout.projectionState, key)
        }
      }
    }
  }
}

/// What the caller of ``EventStore/erase(stream:record:basis:)`` decided from: the log before
/// `position`, and the streams whose later events could change that decision.
public struct ErasureBasis: Sendable, Hashable {
  /// The log's next global position when the caller began to read what it decided from
  /// (``EventStore/nextPosition()``).
  public var position: UInt64
  /// Streams, by exact id, whose later events invalidate the decision.
  public var streams: Set<String>
  /// Stream id prefixes whose streams' later events invalidate the decision.
  public var streamPrefixes: [String]

  /// Creates a basis.
  public init(position: UInt64, streams: Set<String>, streamPrefixes: [String] = []) {
    self.position = position
    self.streams = streams
    self.streamPrefixes = streamPrefixes
  }

  /// True when an event of `stream` appended after `position` invalidates the decision.
  public func covers(_ stream: String) -> Bool {
    streams.contains(stream) || streamPrefixes.contains { stream.hasPrefix($0) }
  }
}
