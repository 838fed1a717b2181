import Foundation
import TreatmentLedger

/// Reads a file (or standard input) line by line in chunks, in linear time and bounded memory.
///
/// A line longer than ``maximumLineBytes`` is refused as soon as the reader has seen that many
/// bytes of it without a newline: it never reads on to the end of such a line, so the reader
/// holds at most ``maximumLineBytes`` + ``chunkBytes`` bytes whatever the input.
final class LineReader {
  /// The longest line accepted, without its line ending: the size limit of one stored event
  /// (`EventStore.maximumEventBytes`, 1 MiB). The store adds members to what a line holds, so a
  /// longer line can only fit when it holds whitespace the canonical form drops: write compact
  /// JSON.
  static let maximumLineBytes = EventStore.maximumEventBytes
  /// Bytes asked of the file per read.
  static let chunkBytes = 256 << 10

  private let handle: FileHandle
  /// One read's bytes.
  private var chunk = [UInt8](repeating: 0, count: LineReader.chunkBytes)
  private var buffer: [UInt8] = []
  /// Where the current line starts in `buffer`.
  private var start = 0
  /// How far `buffer` has been searched for a newline (so no byte is searched twice).
  private var scanned = 0
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
  ///
  /// - Throws: `InputLine.Problem` for a line longer than ``maximumLineBytes`` (the reader then
  ///   stops: nothing after it is read).
  func nextLine() throws(InputLine.Problem) -> ArraySlice<UInt8>? {
    while true {
      if let newline = buffer[scanned...].firstIndex(of: UInt8(ascii: "\n")) {
        var line = buffer[start..<newline]
        start = newline + 1
        scanned = start
        if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
        return try accept(line)
      }
      scanned = buffer.count
      // A carriage return may still end the line: allow one byte beyond the limit.
      if buffer.count - start > Self.maximumLineBytes + 1 { throw tooLong() }
      if finished {
        guard start < buffer.count else { return nil }
        let line = buffer[start...]
        start = buffer.count
        scanned = start
        return try accept(line)
      }
      // Drop the lines already returned; what moves is less than one line, once per chunk.
      buffer.removeFirst(start)
      scanned -= start
      start = 0
      let count = try read()
      if count == 0 {
        finished = true
      } else {
        bytesRead += count
        buffer.append(contentsOf: chunk[..<count])
      }
    }
  }

  /// One read(2) into `chunk`: what is available now, up to its size (a pipe gives what has been
  /// written so far, so the reader never waits for bytes it will not use). 0 at the end.
  private func read() throws(InputLine.Problem) -> Int {
    let descriptor = handle.fileDescriptor
    while true {
      let count = chunk.withUnsafeMutableBytes { readSome(descriptor, $0.baseAddress, $0.count) }
      if count >= 0 { return count }
      guard errno == EINTR else {
        throw InputLine.Problem(
          line: lineNumber + 1, field: "-", reason: "cannot be read (errno \(errno))")
      }
    }
  }

  private func accept(_ line: ArraySlice<UInt8>) throws(InputLine.Problem) -> ArraySlice<UInt8> {
    guard line.count <= Self.maximumLineBytes else { throw tooLong() }
    lineNumber += 1
    return line
  }

  /// The refusal of the line being read; the reader stops at it.
  private func tooLong() -> InputLine.Problem {
    finished = true
    buffer = []
    start = 0
    scanned = 0
    return InputLine.Problem(
      line: lineNumber + 1, field: "-",
      reason: "is longer than \(Self.maximumLineBytes) bytes, the size limit of one event; "
        + "input after it was not read")
  }
}

/// `read(2)`, named apart from ``LineReader``'s own `read()`.
private func readSome(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int
{
  read(descriptor, buffer, count)
}
