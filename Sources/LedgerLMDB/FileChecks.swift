import Foundation

/// Checks of an environment's files that LMDB itself does not make, each guarding against a
/// failure that would otherwise be a signal or a silent loss instead of an error.
///
/// - ``checkDataFile(path:)``: LMDB maps `data.mdb` and trusts its meta pages. A file shorter than
///   the pages they claim is mapped all the same, and the first read past its end kills the
///   process with `SIGBUS`. An empty file is silently initialised as a new environment.
/// - ``LockFileIdentity``: LMDB's writer mutex and reader table live in `lock.mdb`. A process that
///   opened the store before `lock.mdb` was deleted keeps the old (unlinked) file, one that opens it
///   afterwards gets a new one, and the two no longer exclude each other: their commits overwrite
///   each other's. A writer compares the file at the path with the one it holds before committing.
enum FileChecks {
  /// LMDB's meta page magic (`MDB_MAGIC`) and data version (`MDB_DATA_VERSION`).
  static let magic: UInt32 = 0xBEEF_C0DE
  static let dataVersion: UInt32 = 1
  /// Byte offsets inside a meta page (64-bit builds of LMDB 0.9): a 16-byte page header, then
  /// `MDB_meta` with the magic (16), version (20), the free database's `md_pad` holding the page
  /// size (40), the last used page number (136) and the transaction id (144).
  static let magicOffset = 16
  static let versionOffset = 20
  static let pageSizeOffset = 40
  static let lastPageOffset = 136
  static let transactionOffset = 144
  static let metaBytes = 152

  /// What the newer valid meta page of `data.mdb` says.
  struct Meta: Equatable {
    var pageSize: Int
    var lastPage: UInt64
    var transaction: UInt64
    /// The file size the meta page implies: every page up to the last used one.
    var requiredBytes: UInt64 { (lastPage + 1) * UInt64(pageSize) }
  }

  /// Throws ``LMDBError/Code-swift.enum/damagedFile(reason:)`` when `data.mdb` in `path` exists
  /// but is empty, not an LMDB file, or shorter than its meta pages claim. A missing file passes
  /// (LMDB creates it).
  ///
  /// A file another process is creating at this moment is waited for. LMDB creates `data.mdb`
  /// empty and writes its two meta pages a moment later, holding an exclusive lock on `lock.mdb`
  /// from before the file exists until the pages are written. A file that looks half-created while
  /// another process holds that lock is checked again once the lock is released; without that
  /// lock, it is damaged.
  static func checkDataFile(path: String) throws(LMDBError) {
    while true {
      do {
        try checkDataFileOnce(path: path)
        return
      } catch {
        guard error.creating, anotherProcessHoldsExclusiveLock(path: path) else {
          // The creator may have finished between the check and the lock test: look once more.
          do { try checkDataFileOnce(path: path) } catch { throw error.error }
          return
        }
        usleep(2_000)
      }
    }
  }

  /// Whether another process holds LMDB's exclusive lock on `path/lock.mdb` (byte 0, which LMDB
  /// locks exclusively while it initialises an environment and shared afterwards).
  ///
  /// `F_GETLK` only asks; it places no lock. Opening and closing `lock.mdb` would drop this
  /// process's own locks on it, but this process has no environment open at `path` (the caller
  /// has claimed the path).
  private static func anotherProcessHoldsExclusiveLock(path: String) -> Bool {
    let fd = open(path + "/lock.mdb", O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var lock = flock()
    lock.l_type = Int16(F_WRLCK)
    lock.l_whence = Int16(SEEK_SET)
    lock.l_start = 0
    lock.l_len = 1
    guard fcntl(fd, F_GETLK, &lock) == 0 else { return false }
    return lock.l_type == Int16(F_WRLCK)
  }

  /// A failed check; `creating` marks the states a file passes through while LMDB creates it.
  private struct Failure: Error {
    var error: LMDBError
    var creating = false
  }

  private static func checkDataFileOnce(path: String) throws(Failure) {
    let file = path + "/data.mdb"
    let fd = open(file, O_RDONLY | O_CLOEXEC)
    if fd < 0 {
      if errno == ENOENT { return }
      throw Failure(error: LMDBError(.system(errno: errno), operation: "open data.mdb"))
    }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else {
      throw Failure(error: LMDBError(.system(errno: errno), operation: "stat data.mdb"))
    }
    let size = UInt64(info.st_size)
    if size == 0 { throw damaged("data.mdb is empty (0 bytes)", creating: true) }
    let first = try meta(fd, at: 0)
    // The second meta page follows the first, one page on; a file too short for it is damaged.
    let pageSize = first?.pageSize ?? 4096
    let second = try meta(fd, at: off_t(pageSize))
    guard
      let newest = [first, second].compactMap({ $0 }).max(by: { $0.transaction < $1.transaction })
    else {
      throw damaged("data.mdb is not an LMDB file (no valid meta page)", creating: true)
    }
    guard size >= UInt64(2 * newest.pageSize) else {
      throw damaged("data.mdb holds \(size) bytes, fewer than its two meta pages", creating: true)
    }
    guard size >= newest.requiredBytes else {
      throw damaged(
        "data.mdb is truncated: it holds \(size) bytes, its meta page needs \(newest.requiredBytes) "
          + "(pages up to \(newest.lastPage) of \(newest.pageSize) bytes)")
    }
  }

  private static func meta(_ fd: Int32, at offset: off_t) throws(Failure) -> Meta? {
    do { return try readMeta(fd, at: offset) } catch { throw Failure(error: error) }
  }

  private static func damaged(_ reason: String, creating: Bool = false) -> Failure {
    Failure(error: LMDBError(.damagedFile(reason: reason), operation: "open"), creating: creating)
  }

  /// The meta page at `offset`, or nil when the bytes there are not a valid one.
  private static func readMeta(_ fd: Int32, at offset: off_t) throws(LMDBError) -> Meta? {
    var bytes = [UInt8](repeating: 0, count: metaBytes)
    let count = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, metaBytes, offset) }
    guard count >= 0 else { throw LMDBError(.system(errno: errno), operation: "read data.mdb") }
    guard count == metaBytes else { return nil }
    func integer<T: FixedWidthInteger>(_ at: Int, _: T.Type) -> T {
      var value: T = 0
      for index in (0..<MemoryLayout<T>.size).reversed() {
        value = value << 8 | T(bytes[at + index])
      }
      return value
    }
    guard integer(magicOffset, UInt32.self) == magic,
      integer(versionOffset, UInt32.self) == dataVersion
    else { return nil }
    let pageSize = Int(integer(pageSizeOffset, UInt32.self))
    guard pageSize >= 512, pageSize <= 1 << 16, pageSize & (pageSize - 1) == 0 else { return nil }
    return Meta(
      pageSize: pageSize, lastPage: integer(lastPageOffset, UInt64.self),
      transaction: integer(transactionOffset, UInt64.self))
  }
}

/// The identity (device and inode) of an environment's `lock.mdb`, taken when it was opened.
struct LockFileIdentity: Equatable {
  let device: UInt64
  let inode: UInt64

  /// The identity of `path/lock.mdb` now, or nil when there is none (read-only media let LMDB
  /// open without one).
  static func current(path: String) -> LockFileIdentity? {
    var info = stat()
    guard stat(path + "/lock.mdb", &info) == 0 else { return nil }
    return LockFileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
  }
}
