import Foundation

/// The last decoded state of recently written streams, so that consecutive appends to a stream
/// do not decode the bytes they have just encoded.
///
/// An entry is served only when the bytes stored now are exactly the bytes it was encoded to
/// (for the review state: the bytes stored, sealed or not, which the writer keeps).
/// That check replaces every invalidation rule: an aborted transaction (or a discarded dry run),
/// an append by another process, a catch-up, a rebuild or a per-stream rebuild all leave other
/// bytes behind, and the state is then decoded from what is stored. Encodings are
/// deterministic, so equal bytes mean an equal state.
///
/// States must have value semantics (as every state in this package does): a caller mutates its
/// own copy, never the cached one.
///
/// `@unchecked Sendable`: every access to `entries` holds `lock`, and states are handed out as
/// copies of values.
final class DecodedStateCache<State>: @unchecked Sendable {
  private struct Entry {
    var bytes: [UInt8]
    var state: State
  }

  private let lock = NSLock()
  private var entries: [String: Entry] = [:]
  /// Most streams kept; beyond it an arbitrary entry is dropped.
  let capacity: Int

  /// A cache of at most `capacity` streams.
  init(capacity: Int = 64) { self.capacity = capacity }

  /// The cached state of `stream` when `bytes` are what it was encoded to; nil otherwise.
  func state(stream: String, storedBytes bytes: [UInt8]) -> State? {
    lock.lock()
    defer { lock.unlock() }
    guard let entry = entries[stream], Self.equal(entry.bytes, bytes) else { return nil }
    return entry.state
  }

  /// Byte equality with `memcmp` (the generic `==` compares element by element).
  static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    return a.withUnsafeBytes { left in
      b.withUnsafeBytes { right in
        guard let l = left.baseAddress, let r = right.baseAddress else { return true }
        return memcmp(l, r, left.count) == 0
      }
    }
  }

  /// Like ``state(stream:storedBytes:)``, but removes the entry, so the caller holds the only
  /// copy of the state and can change it in place (a writer stores the result back with
  /// ``store(stream:bytes:state:)``).
  func take(stream: String, storedBytes bytes: [UInt8]) -> State? {
    lock.lock()
    defer { lock.unlock() }
    guard let entry = entries.removeValue(forKey: stream), Self.equal(entry.bytes, bytes) else {
      return nil
    }
    return entry.state
  }

  /// Remembers that `state` of `stream` encodes to `bytes`.
  func store(stream: String, bytes: [UInt8], state: State) {
    lock.lock()
    defer { lock.unlock() }
    if entries[stream] == nil, entries.count >= capacity, let victim = entries.keys.first {
      entries[victim] = nil
    }
    entries[stream] = Entry(bytes: bytes, state: state)
  }
}
