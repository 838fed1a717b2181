import Crypto
import Foundation
import LedgerFoundation
import LedgerLMDB

/// One data key of a sealed stream as the store keeps it: wrapped by the clinic's
/// key-encryption key (docs/FORMAT.md 2.7), so useless without that key.
package struct WrappedDataKey: Sendable, Hashable {
  /// The sealed stream.
  package var stream: String
  /// The key's version.
  package var version: UInt64
  /// The wrapped bytes, exactly as stored in the `keys` database.
  package var wrapped: [UInt8]

  /// A wrapped data key.
  package init(stream: String, version: UInt64, wrapped: [UInt8]) {
    self.stream = stream
    self.version = version
    self.wrapped = wrapped
  }
}

extension EventStore {
  /// The stored key check (`meta/key-check`: 32 zero bytes wrapped by the key-encryption key),
  /// or nil for a store that seals nothing. It changes when the key-encryption key is rotated,
  /// which re-wraps every data key. Read without any key.
  package func storedKeyCheck() throws(EventStoreError) -> [UInt8]? {
    try withRead { txn in try txn.get(layout.meta, Layout.keyCheckKey) }
  }

  /// The wrapped data keys among `wanted` that the store holds, read in one read transaction
  /// without any key (a key of an erased stream is not held). For the central forwarder
  /// (docs/CENTRAL.md 5).
  package func wrappedDataKeys(
    _ wanted: Set<StreamKeyVersion>
  ) throws(EventStoreError) -> [WrappedDataKey] {
    guard !wanted.isEmpty else { return [] }
    return try withRead { txn in
      try wanted.sorted().compactMap { pair -> WrappedDataKey? in
        guard let wrapped = try txn.get(layout.keys, DataKeys.keyKey(pair.stream, pair.version))
        else { return nil }
        return WrappedDataKey(stream: pair.stream, version: pair.version, wrapped: wrapped)
      }
    }
  }

  /// Every wrapped data key the store holds and the key check they go with, read in one read
  /// transaction without any key (the `$signing` keys are not data keys and are left out).
  package func allWrappedDataKeys() throws(EventStoreError) -> (
    keyCheck: [UInt8]?, keys: [WrappedDataKey]
  ) {
    try withRead { txn in
      var keys: [WrappedDataKey] = []
      try txn.withCursor(layout.keys) { cursor in
        var entry = try cursor.first()
        while let current = entry {
          if let (stream, version) = Self.dataKeyKey(current.key), stream != "$signing" {
            keys.append(WrappedDataKey(stream: stream, version: version, wrapped: current.value))
          }
          entry = try cursor.next()
        }
      }
      return (try txn.get(layout.meta, Layout.keyCheckKey), keys)
    }
  }
}

/// A sealed stream's data key version, as an envelope's `sealed.keyVersion` names it.
package struct StreamKeyVersion: Sendable, Hashable, Comparable {
  /// The stream.
  package var stream: String
  /// The data key version.
  package var version: UInt64

  /// A stream and key version.
  package init(stream: String, version: UInt64) {
    self.stream = stream
    self.version = version
  }

  package static func < (lhs: Self, rhs: Self) -> Bool {
    (lhs.stream, lhs.version) < (rhs.stream, rhs.version)
  }
}

/// Opens sealed event data away from the store, with the clinic's key-encryption key and the
/// wrapped data keys the store kept (a central report, docs/CENTRAL.md 5): the same wrap context,
/// associated data and AEAD as the store's own reads (docs/FORMAT.md 2.7). Opened data is held in
/// memory only.
package struct SealedDataOpener {
  let provider: any KeyProvider
  private var keys: [StreamKeyVersion: SymmetricKey] = [:]

  /// An opener with the clinic's key-encryption key; refused with `.keyUnavailable` when
  /// `keyCheck` (the store's key check) is given and the provider does not unwrap it.
  package init(provider: any KeyProvider, keyCheck: [UInt8]?) throws(EventStoreError) {
    if let keyCheck { try EventStore.checkKey(provider, keyCheck) }
    self.provider = provider
  }

  /// Unwraps and keeps one data key; `.keyUnavailable` when the key-encryption key does not
  /// unwrap it.
  package mutating func add(_ key: WrappedDataKey) throws(EventStoreError) {
    let bytes: [UInt8]
    do {
      bytes = try provider.unwrap(
        key.wrapped, context: DataKeys.wrapContext(key.stream, key.version))
    } catch { throw .keyUnavailable(reason: error.reason) }
    keys[StreamKeyVersion(stream: key.stream, version: key.version)] = SymmetricKey(data: bytes)
  }

  /// True when the data key of `stream` `version` was added.
  package func has(stream: String, version: UInt64) -> Bool {
    keys[StreamKeyVersion(stream: stream, version: version)] != nil
  }

  /// `event` with its sealed data opened (``RecordedEvent/DataForm/opened(keyVersion:)``); a
  /// plain event as it is; nil when its data key was not added. `.corruptRecord` when the data
  /// does not open under its key.
  package func open(_ event: RecordedEvent) throws(EventStoreError) -> RecordedEvent? {
    guard case .sealed(let version) = event.dataForm else { return event }
    guard let key = keys[StreamKeyVersion(stream: event.streamId, version: version)] else {
      return nil
    }
    return try EventStore.opened(event, version: version, key: key)
  }
}
