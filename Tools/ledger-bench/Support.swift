import Foundation
import Synchronization

/// Values collected from several threads.
final class Collector<Value: Sendable>: Sendable {
  private let storage = Mutex<[Value]>([])

  func add(_ value: Value) { storage.withLock { $0.append(value) } }
  var values: [Value] { storage.withLock { $0 } }
}

/// Runs `body(index)` on `count` new threads at once (not on Swift's cooperative pool, which
/// has one thread per core) and waits for all of them; rethrows the first error.
func onThreads<Value: Sendable>(
  _ count: Int, _ body: @escaping @Sendable (Int) throws -> Value
) throws -> [Value] {
  let results = Collector<(Int, Result<Value, BenchError>)>()
  let group = DispatchGroup()
  for index in 0..<count {
    group.enter()
    let thread = Thread {
      let result: Result<Value, BenchError>
      do { result = .success(try body(index)) } catch { result = .failure(BenchError("\(error)")) }
      results.add((index, result))
      group.leave()
    }
    thread.name = "ledger-bench.\(index)"
    thread.start()
  }
  group.wait()
  return try results.values.sorted { $0.0 < $1.0 }.map { try $0.1.get() }
}

/// Keeps a computed value alive so the optimiser cannot drop the loop that made it.
@inline(never) func consume(_ value: Int) {
  if value == Int.min { print("") }
}

/// A file written through a 1 MiB buffer and flushed to disk when finished: the output side of
/// the export workload, the same for every system.
final class BufferedFile {
  private let descriptor: Int32
  private var buffer: [UInt8] = []
  private(set) var bytes = 0
  let path: String

  init(path: String) throws {
    self.path = path
    descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    guard descriptor >= 0 else {
      throw BenchError("cannot create \(path): \(String(cString: strerror(errno)))")
    }
    buffer.reserveCapacity(1 << 20 + 65_536)
  }

  deinit { close(descriptor) }

  /// Appends one export line, `{"hash":"<64 hex>","event":<canonical JSON>}\n` (the line format
  /// of the audit export's `events.ndjson`).
  func writeLine(hash: UnsafeRawBufferPointer, canonical: UnsafeRawBufferPointer) throws {
    buffer.append(contentsOf: Self.head)
    let digits = Self.digits
    for byte in hash {
      buffer.append(digits[Int(byte >> 4)])
      buffer.append(digits[Int(byte & 0x0F)])
    }
    buffer.append(contentsOf: Self.middle)
    buffer.append(contentsOf: canonical)
    buffer.append(UInt8(ascii: "}"))
    buffer.append(0x0A)
    if buffer.count >= 1 << 20 { try flush() }
  }

  private static let head = Array(#"{"hash":""#.utf8)
  private static let middle = Array(#"","event":"#.utf8)
  private static let digits = Array("0123456789abcdef".utf8)

  private func flush() throws {
    var offset = 0
    while offset < buffer.count {
      let written = buffer.withUnsafeBytes { raw in
        write(descriptor, raw.baseAddress.map { $0 + offset }, raw.count - offset)
      }
      if written < 0 {
        if errno == EINTR { continue }
        throw BenchError("write \(path): \(String(cString: strerror(errno)))")
      }
      offset += written
    }
    bytes += buffer.count
    buffer.removeAll(keepingCapacity: true)
  }

  /// Flushes the buffer and the file to disk.
  func finish() throws {
    try flush()
    guard fsync(descriptor) == 0 else {
      throw BenchError("fsync \(path): \(String(cString: strerror(errno)))")
    }
  }
}
