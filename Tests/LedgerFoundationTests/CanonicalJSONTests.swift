import Foundation
import LedgerFoundation
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

@Suite struct CanonicalJSONVectorTests {
  private func canonical(_ value: JSONValue) -> String {
    String(decoding: value.canonicalBytes, as: UTF8.self)
  }

  /// RFC 8785 Appendix B: IEEE-754 bit patterns and their canonical text.
  @Test(
    arguments: [
      (0x0000_0000_0000_0000, "0"), (0x8000_0000_0000_0000, "0"), (0x0000_0000_0000_0001, "5e-324"),
      (0x8000_0000_0000_0001, "-5e-324"), (0x7FEF_FFFF_FFFF_FFFF, "1.7976931348623157e+308"),
      (0xFFEF_FFFF_FFFF_FFFF, "-1.7976931348623157e+308"),
      (0x4340_0000_0000_0000, "9007199254740992"),
      (0xC340_0000_0000_0000, "-9007199254740992"),
      (0x4430_0000_0000_0000, "295147905179352830000"),
      (0x44B5_2D02_C7E1_4AF5, "9.999999999999997e+22"), (0x44B5_2D02_C7E1_4AF6, "1e+23"),
      (0x44B5_2D02_C7E1_4AF7, "1.0000000000000001e+23"),
      (0x444B_1AE4_D6E2_EF4E, "999999999999999700000"),
      (0x444B_1AE4_D6E2_EF4F, "999999999999999900000"), (0x444B_1AE4_D6E2_EF50, "1e+21"),
      (0x3EB0_C6F7_A0B5_ED8C, "9.999999999999997e-7"), (0x3EB0_C6F7_A0B5_ED8D, "0.000001"),
      (0x41B3_DE43_5555_5553, "333333333.3333332"), (0x41B3_DE43_5555_5554, "333333333.33333325"),
      (0x41B3_DE43_5555_5555, "333333333.3333333"), (0x41B3_DE43_5555_5556, "333333333.3333334"),
      (0x41B3_DE43_5555_5557, "333333333.33333343"),
      (0xBECB_F647_612F_3696, "-0.0000033333333333333333"),
      (0x4314_3FF3_C1CB_0959, "1424953923781206.2"),
    ] as [(UInt64, String)])
  func rfc8785NumberVectors(_ bits: UInt64, _ expected: String) throws {
    let value = Double(bitPattern: bits)
    #expect(canonical(.number(value)) == expected)
    // And the text parses back to the same double (up to the sign of zero).
    #expect(try JSONValue.parse(Array(expected.utf8)) == .number(value))
  }

  @Test func integralValuesPrintAsIntegers() {
    for value: Double in [
      1, -1, 42, 1e15, 9_007_199_254_740_991, -9_007_199_254_740_991, 4_503_599_627_370_496.0,
    ] {
      #expect(canonical(.number(value)) == String(Int64(value)))
    }
    #expect(canonical(.number(1e20)) == "100000000000000000000")
    #expect(canonical(.number(0x1p60)) == "1152921504606847000")
    #expect(canonical(.number(-0x1p60)) == "-1152921504606847000")
    #expect(canonical(.number(1.5)) == "1.5")
  }

  /// RFC 8785 section 3.2.3: sorting by UTF-16 code units.
  @Test func rfc8785KeyOrderingVector() throws {
    let input = #"""
      {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\ud83d\ude00": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis"
      }
      """#
    let value = try JSONValue.parse(Array(input.utf8))
    let expected =
      "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\","
      + "\"ö\":\"Latin Small Letter O With Diaeresis\",\"€\":\"Euro Sign\","
      + "\"😀\":\"Emoji: Grinning Face\",\"\u{FB33}\":\"Hebrew Letter Dalet With Dagesh\"}"
    #expect(Array(canonical(value).utf8) == Array(expected.utf8))
  }

  /// RFC 8785 section 3.2.2's sample input and output.
  @Test func rfc8785SampleVector() throws {
    let input = #"""
      {
        "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
        "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
        "literals": [null, true, false]
      }
      """#
    let value = try JSONValue.parse(Array(input.utf8))
    let expected =
      #"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
    #expect(canonical(value) == expected)
  }

  /// Member names drawn from the places where UTF-8 and UTF-16 orders part (supplementary
  /// characters against U+E000–U+FFFF) sort by UTF-16 code units.
  @Test func memberNamesSortByUTF16EvenWhereUTF8Differs() throws {
    let pieces = [
      "a", "z", "\u{7F}", "\u{80}", "é", "\u{7FF}", "\u{800}", "\u{D7FF}", "\u{E000}", "\u{EFFF}",
      "\u{F900}", "\u{FFFD}", "\u{FFFF}", "\u{10000}", "😀", "\u{10FFFF}", "",
    ]
    var generator = SeededGenerator(seed: 0x5EED_0004)
    for _ in 0..<400 {
      var members: [String: JSONValue] = [:]
      for _ in 0..<Int.random(in: 1...12, using: &generator) {
        let name = (0..<Int.random(in: 1...3, using: &generator)).map { _ in
          pieces[Int.random(in: 0..<pieces.count, using: &generator)]
        }.joined()
        members[name] = .null
      }
      let order = members.keys.sorted { $0.utf16.lexicographicallyPrecedes($1.utf16) }
      let expected = "{" + order.map { "\"\($0)\":null" }.joined(separator: ",") + "}"
      #expect(canonical(.object(members)) == expected)
    }
  }

  @Test func canonicalTextParsesBackToTheSameValue() throws {
    var generator = SeededGenerator(seed: 0x5EED_0005)
    for _ in 0..<1_000 {
      var text = ""
      let value = JSONParserFoundationTestsAccess.document(into: &text, using: &generator)
      let bytes = value.canonicalBytes
      let parsed = try JSONValue.parse(bytes)
      #expect(parsed == value)
      #expect(parsed.canonicalBytes == bytes)
      // Parsing the original text and canonicalizing gives the same bytes too.
      #expect(try JSONValue.parse(Array(text.utf8)).canonicalBytes == bytes)
    }
  }
}
