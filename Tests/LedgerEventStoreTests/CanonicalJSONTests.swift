import Foundation
import LedgerEventStore
import LedgerTestSupport
import Testing

@Suite struct CanonicalJSONTests {
  private func canonical(_ value: JSONValue) -> String {
    String(decoding: value.canonicalBytes, as: UTF8.self)
  }

  @Test(arguments: [
    (0.0, "0"), (-0.0, "0"), (1, "1"), (-1, "-1"), (0.5, "0.5"), (35, "35"),
    (12345.678, "12345.678"),
    (1e-7, "1e-7"), (0.000001, "0.000001"), (1e21, "1e+21"), (1e20, "100000000000000000000"),
    (123_456_789_012, "123456789012"), (1.5e300, "1.5e+300"), (5e-324, "5e-324"),
    (0.1 + 0.2, "0.30000000000000004"), (9_007_199_254_740_992, "9007199254740992"),
    (-2.5e-8, "-2.5e-8"),
  ])
  func numbersFollowECMAScript(_ value: Double, _ expected: String) {
    #expect(canonical(.number(value)) == expected)
  }

  @Test func objectMembersSortByUTF16AndStringsEscapeMinimally() {
    // U+20AC is one UTF-16 unit (0x20AC); U+1F600 is a surrogate pair starting 0xD83D.
    let value = JSONValue.object([
      "b": .number(1), "a": .array([.null, .bool(true), .bool(false)]), "\u{20AC}": .string("€"),
      "\u{1F600}": .string("😀"), "A": .string("quote \" backslash \\ newline \n tab \t \u{1} /"),
    ])
    #expect(
      canonical(value)
        == "{\"A\":\"quote \\\" backslash \\\\ newline \\n tab \\t \\u0001 /\",\"a\":[null,true,false],"
        + "\"b\":1,\"€\":\"€\",\"😀\":\"😀\"}")
  }

  @Test func parsingCanonicalBytesGivesTheSameValue() throws {
    var generator = SeededGenerator(seed: 0xC0FFEE)
    for _ in 0..<300 {
      let value = randomValue(depth: 0, using: &generator)
      let bytes = value.canonicalBytes
      let parsed = try JSONValue.parse(bytes)
      #expect(parsed == value)
      #expect(parsed.canonicalBytes == bytes)
    }
  }

  @Test func malformedJSONErrorsDoNotQuoteTheInput() {
    let sentinel = "SENTINEL-5531"
    #expect {
      try JSONValue.parse(Array("{\"a\": \"\(sentinel)\"".utf8))
    } throws: { error in
      !"\(error)".contains(sentinel)
    }
  }

  private func randomValue(depth: Int, using generator: inout SeededGenerator) -> JSONValue {
    let choice = Int.random(in: 0..<(depth > 3 ? 4 : 6), using: &generator)
    switch choice {
    case 0: return .null
    case 1: return .bool(Bool.random(using: &generator))
    case 2:
      let kinds: [Double] = [
        Double(Int.random(in: -1_000_000...1_000_000, using: &generator)),
        Double.random(in: -1e6...1e6, using: &generator),
        Double.random(in: 0...1, using: &generator) * 1e-9,
        Double.random(in: 1...9, using: &generator) * 1e25,
      ]
      return .number(kinds[Int.random(in: 0..<kinds.count, using: &generator)])
    case 3:
      let alphabet = Array("aZ09 \"\\\n\t/é€😀\u{1}")
      return .string(
        String(
          (0..<Int.random(in: 0...12, using: &generator)).map { _ in
            alphabet[Int.random(in: 0..<alphabet.count, using: &generator)]
          }))
    case 4:
      return .array(
        (0..<Int.random(in: 0...4, using: &generator)).map { _ in
          randomValue(depth: depth + 1, using: &generator)
        })
    default:
      var members: [String: JSONValue] = [:]
      for index in 0..<Int.random(in: 0...4, using: &generator) {
        members["k\(index)\(["", "é", "Z", "😀"][index % 4])"] = randomValue(
          depth: depth + 1, using: &generator)
      }
      return .object(members)
    }
  }
}

@Suite struct TimestampTests {
  @Test func formatsAndParsesRecordedTimes() {
    #expect(Timestamp.format(micros: 0) == "1970-01-01T00:00:00.000000Z")
    #expect(Timestamp.format(micros: 1_795_461_764_123_456) == "2026-11-23T19:22:44.123456Z")
    #expect(Timestamp.parseMicros("2026-11-23T19:22:44.123456Z") == 1_795_461_764_123_456)
    #expect(Timestamp.parseMicros("2026-11-23T14:22:44.123456-05:00") == 1_795_461_764_123_456)
    #expect(Timestamp.parseMicros("2026-11-23T20:22:44.1234569+01:00") == 1_795_461_764_123_456)
    #expect(Timestamp.parseMicros("2024-02-29T00:00:00Z") != nil)
    for micros: Int64 in [0, 1, 951_782_400_000_000, 4_102_444_800_999_999, -86_400_000_001] {
      #expect(Timestamp.parseMicros(Timestamp.format(micros: micros)) == micros)
    }
  }

  @Test(arguments: [
    "2026-11-23T19:22:44", "2026-11-23 19:22:44Z", "2026-13-01T00:00:00Z", "2025-02-29T00:00:00Z",
    "2026-11-23T24:00:00Z", "2026-11-23T19:22:44.Z", "2026-11-23T19:22:44+0500", "", "yesterday",
    "2026-11-23T19:22:44Z ",
  ])
  func rejectsTextThatIsNotAnRFC3339TimeWithOffset(_ text: String) {
    #expect(Timestamp.parseMicros(text) == nil)
  }
}
