import Crypto
import Foundation
import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Random AES-GCM nonces for ``SealBox``, read from the kernel's CSPRNG (`/dev/urandom`) 4 KiB at
/// a time.
///
/// swift-crypto draws each nonce of `AES.GCM.seal` with two `getrandom` system calls, which cost
/// more than sealing a small derived value; an append seals several values per event and a
/// rebuild one per record. Every byte of the buffer is handed out once. A forked child process
/// drops the buffer it inherited (so parent and child never hand out the same nonce); when
/// `/dev/urandom` cannot be read, each nonce comes from `SystemRandomNumberGenerator` as before.
final class NoncePool: @unchecked Sendable {
  // Unchecked: `buffer`, `next`, `generation` and `descriptor` are only touched holding `lock`.

  /// The process's pool.
  static let shared = NoncePool()

  /// Bumped in a forked child (`pthread_atfork`): a buffer filled before the fork is dropped.
  private static let forks = Atomic<Int>(0)

  private static let size = 12
  private static let capacity = 4_096
  private let lock = NSLock()
  private var buffer = [UInt8](repeating: 0, count: capacity)
  private var next = capacity
  private var generation = 0
  private var descriptor: Int32 = -1

  private init() {
    pthread_atfork(nil, nil) { NoncePool.forks.add(1, ordering: .relaxed) }
  }

  /// A fresh random nonce.
  func nonce() throws -> AES.GCM.Nonce {
    try AES.GCM.Nonce(data: nonceBytes())
  }

  /// The 12 random bytes of a fresh nonce.
  func nonceBytes() -> [UInt8] {
    lock.withLock {
      let forks = Self.forks.load(ordering: .relaxed)
      if forks != generation {
        generation = forks
        next = Self.capacity
      }
      if next + Self.size > Self.capacity, !refill() {
        var generator = SystemRandomNumberGenerator()
        return (0..<Self.size).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
      }
      defer { next += Self.size }
      return Array(buffer[next..<(next + Self.size)])
    }
  }

  /// Fills the buffer from `/dev/urandom`; false when it cannot be read whole.
  private func refill() -> Bool {
    if descriptor < 0 { descriptor = open("/dev/urandom", O_RDONLY | O_CLOEXEC) }
    guard descriptor >= 0 else { return false }
    var filled = 0
    while filled < Self.capacity {
      let count = buffer.withUnsafeMutableBytes { raw -> Int in
        guard let base = raw.baseAddress else { return -1 }
        return read(descriptor, base + filled, Self.capacity - filled)
      }
      if count < 0 && errno == EINTR { continue }
      guard count > 0 else { return false }
      filled += count
    }
    next = 0
    return true
  }
}
