import Crypto
import Foundation
import LedgerEventStore
import LedgerFoundation

/// A file written through a fixed-size buffer, hashing every byte as it goes, so an export of
/// any size uses the same memory and its SHA-256 is known when the file is closed.
final class HashingFileWriter {
  let path: String
  private let descriptor: Int32
  private var buffer: [UInt8] = []
  private let capacity: Int
  private var hasher = SHA256()
  private(set) var bytesWritten: UInt64 = 0
  private var closed = false

  /// Creates (exclusively: an existing file is an error) `path` with mode 0600.
  init(path: String, capacity: Int = 1 << 20) throws(AuditError) {
    self.path = path
    self.capacity = capacity
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
    guard fd >= 0 else {
      throw .output(path: path, reason: String(cString: strerror(errno)))
    }
    descriptor = fd
    buffer.reserveCapacity(capacity)
  }

  deinit {
    if !closed { _ = close(descriptor) }
  }

  func write(_ bytes: some Collection<UInt8>) throws(AuditError) {
    buffer.append(contentsOf: bytes)
    if buffer.count >= capacity { try flush() }
  }

  func write(_ text: String) throws(AuditError) {
    try write(text.utf8)
  }

  private func flush() throws(AuditError) {
    guard !buffer.isEmpty else { return }
    hasher.update(data: buffer)
    var offset = 0
    let failure: String? = buffer.withUnsafeBytes { raw in
      guard let base = raw.baseAddress else { return nil }
      while offset < raw.count {
        let written = Foundation.write(descriptor, base + offset, raw.count - offset)
        if written < 0 {
          if errno == EINTR { continue }
          return String(cString: strerror(errno))
        }
        offset += written
      }
      return nil
    }
    if let failure { throw .output(path: path, reason: failure) }
    bytesWritten += UInt64(buffer.count)
    buffer.removeAll(keepingCapacity: true)
  }

  /// Flushes, syncs to disk, closes, and returns the file's SHA-256 (hex).
  func finish() throws(AuditError) -> String {
    try flush()
    closed = true
    let synced = fsync(descriptor) == 0
    let syncError = synced ? nil : String(cString: strerror(errno))
    guard close(descriptor) == 0 else {
      throw .output(path: path, reason: String(cString: strerror(errno)))
    }
    if let syncError { throw .output(path: path, reason: syncError) }
    return Self.hex(hasher.finalize())
  }

  static func hex(_ digest: some Sequence<UInt8>) -> String { Hex.encode(Array(digest)) }

}

/// Reads a file in fixed-size chunks, hashing every byte read, and hands out its lines (split
/// on `\n` only, never on other line separators).
final class HashingFileReader {
  let path: String
  private let descriptor: Int32
  private var buffer: [UInt8] = []
  private var start = 0
  private var atEnd = false
  private var hasher = SHA256()
  private(set) var bytesRead: UInt64 = 0
  private let chunk: Int

  /// Opens `path` for reading; nil when it cannot be opened.
  init?(path: String, chunk: Int = 1 << 20) {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    self.path = path
    self.descriptor = fd
    self.chunk = chunk
  }

  deinit { _ = close(descriptor) }

  /// Reads more bytes into the buffer; false at the end of the file.
  private func fill() -> Bool {
    guard !atEnd else { return false }
    if start > 0 {
      buffer.removeFirst(start)
      start = 0
    }
    var block = [UInt8](repeating: 0, count: chunk)
    let count = block.withUnsafeMutableBytes { raw in
      guard let base = raw.baseAddress else { return 0 }
      var result = 0
      repeat {
        result = read(descriptor, base, chunk)
      } while result < 0 && errno == EINTR
      return result
    }
    guard count > 0 else {
      atEnd = true
      return false
    }
    hasher.update(data: block[0..<count])
    bytesRead += UInt64(count)
    buffer.append(contentsOf: block[0..<count])
    return true
  }

  /// The next line without its `\n`, and whether it ended with one; nil at the end of the file.
  func nextLine() -> (bytes: ArraySlice<UInt8>, terminated: Bool)? {
    var searchFrom = start
    while true {
      if let newline = buffer[searchFrom...].firstIndex(of: 0x0A) {
        let line = buffer[start..<newline]
        start = newline + 1
        return (line, true)
      }
      searchFrom = buffer.count
      let before = buffer.count - start
      if !fill() {
        guard start < buffer.count else { return nil }
        let line = buffer[start...]
        start = buffer.count
        return (line, false)
      }
      searchFrom = start + before
    }
  }

  /// Reads to the end of the file (hashing it) and returns the SHA-256 of everything.
  func finish() -> String {
    start = buffer.count
    while fill() { start = buffer.count }
    return HashingFileWriter.hex(hasher.finalize())
  }
}

/// SHA-256 of a whole file, read in chunks; nil when it cannot be read.
func fileSHA256(_ path: String) -> String? {
  HashingFileReader(path: path)?.finish()
}
