import Foundation

// MARK: - Canonical form (RFC 8785, JSON Canonicalization Scheme)

extension JSONValue {
  /// The canonical UTF-8 bytes of this value, per RFC 8785 (JCS): no insignificant white space,
  /// object members sorted by the UTF-16 code units of their names, strings with only the escapes
  /// JSON requires, numbers in ECMAScript's shortest round-trip form (`1`, `0.5`, `1e-7`, `1e+21`).
  /// Equal values always give equal bytes, so the bytes can be hashed.
  public var canonicalBytes: [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(256)
    writeCanonical(into: &out)
    return out
  }

  /// Appends the canonical bytes of this value to `out`.
  public func writeCanonical(into out: inout [UInt8]) {
    switch self {
    case .null:
      out.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C] as [UInt8])
    case .bool(true):
      out.append(contentsOf: [0x74, 0x72, 0x75, 0x65] as [UInt8])
    case .bool(false):
      out.append(contentsOf: [0x66, 0x61, 0x6C, 0x73, 0x65] as [UInt8])
    case .number(let value):
      Self.writeCanonicalNumber(value, into: &out)
    case .string(let value):
      Self.writeCanonicalString(value, into: &out)
    case .array(let values):
      out.append(UInt8(ascii: "["))
      var first = true
      for value in values {
        if !first { out.append(UInt8(ascii: ",")) }
        first = false
        value.writeCanonical(into: &out)
      }
      out.append(UInt8(ascii: "]"))
    case .object(let members):
      out.append(UInt8(ascii: "{"))
      Self.writeCanonicalMembers(members, into: &out)
      out.append(UInt8(ascii: "}"))
    }
  }

  /// Writes the members sorted by name. The sort moves plain (prefix, index) pairs rather than
  /// strings and values: the prefix is the name's first eight bytes in an order-preserving form
  /// (``sortPrefix(_:)``), and only names with equal prefixes are compared in full.
  private static func writeCanonicalMembers(_ members: [String: JSONValue], into out: inout [UInt8])
  {
    let entries = Array(members)
    withUnsafeTemporaryAllocation(of: (prefix: UInt64, index: Int).self, capacity: entries.count) {
      order in
      for index in entries.indices {
        order.initializeElement(at: index, to: (sortPrefix(entries[index].key), index))
      }
      // Insertion sort: objects are small, and this avoids the generic sort's overhead.
      var sorted = 1
      while sorted < entries.count {
        let item = order[sorted]
        var slot = sorted
        while slot > 0 {
          let previous = order[slot - 1]
          let before =
            item.prefix != previous.prefix
            ? item.prefix < previous.prefix
            : namePrecedes(entries[item.index].key, entries[previous.index].key)
          if !before { break }
          order[slot] = previous
          slot -= 1
        }
        order[slot] = item
        sorted += 1
      }
      for position in 0..<entries.count {
        if position > 0 { out.append(UInt8(ascii: ",")) }
        let entry = entries[order[position].index]
        writeCanonicalString(entry.key, into: &out)
        out.append(UInt8(ascii: ":"))
        entry.value.writeCanonical(into: &out)
      }
    }
  }

  /// The first eight UTF-8 bytes of `name`, big-endian, zero-padded, with lead bytes 0xEE–0xF4
  /// remapped so that integer order is UTF-16 code-unit order: supplementary characters (0xF0–0xF4
  /// → 0xEE–0xF2) before U+E000–U+FFFF (0xEE–0xEF → 0xF3–0xF4). Continuation bytes (below 0xC0)
  /// are unchanged. Different prefixes order names correctly; equal ones (including a name that
  /// is a prefix of another up to NUL bytes) need ``namePrecedes(_:_:)``.
  package static func sortPrefix(_ name: String) -> UInt64 {
    var name = name
    return name.withUTF8 { bytes in
      var prefix: UInt64 = 0
      let count = min(bytes.count, 8)
      for position in 0..<count {
        var byte = bytes[position]
        if byte >= 0xF0 { byte &-= 2 } else if byte >= 0xEE { byte &+= 5 }
        prefix |= UInt64(byte) << (56 - 8 * UInt64(position))
      }
      return prefix
    }
  }

  /// True when `a` sorts before `b` by UTF-16 code units (RFC 8785 section 3.2.3), compared on
  /// the UTF-8 bytes without transcoding.
  ///
  /// UTF-8 byte order is code point order, and UTF-16 code-unit order differs from it only where
  /// a supplementary character (lead byte 0xF0–0xF4, a surrogate 0xD800–0xDBFF in UTF-16) meets
  /// one of U+E000–U+FFFF (lead byte 0xEE–0xEF). Equal prefixes mean the first differing bytes
  /// sit at the same place in a character, so only that one pair of lead bytes needs the swap.
  package static func namePrecedes(_ a: String, _ b: String) -> Bool {
    var a = a
    var b = b
    return a.withUTF8 { left in
      b.withUTF8 { right in
        let common = min(left.count, right.count)
        var position = 0
        while position < common {
          let x = left[position]
          let y = right[position]
          if x != y {
            if x >= 0xEE, y >= 0xEE, (x >= 0xF0) != (y >= 0xF0) { return x >= 0xF0 }
            return x < y
          }
          position += 1
        }
        return left.count < right.count
      }
    }
  }

  /// Appends `string` as a canonical JSON string (RFC 8785: only the escapes JSON requires).
  package static func writeCanonicalString(_ string: String, into out: inout [UInt8]) {
    out.append(UInt8(ascii: "\""))
    var string = string
    string.withUTF8 { bytes in
      var runStart = 0
      for position in 0..<bytes.count {
        let byte = bytes[position]
        if byte >= 0x20, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") { continue }
        if runStart < position {
          out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<position]))
        }
        runStart = position + 1
        out.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(byte)
        case 0x08: out.append(UInt8(ascii: "b"))
        case 0x09: out.append(UInt8(ascii: "t"))
        case 0x0A: out.append(UInt8(ascii: "n"))
        case 0x0C: out.append(UInt8(ascii: "f"))
        case 0x0D: out.append(UInt8(ascii: "r"))
        default:
          out.append(UInt8(ascii: "u"))
          out.append(UInt8(ascii: "0"))
          out.append(UInt8(ascii: "0"))
          out.append(hexDigit(byte >> 4))
          out.append(hexDigit(byte & 0x0F))
        }
      }
      if runStart < bytes.count {
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count]))
      }
    }
    out.append(UInt8(ascii: "\""))
  }

  private static func hexDigit(_ nibble: UInt8) -> UInt8 {
    nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
  }

  /// ECMAScript's `Number.prototype.toString` for a finite double (RFC 8785 section 3.2.2.3).
  static func canonicalNumber(_ value: Double) -> String {
    var out: [UInt8] = []
    writeCanonicalNumber(value, into: &out)
    return String(decoding: out, as: UTF8.self)
  }

  /// Appends ECMAScript's `Number.prototype.toString` of a finite double to `out`.
  package static func writeCanonicalNumber(_ value: Double, into out: inout [UInt8]) {
    if value == 0 {
      out.append(UInt8(ascii: "0"))
      return
    }
    if value < 0 { out.append(UInt8(ascii: "-")) }
    let magnitude = value.magnitude
    // Below 2^53 every integer is a double and no shorter digit string rounds to it, so the
    // shortest round-trip form of an integral value is the integer itself.
    if magnitude < 9_007_199_254_740_992, magnitude.rounded(.towardZero) == magnitude {
      writeDecimal(UInt64(magnitude), into: &out)
      return
    }
    writeShortest(magnitude, into: &out)
  }

  private static func writeDecimal(_ integer: UInt64, into out: inout [UInt8]) {
    var length = 1
    var rest = integer
    while rest >= 10 {
      rest /= 10
      length += 1
    }
    let end = out.count + length
    out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: length))
    out.withUnsafeMutableBufferPointer { buffer in
      var remaining = integer
      var position = end - 1
      while remaining > 0 {
        buffer[position] = UInt8(ascii: "0") + UInt8(remaining % 10)
        remaining /= 10
        position -= 1
      }
    }
  }

  /// Writes a positive, finite double from the digits of Swift's `description`, which is the
  /// shortest representation that round-trips (and the closest one when several are as short).
  private static func writeShortest(_ value: Double, into out: inout [UInt8]) {
    var text = value.description
    text.withUTF8 { text in
      withUnsafeTemporaryAllocation(of: UInt8.self, capacity: text.count) { digits in
        var count = 0
        var integerDigits = 0
        var seenPoint = false
        var exponent = 0
        var position = 0
        while position < text.count {
          let byte = text[position]
          if byte == UInt8(ascii: ".") {
            seenPoint = true
          } else if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            position += 1
            var negative = false
            if position < text.count,
              text[position] == UInt8(ascii: "-") || text[position] == UInt8(ascii: "+")
            {
              negative = text[position] == UInt8(ascii: "-")
              position += 1
            }
            while position < text.count {
              exponent = exponent * 10 + Int(text[position] &- UInt8(ascii: "0"))
              position += 1
            }
            if negative { exponent = -exponent }
            break
          } else {
            digits[count] = byte
            count += 1
            if !seenPoint { integerDigits += 1 }
          }
          position += 1
        }
        var first = 0
        var n = integerDigits + exponent
        while first < count, digits[first] == UInt8(ascii: "0") {
          first += 1
          n -= 1
        }
        var last = count
        while last > first, digits[last - 1] == UInt8(ascii: "0") { last -= 1 }
        let significant = UnsafeBufferPointer(rebasing: digits[first..<last])
        let k = significant.count
        if k <= n, n <= 21 {
          out.append(contentsOf: significant)
          out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: n - k))
        } else if 0 < n, n <= 21 {
          out.append(contentsOf: UnsafeBufferPointer(rebasing: significant[0..<n]))
          out.append(UInt8(ascii: "."))
          out.append(contentsOf: UnsafeBufferPointer(rebasing: significant[n..<k]))
        } else if -6 < n, n <= 0 {
          out.append(UInt8(ascii: "0"))
          out.append(UInt8(ascii: "."))
          out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: -n))
          out.append(contentsOf: significant)
        } else {
          let e = n - 1
          out.append(significant[0])
          if k > 1 {
            out.append(UInt8(ascii: "."))
            out.append(contentsOf: UnsafeBufferPointer(rebasing: significant[1..<k]))
          }
          out.append(UInt8(ascii: "e"))
          out.append(e < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
          writeDecimal(UInt64(e.magnitude), into: &out)
        }
      }
    }
  }
}
