import LedgerLMDB

/// Seals and opens the values of a stream's derived state (projection state, review state, review
/// facts) before they are written to / after they are read from LMDB.
///
/// This build's sealer is plain: values are stored as they are. Every value of per-stream
/// derived state goes through it, so that a sealing implementation replaces this one file.
struct DerivedSealer: Sendable {
  /// The sealer that stores values unchanged.
  static let plain = DerivedSealer()

  /// The value to store for `plain`, the derived value under `key` in the database named
  /// `database`, belonging to `stream`. Called inside the write transaction that stores it.
  func seal(
    _ plain: [UInt8], stream: String, database: String, key: [UInt8],
    in txn: WriteTransaction
  ) throws(EventStoreError) -> [UInt8] {
    plain
  }

  /// The plain value of a stored derived value (the inverse of `seal`).
  func open(
    _ stored: [UInt8], stream: String, database: String, key: [UInt8],
    in txn: Transaction
  ) throws(EventStoreError) -> [UInt8] {
    stored
  }
}
