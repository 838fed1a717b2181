import Foundation

/// A strict RFC 8259 JSON parser over UTF-8 bytes, producing ``JSONValue``.
///
/// Stricter than the RFC allows a parser to be, because a record store must never guess:
/// - the input must be valid UTF-8 (RFC 3629: no overlong forms, no encoded surrogates, nothing
///   above U+10FFFF) and must not start with a byte order mark;
/// - `\u` escapes must not leave a lone surrogate (a high surrogate must be followed by a `\u`
///   low surrogate, which together make one scalar);
/// - strings must not contain raw control characters (U+0000–U+001F);
/// - numbers follow the JSON grammar exactly (no leading zeros, no `+`, no `.5`, no `1.`, no
///   NaN or Infinity) and are converted with correct rounding; one that overflows a double is an
///   error;
/// - arrays and objects nest at most ``maximumDepth`` levels;
/// - an object must not name a member twice (nor two names Swift's `String` considers equal,
///   that is canonically equivalent Unicode), since keeping one value would silently drop the other;
/// - nothing but white space may follow the value.
///
/// Errors are ``LedgerParseError`` values of kind `.json`, naming the byte offset and what was
/// expected there, never any of the content.
struct JSONParser {
  /// The deepest nesting of arrays and objects accepted; the outermost array or object is level 1.
  static let maximumDepth = 128

  private let input: UnsafeBufferPointer<UInt8>
  private var index = 0
  private var depth = 0
  /// Bytes of a string being unescaped; reused for every string with an escape.
  private var scratch: [UInt8] = []
  /// Elements of the arrays being parsed, innermost last; reused so each array allocates once.
  private var elements: [JSONValue] = []
  /// Members of the objects being parsed, innermost last, with the offset of each name.
  private var members: [(name: String, offset: Int, value: JSONValue)] = []

  private init(_ input: UnsafeBufferPointer<UInt8>) {
    self.input = input
  }

  /// Parses one JSON document from any collection of bytes (contiguous ones are not copied).
  static func parse(_ bytes: some DataProtocol) throws(LedgerParseError) -> JSONValue {
    if let result = bytes.withContiguousStorageIfAvailable({ parseResult($0) }) {
      return try result.get()
    }
    return try Array(bytes).withUnsafeBufferPointer { parseResult($0) }.get()
  }

  /// Parses one JSON document held in `buffer`.
  static func parse(buffer: UnsafeBufferPointer<UInt8>) throws(LedgerParseError) -> JSONValue {
    if buffer.count >= 3, buffer[0] == 0xEF, buffer[1] == 0xBB, buffer[2] == 0xBF {
      throw failure("a byte order mark is not allowed", at: 0)
    }
    var parser = JSONParser(buffer)
    let value = try parser.parseValue()
    parser.skipWhitespace()
    if parser.index < buffer.count {
      throw failure("expected the end of the text after the JSON value", at: parser.index)
    }
    return value
  }

  private static func parseResult(_ buffer: UnsafeBufferPointer<UInt8>) -> Result<
    JSONValue, LedgerParseError
  > {
    do { return .success(try parse(buffer: buffer)) } catch { return .failure(error) }
  }

  private static func failure(_ reason: String, at offset: Int) -> LedgerParseError {
    LedgerParseError(kind: .json, offset: offset, reason: reason)
  }

  private func failure(_ reason: String) -> LedgerParseError {
    index < input.count
      ? Self.failure(reason, at: index)
      : Self.failure("\(reason), but the text ended", at: index)
  }

  // MARK: Structure

  private mutating func skipWhitespace() {
    while index < input.count {
      switch input[index] {
      case 0x20, 0x0A, 0x0D, 0x09: index += 1
      default: return
      }
    }
  }

  private mutating func parseValue() throws(LedgerParseError) -> JSONValue {
    skipWhitespace()
    guard index < input.count else { throw failure("expected a value") }
    switch input[index] {
    case UInt8(ascii: "{"): return try parseObject()
    case UInt8(ascii: "["): return try parseArray()
    case UInt8(ascii: "\""): return .string(try parseString())
    case UInt8(ascii: "t"):
      try expectLiteral(0x74, 0x72, 0x75, 0x65, name: "true")
      return .bool(true)
    case UInt8(ascii: "f"):
      guard index + 4 < input.count, input[index + 4] == UInt8(ascii: "e") else {
        throw failure("expected a value (false)")
      }
      try expectLiteral(0x66, 0x61, 0x6C, 0x73, name: "false")
      index += 1
      return .bool(false)
    case UInt8(ascii: "n"):
      try expectLiteral(0x6E, 0x75, 0x6C, 0x6C, name: "null")
      return .null
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
      return .number(try parseNumber())
    default:
      throw failure("expected a value")
    }
  }

  /// Checks the next four bytes and moves past them.
  private mutating func expectLiteral(
    _ b0: UInt8, _ b1: UInt8, _ b2: UInt8, _ b3: UInt8, name: String
  ) throws(LedgerParseError) {
    guard index + 3 < input.count, input[index] == b0, input[index + 1] == b1,
      input[index + 2] == b2, input[index + 3] == b3
    else { throw failure("expected a value (\(name))") }
    index += 4
  }

  private mutating func enterContainer() throws(LedgerParseError) {
    depth += 1
    if depth > Self.maximumDepth {
      throw failure("arrays and objects nest deeper than \(Self.maximumDepth) levels")
    }
    index += 1
  }

  private mutating func parseArray() throws(LedgerParseError) -> JSONValue {
    try enterContainer()
    skipWhitespace()
    if index < input.count, input[index] == UInt8(ascii: "]") {
      index += 1
      depth -= 1
      return .array([])
    }
    let base = elements.count
    while true {
      elements.append(try parseValue())
      skipWhitespace()
      guard index < input.count else { throw failure("expected ',' or ']'") }
      let byte = input[index]
      if byte == UInt8(ascii: ",") {
        index += 1
      } else if byte == UInt8(ascii: "]") {
        index += 1
        break
      } else {
        throw failure("expected ',' or ']'")
      }
    }
    let array = Array(elements[base...])
    elements.removeSubrange(base...)
    depth -= 1
    return .array(array)
  }

  private mutating func parseObject() throws(LedgerParseError) -> JSONValue {
    try enterContainer()
    skipWhitespace()
    if index < input.count, input[index] == UInt8(ascii: "}") {
      index += 1
      depth -= 1
      return .object([:])
    }
    let base = members.count
    while true {
      skipWhitespace()
      guard index < input.count, input[index] == UInt8(ascii: "\"") else {
        throw failure("expected a member name (a string)")
      }
      let nameOffset = index
      let name = try parseString()
      skipWhitespace()
      guard index < input.count, input[index] == UInt8(ascii: ":") else {
        throw failure("expected ':' after a member name")
      }
      index += 1
      let value = try parseValue()
      members.append((name, nameOffset, value))
      skipWhitespace()
      guard index < input.count else { throw failure("expected ',' or '}'") }
      let byte = input[index]
      if byte == UInt8(ascii: ",") {
        index += 1
      } else if byte == UInt8(ascii: "}") {
        index += 1
        break
      } else {
        throw failure("expected ',' or '}'")
      }
    }
    var object = [String: JSONValue](minimumCapacity: members.count - base)
    for position in base..<members.count {
      let member = members[position]
      if object.updateValue(member.value, forKey: member.name) != nil {
        throw Self.failure(
          "duplicate member name (names must be unique, also as canonically equivalent Unicode)",
          at: member.offset)
      }
    }
    members.removeSubrange(base...)
    depth -= 1
    return .object(object)
  }

  // MARK: Strings

  /// Parses a string starting at its opening quote.
  private mutating func parseString() throws(LedgerParseError) -> String {
    index += 1
    let start = index
    // Fast path: no escapes, so the string is a slice of the input.
    while index < input.count {
      let byte = input[index]
      if byte == UInt8(ascii: "\"") {
        let string = String(
          decoding: UnsafeBufferPointer(rebasing: input[start..<index]), as: UTF8.self)
        index += 1
        return string
      } else if byte == UInt8(ascii: "\\") {
        break
      } else if byte < 0x20 {
        throw failure("a control character in a string must be escaped")
      } else if byte < 0x80 {
        index += 1
      } else {
        try skipUTF8Sequence()
      }
    }
    guard index < input.count else {
      throw Self.failure("the string starting here is not terminated", at: start - 1)
    }
    scratch.removeAll(keepingCapacity: true)
    scratch.append(contentsOf: UnsafeBufferPointer(rebasing: input[start..<index]))
    while index < input.count {
      let byte = input[index]
      if byte == UInt8(ascii: "\"") {
        index += 1
        return String(decoding: scratch, as: UTF8.self)
      } else if byte == UInt8(ascii: "\\") {
        try parseEscape()
      } else if byte < 0x20 {
        throw failure("a control character in a string must be escaped")
      } else if byte < 0x80 {
        scratch.append(byte)
        index += 1
      } else {
        let sequenceStart = index
        try skipUTF8Sequence()
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: input[sequenceStart..<index]))
      }
    }
    throw Self.failure("the string starting here is not terminated", at: start - 1)
  }

  /// Validates the multi-byte UTF-8 sequence at `index` (RFC 3629) and moves past it.
  private mutating func skipUTF8Sequence() throws(LedgerParseError) {
    let lead = input[index]
    let length: Int
    var low: UInt8 = 0x80
    var high: UInt8 = 0xBF
    switch lead {
    case 0xC2...0xDF: length = 2
    case 0xE0:
      length = 3
      low = 0xA0
    case 0xE1...0xEC, 0xEE...0xEF: length = 3
    case 0xED:
      length = 3
      high = 0x9F  // U+D800–U+DFFF are not scalars
    case 0xF0:
      length = 4
      low = 0x90
    case 0xF1...0xF3: length = 4
    case 0xF4:
      length = 4
      high = 0x8F  // nothing above U+10FFFF
    default: throw failure("invalid UTF-8")
    }
    guard index + length <= input.count else { throw failure("invalid UTF-8 (truncated sequence)") }
    let second = input[index + 1]
    guard second >= low, second <= high else { throw failure("invalid UTF-8") }
    var position = index + 2
    while position < index + length {
      guard input[position] & 0xC0 == 0x80 else { throw failure("invalid UTF-8") }
      position += 1
    }
    index += length
  }

  /// Parses the escape at `index` (a backslash) and appends its UTF-8 to `scratch`.
  private mutating func parseEscape() throws(LedgerParseError) {
    guard index + 1 < input.count else { throw failure("expected an escape after '\\'") }
    let escapeStart = index
    index += 1
    let byte = input[index]
    index += 1
    switch byte {
    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scratch.append(byte)
    case UInt8(ascii: "b"): scratch.append(0x08)
    case UInt8(ascii: "f"): scratch.append(0x0C)
    case UInt8(ascii: "n"): scratch.append(0x0A)
    case UInt8(ascii: "r"): scratch.append(0x0D)
    case UInt8(ascii: "t"): scratch.append(0x09)
    case UInt8(ascii: "u"):
      var scalar = UInt32(try parseHex4())
      if scalar >= 0xDC00, scalar <= 0xDFFF {
        throw Self.failure("a \\u escape is a lone low surrogate", at: escapeStart)
      }
      if scalar >= 0xD800, scalar <= 0xDBFF {
        guard index + 1 < input.count, input[index] == UInt8(ascii: "\\"),
          input[index + 1] == UInt8(ascii: "u")
        else {
          throw Self.failure("a \\u escape is a high surrogate without a low one", at: escapeStart)
        }
        index += 2
        let low = UInt32(try parseHex4())
        guard low >= 0xDC00, low <= 0xDFFF else {
          throw Self.failure("a \\u escape is a high surrogate without a low one", at: escapeStart)
        }
        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
      }
      appendUTF8(scalar)
    default:
      throw Self.failure("invalid escape", at: escapeStart)
    }
  }

  private mutating func parseHex4() throws(LedgerParseError) -> UInt16 {
    guard index + 4 <= input.count else { throw failure("expected four hex digits after \\u") }
    var value: UInt16 = 0
    for _ in 0..<4 {
      let byte = input[index]
      let digit: UInt8
      switch byte {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
      case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
      case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
      default: throw failure("expected four hex digits after \\u")
      }
      value = value << 4 | UInt16(digit)
      index += 1
    }
    return value
  }

  private mutating func appendUTF8(_ scalar: UInt32) {
    switch scalar {
    case 0..<0x80:
      scratch.append(UInt8(scalar))
    case 0x80..<0x800:
      scratch.append(UInt8(0xC0 | scalar >> 6))
      scratch.append(UInt8(0x80 | scalar & 0x3F))
    case 0x800..<0x10000:
      scratch.append(UInt8(0xE0 | scalar >> 12))
      scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
      scratch.append(UInt8(0x80 | scalar & 0x3F))
    default:
      scratch.append(UInt8(0xF0 | scalar >> 18))
      scratch.append(UInt8(0x80 | scalar >> 12 & 0x3F))
      scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
      scratch.append(UInt8(0x80 | scalar & 0x3F))
    }
  }

  // MARK: Numbers

  /// Exact powers of ten for the fast path (every one up to 1e22 is a double exactly).
  private static let powersOfTen: [Double] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
  ]

  private func isDigit(_ position: Int) -> Bool {
    position < input.count && input[position] &- UInt8(ascii: "0") < 10
  }

  /// Parses a number per the JSON grammar, converting it with correct rounding.
  ///
  /// When the significant digits form an integer of at most 2^53 and the decimal exponent is at
  /// most 22 in magnitude, both operands are exact doubles and one multiplication or division
  /// rounds correctly (Clinger's fast path). Otherwise the validated text goes to `Double(_:)`.
  private mutating func parseNumber() throws(LedgerParseError) -> Double {
    let start = index
    let negative = input[index] == UInt8(ascii: "-")
    if negative { index += 1 }
    var mantissa: UInt64 = 0
    var significantDigits = 0
    var decimalExponent = 0

    guard isDigit(index) else { throw failure("expected a digit") }
    if input[index] == UInt8(ascii: "0") {
      index += 1
      if isDigit(index) { throw failure("a number must not have a leading zero") }
    } else {
      while isDigit(index) {
        significantDigits += 1
        if significantDigits <= 19 {
          mantissa = mantissa &* 10 &+ UInt64(input[index] &- 0x30)
        } else {
          decimalExponent += 1
        }
        index += 1
      }
    }
    if index < input.count, input[index] == UInt8(ascii: ".") {
      index += 1
      guard isDigit(index) else { throw failure("expected a digit after the decimal point") }
      while isDigit(index) {
        let digit = input[index] &- 0x30
        if mantissa != 0 || digit != 0 { significantDigits += 1 }
        if significantDigits <= 19 {
          mantissa = mantissa &* 10 &+ UInt64(digit)
          decimalExponent -= 1
        }
        index += 1
      }
    }
    if index < input.count, input[index] | 0x20 == UInt8(ascii: "e") {
      index += 1
      var exponentNegative = false
      if index < input.count, input[index] == UInt8(ascii: "-") || input[index] == UInt8(ascii: "+")
      {
        exponentNegative = input[index] == UInt8(ascii: "-")
        index += 1
      }
      guard isDigit(index) else { throw failure("expected a digit in the exponent") }
      var exponent = 0
      while isDigit(index) {
        if exponent < 1_000_000 { exponent = exponent * 10 + Int(input[index] &- 0x30) }
        index += 1
      }
      decimalExponent += exponentNegative ? -exponent : exponent
    }

    if mantissa == 0 { return negative ? -0.0 : 0.0 }
    if significantDigits <= 19, mantissa <= 1 << 53, decimalExponent >= -22, decimalExponent <= 22 {
      let base = Double(mantissa)
      let magnitude =
        decimalExponent >= 0
        ? base * Self.powersOfTen[decimalExponent]
        : base / Self.powersOfTen[-decimalExponent]
      return negative ? -magnitude : magnitude
    }
    let text = String(decoding: UnsafeBufferPointer(rebasing: input[start..<index]), as: UTF8.self)
    guard let value = Double(text), value.isFinite else {
      throw Self.failure("the number is too large for a double", at: start)
    }
    return value
  }
}
