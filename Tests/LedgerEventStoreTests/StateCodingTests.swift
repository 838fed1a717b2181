import Foundation
import LedgerEventStore
import LedgerFoundation
import LedgerTestSupport
import Testing

@Suite("State coding")
struct StateCodingTests {
  private func randomString(_ rng: inout SeededGenerator) -> String {
    let pieces = [
      "a", "Z", "0", " ", "\"", "\\", "\n", "\u{0}", "é", "ü", "€", "\u{E000}", "😀", "名",
    ]
    return (0..<Int.random(in: 0...12, using: &rng)).map { _ in
      pieces.randomElement(using: &rng) ?? ""
    }
    .joined()
  }

  private func randomValue(depth: Int, _ rng: inout SeededGenerator) -> JSONValue {
    switch Int.random(in: 0...(depth > 3 ? 3 : 5), using: &rng) {
    case 0: return .null
    case 1: return .bool(Bool.random(using: &rng))
    case 2:
      switch Int.random(in: 0...3, using: &rng) {
      case 0: return .number(Double(Int.random(in: -1_000_000...1_000_000, using: &rng)))
      case 1: return .number(Double.random(in: -1e300...1e300, using: &rng))
      case 2: return .number(Double(bitPattern: rng.next() & 0x7FEF_FFFF_FFFF_FFFF))
      default: return .number(Double.random(in: 0..<1, using: &rng))
      }
    case 3: return .string(randomString(&rng))
    case 4:
      return .array(
        (0..<Int.random(in: 0...5, using: &rng)).map { _ in randomValue(depth: depth + 1, &rng) })
    default:
      var members: [String: JSONValue] = [:]
      for _ in 0..<Int.random(in: 0...6, using: &rng) {
        members[randomString(&rng)] = randomValue(depth: depth + 1, &rng)
      }
      return .object(members)
    }
  }

  @Test("JSON values round-trip, and equal values give equal bytes", arguments: 0..<8)
  func jsonRoundTrip(seed: UInt64) throws {
    var rng = SeededGenerator(seed: 0x57A7_E000 + seed)
    for _ in 0..<200 {
      let value = randomValue(depth: 0, &rng)
      var writer = StateWriter()
      writer.write(json: value)
      var reader = StateReader(writer.bytes)
      let decoded = try reader.readJSON()
      try reader.expectEnd()
      #expect(decoded == value)
      // The same value rebuilt from its canonical bytes (other dictionary order) encodes alike.
      var again = StateWriter()
      again.write(json: try JSONValue.parse(value.canonicalBytes))
      #expect(again.bytes == writer.bytes)
    }
  }

  @Test("Scalars round-trip at their extremes")
  func scalars() throws {
    let uints: [UInt64] = [
      0, 1, 127, 128, 16_383, 16_384, UInt64(UInt32.max), UInt64.max - 1, UInt64.max,
    ]
    let ints: [Int64] = [0, -1, 1, 63, -64, 64, Int64.max, Int64.min, Int64.min + 1]
    let doubles: [Double] = [
      0, 1, -1, 0.1, 1e-300, -1e300, .greatestFiniteMagnitude, .leastNonzeroMagnitude,
    ]
    var writer = StateWriter()
    for value in uints { writer.write(uint: value) }
    for value in ints { writer.write(int: value) }
    for value in doubles { writer.write(double: value) }
    let uuid = UUID()
    writer.write(uuid: uuid)
    writer.write(bool: true)
    writer.write(string: "")
    writer.write(string: "patient-7f3a €😀")
    var reader = StateReader(writer.bytes)
    for value in uints { #expect(try reader.readUInt() == value) }
    for value in ints { #expect(try reader.readInt() == value) }
    for value in doubles { #expect(try reader.readDouble() == value) }
    #expect(try reader.readUUID() == uuid)
    #expect(try reader.readBool())
    #expect(try reader.readString() == "")
    #expect(try reader.readString() == "patient-7f3a €😀")
    try reader.expectEnd()
  }

  @Test("Negative zero encodes as zero, as in canonical JSON")
  func negativeZero() {
    var negative = StateWriter()
    negative.write(json: .number(-0.0))
    var positive = StateWriter()
    positive.write(json: .number(0))
    #expect(negative.bytes == positive.bytes)
  }

  @Test("Truncated or damaged bytes throw, never trap")
  func damagedInput() throws {
    var rng = SeededGenerator(seed: 0xBAD)
    let value = JSONValue.object([
      "a": .array([.number(1.5), .string("x€"), .null, .bool(true)]),
      "b": .object(["c": .string("d")]),
    ])
    var writer = StateWriter()
    writer.write(json: value)
    let bytes = writer.bytes
    for length in 0..<bytes.count {
      var reader = StateReader(Array(bytes[..<length]))
      #expect(throws: StateReader.Failure.self) {
        _ = try reader.readJSON()
        try reader.expectEnd()
      }
    }
    for _ in 0..<500 {
      var damaged = bytes
      damaged[Int.random(in: 0..<damaged.count, using: &rng)] = UInt8.random(
        in: 0...255, using: &rng)
      var reader = StateReader(damaged)
      _ = try? reader.readJSON()
    }
    var long = StateReader(Array(repeating: 0xFF, count: 11))
    #expect(throws: StateReader.Failure.self) { _ = try long.readUInt() }
    var huge = StateReader([0x05, 0xFF, 0xFF, 0x03])
    #expect(throws: StateReader.Failure.self) { _ = try huge.readJSON() }
    var invalid = StateReader([0x04, 0x02, 0xC3, 0x28])
    #expect(throws: StateReader.Failure.self) { _ = try invalid.readJSON() }
    var duplicate = StateReader([0x06, 0x02, 0x01, 0x61, 0x00, 0x01, 0x61, 0x00])
    #expect(throws: StateReader.Failure.self) { _ = try duplicate.readJSON() }
  }
}
