import Foundation
import LedgerFoundation

/// A compact, deterministic binary encoding for derived state (projection and reviewer states):
/// unsigned LEB128 varints, zigzag varints for signed integers, doubles as their 8 IEEE-754 bytes
/// (little-endian), strings as a varint byte count and UTF-8, UUIDs as 16 bytes, and
/// `JSONValue` as a tag byte followed by its content (object members sorted by name, so equal
/// values give equal bytes).
///
/// It is several times cheaper than Foundation's `JSONEncoder`/`JSONDecoder` for the states that
/// are rewritten inside every append. Begin each encoding with a format byte of your own so that
/// a later format can be told apart.
///
/// ```swift
/// var writer = StateWriter()
/// writer.write(byte: 1)
/// writer.write(string: "patient-7f3a")
/// var reader = StateReader(writer.bytes)
/// let format = try reader.readByte()
/// ```
public struct StateWriter: Sendable {
  /// The bytes written so far.
  public private(set) var bytes: [UInt8]

  /// An empty writer with room for `capacity` bytes.
  public init(capacity: Int = 256) {
    bytes = []
    bytes.reserveCapacity(capacity)
  }

  /// Appends one byte.
  public mutating func write(byte: UInt8) { bytes.append(byte) }

  /// Appends a boolean as one byte (0 or 1).
  public mutating func write(bool: Bool) { bytes.append(bool ? 1 : 0) }

  /// Appends an unsigned integer as a LEB128 varint.
  public mutating func write(uint value: UInt64) {
    var rest = value
    while rest >= 0x80 {
      bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
      rest >>= 7
    }
    bytes.append(UInt8(rest))
  }

  /// Appends a count or index (non-negative) as a varint.
  public mutating func write(count: Int) { write(uint: UInt64(max(0, count))) }

  /// Appends a signed integer as a zigzag varint.
  public mutating func write(int value: Int64) {
    write(uint: UInt64(bitPattern: (value << 1) ^ (value >> 63)))
  }

  /// Appends a double as its 8 bytes. Negative zero is written as zero, as JSON's canonical
  /// form does, so a value and its canonical round trip encode alike.
  public mutating func write(double value: Double) {
    let bits = (value == 0 ? 0 : value).bitPattern
    withUnsafeBytes(of: bits.littleEndian) { bytes.append(contentsOf: $0) }
  }

  /// Appends a string as its UTF-8 byte count and bytes.
  public mutating func write(string: String) {
    var string = string
    string.withUTF8 { utf8 in
      write(count: utf8.count)
      bytes.append(contentsOf: utf8)
    }
  }

  /// Appends a UUID as its 16 bytes.
  public mutating func write(uuid: UUID) {
    withUnsafeBytes(of: uuid.uuid) { bytes.append(contentsOf: $0) }
  }

  /// Appends a JSON value: a tag byte (0 null, 1 false, 2 true, 3 number, 4 string, 5 array,
  /// 6 object) and its content. Object members are written sorted by name.
  public mutating func write(json value: JSONValue) {
    switch value {
    case .null: bytes.append(0)
    case .bool(let flag): bytes.append(flag ? 2 : 1)
    case .number(let number):
      bytes.append(3)
      write(double: number)
    case .string(let string):
      bytes.append(4)
      write(string: string)
    case .array(let values):
      bytes.append(5)
      write(count: values.count)
      for element in values { write(json: element) }
    case .object(let members):
      bytes.append(6)
      write(count: members.count)
      writeMembers(members)
    }
  }

  /// Writes the members sorted by name (the order of canonical JSON), moving (prefix, index)
  /// pairs rather than copying the members out of the dictionary.
  private mutating func writeMembers(_ members: [String: JSONValue]) {
    let count = members.count
    withUnsafeTemporaryAllocation(
      of: (prefix: UInt64, index: Dictionary<String, JSONValue>.Index).self, capacity: count
    ) {
      order in
      var filled = 0
      var index = members.startIndex
      while index != members.endIndex {
        order.initializeElement(at: filled, to: (JSONValue.sortPrefix(members[index].key), index))
        filled += 1
        members.formIndex(after: &index)
      }
      var sorted = 1
      while sorted < count {
        let item = order[sorted]
        var slot = sorted
        while slot > 0 {
          let previous = order[slot - 1]
          let before =
            item.prefix != previous.prefix
            ? item.prefix < previous.prefix
            : JSONValue.namePrecedes(members[item.index].key, members[previous.index].key)
          if !before { break }
          order[slot] = previous
          slot -= 1
        }
        order[slot] = item
        sorted += 1
      }
      for position in 0..<count {
        let member = members[order[position].index]
        write(string: member.key)
        write(json: member.value)
      }
      _ = order.deinitialize()
    }
  }
}

/// Reads what a ``StateWriter`` wrote. Every read checks bounds and throws
/// ``StateReader/Failure`` on truncated or malformed input; it never traps.
public struct StateReader: Sendable {
  /// Why bytes could not be read (the offset only, never content).
  public struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
    /// Byte offset of the problem.
    public var offset: Int
    /// What was wrong.
    public var reason: String
    /// A one-line description.
    public var description: String { "\(reason) at byte \(offset)" }
  }

  /// Deepest JSON nesting accepted (as the JSON parser).
  static let maximumDepth = 128

  private let bytes: [UInt8]
  /// The offset of the next byte to read.
  public private(set) var offset: Int = 0

  /// A reader at the start of `bytes`.
  public init(_ bytes: [UInt8]) { self.bytes = bytes }

  /// True when every byte has been read.
  public var isAtEnd: Bool { offset == bytes.count }

  /// Throws unless every byte has been read.
  public func expectEnd() throws(Failure) {
    guard isAtEnd else { throw Failure(offset: offset, reason: "trailing bytes") }
  }

  /// A failure at the current offset.
  public func failure(_ reason: String) -> Failure { Failure(offset: offset, reason: reason) }

  /// Reads one byte.
  public mutating func readByte() throws(Failure) -> UInt8 {
    guard offset < bytes.count else { throw failure("unexpected end") }
    defer { offset += 1 }
    return bytes[offset]
  }

  /// Reads a boolean (0 or 1).
  public mutating func readBool() throws(Failure) -> Bool {
    switch try readByte() {
    case 0: return false
    case 1: return true
    default: throw Failure(offset: offset - 1, reason: "not a boolean")
    }
  }

  /// Reads a LEB128 varint.
  public mutating func readUInt() throws(Failure) -> UInt64 {
    var result: UInt64 = 0
    var shift: UInt64 = 0
    while true {
      let byte = try readByte()
      guard shift < 64, shift < 63 || byte <= 1 else { throw failure("varint too long") }
      result |= UInt64(byte & 0x7F) << shift
      if byte < 0x80 { return result }
      shift += 7
    }
  }

  /// Reads a count, which must not exceed the bytes left (every element takes at least one).
  public mutating func readCount() throws(Failure) -> Int {
    let value = try readUInt()
    guard value <= UInt64(bytes.count - offset) else { throw failure("count beyond the end") }
    return Int(value)
  }

  /// Reads a zigzag varint.
  public mutating func readInt() throws(Failure) -> Int64 {
    let raw = try readUInt()
    return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
  }

  /// Reads a double.
  public mutating func readDouble() throws(Failure) -> Double {
    guard bytes.count - offset >= 8 else { throw failure("unexpected end") }
    var bits: UInt64 = 0
    for index in 0..<8 { bits |= UInt64(bytes[offset + index]) << (8 * UInt64(index)) }
    offset += 8
    return Double(bitPattern: bits)
  }

  /// Reads a string (its UTF-8 must be valid).
  public mutating func readString() throws(Failure) -> String {
    let count = try readCount()
    let start = offset
    offset += count
    let string: String? = bytes.withUnsafeBufferPointer { buffer in
      let utf8 = UnsafeBufferPointer(rebasing: buffer[start..<start + count])
      // ASCII needs no validation (most of what states hold); anything else is checked.
      if utf8.allSatisfy({ $0 < 0x80 }) { return String(decoding: utf8, as: UTF8.self) }
      return String(validating: utf8, as: UTF8.self)
    }
    guard let string else { throw Failure(offset: start, reason: "invalid UTF-8") }
    return string
  }

  /// Reads a UUID.
  public mutating func readUUID() throws(Failure) -> UUID {
    guard bytes.count - offset >= 16 else { throw failure("unexpected end") }
    let b = bytes
    let o = offset
    offset += 16
    return UUID(
      uuid: (
        b[o], b[o + 1], b[o + 2], b[o + 3], b[o + 4], b[o + 5], b[o + 6], b[o + 7],
        b[o + 8], b[o + 9], b[o + 10], b[o + 11], b[o + 12], b[o + 13], b[o + 14], b[o + 15]
      ))
  }

  /// Reads a JSON value.
  public mutating func readJSON() throws(Failure) -> JSONValue {
    try readJSON(depth: 0)
  }

  private mutating func readJSON(depth: Int) throws(Failure) -> JSONValue {
    let tag = try readByte()
    switch tag {
    case 0: return .null
    case 1: return .bool(false)
    case 2: return .bool(true)
    case 3:
      let number = try readDouble()
      guard number.isFinite else { throw failure("number not finite") }
      return .number(number)
    case 4: return .string(try readString())
    case 5, 6:
      guard depth < Self.maximumDepth else { throw failure("nested too deeply") }
      let count = try readCount()
      if tag == 5 {
        var values: [JSONValue] = []
        values.reserveCapacity(count)
        for _ in 0..<count { values.append(try readJSON(depth: depth + 1)) }
        return .array(values)
      }
      var members: [String: JSONValue] = [:]
      members.reserveCapacity(count)
      for _ in 0..<count {
        let name = try readString()
        guard members.updateValue(try readJSON(depth: depth + 1), forKey: name) == nil else {
          throw failure("member named twice")
        }
      }
      return .object(members)
    default:
      throw Failure(offset: offset - 1, reason: "unknown JSON tag")
    }
  }
}
