import Foundation
import LedgerEventStore
import LedgerFoundation

/// A problem found while decoding one field, carried out of `init(from:)` so that the public
/// error can name the field path and the rule without ever repeating the value.
struct FieldIssue: Error {
  var path: [String]
  var rule: String
  var limit: String

  init(path: [any CodingKey], rule: String, limit: String) {
    self.path = path.map(FieldPath.component)
    self.rule = rule
    self.limit = limit
  }

  static func unknownKey(_ path: [any CodingKey]) -> FieldIssue {
    FieldIssue(path: path, rule: HardLimit.unknownKey.rawValue, limit: HardLimit.unknownKey.limit)
  }

  static func wrongType(_ path: [any CodingKey], expected: String) -> FieldIssue {
    FieldIssue(path: path, rule: HardLimit.wrongType.rawValue, limit: "must be \(expected)")
  }

  static func invalidFormat(_ path: [any CodingKey], expected: String) -> FieldIssue {
    FieldIssue(path: path, rule: HardLimit.invalidFormat.rawValue, limit: "must be \(expected)")
  }
}

/// Renders coding paths as `a.b[0].c`.
enum FieldPath {
  /// One path component. A member name may come from the input (an unknown key), so it is
  /// escaped and shortened (``EchoedName``) before it can reach a message.
  static func component(_ key: any CodingKey) -> String {
    if let index = key.intValue,
      key.stringValue.hasPrefix("Index ") || key.stringValue == "\(index)"
    {
      return "[\(index)]"
    }
    return EchoedName.escaped(key.stringValue)
  }

  static func render(_ components: [String]) -> String {
    var text = ""
    for component in components {
      if component.hasPrefix("[") || text.isEmpty {
        text += component
      } else {
        text += "." + component
      }
    }
    return text
  }

  static func join(_ prefix: String, _ field: String) -> String {
    if prefix.isEmpty { return field }
    if field.isEmpty { return prefix }
    if field.hasPrefix("[") { return prefix + field }
    return prefix + "." + field
  }
}

/// A coding key for any string, used to list every key an object really has.
struct AnyCodingKey: CodingKey {
  var stringValue: String
  var intValue: Int?

  init(stringValue: String) {
    self.stringValue = stringValue
    self.intValue = nil
  }

  init(intValue: Int) {
    self.stringValue = "\(intValue)"
    self.intValue = intValue
  }
}

extension Decoder {
  /// A keyed container that first rejects every key the type does not declare
  /// (the schemas say `additionalProperties: false`).
  func strictContainer<Key: CodingKey & CaseIterable>(
    keyedBy type: Key.Type
  ) throws -> KeyedDecodingContainer<Key> {
    // A name is known when it makes a key whose name it is: for the String-backed `CodingKeys`
    // enums this is membership of `allCases`, without building a set on every decode.
    var first: String?
    func check(_ name: String) {
      if Key(stringValue: name)?.stringValue == name { return }
      if first.map({ name < $0 }) ?? true { first = name }
    }
    if let parsed = self as? JSONValueDecoder, case .object(let members) = parsed.value {
      // The parsed payload's names, without a container of every key.
      for name in members.keys { check(name) }
    } else {
      for key in try container(keyedBy: AnyCodingKey.self).allKeys { check(key.stringValue) }
    }
    if let first {
      throw FieldIssue.unknownKey(codingPath + [AnyCodingKey(stringValue: first)])
    }
    return try container(keyedBy: type)
  }
}

/// A JSON integer: any JSON number without a fractional part (as JSON Schema's `integer`).
///
/// Foundation's own `Int` decoding reports a fractional number as invalid JSON at the root,
/// which would lose the field path; this wrapper reports the field instead.
struct JSONInteger: Codable, Hashable, Sendable {
  var value: Int

  init(_ value: Int) { self.value = value }

  init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    if container.decodeNil() {
      throw FieldIssue.wrongType(decoder.codingPath, expected: "an integer, not null")
    }
    let number: Double
    do {
      number = try container.decode(Double.self)
    } catch {
      throw FieldIssue.wrongType(decoder.codingPath, expected: "an integer")
    }
    guard number.isFinite, number == number.rounded(), abs(number) <= 9_007_199_254_740_992 else {
      throw FieldIssue.wrongType(decoder.codingPath, expected: "an integer")
    }
    value = Int(number)
  }

  func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(value)
  }
}

extension KeyedDecodingContainer {
  /// Decodes a required value; a missing key or null is reported by the caller's mapping.
  func required<T: Decodable>(_ key: Key, as type: T.Type = T.self) throws -> T {
    if contains(key), try decodeNil(forKey: key) {
      throw FieldIssue.wrongType(
        codingPath + [key], expected: JSONTypeName.of(T.self) + ", not null")
    }
    return try decode(T.self, forKey: key)
  }

  /// Decodes an optional value: absent is `nil`, but an explicit `null` is rejected because the
  /// schemas give optional fields a type, not `null`.
  func optional<T: Decodable>(_ key: Key, as type: T.Type = T.self) throws -> T? {
    guard contains(key) else { return nil }
    if try decodeNil(forKey: key) {
      throw FieldIssue.wrongType(
        codingPath + [key], expected: JSONTypeName.of(T.self) + ", not null")
    }
    return try decode(T.self, forKey: key)
  }

  /// Decodes a required JSON integer.
  func requiredInt(_ key: Key) throws -> Int {
    try required(key, as: JSONInteger.self).value
  }

  /// Decodes a required array of JSON integers.
  func requiredInts(_ key: Key) throws -> [Int] {
    try required(key, as: [JSONInteger].self).map(\.value)
  }

  /// Decodes a required UUID string (either case).
  func requiredUUID(_ key: Key) throws -> UUID {
    let text = try required(key, as: String.self)
    guard let uuid = UUID(uuidString: text) else {
      throw FieldIssue.invalidFormat(codingPath + [key], expected: "a UUID string")
    }
    return uuid
  }
}

extension KeyedEncodingContainer {
  /// Encodes a UUID in its lowercase canonical form, as the conventions require on output.
  mutating func encodeUUID(_ uuid: UUID, forKey key: Key) throws {
    try encode(uuid.lowercasedString, forKey: key)
  }
}

/// Names JSON types for error messages.
enum JSONTypeName {
  static func of(_ type: Any.Type) -> String {
    if type == String.self || type == ClinicalTime.self { return "a string" }
    if type == Bool.self { return "a boolean" }
    if type == Int.self || type == JSONInteger.self { return "an integer" }
    if type == Double.self || type == Float.self { return "a number" }
    if type is any ClinicalEnum.Type { return "a string" }
    let name = String(describing: type)
    if name.hasPrefix("Array<") || name.hasPrefix("[") && !name.contains(":") {
      return "an array"
    }
    if name.hasPrefix("Dictionary<") || name.hasPrefix("[") || type is any ClinicalEventData.Type {
      return "an object"
    }
    return "a value of the expected type"
  }
}
