import Crypto
import LedgerLMDB

extension EventStore {
  /// The name under which the store's signing keys are kept in `keys`, like a stream's data keys:
  /// `$signing`, `0x00`, version; each a 32-byte Ed25519 seed wrapped by the key-encryption key,
  /// so `rotateKeyEncryptionKey(to:)` re-wraps them with the others (docs/FORMAT.md 2.7).
  package static let signingKeyName = "$signing"

  /// True when the store was opened with a key provider, so it can keep signing keys; a store
  /// opened without sealing has none, and its exports are unsigned.
  package var keepsKeys: Bool { dataKeys != nil }

  /// The store's newest signing key: its version and 32-byte seed. When the store has none, one
  /// is made (version 1) if `create` is true, else nil is returned.
  package func signingKey(create: Bool) throws(EventStoreError) -> (version: UInt64, seed: [UInt8])?
  {
    guard let dataKeys else {
      throw .keyUnavailable(reason: "the store was opened without its key provider")
    }
    let name = Self.signingKeyName
    let layout = self.layout
    if let found = try withRead({ txn in try dataKeys.newest(name, layout: layout, txn) }) {
      return (found.version, found.key.withUnsafeBytes { Array($0) })
    }
    guard create else { return nil }
    let made = try withWrite { txn in try dataKeys.current(name, layout: layout, txn) }
    return (made.version, made.key.withUnsafeBytes { Array($0) })
  }

  /// Makes the store's next signing key (one version past the newest), kept wrapped like the
  /// others; earlier versions stay, so signatures made with them can still be traced to them.
  package func newSigningKey() throws(EventStoreError) -> (version: UInt64, seed: [UInt8]) {
    guard let dataKeys else {
      throw .keyUnavailable(reason: "the store was opened without its key provider")
    }
    let name = Self.signingKeyName
    let layout = self.layout
    return try withWrite { txn in
      let version = (try dataKeys.newest(name, layout: layout, txn)?.version ?? 0) + 1
      let seed = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
      let wrapped: [UInt8]
      do {
        wrapped = try dataKeys.provider.wrap(
          seed, context: DataKeys.wrapContext(name, version))
      } catch let error as KeyProviderError {
        throw EventStoreError.keyUnavailable(reason: error.reason)
      }
      try txn.put(layout.keys, DataKeys.keyKey(name, version), wrapped)
      return (version, seed)
    }
  }
}

extension EventStore {
  /// What the store holds of one data key of a sealed stream, for an audit export that carries
  /// the keys sealed to an auditor (docs/AUDIT.md 2.7).
  package enum DataKeyLookup: Sendable {
    /// The 32-byte data key.
    case key([UInt8])
    /// The stream's keys were erased: the key no longer exists.
    case erased
    /// The store holds no such key (and no erasure of the stream).
    case missing
  }

  /// Data key `version` of the sealed stream `stream`, unwrapped by the key-encryption key, so
  /// that the audit exporter can seal it to an auditor's public key at once. Only LedgerAudit
  /// calls it; the key is never logged or written anywhere in plain.
  package func dataKeyForAuditor(
    stream: String, version: UInt64
  ) throws(EventStoreError) -> DataKeyLookup {
    guard let dataKeys else {
      throw .keyUnavailable(reason: "the store was opened without its key provider")
    }
    let layout = self.layout
    return try withRead { txn in
      if let key = try dataKeys.key(stream, version: version, layout: layout, txn) {
        return .key(key.withUnsafeBytes { Array($0) })
      }
      return try layout.erasure(txn, stream) != nil ? .erased : .missing
    }
  }
}
