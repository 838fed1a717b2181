import CTreatmentLedgerLMDB
import Foundation

/// The raw LMDB baseline: TreatmentLedger's key layout (`log` by big-endian position, `streams`
/// by name + 0x00 + big-endian version, `event-ids` by the 16 UUID bytes) written and read straight
/// through LMDB's C API, with durable commits (no `MDB_NOSYNC`, no `MDB_WRITEMAP`) and no
/// event-store logic: no validation, no hashing, no JSON, no projections, no stream heads.
final class RawLMDB: @unchecked Sendable {
  // The handle is only closed in deinit; LMDB serialises writers itself (`MDB_NOTLS` for readers).
  private let env: OpaquePointer
  private var log: MDB_dbi = 0
  private var streams: MDB_dbi = 0
  private var eventIds: MDB_dbi = 0
  let path: String

  init(path: String, readOnly: Bool = false) throws {
    self.path = path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    var handle: OpaquePointer?
    try Self.check(mdb_env_create(&handle), "mdb_env_create")
    guard let handle else { throw BenchError("mdb_env_create returned no environment") }
    env = handle
    // From here on deinit closes the environment, also when init throws.
    try Self.check(mdb_env_set_maxdbs(env, 4), "mdb_env_set_maxdbs")
    // A map large enough for every workload: the file grows as pages are used, never to this.
    try Self.check(mdb_env_set_mapsize(env, 64 << 30), "mdb_env_set_mapsize")
    let flags = UInt32(MDB_NOTLS) | (readOnly ? UInt32(MDB_RDONLY) : 0)
    try Self.check(mdb_env_open(env, path, flags, 0o600), "mdb_env_open")
    var txn: OpaquePointer?
    try Self.check(
      mdb_txn_begin(env, nil, readOnly ? UInt32(MDB_RDONLY) : 0, &txn), "mdb_txn_begin")
    let create = readOnly ? 0 : UInt32(MDB_CREATE)
    var dbis: [MDB_dbi] = [0, 0, 0]
    for (index, name) in ["log", "streams", "event-ids"].enumerated() {
      let rc = mdb_dbi_open(txn, name, create, &dbis[index])
      if rc != 0 {
        mdb_txn_abort(txn)
        try Self.check(rc, "mdb_dbi_open \(name)")
      }
    }
    try Self.check(mdb_txn_commit(txn), "mdb_txn_commit")
    log = dbis[0]
    streams = dbis[1]
    eventIds = dbis[2]
  }

  deinit { mdb_env_close(env) }

  static func check(_ rc: Int32, _ operation: String) throws {
    guard rc == 0 else {
      throw BenchError("\(operation): \(String(cString: mdb_strerror(rc))) (\(rc))")
    }
  }

  static var version: String {
    var major: Int32 = 0
    var minor: Int32 = 0
    var patch: Int32 = 0
    _ = mdb_version(&major, &minor, &patch)
    return "\(major).\(minor).\(patch)"
  }

  /// Runs `body` with a write transaction and commits it (durably), aborting on error.
  private func write<R>(_ body: (OpaquePointer) throws -> R) throws -> R {
    var txn: OpaquePointer?
    try Self.check(mdb_txn_begin(env, nil, 0, &txn), "mdb_txn_begin")
    guard let txn else { throw BenchError("mdb_txn_begin returned no transaction") }
    let result: R
    do { result = try body(txn) } catch {
      mdb_txn_abort(txn)
      throw error
    }
    try Self.check(mdb_txn_commit(txn), "mdb_txn_commit")
    return result
  }

  /// Runs `body` with a read-only transaction.
  private func read<R>(_ body: (OpaquePointer) throws -> R) throws -> R {
    var txn: OpaquePointer?
    try Self.check(mdb_txn_begin(env, nil, UInt32(MDB_RDONLY), &txn), "mdb_txn_begin")
    guard let txn else { throw BenchError("mdb_txn_begin returned no transaction") }
    defer { mdb_txn_abort(txn) }
    return try body(txn)
  }

  private func put(
    _ txn: OpaquePointer, _ dbi: MDB_dbi, _ key: [UInt8], _ value: [UInt8], _ flags: Int32
  ) throws {
    let rc = key.withUnsafeBytes { keyBytes in
      value.withUnsafeBytes { valueBytes in
        var k = MDB_val(
          mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
        var v = MDB_val(
          mv_size: valueBytes.count,
          mv_data: UnsafeMutableRawPointer(mutating: valueBytes.baseAddress))
        return mdb_put(txn, dbi, &k, &v, UInt32(flags))
      }
    }
    try Self.check(rc, "mdb_put")
  }

  /// The next free position: one past the last `log` key.
  private func nextPosition(_ txn: OpaquePointer) throws -> UInt64 {
    var cursor: OpaquePointer?
    try Self.check(mdb_cursor_open(txn, log, &cursor), "mdb_cursor_open")
    defer { mdb_cursor_close(cursor) }
    var key = MDB_val()
    var value = MDB_val()
    let rc = mdb_cursor_get(cursor, &key, &value, MDB_LAST)
    if rc == MDB_NOTFOUND { return 0 }
    try Self.check(rc, "mdb_cursor_get")
    guard key.mv_size == 8, let data = key.mv_data else {
      throw BenchError("log key of \(key.mv_size) bytes")
    }
    return UInt64(bigEndian: data.loadUnaligned(as: UInt64.self)) + 1
  }

  private func putEvent(_ txn: OpaquePointer, _ event: RawEvent, at position: UInt64) throws {
    let positionKey = bigEndian(position)
    try put(txn, log, positionKey, event.logValue, MDB_APPEND)
    try put(txn, streams, event.streamKey, positionKey, MDB_NOOVERWRITE)
    try put(txn, eventIds, event.eventId, positionKey, MDB_NOOVERWRITE)
  }

  /// Writes `events` in one durable transaction at the next positions.
  func append(_ events: some Collection<RawEvent>) throws {
    try write { txn in
      var position = try nextPosition(txn)
      for event in events {
        try putEvent(txn, event, at: position)
        position += 1
      }
    }
  }

  /// Reads the whole `log` in key order; `body` gets each key and value (valid during the call).
  /// Returns the number of entries.
  @discardableResult
  func scanLog(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Void) throws
    -> Int
  {
    try read { txn in
      var cursor: OpaquePointer?
      try Self.check(mdb_cursor_open(txn, log, &cursor), "mdb_cursor_open")
      defer { mdb_cursor_close(cursor) }
      var key = MDB_val()
      var value = MDB_val()
      var count = 0
      var rc = mdb_cursor_get(cursor, &key, &value, MDB_FIRST)
      while rc == 0 {
        try body(
          UnsafeRawBufferPointer(start: key.mv_data, count: key.mv_size),
          UnsafeRawBufferPointer(start: value.mv_data, count: value.mv_size))
        count += 1
        rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)
      }
      guard rc == MDB_NOTFOUND else {
        try Self.check(rc, "mdb_cursor_get")
        return count
      }
      return count
    }
  }

  /// The `log` values of one stream in version order, copied out: through the `streams` index
  /// (a range of keys), then one `log` lookup per event.
  func readStream(_ stream: [UInt8]) throws -> [[UInt8]] {
    try read { txn in
      var cursor: OpaquePointer?
      try Self.check(mdb_cursor_open(txn, streams, &cursor), "mdb_cursor_open")
      defer { mdb_cursor_close(cursor) }
      let prefix = stream + [0]
      var values: [[UInt8]] = []
      var startKey = prefix + bigEndian(0)
      var rc: Int32 = startKey.withUnsafeMutableBytes { raw in
        var key = MDB_val(mv_size: raw.count, mv_data: raw.baseAddress)
        var value = MDB_val()
        return mdb_cursor_get(cursor, &key, &value, MDB_SET_RANGE)
      }
      var key = MDB_val()
      var value = MDB_val()
      if rc == 0 { rc = mdb_cursor_get(cursor, &key, &value, MDB_GET_CURRENT) }
      while rc == 0 {
        let keyBytes = UnsafeRawBufferPointer(start: key.mv_data, count: key.mv_size)
        guard keyBytes.count == prefix.count + 8, keyBytes.starts(with: prefix) else { break }
        var logValue = MDB_val()
        try Self.check(mdb_get(txn, log, &value, &logValue), "mdb_get log")
        values.append(
          Array(UnsafeRawBufferPointer(start: logValue.mv_data, count: logValue.mv_size)))
        rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)
      }
      if rc != 0 && rc != MDB_NOTFOUND { try Self.check(rc, "mdb_cursor_get") }
      return values
    }
  }

  /// Bytes allocated for the environment's files.
  var diskBytes: Int { DiskUsage.bytes(path) }

  /// Page size, last used page and last committed transaction (`mdb_env_info`, `mdb_env_stat`).
  func info() throws -> (pageSize: Int, lastPage: UInt64, transaction: UInt64) {
    var info = MDB_envinfo()
    try Self.check(mdb_env_info(env, &info), "mdb_env_info")
    var stat = MDB_stat()
    try Self.check(mdb_env_stat(env, &stat), "mdb_env_stat")
    return (Int(stat.ms_psize), UInt64(info.me_last_pgno), UInt64(info.me_last_txnid))
  }
}
