import CTreatmentLedgerLMDB

/// An error from LMDB or from this wrapper's own safety checks.
///
/// Every `MDB_*` return code maps to one ``Code``; the wrapper adds its own codes for misuse it
/// refuses (a closed environment, a path already open, a finished transaction). Descriptions name
/// the operation and the code, never the bytes of a key or value.
public struct LMDBError: Error, Sendable, Hashable, CustomStringConvertible {
  /// What went wrong, one case per LMDB return code plus the wrapper's own refusals.
  public enum Code: Sendable, Hashable {
    /// `MDB_KEYEXIST`: the key/data pair already exists (a `noOverwrite` put).
    case keyExists
    /// `MDB_NOTFOUND`: no such key, or the cursor moved past the end.
    case notFound
    /// `MDB_PAGE_NOTFOUND`: a requested page was not found; the file is damaged.
    case pageNotFound
    /// `MDB_CORRUPTED`: a located page was the wrong type; the file is damaged.
    case corrupted
    /// `MDB_PANIC`: an update of meta page failed or the environment had a fatal error.
    case panic
    /// `MDB_VERSION_MISMATCH`: the environment was made by an incompatible LMDB version.
    case versionMismatch
    /// `MDB_INVALID`: the file is not an LMDB file.
    case invalidFile
    /// `MDB_MAP_FULL`: the environment's map size was reached.
    case mapFull
    /// `MDB_DBS_FULL`: more named databases than `maxDatabases`.
    case databasesFull
    /// `MDB_READERS_FULL`: the reader table is full (`maxReaders`).
    case readersFull
    /// `MDB_TLS_FULL`: too many thread-local slots.
    case threadLocalStorageFull
    /// `MDB_TXN_FULL`: the transaction has too many dirty pages.
    case transactionFull
    /// `MDB_CURSOR_FULL`: cursor stack too deep (internal LMDB error).
    case cursorFull
    /// `MDB_PAGE_FULL`: page has no more space (internal LMDB error).
    case pageFull
    /// `MDB_MAP_RESIZED`: another process grew the map beyond this one's size.
    case mapResized
    /// `MDB_INCOMPATIBLE`: the operation is incompatible with the database's flags.
    case incompatible
    /// `MDB_BAD_RSLOT`: a reader slot was reused on the wrong thread (see `MDB_NOTLS`).
    case badReaderSlot
    /// `MDB_BAD_TXN`: the transaction cannot be used any more (an earlier error, or a child is active).
    case badTransaction
    /// `MDB_BAD_VALSIZE`: a key or value of unsupported size (an empty key, a key over 511 bytes).
    case badValueSize
    /// `MDB_BAD_DBI`: the database handle changed or was closed.
    case badDatabase
    /// A system error number (`errno`), such as `ENOSPC` or `EACCES`.
    case system(errno: Int32)
    /// Any other LMDB code this wrapper does not know by name.
    case other(Int32)
    /// The environment was closed; the handle can no longer be used.
    case environmentClosed
    /// This process already has an environment open at the same path (LMDB forbids it).
    case pathAlreadyOpen
    /// The transaction, cursor or child transaction was used after its closure returned.
    case transactionEnded
    /// A write was attempted through a read-only environment.
    case readOnly
    /// `data.mdb` is empty, not an LMDB file, or shorter than its meta pages claim (checked before
    /// LMDB maps it, so a damaged file is an error instead of a `SIGBUS`).
    case damagedFile(reason: String)
    /// `lock.mdb` was deleted or replaced while this process had the environment open: another
    /// process may be writing under another lock, so this one refuses to commit.
    case lockFileReplaced

    init(returnCode rc: Int32) {
      switch rc {
      case MDB_KEYEXIST: self = .keyExists
      case MDB_NOTFOUND: self = .notFound
      case MDB_PAGE_NOTFOUND: self = .pageNotFound
      case MDB_CORRUPTED: self = .corrupted
      case MDB_PANIC: self = .panic
      case MDB_VERSION_MISMATCH: self = .versionMismatch
      case MDB_INVALID: self = .invalidFile
      case MDB_MAP_FULL: self = .mapFull
      case MDB_DBS_FULL: self = .databasesFull
      case MDB_READERS_FULL: self = .readersFull
      case MDB_TLS_FULL: self = .threadLocalStorageFull
      case MDB_TXN_FULL: self = .transactionFull
      case MDB_CURSOR_FULL: self = .cursorFull
      case MDB_PAGE_FULL: self = .pageFull
      case MDB_MAP_RESIZED: self = .mapResized
      case MDB_INCOMPATIBLE: self = .incompatible
      case MDB_BAD_RSLOT: self = .badReaderSlot
      case MDB_BAD_TXN: self = .badTransaction
      case MDB_BAD_VALSIZE: self = .badValueSize
      case MDB_BAD_DBI: self = .badDatabase
      case let code where code > 0: self = .system(errno: code)
      default: self = .other(rc)
      }
    }
  }

  /// What went wrong.
  public let code: Code
  /// The LMDB call or wrapper operation that failed, such as `mdb_put` or `open`.
  public let operation: String

  /// Creates an error for `code` raised by `operation`.
  public init(_ code: Code, operation: String) {
    self.code = code
    self.operation = operation
  }

  /// Creates an error from an LMDB return code.
  init(returnCode: Int32, operation: String) {
    self.init(Code(returnCode: returnCode), operation: operation)
  }

  /// True when the error says the disk, the file system or the file size limit is full
  /// (`ENOSPC`, `EDQUOT`, `EFBIG`).
  public var isDiskFull: Bool {
    if case .system(let errno) = code { return errno == 28 || errno == 122 || errno == 27 }
    return false
  }

  /// A one-line description naming the operation and the code.
  public var description: String {
    switch code {
    case .environmentClosed: return "\(operation): the LMDB environment is closed"
    case .pathAlreadyOpen:
      return
        "\(operation): this process already has the environment open (LMDB allows one per path)"
    case .transactionEnded: return "\(operation): the transaction has already ended"
    case .readOnly: return "\(operation): the environment is open read-only"
    case .damagedFile(let reason): return "\(operation): damaged store file: \(reason)"
    case .lockFileReplaced:
      return
        "\(operation): lock.mdb was deleted or replaced while this process had the store open; "
        + "nothing was written. Stop every process using the store, then open it again"
    case .system(let errno):
      return "\(operation): system error \(errno) (\(String(cString: mdb_strerror(errno))))"
    case .other(let rc):
      return "\(operation): LMDB error \(rc) (\(String(cString: mdb_strerror(rc))))"
    default: return "\(operation): \(code)"
    }
  }
}

/// Throws an ``LMDBError`` unless `rc` is `MDB_SUCCESS`.
@inline(__always)
func check(_ rc: Int32, _ operation: String) throws(LMDBError) {
  if rc != MDB_SUCCESS { throw LMDBError(returnCode: rc, operation: operation) }
}

/// An error of a layer above LMDB that can carry an ``LMDBError`` (for example a store's
/// `storage` error). ``Environment/write(_:)`` looks through it, so a full map reported by a
/// layer that wraps LMDB's errors still grows the map and runs the transaction again.
public protocol CarriesLMDBError: Error {
  /// The LMDB error this error carries, or nil.
  var carriedLMDBError: LMDBError? { get }
}

extension LMDBError {
  /// True when `error` is ``LMDBError/Code-swift.enum/mapFull``, directly or carried by a
  /// ``CarriesLMDBError``.
  public static func isMapFull(_ error: any Error) -> Bool {
    if let error = error as? LMDBError { return error.code == .mapFull }
    if let carrier = error as? any CarriesLMDBError {
      return carrier.carriedLMDBError?.code == .mapFull
    }
    return false
  }
}
