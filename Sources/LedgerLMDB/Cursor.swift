import CTreatmentLedgerLMDB

/// A position in a database, for ordered scans. Valid only inside
/// ``Transaction/withCursor(_:_:)``; later use throws.
public final class Cursor {
  private var handle: OpaquePointer?
  private unowned let transaction: Transaction

  init(handle: OpaquePointer, transaction: Transaction) {
    self.handle = handle
    self.transaction = transaction
  }

  func invalidate(closeHandle: Bool) {
    guard let cursor = handle else { return }
    handle = nil
    // Write transactions free their cursors themselves when they end; a cursor closed
    // explicitly before that is fine too, and read transactions require it.
    if closeHandle && transaction.handle != nil {
      mdb_cursor_close(cursor)
    } else if closeHandle && transaction is ReadTransaction {
      mdb_cursor_close(cursor)
    }
  }

  /// The first entry, or nil for an empty database.
  public func first() throws(LMDBError) -> Entry? { try move(MDB_FIRST) }
  /// The last entry, or nil for an empty database.
  public func last() throws(LMDBError) -> Entry? { try move(MDB_LAST) }
  /// The entry after the current one, or nil at the end.
  public func next() throws(LMDBError) -> Entry? { try move(MDB_NEXT) }
  /// The entry before the current one, or nil at the start.
  public func previous() throws(LMDBError) -> Entry? { try move(MDB_PREV) }
  /// The first entry whose key is greater than or equal to `key`, or nil.
  public func seek(atLeast key: [UInt8]) throws(LMDBError) -> Entry? {
    try move(MDB_SET_RANGE, key: key)
  }
  /// The entry whose key is exactly `key`, or nil.
  public func seek(exactly key: [UInt8]) throws(LMDBError) -> Entry? {
    try move(MDB_SET_KEY, key: key)
  }

  private func move(_ op: MDB_cursor_op, key: [UInt8]? = nil) throws(LMDBError) -> Entry? {
    guard let cursor = handle, transaction.handle != nil, !transaction.suspended else {
      throw LMDBError(.transactionEnded, operation: "mdb_cursor_get")
    }
    var k = MDB_val()
    var v = MDB_val()
    let rc: Int32
    if let key {
      rc = key.withUnsafeBytes { keyBytes in
        k = MDB_val(
          mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
        return mdb_cursor_get(cursor, &k, &v, op)
      }
    } else {
      rc = mdb_cursor_get(cursor, &k, &v, op)
    }
    if rc == MDB_NOTFOUND { return nil }
    try check(rc, "mdb_cursor_get")
    return Entry(
      key: Array(UnsafeRawBufferPointer(start: k.mv_data, count: k.mv_size)),
      value: Array(UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size)))
  }
}
