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

  /// Parses one JSON document (RFC 8259), strictly: valid UTF-8 without a byte order mark, no
  /// lone surrogates, no trailing content, numbers exactly per the JSON grammar and within a
  /// double's range, at most 128 levels of nesting, and no object naming a member twice.
  ///
  /// - Throws: ``LedgerParseError`` (kind `.json`) naming the byte offset and the problem,
  ///   never the content.
  public static func parse(_ bytes: some DataProtocol) throws(LedgerParseError) -> JSONValue {
    try JSONParser.parse(bytes)
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
