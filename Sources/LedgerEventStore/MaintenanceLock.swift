import Foundation
import LedgerLMDB

/// An exclusive claim on a store's maintenance work (rebuilds), held as an `flock` on
/// `maintenance.lock` in the store's directory.
///
/// Why a file lock and not a record in LMDB: a claim must end when its holder dies, kill -9
/// included, and the kernel releases an `flock` with the last descriptor of the process that held
/// it. The lock is seen by every process of the machine, and by a second claim of the same
/// process (each claim opens the file anew, and `flock` locks belong to the open file). The
/// file holds the holder's process id and what it does, for the message a refused claim gets.
final class MaintenanceLock {
  private let fd: Int32

  /// Takes the claim for `work` (for example `rebuild of patient-timeline`), or throws
  /// `.maintenanceInProgress` naming the holder when another claim is held.
  init(storePath: String, work: String) throws(EventStoreError) {
    let path = storePath + "/maintenance.lock"
    let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
    guard fd >= 0 else {
      throw .storage(LMDBError(.system(errno: errno), operation: "open maintenance.lock"))
    }
    guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
      let holder = Self.holder(fd)
      close(fd)
      throw .maintenanceInProgress(
        reason: "\(holder.isEmpty ? "another process" : holder) holds this store's maintenance "
          + "lock; wait for it to finish (a claim ends when its process ends, kill -9 included)")
    }
    self.fd = fd
    let text = Array(
      "\(work) by process \(getpid()) since \(Timestamp.format(micros: Timestamp.nowMicros()))\n"
        .utf8)
    _ = ftruncate(fd, 0)
    _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
  }

  deinit {
    release()
  }

  private var released = false

  /// Ends the claim. Idempotent.
  func release() {
    guard !released else { return }
    released = true
    _ = ftruncate(fd, 0)
    close(fd)
  }

  /// What the current holder wrote, without its line end.
  private static func holder(_ fd: Int32) -> String {
    var buffer = [UInt8](repeating: 0, count: 256)
    let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 256, 0) }
    guard count > 0 else { return "" }
    return String(decoding: buffer[..<count], as: UTF8.self)
      .trimmingCharacters(in: .whitespacesAndNewlines)
  }
}
