/// Big-endian encoding of unsigned integers, so that LMDB's bytewise key order is numeric order.
extension UInt64 {
  /// The eight big-endian bytes of this value.
  @inlinable
  public var bigEndianBytes: [UInt8] {
    withUnsafeBytes(of: self.bigEndian) { Array($0) }
  }

  /// Reads a big-endian value from the first eight bytes of `bytes`; nil when there are fewer.
  /// Inlinable, so callers in other modules get it specialised for their collection (the generic
  /// form cost several percent of a rebuild).
  @inlinable
  public init?<C: Collection>(bigEndianBytes bytes: C) where C.Element == UInt8 {
    guard bytes.count >= 8 else { return nil }
    var value: UInt64 = 0
    for byte in bytes.prefix(8) { value = value << 8 | UInt64(byte) }
    self = value
  }
}
