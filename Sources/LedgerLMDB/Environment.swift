import CTreatmentLedgerLMDB
import Foundation
import Synchronization

/// An open LMDB environment: one directory holding `data.mdb` and `lock.mdb`.
///
/// Rules this type keeps, each with its reason:
/// - **One environment per path per process.** LMDB's locking breaks if a process opens the same
///   file twice, so a second `Environment` for a path that is already open throws
///   ``LMDBError/Code-swift.enum/pathAlreadyOpen``.
/// - **Readers use `MDB_NOTLS`.** Swift's cooperative thread pool runs many tasks on one thread;
///   without `MDB_NOTLS` a second read transaction on that thread fails with `MDB_BAD_RSLOT`.
/// - **Transactions live inside a closure.** ``read(_:)`` and ``write(_:)`` begin, finish and
///   invalidate the transaction around a synchronous closure, so a transaction can never span an
///   `await` or hop threads (LMDB ties a write transaction to the thread that began it).
/// - **Closing invalidates children.** ``close()`` waits for running transactions, then closes the
///   environment; any later use of it, or of a transaction or cursor that escaped its closure,
///   throws instead of crashing.
/// - **The map grows by itself.** A write that fills the map is aborted, the map is enlarged and the
///   write closure runs again, so callers never see `MDB_MAP_FULL` (see ``write(_:)``).
public final class Environment: @unchecked Sendable {
  /// How durable a commit is.
  public enum Durability: Sendable, Equatable {
    /// Every commit is flushed to disk (`fsync`) before it returns. The default.
    case durable
    /// Commits are not flushed (`MDB_NOSYNC`): a power failure or kernel crash may lose the most
    /// recent commits, although the file stays consistent. Only for throw-away data and benchmarks.
    case unsafeNoSyncMayLoseRecentCommits
  }

  /// Settings for opening an environment.
  public struct Options: Sendable {
    /// Initial map size in bytes; the map grows on demand from there. Default 64 MiB.
    public var mapSize: Int = 64 << 20
    /// Maximum number of concurrent read transactions across all processes. Default 126.
    public var maxReaders: UInt32 = 126
    /// Maximum number of named databases. Default 16.
    public var maxDatabases: UInt32 = 16
    /// Open without the right to write (`MDB_RDONLY`); the directory must exist.
    public var readOnly: Bool = false
    /// Durability of commits. Default ``Durability/durable``.
    public var durability: Durability = .durable
    /// Permissions of files the environment creates. Default `0o600`: patient records.
    public var fileMode: UInt32 = 0o600

    /// Default options: 64 MiB initial map, durable commits, read-write.
    public init() {}
  }

  /// Facts about the environment, from `mdb_env_info` and `mdb_env_stat`.
  public struct Info: Sendable, Equatable {
    /// Current size of the memory map in bytes.
    public var mapSize: Int
    /// Database page size in bytes.
    public var pageSize: Int
    /// Number of the last used page.
    public var lastPageNumber: Int
    /// Id of the last committed transaction.
    public var lastTransactionId: Int
    /// Maximum reader slots.
    public var maxReaders: Int
    /// Reader slots in use, across processes.
    public var readersInUse: Int
  }

  private static let openPaths = Mutex<Set<String>>([])

  /// The canonical directory path of the environment.
  public let path: String
  /// The options it was opened with.
  public let options: Options

  /// The `lock.mdb` this process holds (nil when LMDB opened without one, on read-only media).
  private let lockFile: LockFileIdentity?

  private let lifecycle = ReadWriteLock()
  // Guarded by `lifecycle`: read under the shared lock, changed under the exclusive one.
  private var handle: OpaquePointer?

  /// Opens (and, unless read-only, creates) the environment in directory `path`.
  ///
  /// - Throws: ``LMDBError`` with ``LMDBError/Code-swift.enum/pathAlreadyOpen`` when this process
  ///   has the path open already, or LMDB's error when the files cannot be opened.
  public init(path: String, options: Options = Options()) throws(LMDBError) {
    self.options = options
    if !options.readOnly {
      do {
        try FileManager.default.createDirectory(
          atPath: path, withIntermediateDirectories: true,
          attributes: [.posixPermissions: NSNumber(value: 0o700)])
      } catch {
        throw LMDBError(.system(errno: EACCES), operation: "create directory")
      }
    }
    guard let resolved = realpath(path, nil) else {
      throw LMDBError(.system(errno: errno), operation: "resolve path")
    }
    let canonical = String(cString: resolved)
    free(resolved)
    self.path = canonical

    let claimed = Self.openPaths.withLock { $0.insert(canonical).inserted }
    guard claimed else { throw LMDBError(.pathAlreadyOpen, operation: "open") }

    var env: OpaquePointer?
    do {
      try FileChecks.checkDataFile(path: canonical)
      try check(mdb_env_create(&env), "mdb_env_create")
      try check(mdb_env_set_maxreaders(env, options.maxReaders), "mdb_env_set_maxreaders")
      try check(mdb_env_set_maxdbs(env, options.maxDatabases), "mdb_env_set_maxdbs")
      try check(mdb_env_set_mapsize(env, options.mapSize), "mdb_env_set_mapsize")
      var flags = UInt32(MDB_NOTLS)
      if options.readOnly { flags |= UInt32(MDB_RDONLY) }
      if options.durability == .unsafeNoSyncMayLoseRecentCommits { flags |= UInt32(MDB_NOSYNC) }
      try check(mdb_env_open(env, canonical, flags, mdb_mode_t(options.fileMode)), "mdb_env_open")
    } catch {
      if let env { mdb_env_close(env) }
      _ = Self.openPaths.withLock { $0.remove(canonical) }
      throw error
    }
    self.handle = env
    self.lockFile = LockFileIdentity.current(path: canonical)
  }

  deinit {
    close()
  }

  /// Closes the environment after running transactions finish. Later use throws
  /// ``LMDBError/Code-swift.enum/environmentClosed``. Calling it twice is harmless.
  public func close() {
    lifecycle.exclusive {
      guard let env = handle else { return }
      mdb_env_close(env)
      handle = nil
      _ = Self.openPaths.withLock { $0.remove(path) }
    }
  }

  /// True until ``close()`` is called.
  public var isOpen: Bool { lifecycle.shared { handle != nil } }

  /// Runs `body` in a read-only transaction and returns its result.
  ///
  /// The transaction sees one consistent snapshot. It ends when `body` returns; the transaction
  /// and its cursors must not be used after that (they throw). Never `await` inside: the closure
  /// is synchronous on purpose.
  public func read<R>(_ body: (ReadTransaction) throws -> R) throws -> R {
    try withHandle("mdb_txn_begin") { env in
      let txn = try ReadTransaction(environment: self, env: env)
      do {
        let result = try body(txn)
        txn.finish(commit: true)
        return result
      } catch {
        txn.finish(commit: false)
        throw error
      }
    }
  }

  /// Runs `body` in a write transaction, commits when it returns, aborts when it throws.
  ///
  /// When the map is full (`MDB_MAP_FULL` from a put or from the commit), the transaction is
  /// aborted, the map is enlarged, and `body` runs again from the start in a new transaction, so
  /// `body` must be safe to repeat: derive everything it writes from what it reads. Errors `body`
  /// throws for other reasons are passed on after the abort.
  ///
  /// LMDB admits one writer at a time across all processes; this call blocks until it is the
  /// writer. Call it from one thread per process (a dedicated writer) for predictable latency.
  public func write<R>(_ body: (WriteTransaction) throws -> R) throws -> R {
    if options.readOnly { throw LMDBError(.readOnly, operation: "write") }
    while true {
      do {
        return try withHandle("mdb_txn_begin") { env in
          let txn = try WriteTransaction(environment: self, env: env, parent: nil)
          do {
            let result = try body(txn)
            try checkLockFile()
            try txn.commit()
            return result
          } catch {
            txn.finish(commit: false)
            throw error
          }
        }
      } catch let error where LMDBError.isMapFull(error) {
        try growMap()
      }
    }
  }

  /// Throws ``LMDBError/Code-swift.enum/lockFileReplaced`` when `lock.mdb` at the path is no
  /// longer the file this process opened: another process may then be writing under another
  /// writer lock, and committing would overwrite its commits. Called before every commit.
  public func checkLockFile() throws(LMDBError) {
    guard let lockFile else { return }
    guard LockFileIdentity.current(path: path) == lockFile else {
      throw LMDBError(.lockFileReplaced, operation: "commit")
    }
  }

  /// Enlarges the map: doubles it up to 1 GiB, then adds 1 GiB at a time.
  ///
  /// Waits for running transactions of this process, as `mdb_env_set_mapsize` requires.
  public func growMap() throws(LMDBError) {
    let current = try info().mapSize
    let next = current < (1 << 30) ? current * 2 : current + (1 << 30)
    try setMapSize(next)
  }

  /// Sets the map size in bytes (at least what the data already uses; 0 adopts the size another
  /// process set). Waits for running transactions of this process.
  public func setMapSize(_ bytes: Int) throws(LMDBError) {
    try lifecycle.exclusive { () throws(LMDBError) in
      guard let env = handle else { throw LMDBError(.environmentClosed, operation: "set map size") }
      try check(mdb_env_set_mapsize(env, bytes), "mdb_env_set_mapsize")
    }
  }

  /// Flushes buffers to disk. Needed only with ``Durability/unsafeNoSyncMayLoseRecentCommits``.
  public func sync() throws(LMDBError) {
    try withHandle("mdb_env_sync") { env throws(LMDBError) in
      try check(mdb_env_sync(env, 1), "mdb_env_sync")
    }
  }

  /// The environment's map size, page size, last page and transaction, and reader usage.
  public func info() throws(LMDBError) -> Info {
    try withHandle("mdb_env_info") { env throws(LMDBError) in
      var info = MDB_envinfo()
      try check(mdb_env_info(env, &info), "mdb_env_info")
      var stat = MDB_stat()
      try check(mdb_env_stat(env, &stat), "mdb_env_stat")
      return Info(
        mapSize: info.me_mapsize, pageSize: Int(stat.ms_psize),
        lastPageNumber: info.me_last_pgno, lastTransactionId: info.me_last_txnid,
        maxReaders: Int(info.me_maxreaders), readersInUse: Int(info.me_numreaders))
    }
  }

  /// Clears reader slots left by processes that died (`mdb_reader_check`); returns how many.
  @discardableResult
  public func clearStaleReaders() throws(LMDBError) -> Int {
    try withHandle("mdb_reader_check") { env throws(LMDBError) in
      var dead: Int32 = 0
      try check(mdb_reader_check(env, &dead), "mdb_reader_check")
      return Int(dead)
    }
  }

  /// Size of `data.mdb` on disk in bytes.
  public func fileSize() -> Int {
    let attributes = try? FileManager.default.attributesOfItem(atPath: path + "/data.mdb")
    return (attributes?[.size] as? NSNumber)?.intValue ?? 0
  }

  /// LMDB reports a write that stopped short as `EIO` ("short write, filesystem full?"), so a
  /// full disk looks like a failing one. This tells them apart: `ENOSPC` when the file system
  /// has less room left than a few pages, `EFBIG` when `data.mdb` reached the process's file
  /// size limit (`RLIMIT_FSIZE`), and `EIO` otherwise.
  func explainIOError(operation: String) -> LMDBError {
    let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
    var fs = statvfs()
    if statvfs(path, &fs) == 0 {
      let free = Int(fs.f_bavail) * Int(fs.f_frsize)
      if free < 64 * pageSize { return LMDBError(.system(errno: ENOSPC), operation: operation) }
    }
    var limit = rlimit()
    if getrlimit(Int32(RLIMIT_FSIZE.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max,
      fileSize() + 64 * pageSize >= Int(limit.rlim_cur)
    {
      return LMDBError(.system(errno: EFBIG), operation: operation)
    }
    return LMDBError(.system(errno: EIO), operation: operation)
  }

  /// The LMDB library version, such as `0.9.24`.
  public static var libraryVersion: String {
    var major: Int32 = 0
    var minor: Int32 = 0
    var patch: Int32 = 0
    _ = mdb_version(&major, &minor, &patch)
    return "\(major).\(minor).\(patch)"
  }

  /// Runs `body` with the raw environment under the shared lifecycle lock, adopting a map size
  /// grown by another process (`MDB_MAP_RESIZED`) and retrying once when LMDB asks for it.
  private func withHandle<R>(_ operation: String, _ body: (OpaquePointer) throws -> R) throws -> R {
    while true {
      do {
        return try lifecycle.shared {
          guard let env = handle else { throw LMDBError(.environmentClosed, operation: operation) }
          return try body(env)
        }
      } catch let error as LMDBError where error.code == .mapResized {
        try setMapSize(0)
      }
    }
  }

  private func withHandle<R>(
    _ operation: String, _ body: (OpaquePointer) throws(LMDBError) -> R
  ) throws(LMDBError) -> R {
    try lifecycle.shared { () throws(LMDBError) -> R in
      guard let env = handle else { throw LMDBError(.environmentClosed, operation: operation) }
      return try body(env)
    }
  }
}
