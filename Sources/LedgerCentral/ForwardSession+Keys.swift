import Foundation
import LedgerEventStore
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// What a session knows of the clinic's key check in the central copy.
enum CentralKeyCheck: Sendable, Equatable {
  /// Not read yet.
  case unknown
  /// The central copy's (nil: none sent yet).
  case known([UInt8]?)
}

/// The wrapped data keys of a forwarded clinic (docs/CENTRAL.md 5): each batch sends the wrapped
/// keys its sealed events name, in the batch's transaction, and deletes those of the streams it
/// erases; after a key-encryption-key rotation (which re-wraps every key and changes the store's
/// key check), and for a central copy that has none yet (upgraded from schema version 1), every
/// wrapped key is sent again with the new key check, in one transaction.
extension ForwardSession {
  /// In a batch's transaction: upserts `keys`, then deletes the keys of the `erasing` streams.
  static func writeKeys(
    _ keys: [WrappedDataKey], erasing: [String], clinic: String, _ connection: PostgresConnection,
    logger: Logger
  ) async throws {
    if !keys.isEmpty {
      try await upsert(keys, clinic: clinic, connection, logger: logger)
    }
    if !erasing.isEmpty {
      try await connection.query(
        """
        DELETE FROM treatment_ledger.stream_keys
        WHERE clinic_id = \(clinic) AND stream_id = ANY(\(erasing)::text[])
        """, logger: logger)
    }
  }

  private static func upsert(
    _ keys: [WrappedDataKey], clinic: String, _ connection: PostgresConnection, logger: Logger
  ) async throws {
    let streams = keys.map(\.stream)
    let versions = keys.map { Int64($0.version) }
    let wrapped = keys.map { ByteBuffer(bytes: $0.wrapped) }
    try await connection.query(
      """
      INSERT INTO treatment_ledger.stream_keys (clinic_id, stream_id, key_version, wrapped)
      SELECT \(clinic), s, v, w
      FROM unnest(\(streams)::text[], \(versions)::bigint[], \(wrapped)::bytea[]) AS u(s, v, w)
      ON CONFLICT (clinic_id, stream_id, key_version) DO UPDATE SET wrapped = EXCLUDED.wrapped
        WHERE treatment_ledger.stream_keys.wrapped <> EXCLUDED.wrapped
      """, logger: logger)
  }

  /// Sends every wrapped key of the store, and its key check, when the central copy's key check
  /// differs from the store's (a rotation, or keys never sent). Nothing for a store that seals
  /// nothing.
  func sendKeysIfRewrapped() async throws(CentralError) {
    let stored: [UInt8]?
    do { stored = try forwarder.store.storedKeyCheck() } catch { throw .store(error) }
    guard let stored else { return }
    if case .unknown = centralKeyCheck { centralKeyCheck = .known(try await readCentralKeyCheck()) }
    if centralKeyCheck == .known(stored) { return }
    let all: (keyCheck: [UInt8]?, keys: [WrappedDataKey])
    do { all = try forwarder.store.allWrappedDataKeys() } catch { throw .store(error) }
    let (connection, clinic, logger) = (self.connection, self.clinic, self.logger)
    let check = all.keyCheck.map { ByteBuffer(bytes: $0) }
    try await guarded {
      try await connection.withTransaction(logger: logger) { connection in
        try await connection.query(
          "SELECT 1 FROM treatment_ledger.clinics WHERE clinic_id = \(clinic) FOR UPDATE",
          logger: logger)
        for start in stride(from: 0, to: all.keys.count, by: 5_000) {
          let part = Array(all.keys[start..<min(start + 5_000, all.keys.count)])
          try await Self.upsert(part, clinic: clinic, connection, logger: logger)
        }
        try await connection.query(
          """
          UPDATE treatment_ledger.clinics SET key_check = \(check)::bytea
          WHERE clinic_id = \(clinic)
          """, logger: logger)
      }
    }
    centralKeyCheck = .known(all.keyCheck)
    logger.info(
      "wrapped data keys sent", metadata: ["clinic": "\(clinic)", "keys": "\(all.keys.count)"])
  }

  private func readCentralKeyCheck() async throws(CentralError) -> [UInt8]? {
    let (connection, clinic, logger) = (self.connection, self.clinic, self.logger)
    let found = Mutex<[UInt8]?>(nil)
    try await guarded {
      let rows = try await connection.query(
        "SELECT key_check FROM treatment_ledger.clinics WHERE clinic_id = \(clinic)",
        logger: logger)
      for try await (check) in rows.decode(ByteBuffer?.self) {
        let bytes = check.map { Array(buffer: $0) }
        found.withLock { $0 = bytes }
      }
    }
    return found.withLock { $0 }
  }
}
