import Crypto
import Foundation
import LedgerFoundation
import LedgerLMDB

/// Which streams a store seals, and the key-encryption key of their data keys.
///
/// The event store knows no clinic: the opener names the sealed streams by prefix (the
/// `TreatmentLedger` facade seals `patient-`). Every event of a sealed stream stores its `data`
/// sealed with AES-256-GCM under the stream's data key, and the stream's derived state (review
/// and projection state) is sealed under the same key. The data keys are random, versioned per
/// stream, kept in the store's `keys` database wrapped by `keyProvider`, and created in the
/// transaction of the stream's first append. docs/FORMAT.md gives the bytes.
///
/// ```swift
/// var options = EventStore.Options()
/// options.sealing = Sealing(
///   streamPrefixes: ["patient-"], keyProvider: try KeyFile(path: "/var/lib/clinic/ledger.kek"))
/// ```
public struct Sealing: Sendable {
  /// Streams whose names start with one of these are sealed.
  public var streamPrefixes: [String]
  /// The clinic's key-encryption key.
  public var keyProvider: any KeyProvider

  /// Creates sealing settings.
  public init(streamPrefixes: [String], keyProvider: any KeyProvider) {
    self.streamPrefixes = streamPrefixes
    self.keyProvider = keyProvider
  }

  /// True when `stream` is sealed.
  public func seals(_ stream: String) -> Bool {
    streamPrefixes.contains { stream.hasPrefix($0) }
  }
}

/// The per-stream data keys: read, unwrapped and created inside the caller's transaction.
///
/// Unwrapped keys are cached by the exact wrapped bytes stored (which carry a random nonce), so a
/// key created in a transaction that was later aborted can never be served for another one.
/// `@unchecked Sendable`: `cache` is only touched while holding `lock`.
final class DataKeys: @unchecked Sendable {
  let prefixes: [String]
  private let lock = NSLock()
  private var cache: [[UInt8]: SymmetricKey] = [:]
  private var currentProvider: any KeyProvider

  init(_ sealing: Sealing) {
    currentProvider = sealing.keyProvider
    prefixes = sealing.streamPrefixes
  }

  /// The key-encryption key in use (replaced by a rotation).
  var provider: any KeyProvider { lock.withLock { currentProvider } }

  /// Uses `provider` from now on (after `rotateKeyEncryptionKey(to:)` committed).
  func replaceProvider(_ provider: any KeyProvider) {
    lock.withLock {
      currentProvider = provider
      cache.removeAll()
    }
  }

  func seals(_ stream: String) -> Bool { prefixes.contains { stream.hasPrefix($0) } }

  /// The `keys` key of a stream's data key: stream name, `0x00`, version (u64 BE).
  static func keyKey(_ stream: String, _ version: UInt64) -> [UInt8] {
    Array(stream.utf8) + [0] + version.bigEndianBytes
  }

  /// What a data key is bound to when wrapped: `treatment-ledger data key`, `0x00`, its `keys` key.
  static func wrapContext(_ stream: String, _ version: UInt64) -> [UInt8] {
    Array("treatment-ledger data key".utf8) + [0] + keyKey(stream, version)
  }

  /// The stream's newest data key, created (version 1, or one past an erased version) when the
  /// stream has none.
  ///
  /// `memo`, when it is `stream`'s, serves a key already read in this transaction and keeps the
  /// one found or made (see ``StreamKeys``).
  func current(
    _ stream: String, layout: Layout, _ txn: WriteTransaction, memo: StreamKeys? = nil
  ) throws -> (version: UInt64, key: SymmetricKey) {
    let memo = memo?.stream == stream ? memo : nil
    if let known = memo?.newest { return known }
    let found = try currentUncached(stream, layout: layout, txn)
    memo?.newest = found
    memo?.versions[found.version] = found.key
    return found
  }

  private func currentUncached(
    _ stream: String, layout: Layout, _ txn: WriteTransaction
  ) throws -> (version: UInt64, key: SymmetricKey) {
    if let newest = try newest(stream, layout: layout, txn) { return newest }
    if try layout.erasure(txn, stream) != nil { throw EventStoreError.streamErased(stream: stream) }
    let key = SymmetricKey(size: .bits256)
    let bytes = key.withUnsafeBytes { Array($0) }
    let wrapped: [UInt8]
    do { wrapped = try provider.wrap(bytes, context: Self.wrapContext(stream, 1)) } catch {
      throw EventStoreError.keyUnavailable(reason: error.reason)
    }
    try txn.put(layout.keys, Self.keyKey(stream, 1), wrapped)
    return (1, key)
  }

  /// The newest stored data key of `stream`, or nil.
  func newest(
    _ stream: String, layout: Layout, _ txn: Transaction
  ) throws -> (version: UInt64, key: SymmetricKey)? {
    let prefix = Array(stream.utf8) + [0]
    let found: (UInt64, [UInt8])? = try txn.withCursor(layout.keys) { cursor in
      let entry =
        try cursor.seek(atLeast: prefix + UInt64.max.bigEndianBytes) == nil
        ? try cursor.last() : try cursor.previous()
      guard let entry, entry.key.count == prefix.count + 8, entry.key.starts(with: prefix),
        let version = UInt64(bigEndianBytes: entry.key[prefix.count...])
      else { return nil }
      return (version, entry.value)
    }
    guard let (version, wrapped) = found else { return nil }
    return (version, try unwrap(wrapped, stream, version))
  }

  /// Data key `version` of `stream`, or nil when it is not stored (never made, or erased).
  /// `memo`, when it is `stream`'s, serves a key already read in this transaction and keeps the
  /// one read.
  func key(
    _ stream: String, version: UInt64, layout: Layout, _ txn: Transaction,
    memo: StreamKeys? = nil
  ) throws -> SymmetricKey? {
    let memo = memo?.stream == stream ? memo : nil
    if let known = memo?.versions[version] { return known }
    guard let wrapped = try txn.get(layout.keys, Self.keyKey(stream, version)) else { return nil }
    let key = try unwrap(wrapped, stream, version)
    memo?.versions[version] = key
    return key
  }

  private func unwrap(_ wrapped: [UInt8], _ stream: String, _ version: UInt64) throws
    -> SymmetricKey
  {
    if let cached = lock.withLock({ cache[wrapped] }) { return cached }
    let bytes: [UInt8]
    do { bytes = try provider.unwrap(wrapped, context: Self.wrapContext(stream, version)) } catch {
      throw EventStoreError.keyUnavailable(reason: error.reason)
    }
    let key = SymmetricKey(data: bytes)
    lock.withLock {
      if cache.count >= 4_096 { cache.removeAll(keepingCapacity: true) }
      cache[wrapped] = key
    }
    return key
  }

  /// Forgets every cached key (after an erasure or a rotation).
  func forget() { lock.withLock { cache.removeAll() } }
}

/// The data keys of one stream as read (or made) in one transaction, so that sealing and opening
/// many values of the stream reads the `keys` database and unwraps each key once instead of once
/// per value. Valid only inside that transaction and only where nothing else changes the stream's
/// keys meanwhile: one stream's batch of an append (which may make the stream's first key, and
/// then keeps it), or one fold of a catch-up or rebuild (which writes no keys). Never kept across
/// transactions: a key made in a transaction that is aborted must not be served afterwards.
final class StreamKeys {
  let stream: String
  fileprivate var newest: (version: UInt64, key: SymmetricKey)?
  fileprivate var versions: [UInt64: SymmetricKey] = [:]

  init(stream: String) { self.stream = stream }
}

/// The AEAD of sealed values: AES-256-GCM, stored as nonce (12 bytes), ciphertext, tag (16 bytes).
enum SealBox {
  static func seal(_ plain: [UInt8], key: SymmetricKey, associated: [UInt8]) throws -> [UInt8] {
    let nonce = try NoncePool.shared.nonce()
    guard
      let combined = try AES.GCM.seal(plain, using: key, nonce: nonce, authenticating: associated)
        .combined
    else { throw EventStoreError.keyUnavailable(reason: "AES-GCM gave no sealed box") }
    return Array(combined)
  }

  static func open(_ sealed: [UInt8], key: SymmetricKey, associated: [UInt8]) throws -> [UInt8] {
    let box = try AES.GCM.SealedBox(combined: sealed)
    return Array(try AES.GCM.open(box, using: key, authenticating: associated))
  }

  /// The associated data of an event's sealed `data`: the canonical JSON array
  /// `[eventId, streamId, type, schemaVersion]` (eventId in lowercase).
  static func eventAssociatedData(
    eventId: UUID, stream: String, type: String, schemaVersion: Int
  ) -> [UInt8] {
    JSONValue.array([
      .string(eventId.lowercasedString), .string(stream), .string(type),
      .number(Double(schemaVersion)),
    ]).canonicalBytes
  }
}

extension EventStore {
  /// The stream prefixes this store seals, as recorded in the store (empty when it seals none).
  public func sealedStreamPrefixes() throws(EventStoreError) -> [String] {
    try withRead { txn in try layout.sealedPrefixes(txn) }
  }

  /// The stored form of `proposed.data` for `stream`: the base64 text of its sealed canonical
  /// bytes and the key version, or nil when the stream is not sealed. `canonicalData`, when
  /// given, is `proposed.data`'s canonical bytes, made ahead (``PreparedEvent``).
  func sealData(
    _ proposed: ProposedEvent, stream: String, _ txn: WriteTransaction, keys: StreamKeys? = nil,
    canonicalData: [UInt8]? = nil
  ) throws -> (data: JSONValue, keyVersion: UInt64)? {
    guard let dataKeys, dataKeys.seals(stream) else { return nil }
    let (version, key) = try dataKeys.current(stream, layout: layout, txn, memo: keys)
    let sealed = try SealBox.seal(
      canonicalData ?? proposed.data.canonicalBytes, key: key,
      associated: SealBox.eventAssociatedData(
        eventId: proposed.eventId, stream: stream, type: proposed.type,
        schemaVersion: proposed.schemaVersion))
    return (.string(Data(sealed).base64EncodedString()), version)
  }

  /// `event` with its sealed `data` opened (``RecordedEvent/DataForm/opened(keyVersion:)``), or
  /// marked ``RecordedEvent/DataForm/erased(keyVersion:)`` with `data` null when the stream's keys
  /// were erased. Plain events are returned as they are.
  func openData(
    _ event: RecordedEvent, _ txn: Transaction, keys: StreamKeys? = nil
  ) throws -> RecordedEvent {
    guard case .sealed(let version) = event.dataForm else { return event }
    var opened = event
    guard let dataKeys else {
      if try layout.erasure(txn, event.streamId) != nil {
        opened.data = .null
        opened.dataForm = .erased(keyVersion: version)
        return opened
      }
      throw EventStoreError.keyUnavailable(
        reason: "event \(event.globalPosition) is sealed and the store was opened without its key")
    }
    guard
      let key = try dataKeys.key(
        event.streamId, version: version, layout: layout, txn, memo: keys)
    else {
      guard try layout.erasure(txn, event.streamId) != nil else {
        throw EventStoreError.corruptRecord(
          position: event.globalPosition, reason: "its data key \(version) is missing")
      }
      opened.data = .null
      opened.dataForm = .erased(keyVersion: version)
      return opened
    }
    return try Self.opened(event, version: version, key: key)
  }

  /// `event`, sealed under data key `version`, with its data opened under `key`
  /// (``RecordedEvent/DataForm/opened(keyVersion:)``): the one definition of opening an event's
  /// data (docs/FORMAT.md 2.7), for the store and for copies of its records (the central copy).
  /// `.corruptRecord` when the data is not base64 or does not open under `key`.
  static func opened(
    _ event: RecordedEvent, version: UInt64, key: SymmetricKey
  ) throws(EventStoreError) -> RecordedEvent {
    guard case .string(let text) = event.data, let sealed = Data(base64Encoded: text) else {
      throw .corruptRecord(position: event.globalPosition, reason: "its sealed data is not base64")
    }
    var opened = event
    do {
      let plain = try SealBox.open(
        Array(sealed), key: key,
        associated: SealBox.eventAssociatedData(
          eventId: event.eventId, stream: event.streamId, type: event.type,
          schemaVersion: event.schemaVersion))
      opened.data = try JSONValue.parse(plain)
    } catch {
      throw .corruptRecord(
        position: event.globalPosition, reason: "its sealed data does not open under its key")
    }
    opened.dataForm = .opened(keyVersion: version)
    return opened
  }
}

extension EventStore {
  /// Records the sealed prefixes and the key check of a store opened with sealing for the first
  /// time; checks the key of one that has them; refuses to open a sealing store writable
  /// without its key (its sealed streams would otherwise be written in plain text).
  static func setUpSealing(
    _ sealing: Sealing?, _ layout: Layout, _ txn: WriteTransaction
  ) throws {
    let recorded = try txn.get(layout.meta, Layout.sealedStreamsKey)
    // Without sealing the handle opens (to verify, export, or write streams that are not
    // sealed); appends to the recorded sealed streams are refused (``unsealed(_:_:)``).
    guard let sealing else { return }
    if let check = try txn.get(layout.meta, Layout.keyCheckKey) {
      try checkKey(sealing.keyProvider, check)
    } else {
      let wrapped: [UInt8]
      do {
        wrapped = try sealing.keyProvider.wrap(keyCheckValue, context: keyCheckContext)
      } catch { throw EventStoreError.keyUnavailable(reason: error.reason) }
      try txn.put(layout.meta, Layout.keyCheckKey, wrapped)
    }
    let prefixes = Array(sealing.streamPrefixes.joined(separator: "\n").utf8)
    if recorded != prefixes {
      let known = recorded.map { String(decoding: $0, as: UTF8.self).split(separator: "\n") } ?? []
      let union = Set(known.map(String.init) + sealing.streamPrefixes).sorted()
      try txn.put(layout.meta, Layout.sealedStreamsKey, Array(union.joined(separator: "\n").utf8))
    }
  }

  /// What `meta/key-check` wraps: 32 zero bytes, bound to `keyCheckContext`.
  static let keyCheckValue = [UInt8](repeating: 0, count: 32)
  static let keyCheckContext = Array("treatment-ledger key check".utf8)

  /// Throws `.keyUnavailable` unless `provider` unwraps the stored key check.
  static func checkKey(_ provider: any KeyProvider, _ check: [UInt8]) throws(EventStoreError) {
    let value: [UInt8]
    do { value = try provider.unwrap(check, context: keyCheckContext) } catch {
      throw .keyUnavailable(reason: error.reason)
    }
    guard value == keyCheckValue else {
      throw .keyUnavailable(reason: "the key provider does not give this store's key check")
    }
  }

  /// `.keyUnavailable` when one of `batches` appends to a stream the store seals (`sealed`, the
  /// recorded prefixes) that this handle cannot seal, else nil.
  func unsealed(_ batches: [StreamAppend], _ sealed: [String]) -> EventStoreError? {
    batches.first { batch in
      sealed.contains { batch.stream.hasPrefix($0) } && dataKeys?.seals(batch.stream) != true
    }.map {
      .keyUnavailable(
        reason: "the stream '\($0.stream)' is sealed and this handle was opened without the "
          + "store's key provider")
    }
  }
}
