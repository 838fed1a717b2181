import Foundation

/// Reads a file (or standard input) line by line in chunks, with flat memory for any size.
final class LineReader {
  private let handle: FileHandle
  private var buffer: [UInt8] = []
  private var start = 0
  private var finished = false
  /// Bytes consumed so far (for progress).
  private(set) var bytesRead = 0
  /// 1-based number of the last line returned.
  private(set) var lineNumber = 0

  /// Reads from `handle`.
  init(handle: FileHandle) {
    self.handle = handle
  }

  /// The next line without its newline (and without a trailing carriage return), or nil at the
  /// end. Blank lines are returned as empty arrays.
  func nextLine() -> ArraySlice<UInt8>? {
    while true {
      if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
        var line = buffer[start..<newline]
        start = newline + 1
        if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
        lineNumber += 1
        return line
      }
      if finished {
        guard start < buffer.count else { return nil }
        let line = buffer[start...]
        start = buffer.count
        lineNumber += 1
        return line
      }
      buffer.removeFirst(start)
      start = 0
      let chunk = handle.readData(ofLength: 1 << 20)
      if chunk.isEmpty { finished = true } else {
        bytesRead += chunk.count
        buffer.append(contentsOf: chunk)
      }
    }
  }
}
