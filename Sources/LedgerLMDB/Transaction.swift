import CTreatmentLedgerLMDB
import Foundation

/// A named database inside an environment (`MDB_dbi`), opened once and valid until the
/// environment closes.
public struct Database: Sendable, Hashable {
  /// LMDB's handle.
  let dbi: MDB_dbi
  /// The database's name.
  public let name: String
}

/// One key–value pair read from a database, copied out of the memory map.
public struct Entry: Sendable, Equatable {
  /// The key bytes.
  public var key: [UInt8]
  /// The value bytes.
  public var value: [UInt8]
}

/// A transaction: a consistent snapshot that can be read.
///
/// Instances exist only inside ``Environment/read(_:)`` or ``Environment/write(_:)`` closures
/// and are not `Sendable`: they cannot leave their thread. Using one after its closure returned
/// throws ``LMDBError/Code-swift.enum/transactionEnded``.
public class Transaction {
  let environment: Environment
  var handle: OpaquePointer?
  private var cursors: [Cursor] = []
  /// True while a child transaction of this one is running (the parent must not be used then).
  var suspended = false

  init(environment: Environment, handle: OpaquePointer) {
    self.environment = environment
    self.handle = handle
  }

  func live(_ operation: String) throws(LMDBError) -> OpaquePointer {
    guard let handle, !suspended else {
      throw LMDBError(.transactionEnded, operation: operation)
    }
    return handle
  }

  /// Ends the transaction: closes its cursors, then commits or aborts. Idempotent.
  func finish(commit: Bool) {
    guard let txn = handle else { return }
    for cursor in cursors { cursor.invalidate(closeHandle: self is ReadTransaction) }
    cursors.removeAll()
    handle = nil
    if !commit {
      mdb_txn_abort(txn)
    } else if self is ReadTransaction {
      // Committing (not aborting) a read transaction keeps the database handles it opened.
      _ = mdb_txn_commit(txn)
    }
  }

  /// Opens the existing named database `name`.
  ///
  /// - Throws: ``LMDBError/Code-swift.enum/notFound`` if it does not exist.
  public func openDatabase(_ name: String) throws(LMDBError) -> Database {
    var dbi: MDB_dbi = 0
    try check(mdb_dbi_open(try live("mdb_dbi_open"), name, 0, &dbi), "mdb_dbi_open")
    return Database(dbi: dbi, name: name)
  }

  /// The value stored under `key`, copied out, or `nil` when there is none.
  public func get(_ database: Database, _ key: [UInt8]) throws(LMDBError) -> [UInt8]? {
    try withValue(database, key) { $0.map { Array($0) } }
  }

  /// Calls `body` with the value under `key` in place in the memory map (no copy), or `nil`.
  /// The buffer is valid only during `body`.
  public func withValue<R>(
    _ database: Database, _ key: [UInt8], _ body: (UnsafeRawBufferPointer?) throws(LMDBError) -> R
  ) throws(LMDBError) -> R {
    let txn = try live("mdb_get")
    var value = MDB_val()
    let rc = key.withUnsafeBytes { keyBytes in
      var k = MDB_val(
        mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
      return mdb_get(txn, database.dbi, &k, &value)
    }
    if rc == MDB_NOTFOUND { return try body(nil) }
    try check(rc, "mdb_get")
    return try body(UnsafeRawBufferPointer(start: value.mv_data, count: value.mv_size))
  }

  /// Number of entries in `database`.
  public func count(_ database: Database) throws(LMDBError) -> Int {
    var stat = MDB_stat()
    try check(mdb_stat(try live("mdb_stat"), database.dbi, &stat), "mdb_stat")
    return stat.ms_entries
  }

  /// True when the environment's main (unnamed) database holds nothing: no named database and
  /// no key, as in an environment that was just created.
  public func environmentIsEmpty() throws(LMDBError) -> Bool {
    var dbi: MDB_dbi = 0
    try check(mdb_dbi_open(try live("mdb_dbi_open"), nil, 0, &dbi), "mdb_dbi_open")
    var stat = MDB_stat()
    try check(mdb_stat(try live("mdb_stat"), dbi, &stat), "mdb_stat")
    return stat.ms_entries == 0
  }

  /// Runs `body` with a cursor over `database`; the cursor is closed when `body` returns.
  public func withCursor<R>(_ database: Database, _ body: (Cursor) throws -> R) throws -> R {
    var raw: OpaquePointer?
    try check(mdb_cursor_open(try live("mdb_cursor_open"), database.dbi, &raw), "mdb_cursor_open")
    guard let raw else { throw LMDBError(.other(-1), operation: "mdb_cursor_open") }
    let cursor = Cursor(handle: raw, transaction: self)
    cursors.append(cursor)
    defer {
      cursor.invalidate(closeHandle: true)
      cursors.removeAll { $0 === cursor }
    }
    return try body(cursor)
  }
}

/// A read-only transaction. See ``Environment/read(_:)``.
public final class ReadTransaction: Transaction {
  init(environment: Environment, env: OpaquePointer) throws(LMDBError) {
    var txn: OpaquePointer?
    try check(mdb_txn_begin(env, nil, UInt32(MDB_RDONLY), &txn), "mdb_txn_begin(read)")
    guard let txn else { throw LMDBError(.badTransaction, operation: "mdb_txn_begin(read)") }
    super.init(environment: environment, handle: txn)
  }
}

/// A read-write transaction. Only this type is accepted by calls that change data.
/// See ``Environment/write(_:)``.
public final class WriteTransaction: Transaction {
  /// Options for ``put(_:_:_:options:)``.
  public struct PutOptions: OptionSet, Sendable {
    /// The raw LMDB flags.
    public let rawValue: UInt32
    /// Creates options from raw LMDB flags.
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// Fail with ``LMDBError/Code-swift.enum/keyExists`` instead of replacing a value
    /// (`MDB_NOOVERWRITE`).
    public static let noOverwrite = PutOptions(rawValue: UInt32(MDB_NOOVERWRITE))
    /// The key sorts after every existing key: a fast append (`MDB_APPEND`). Fails with
    /// ``LMDBError/Code-swift.enum/keyExists`` if it does not.
    public static let append = PutOptions(rawValue: UInt32(MDB_APPEND))
  }

  init(environment: Environment, env: OpaquePointer, parent: OpaquePointer?) throws(LMDBError) {
    var txn: OpaquePointer?
    try check(mdb_txn_begin(env, parent, 0, &txn), "mdb_txn_begin(write)")
    guard let txn else { throw LMDBError(.badTransaction, operation: "mdb_txn_begin(write)") }
    super.init(environment: environment, handle: txn)
  }

  func commit() throws(LMDBError) {
    let txn = try live("mdb_txn_commit")
    finish(commit: true)
    let rc = mdb_txn_commit(txn)
    if rc == EIO { throw environment.explainIOError(operation: "mdb_txn_commit") }
    try check(rc, "mdb_txn_commit")
  }

  /// Opens the named database `name`, creating it when it does not exist.
  public func createDatabase(_ name: String) throws(LMDBError) -> Database {
    var dbi: MDB_dbi = 0
    try check(
      mdb_dbi_open(try live("mdb_dbi_open"), name, UInt32(MDB_CREATE), &dbi), "mdb_dbi_open")
    return Database(dbi: dbi, name: name)
  }

  /// Stores `value` under `key`.
  public func put(
    _ database: Database, _ key: [UInt8], _ value: [UInt8], options: PutOptions = []
  ) throws(LMDBError) {
    let txn = try live("mdb_put")
    let rc = key.withUnsafeBytes { keyBytes in
      value.withUnsafeBytes { valueBytes in
        var k = MDB_val(
          mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
        var v = MDB_val(
          mv_size: valueBytes.count,
          mv_data: UnsafeMutableRawPointer(mutating: valueBytes.baseAddress))
        return mdb_put(txn, database.dbi, &k, &v, options.rawValue)
      }
    }
    // A large transaction may spill pages to disk during a put: a full disk shows there too.
    if rc == EIO {
      throw environment.explainIOError(operation: "mdb_put(\(database.name))")
    }
    try check(rc, "mdb_put(\(database.name))")
  }

  /// Removes `key`; returns false when there was nothing to remove.
  @discardableResult
  public func delete(_ database: Database, _ key: [UInt8]) throws(LMDBError) -> Bool {
    let txn = try live("mdb_del")
    let rc = key.withUnsafeBytes { keyBytes in
      var k = MDB_val(
        mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
      return mdb_del(txn, database.dbi, &k, nil)
    }
    if rc == MDB_NOTFOUND { return false }
    try check(rc, "mdb_del(\(database.name))")
    return true
  }

  /// Removes every entry of `database`, keeping the database itself.
  public func clear(_ database: Database) throws(LMDBError) {
    try check(mdb_drop(try live("mdb_drop"), database.dbi, 0), "mdb_drop(\(database.name))")
  }

  /// Runs `body` in a child transaction: its changes join this transaction when `body` returns
  /// and are discarded when it throws, leaving this transaction as it was. This transaction must
  /// not be used while `body` runs.
  public func nested<R>(_ body: (WriteTransaction) throws -> R) throws -> R {
    let parent = try live("mdb_txn_begin(nested)")
    guard let env = mdb_txn_env(parent) else {
      throw LMDBError(.badTransaction, operation: "mdb_txn_env")
    }
    let child = try WriteTransaction(environment: environment, env: env, parent: parent)
    suspended = true
    defer { suspended = false }
    do {
      let result = try body(child)
      try child.commit()
      return result
    } catch {
      child.finish(commit: false)
      throw error
    }
  }
}
