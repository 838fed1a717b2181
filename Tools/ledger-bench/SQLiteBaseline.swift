import CLedgerBenchSQLite
import Foundation

/// The SQLite baseline, as a developer would write an append-only event table: WAL journal,
/// `synchronous` FULL or NORMAL, one table whose rowid is the global position, UNIQUE(stream,
/// version), a unique index on the event id, prepared statements reused for every row, and a
/// 64 MiB page cache (the default 2 MiB thrashes on a million-row index; LMDB uses the whole OS
/// page cache through its map, so this is the fair setting).
final class SQLiteDB: @unchecked Sendable {
  // One connection; callers that share it across threads hold their own lock (workload 2).
  private let db: OpaquePointer
  private var insertStatement: OpaquePointer?
  let path: String

  static let schema = """
    CREATE TABLE IF NOT EXISTS events(
      position INTEGER PRIMARY KEY,
      stream TEXT NOT NULL,
      version INTEGER NOT NULL,
      event_id BLOB NOT NULL,
      hash BLOB NOT NULL,
      payload BLOB NOT NULL,
      UNIQUE(stream, version)
    );
    CREATE UNIQUE INDEX IF NOT EXISTS events_event_id ON events(event_id);
    """

  /// Opens (creating) the database at `path` with `synchronous` = `FULL` or `NORMAL`.
  init(path: String, synchronous: String, readOnly: Bool = false) throws {
    self.path = path
    var handle: OpaquePointer?
    let flags = readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
    let rc = sqlite3_open_v2(path, &handle, flags, nil)
    guard let handle else { throw BenchError("sqlite3_open_v2 \(path): \(rc)") }
    db = handle
    // From here on deinit closes the connection, also when init throws.
    guard rc == SQLITE_OK else { throw BenchError("sqlite3_open_v2 \(path): \(message)") }
    try exec("PRAGMA cache_size = -65536")
    if !readOnly {
      try exec("PRAGMA journal_mode = WAL")
      try exec("PRAGMA synchronous = \(synchronous)")
      try exec(Self.schema)
      insertStatement = try prepare(
        "INSERT INTO events(stream, version, event_id, hash, payload) VALUES (?1, ?2, ?3, ?4, ?5)")
    }
  }

  deinit {
    if let insertStatement { sqlite3_finalize(insertStatement) }
    sqlite3_close_v2(db)
  }

  static var version: String { String(cString: sqlite3_libversion()) }

  private var message: String { String(cString: sqlite3_errmsg(db)) }

  func exec(_ sql: String) throws {
    var error: UnsafeMutablePointer<CChar>?
    let rc = sqlite3_exec(db, sql, nil, nil, &error)
    guard rc == SQLITE_OK else {
      let text = error.map { String(cString: $0) } ?? "code \(rc)"
      sqlite3_free(error)
      throw BenchError("sqlite3_exec \(sql.prefix(40)): \(text)")
    }
  }

  func prepare(_ sql: String) throws -> OpaquePointer {
    var statement: OpaquePointer?
    let rc = sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
    guard rc == SQLITE_OK, let statement else {
      throw BenchError("sqlite3_prepare \(sql): \(message)")
    }
    return statement
  }

  /// Inserts one event with the prepared statement (the position is the next rowid).
  func insert(_ event: RawEvent) throws {
    guard let statement = insertStatement else { throw BenchError("read-only connection") }
    let rc: Int32 = event.stream.withUnsafeBytes { stream in
      event.eventId.withUnsafeBytes { id in
        event.hash.withUnsafeBytes { hash in
          event.canonical.withUnsafeBytes { payload in
            // SQLITE_STATIC (nil): the bytes outlive the step, so SQLite need not copy them.
            sqlite3_bind_text(
              statement, 1, stream.baseAddress?.assumingMemoryBound(to: CChar.self),
              Int32(stream.count), nil)
            sqlite3_bind_int64(statement, 2, Int64(event.version))
            sqlite3_bind_blob(statement, 3, id.baseAddress, Int32(id.count), nil)
            sqlite3_bind_blob(statement, 4, hash.baseAddress, Int32(hash.count), nil)
            sqlite3_bind_blob(statement, 5, payload.baseAddress, Int32(payload.count), nil)
            let rc = sqlite3_step(statement)
            sqlite3_reset(statement)
            return rc
          }
        }
      }
    }
    guard rc == SQLITE_DONE else { throw BenchError("insert: \(message)") }
  }

  /// Inserts `events` in one transaction.
  func insert(batch events: some Collection<RawEvent>) throws {
    try exec("BEGIN IMMEDIATE")
    do {
      for event in events { try insert(event) }
      try exec("COMMIT")
    } catch {
      try? exec("ROLLBACK")
      throw error
    }
  }

  /// Steps `statement` (after `bind`) over all its rows, calling `row` for each.
  func query(
    _ sql: String, bind: (OpaquePointer) -> Void = { _ in }, row: (OpaquePointer) throws -> Void
  ) throws -> Int {
    let statement = try prepare(sql)
    defer { sqlite3_finalize(statement) }
    bind(statement)
    var count = 0
    while true {
      let rc = sqlite3_step(statement)
      if rc == SQLITE_DONE { return count }
      guard rc == SQLITE_ROW else { throw BenchError("query: \(message)") }
      try row(statement)
      count += 1
    }
  }

  /// A prepared statement for repeated reads of one stream's payloads in version order.
  func streamReader() throws -> OpaquePointer {
    try prepare("SELECT payload FROM events WHERE stream = ?1 ORDER BY version")
  }

  /// Reads one stream's payloads with `statement` from ``streamReader()``, copied out.
  func readStream(_ statement: OpaquePointer, _ stream: [UInt8]) throws -> [[UInt8]] {
    defer { sqlite3_reset(statement) }
    var values: [[UInt8]] = []
    let rc: Int32 = stream.withUnsafeBytes { name in
      sqlite3_bind_text(
        statement, 1, name.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(name.count), nil)
      var rc = sqlite3_step(statement)
      while rc == SQLITE_ROW {
        let count = Int(sqlite3_column_bytes(statement, 0))
        values.append(
          Array(UnsafeRawBufferPointer(start: sqlite3_column_blob(statement, 0), count: count)))
        rc = sqlite3_step(statement)
      }
      return rc
    }
    guard rc == SQLITE_DONE else { throw BenchError("stream read: \(message)") }
    return values
  }

  static func finalize(_ statement: OpaquePointer) { sqlite3_finalize(statement) }

  /// Moves the WAL into the database file, so the file size is the data's.
  func checkpoint() throws { try exec("PRAGMA wal_checkpoint(TRUNCATE)") }

  /// Bytes allocated for the database, its WAL and shared-memory file.
  var diskBytes: Int {
    DiskUsage.bytes(path) + DiskUsage.bytes(path + "-wal") + DiskUsage.bytes(path + "-shm")
  }

  static func remove(_ path: String) {
    for suffix in ["", "-wal", "-shm"] {
      try? FileManager.default.removeItem(atPath: path + suffix)
    }
  }
}

/// The bytes of column `index` of the current row (valid until the next step).
func sqliteColumn(_ row: OpaquePointer, _ index: Int32) -> UnsafeRawBufferPointer {
  let pointer = sqlite3_column_blob(row, index)
  return UnsafeRawBufferPointer(start: pointer, count: Int(sqlite3_column_bytes(row, index)))
}

/// The integer of column `index` of the current row.
func sqliteInteger(_ row: OpaquePointer, _ index: Int32) -> Int64 {
  sqlite3_column_int64(row, index)
}
