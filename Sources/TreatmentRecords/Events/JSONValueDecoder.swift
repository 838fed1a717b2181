import Foundation
import LedgerEventStore
import LedgerFoundation

/// A `Decoder` over an already parsed `JSONValue`: the fast path of
/// ``ClinicalEvent/decode(type:schemaVersion:value:)``, which saves the reviewer from writing the
/// payload back to JSON text and scanning it again with `JSONDecoder`.
///
/// It decodes only what it can decode exactly as `JSONDecoder` would (strings, booleans, numbers
/// as `Double`, integers up to 2^53, objects, arrays, and types built from them) and throws
/// ``Unsupported`` for everything else, including every malformed payload. The caller then runs
/// `JSONDecoder` on the canonical bytes, so results and errors (field paths, rules) stay exactly
/// those of the `JSONDecoder` path; only valid payloads take the fast path.
struct JSONValueDecoder: Decoder {
  /// Anything the fast path does not decode itself.
  struct Unsupported: Error {}

  let value: JSONValue
  let codingPath: [any CodingKey]
  var userInfo: [CodingUserInfoKey: Any] { [:] }

  init(_ value: JSONValue, codingPath: [any CodingKey] = []) {
    self.value = value
    self.codingPath = codingPath
  }

  func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
    guard case .object(let members) = value else { throw Unsupported() }
    return KeyedDecodingContainer(Keyed<Key>(members: members, codingPath: codingPath))
  }

  func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
    guard case .array(let elements) = value else { throw Unsupported() }
    return Unkeyed(elements: elements, codingPath: codingPath)
  }

  func singleValueContainer() throws -> any SingleValueDecodingContainer {
    Single(value: value, codingPath: codingPath)
  }

  // MARK: Values

  static func decode<T: Decodable>(_ type: T.Type, _ value: JSONValue, path: [any CodingKey]) throws
    -> T
  {
    if T.self == String.self { return try cast(string(value)) }
    if T.self == Double.self { return try cast(double(value)) }
    if T.self == Bool.self { return try cast(bool(value)) }
    if T.self == Int.self { return try cast(int(value)) }
    // Types JSONDecoder treats specially: not on the fast path. (Other numeric types need no
    // check: their `init(from:)` asks a container for themselves, which throws `Unsupported`.)
    if T.self == Date.self || T.self == Data.self || T.self == URL.self || T.self == Decimal.self {
      throw Unsupported()
    }
    return try T(from: JSONValueDecoder(value, codingPath: path))
  }

  private static func cast<T, U>(_ value: U) throws -> T {
    guard let result = value as? T else { throw Unsupported() }
    return result
  }

  static func string(_ value: JSONValue) throws -> String {
    guard case .string(let text) = value else { throw Unsupported() }
    return text
  }

  static func double(_ value: JSONValue) throws -> Double {
    guard case .number(let number) = value else { throw Unsupported() }
    return number
  }

  static func bool(_ value: JSONValue) throws -> Bool {
    guard case .bool(let flag) = value else { throw Unsupported() }
    return flag
  }

  /// Integral numbers up to 2^53 in magnitude, whose canonical text is their digits.
  static func int(_ value: JSONValue) throws -> Int {
    guard case .number(let number) = value, number == number.rounded(),
      number.magnitude <= 9_007_199_254_740_992
    else { throw Unsupported() }
    return Int(number)
  }

  // MARK: Containers

  struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let members: [String: JSONValue]
    let codingPath: [any CodingKey]

    var allKeys: [Key] { members.keys.compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool { members[key.stringValue] != nil }

    private func member(_ key: Key) throws -> JSONValue {
      guard let value = members[key.stringValue] else { throw Unsupported() }
      return value
    }

    func decodeNil(forKey key: Key) throws -> Bool { try member(key) == .null }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
      try JSONValueDecoder.decode(T.self, try member(key), path: codingPath + [key])
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool {
      try JSONValueDecoder.bool(member(key))
    }
    func decode(_ type: String.Type, forKey key: Key) throws -> String {
      try JSONValueDecoder.string(member(key))
    }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double {
      try JSONValueDecoder.double(member(key))
    }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int {
      try JSONValueDecoder.int(member(key))
    }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { throw Unsupported() }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { throw Unsupported() }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { throw Unsupported() }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { throw Unsupported() }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { throw Unsupported() }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { throw Unsupported() }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { throw Unsupported() }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { throw Unsupported() }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { throw Unsupported() }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { throw Unsupported() }

    func nestedContainer<NestedKey: CodingKey>(
      keyedBy type: NestedKey.Type, forKey key: Key
    ) throws -> KeyedDecodingContainer<NestedKey> {
      try JSONValueDecoder(try member(key), codingPath: codingPath + [key]).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
      try JSONValueDecoder(try member(key), codingPath: codingPath + [key]).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { throw Unsupported() }
    func superDecoder(forKey key: Key) throws -> any Decoder { throw Unsupported() }
  }

  struct Unkeyed: UnkeyedDecodingContainer {
    let elements: [JSONValue]
    let codingPath: [any CodingKey]
    var currentIndex = 0

    init(elements: [JSONValue], codingPath: [any CodingKey]) {
      self.elements = elements
      self.codingPath = codingPath
    }

    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    private mutating func next() throws -> JSONValue {
      guard currentIndex < elements.count else { throw Unsupported() }
      defer { currentIndex += 1 }
      return elements[currentIndex]
    }

    private var indexKey: any CodingKey { IndexKey(intValue: currentIndex) }

    mutating func decodeNil() throws -> Bool {
      guard currentIndex < elements.count else { throw Unsupported() }
      if elements[currentIndex] == .null {
        currentIndex += 1
        return true
      }
      return false
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
      let path = codingPath + [indexKey]
      return try JSONValueDecoder.decode(T.self, try next(), path: path)
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try JSONValueDecoder.bool(next()) }
    mutating func decode(_ type: String.Type) throws -> String {
      try JSONValueDecoder.string(next())
    }
    mutating func decode(_ type: Double.Type) throws -> Double {
      try JSONValueDecoder.double(next())
    }
    mutating func decode(_ type: Int.Type) throws -> Int { try JSONValueDecoder.int(next()) }
    mutating func decode(_ type: Float.Type) throws -> Float { throw Unsupported() }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { throw Unsupported() }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { throw Unsupported() }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { throw Unsupported() }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { throw Unsupported() }
    mutating func decode(_ type: UInt.Type) throws -> UInt { throw Unsupported() }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { throw Unsupported() }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { throw Unsupported() }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { throw Unsupported() }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { throw Unsupported() }

    mutating func nestedContainer<NestedKey: CodingKey>(
      keyedBy type: NestedKey.Type
    ) throws -> KeyedDecodingContainer<NestedKey> {
      let path = codingPath + [indexKey]
      return try JSONValueDecoder(try next(), codingPath: path).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
      let path = codingPath + [indexKey]
      return try JSONValueDecoder(try next(), codingPath: path).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder { throw Unsupported() }
  }

  struct Single: SingleValueDecodingContainer {
    let value: JSONValue
    let codingPath: [any CodingKey]

    func decodeNil() -> Bool { value == .null }
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
      try JSONValueDecoder.decode(T.self, value, path: codingPath)
    }
    func decode(_ type: Bool.Type) throws -> Bool { try JSONValueDecoder.bool(value) }
    func decode(_ type: String.Type) throws -> String { try JSONValueDecoder.string(value) }
    func decode(_ type: Double.Type) throws -> Double { try JSONValueDecoder.double(value) }
    func decode(_ type: Int.Type) throws -> Int { try JSONValueDecoder.int(value) }
    func decode(_ type: Float.Type) throws -> Float { throw Unsupported() }
    func decode(_ type: Int8.Type) throws -> Int8 { throw Unsupported() }
    func decode(_ type: Int16.Type) throws -> Int16 { throw Unsupported() }
    func decode(_ type: Int32.Type) throws -> Int32 { throw Unsupported() }
    func decode(_ type: Int64.Type) throws -> Int64 { throw Unsupported() }
    func decode(_ type: UInt.Type) throws -> UInt { throw Unsupported() }
    func decode(_ type: UInt8.Type) throws -> UInt8 { throw Unsupported() }
    func decode(_ type: UInt16.Type) throws -> UInt16 { throw Unsupported() }
    func decode(_ type: UInt32.Type) throws -> UInt32 { throw Unsupported() }
    func decode(_ type: UInt64.Type) throws -> UInt64 { throw Unsupported() }
  }

  /// An array index in a coding path, rendered `[n]` by ``FieldPath``.
  struct IndexKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(intValue: Int) {
      stringValue = "Index \(intValue)"
      self.intValue = intValue
    }
    init?(stringValue: String) { nil }
  }
}

extension ClinicalEvent {
  /// Decodes an already parsed `data` payload: the same result and the same errors as
  /// ``decode(type:schemaVersion:json:)`` on its canonical bytes, without writing and scanning
  /// JSON text for a valid payload.
  public static func decode(
    type: String, schemaVersion: Int, value: JSONValue
  ) throws(ClinicalValidationError) -> ClinicalEvent {
    if let payloadType = payloadTypes.first(where: { $0.eventType == type }),
      schemaVersion == payloadType.schemaVersion,
      let event = try? fastDecode(payloadType, value)
    {
      return event
    }
    return try decode(type: type, schemaVersion: schemaVersion, json: Data(value.canonicalBytes))
  }

  private static func fastDecode<T: ClinicalEventData>(_ payloadType: T.Type, _ value: JSONValue)
    throws -> ClinicalEvent
  {
    try wrap(T(from: JSONValueDecoder(value)))
  }
}
