import Foundation

extension UUID {
  /// The UUID in lowercase canonical form (`8-4-4-4-12` hex digits), as the store writes event
  /// ids: the same text as `uuidString.lowercased()`, made without Foundation's formatter (on
  /// Linux `uuidString` goes through `snprintf`, a measurable share of an import's CPU).
  public var lowercasedString: String {
    withUnsafeBytes(of: uuid) { bytes in
      String(unsafeUninitializedCapacity: 36) { out in
        let digits: StaticString = "0123456789abcdef"
        var index = 0
        for (offset, byte) in bytes.enumerated() {
          if offset == 4 || offset == 6 || offset == 8 || offset == 10 {
            out[index] = UInt8(ascii: "-")
            index += 1
          }
          out[index] = digits.utf8Start[Int(byte >> 4)]
          out[index + 1] = digits.utf8Start[Int(byte & 0x0F)]
          index += 2
        }
        return index
      }
    }
  }
}
