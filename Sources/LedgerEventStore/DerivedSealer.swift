import Crypto
import Foundation
import LedgerLMDB

/// Seals and opens the values of a stream's derived state (projection state, review state, review
/// facts) before they are written to / after they are read from LMDB.
///
/// A value of a sealed stream (see ``Sealing``) is stored as `0xEE`, the data key's version
/// (u64 BE), then AES-256-GCM's nonce, ciphertext and tag under that stream's data key, with
/// `database`, `0x00`, `key` as associated data (so a value cannot be moved to another key).
/// Values of other streams, and every value of a store opened without sealing, pass unchanged.
struct DerivedSealer: Sendable {
  /// The first byte of a sealed derived value.
  static let marker: UInt8 = 0xEE

  let dataKeys: DataKeys?
  let layout: Layout

  /// A sealer that seals nothing.
  static func plain(_ layout: Layout) -> DerivedSealer {
    DerivedSealer(dataKeys: nil, layout: layout)
  }

  /// The value to store for `plain`, the derived value under `key` in the database named
  /// `database`, belonging to `stream`. Called inside the write transaction that stores it.
  /// `keys`, when given, is the stream's ``StreamKeys`` memo of this transaction.
  func seal(
    _ plain: [UInt8], stream: String, database: String, key: [UInt8],
    in txn: WriteTransaction, keys: StreamKeys? = nil
  ) throws(EventStoreError) -> [UInt8] {
    guard let dataKeys, dataKeys.seals(stream) else { return plain }
    do {
      let (version, dataKey) = try dataKeys.current(stream, layout: layout, txn, memo: keys)
      let sealed = try SealBox.seal(
        plain, key: dataKey, associated: Self.associated(database, key))
      return [Self.marker] + version.bigEndianBytes + sealed
    } catch {
      throw Self.mapped(error)
    }
  }

  /// The plain value of a stored derived value (the inverse of `seal`).
  func open(
    _ stored: [UInt8], stream: String, database: String, key: [UInt8],
    in txn: Transaction, keys: StreamKeys? = nil
  ) throws(EventStoreError) -> [UInt8] {
    guard let dataKeys, dataKeys.seals(stream) else { return stored }
    guard stored.count > 9 + 28, stored[0] == Self.marker,
      let version = UInt64(bigEndianBytes: stored[1..<9])
    else {
      throw .incompatibleStore(reason: "a \(database) value of a sealed stream is not sealed")
    }
    do {
      guard
        let dataKey = try dataKeys.key(stream, version: version, layout: layout, txn, memo: keys)
      else {
        throw EventStoreError.streamErased(stream: stream)
      }
      return try SealBox.open(
        Array(stored[9...]), key: dataKey, associated: Self.associated(database, key))
    } catch {
      throw Self.mapped(error)
    }
  }

  private static func associated(_ database: String, _ key: [UInt8]) -> [UInt8] {
    Array(database.utf8) + [0] + key
  }

  private static func mapped(_ error: any Error) -> EventStoreError {
    switch error {
    case let error as EventStoreError: return error
    case let error as LMDBError: return .storage(error)
    case let error as KeyProviderError: return .keyUnavailable(reason: error.reason)
    default:
      return .incompatibleStore(reason: "a sealed derived value does not open under its key")
    }
  }
}
