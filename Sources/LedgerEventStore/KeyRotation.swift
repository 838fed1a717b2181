import Foundation
import LedgerLMDB

extension EventStore {
  /// Re-wraps every data key of the store under `newProvider` (a new key-encryption key) in one
  /// write transaction, without rewriting any event, and replaces the key check; this handle then
  /// uses `newProvider`. Returns how many data keys were re-wrapped.
  ///
  /// Every data key is first unwrapped with the handle's current provider, so a store whose keys
  /// do not all open is refused (`.keyUnavailable`) with nothing changed. Keep the new key
  /// (`KeyFile.staged(replacing:)`, then `install()` once this returns) and back it up: after the
  /// commit only the new key opens the store.
  public func rotateKeyEncryptionKey(
    to newProvider: any KeyProvider
  ) throws(EventStoreError) -> Int {
    guard let dataKeys else {
      throw .keyUnavailable(reason: "the store was opened without its key provider")
    }
    let rotated = try withWrite { txn in
      var rewrapped: [([UInt8], [UInt8])] = []
      try txn.withCursor(layout.keys) { cursor in
        var entry = try cursor.first()
        while let current = entry {
          if let (stream, version) = Self.dataKeyKey(current.key) {
            let context = DataKeys.wrapContext(stream, version)
            do {
              let key = try dataKeys.provider.unwrap(current.value, context: context)
              rewrapped.append((current.key, try newProvider.wrap(key, context: context)))
            } catch let error as KeyProviderError {
              throw EventStoreError.keyUnavailable(reason: error.reason)
            }
          }
          entry = try cursor.next()
        }
      }
      for (key, value) in rewrapped { try txn.put(layout.keys, key, value) }
      do {
        let check = try newProvider.wrap(Self.keyCheckValue, context: Self.keyCheckContext)
        try txn.put(layout.meta, Layout.keyCheckKey, check)
      } catch let error as KeyProviderError {
        throw EventStoreError.keyUnavailable(reason: error.reason)
      }
      return rewrapped.count
    }
    dataKeys.replaceProvider(newProvider)
    logger.info("key-encryption key rotated", metadata: ["dataKeys": "\(rotated)"])
    return rotated
  }

  /// The stream and version of a `keys` key of a data key (name, `0x00`, u64 BE), or nil for
  /// another entry (an erasure record).
  static func dataKeyKey(_ key: [UInt8]) -> (String, UInt64)? {
    guard key.count > 9, key[key.count - 9] == 0,
      let version = UInt64(bigEndianBytes: key[(key.count - 8)...])
    else { return nil }
    return (String(decoding: key[..<(key.count - 9)], as: UTF8.self), version)
  }
}
