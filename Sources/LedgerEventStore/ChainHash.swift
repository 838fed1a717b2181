import Crypto
import LedgerFoundation

/// A SHA-256 digest in the hash chain: 32 bytes, shown as 64 lowercase hex digits.
public struct ChainHash: Sendable, Hashable, CustomStringConvertible {
  /// The 32 bytes.
  public let bytes: [UInt8]

  /// The hash before the first event: 32 zero bytes.
  public static let zero = ChainHash(unchecked: [UInt8](repeating: 0, count: 32))

  init(unchecked bytes: [UInt8]) { self.bytes = bytes }

  /// Wraps 32 bytes; nil for any other length.
  public init?(bytes: some Collection<UInt8>) {
    guard bytes.count == 32 else { return nil }
    self.bytes = Array(bytes)
  }

  /// Parses 64 hex digits; nil otherwise.
  public init?(hex: String) {
    let digits = Array(hex.utf8)
    guard digits.count == 64 else { return nil }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(32)
    var index = 0
    while index < 64 {
      guard let high = Self.nibble(digits[index]), let low = Self.nibble(digits[index + 1]) else {
        return nil
      }
      bytes.append(high << 4 | low)
      index += 2
    }
    self.bytes = bytes
  }

  /// SHA-256 of `data`.
  public static func sha256(_ data: some Collection<UInt8>) -> ChainHash {
    var hasher = SHA256()
    hasher.update(data: Array(data))
    return ChainHash(unchecked: Array(hasher.finalize()))
  }

  /// 64 lowercase hex digits.
  public var hex: String { Hex.encode(bytes) }

  /// The hex digits.
  public var description: String { hex }

  private static func nibble(_ c: UInt8) -> UInt8? {
    switch c {
    case 0x30...0x39: return c - 0x30
    case 0x61...0x66: return c - 0x61 + 10
    default: return nil
    }
  }
}
