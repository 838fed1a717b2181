import Foundation

/// The acknowledgement file a crash child writes and its parent reads after killing it.
///
/// Each append the child sees return becomes one line, written with `write(2)` on an `O_APPEND`
/// descriptor right after the append returned (no user-space buffer, so a SIGKILL loses nothing
/// that was written). A line is `ack <count> <stream>,<id>,<position>,<version> ... end`; a kill
/// in the middle of a long line leaves it without its `end`, and the reader ignores such a torn
/// line (its append did return, but it was never acknowledged in full). The child writes `ready`
/// first, once its store is open.
final class AckFileWriter: Sendable {
  private let descriptor: Int32

  /// Opens (creating) `path` for appending.
  init(path: String) throws {
    descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else { throw ChildError("cannot open \(path): errno \(errno)") }
  }

  deinit {
    close(descriptor)
  }

  /// Writes the `ready` line.
  func ready() throws { try write("ready\n") }

  /// Writes one acknowledgement line for `acknowledged`.
  func acknowledge(_ acknowledged: [Acknowledgement]) throws {
    var line = "ack \(acknowledged.count)"
    line.reserveCapacity(16 + acknowledged.count * 64)
    for ack in acknowledged {
      line +=
        " \(ack.stream),\(ack.eventId.uuidString.lowercased()),\(ack.globalPosition),\(ack.streamVersion)"
    }
    line += " end\n"
    try write(line)
  }

  private func write(_ text: String) throws {
    var bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
      let written = bytes.withUnsafeMutableBytes { buffer in
        Foundation.write(descriptor, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
      }
      if written < 0 {
        if errno == EINTR { continue }
        throw ChildError("writing the acknowledgement file failed: errno \(errno)")
      }
      offset += written
    }
  }
}

/// What a crash child's acknowledgement file held.
struct AckFileContents {
  /// True when the child wrote `ready` (its store was open).
  var ready = false
  /// Every complete acknowledgement line's events, in the order written.
  var acknowledged: [Acknowledgement] = []
  /// Lines that were cut short by the kill (at most one is expected).
  var tornLines = 0
  /// Complete lines that do not parse: these are failures of the harness itself.
  var malformedLines = 0

  /// Reads `path`; a missing file reads as empty.
  init(path: String) {
    guard let data = FileManager.default.contents(atPath: path) else { return }
    let text = String(decoding: data, as: UTF8.self)
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    // The text after the last newline is a line the kill interrupted.
    if let last = lines.popLast(), !last.isEmpty { tornLines += 1 }
    for line in lines {
      if line == "ready" {
        ready = true
      } else if let parsed = Self.parse(line) {
        acknowledged += parsed
      } else {
        malformedLines += 1
      }
    }
  }

  private static func parse(_ line: Substring) -> [Acknowledgement]? {
    let fields = line.split(separator: " ")
    guard fields.count >= 2, fields.first == "ack", fields.last == "end",
      let count = Int(fields[1]),
      fields.count == count + 3
    else { return nil }
    var result: [Acknowledgement] = []
    result.reserveCapacity(count)
    for field in fields[2..<fields.count - 1] {
      let parts = field.split(separator: ",")
      guard parts.count == 4, let id = UUID(uuidString: String(parts[1])),
        let position = UInt64(parts[2]), let version = UInt64(parts[3])
      else { return nil }
      result.append(
        Acknowledgement(
          eventId: id, stream: String(parts[0]), globalPosition: position, streamVersion: version))
    }
    return result
  }
}

/// An error of a child process, printed to its standard error.
struct ChildError: Error, CustomStringConvertible {
  /// What went wrong.
  var description: String

  /// Creates an error with `description`.
  init(_ description: String) {
    self.description = description
  }
}
