import Foundation

/// A JSON value: the payload (`data`) of an event and the building block of canonical bytes.
///
/// Numbers are IEEE-754 doubles, as in JSON's own data model and RFC 8785; integers up to 2^53 are
/// exact. `JSONValue` decodes from and encodes to JSON with `Codable`, and has one canonical byte
/// form (``canonicalBytes``) used for hashing.
public enum JSONValue: Sendable, Hashable {
  /// `null`
  case null
  /// `true` or `false`
  case bool(Bool)
  /// A finite number.
  case number(Double)
  /// A string.
  case string(String)
  /// An array.
  case array([JSONValue])
  /// An object. Key order carries no meaning.
  case object([String: JSONValue])

  /// The member `key` of an object, or nil.
  public subscript(key: String) -> JSONValue? {
    if case .object(let members) = self { return members[key] }
    return nil
  }

  /// The string, when this is a string.
  public var stringValue: String? {
    if case .string(let value) = self { return value }
    return nil
  }

  /// The number, when this is a number.
  public var numberValue: Double? {
    if case .number(let value) = self { return value }
    return nil
  }

  /// The members, when this is an object.
  public var objectValue: [String: JSONValue]? {
    if case .object(let value) = self { return value }
    return nil
  }

  /// Parses one JSON document.
  ///
  /// - Throws: ``EventStoreError`` (`.malformedJSON`) naming the problem, never the content.
  public static func parse(_ bytes: some DataProtocol) throws(EventStoreError) -> JSONValue {
    do {
      return try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    } catch let error as DecodingError {
      throw .malformedJSON(reason: Self.describe(error))
    } catch {
      throw .malformedJSON(reason: "not valid JSON")
    }
  }

  static func describe(_ error: DecodingError) -> String {
    switch error {
    case .dataCorrupted(let context):
      // Foundation's underlying message quotes a character position, never the content.
      if let underlying = context.underlyingError as NSError?,
        let detail = underlying.userInfo[NSDebugDescriptionErrorKey] as? String
      {
        return "not valid JSON (\(detail))"
      }
      return "not valid JSON"
    default:
      return "not valid JSON"
    }
  }
}

extension JSONValue: Codable {
  /// Decodes any JSON value.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    if container.decodeNil() {
      self = .null
    } else if let value = try? container.decode(Bool.self) {
      self = .bool(value)
    } else if let value = try? container.decode(Double.self) {
      self = .number(value)
    } else if let value = try? container.decode(String.self) {
      self = .string(value)
    } else if let value = try? container.decode([JSONValue].self) {
      self = .array(value)
    } else {
      self = .object(try container.decode([String: JSONValue].self))
    }
  }

  /// Encodes the value as JSON.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    switch self {
    case .null: try container.encodeNil()
    case .bool(let value): try container.encode(value)
    case .number(let value): try container.encode(value)
    case .string(let value): try container.encode(value)
    case .array(let value): try container.encode(value)
    case .object(let value): try container.encode(value)
    }
  }
}

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
    case .null: out.append(contentsOf: Array("null".utf8))
    case .bool(let value): out.append(contentsOf: Array((value ? "true" : "false").utf8))
    case .number(let value): out.append(contentsOf: Array(Self.canonicalNumber(value).utf8))
    case .string(let value): Self.writeCanonicalString(value, into: &out)
    case .array(let values):
      out.append(UInt8(ascii: "["))
      for (index, value) in values.enumerated() {
        if index > 0 { out.append(UInt8(ascii: ",")) }
        value.writeCanonical(into: &out)
      }
      out.append(UInt8(ascii: "]"))
    case .object(let members):
      out.append(UInt8(ascii: "{"))
      let keys = members.keys.sorted { $0.utf16.lexicographicallyPrecedes($1.utf16) }
      for (index, key) in keys.enumerated() {
        if index > 0 { out.append(UInt8(ascii: ",")) }
        Self.writeCanonicalString(key, into: &out)
        out.append(UInt8(ascii: ":"))
        members[key]?.writeCanonical(into: &out)
      }
      out.append(UInt8(ascii: "}"))
    }
  }

  static func writeCanonicalString(_ string: String, into out: inout [UInt8]) {
    out.append(UInt8(ascii: "\""))
    for byte in string.utf8 {
      switch byte {
      case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
      case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
      case 0x08: out.append(contentsOf: [0x5C, UInt8(ascii: "b")])
      case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
      case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
      case 0x0C: out.append(contentsOf: [0x5C, UInt8(ascii: "f")])
      case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
      case 0x00..<0x20:
        let hex = Array("0123456789abcdef".utf8)
        out.append(contentsOf: Array("\\u00".utf8))
        out.append(hex[Int(byte >> 4)])
        out.append(hex[Int(byte & 0x0F)])
      default: out.append(byte)
      }
    }
    out.append(UInt8(ascii: "\""))
  }

  /// ECMAScript's `Number.prototype.toString` for a finite double (RFC 8785 section 3.2.2.3).
  static func canonicalNumber(_ value: Double) -> String {
    if value == 0 { return "0" }
    if value < 0 { return "-" + canonicalNumber(-value) }
    // Swift's description is the shortest representation that round-trips; take its digits.
    let text = value.description
    let parts = text.split(separator: "e", maxSplits: 1)
    let mantissa = parts[0]
    let exponent = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
    let pieces = mantissa.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
    let integerDigits = Array(pieces[0])
    let fractionDigits = pieces.count > 1 ? Array(pieces[1]) : []
    var digits = integerDigits + fractionDigits
    var pointPosition = integerDigits.count + exponent
    while digits.first == "0" {
      digits.removeFirst()
      pointPosition -= 1
    }
    while digits.last == "0" { digits.removeLast() }
    let k = digits.count
    let n = pointPosition
    let s = String(digits)
    if k <= n && n <= 21 {
      return s + String(repeating: "0", count: n - k)
    }
    if 0 < n && n <= 21 {
      return String(digits[0..<n]) + "." + String(digits[n...])
    }
    if -6 < n && n <= 0 {
      return "0." + String(repeating: "0", count: -n) + s
    }
    let e = n - 1
    let exponentText = e < 0 ? "-\(-e)" : "+\(e)"
    if k == 1 { return s + "e" + exponentText }
    return String(digits[0]) + "." + String(digits[1...]) + "e" + exponentText
  }
}
