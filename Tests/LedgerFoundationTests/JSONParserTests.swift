import Foundation
import LedgerFoundation
import LedgerTestSupport
import Testing

private func parse(_ text: String) throws -> JSONValue { try JSONValue.parse(Array(text.utf8)) }

private func parseError(_ bytes: [UInt8]) -> String? {
  do {
    _ = try JSONValue.parse(bytes)
    return nil
  } catch {
    guard error.kind == .json, error.field == nil else { return "unexpected error kind" }
    return error.description
  }
}

private func parseError(_ text: String) -> String? { parseError(Array(text.utf8)) }

@Suite struct JSONParserConformanceTests {
  /// Accepted texts, mostly the JSONTestSuite `y_` cases.
  @Test(arguments: [
    #"[[]   ]"#, #"[""]"#, #"[]"#, #"["a"]"#, #"[false]"#, #"[null, 1, "1", {}]"#, #"[null]"#,
    "[1\n]", " [1]", #"[1,null,null,null,2]"#, "[2] ", #"[123e65]"#, #"[0e+1]"#, #"[0e1]"#,
    #"[ 4]"#,
    "[-0.000000000000000000000000000000000000000000000000000000000000000000000000000001]\n",
    #"[20e1]"#, #"[-0]"#, #"[-123]"#, #"[-1]"#, #"[1E22]"#, #"[1E-2]"#, #"[1E+2]"#, #"[123e45]"#,
    #"[123.456e78]"#, #"[1e-2]"#, #"[1e+2]"#, #"[123]"#, #"[123.456789]"#, #"[0.5]"#, #"[1e-400]"#,
    #"{"asd":"sdf", "dfg":"fgh"}"#, #"{"asd":"sdf"}"#, #"{"a":[]}"#, #"{"":0}"#,
    #"{"foo\u0000bar": 42}"#, #"{ "min": -1.0e+28, "max": 1.0e+28 }"#,
    #"{"x":[{"id": "xxx"}], "id": "xxx"}"#, #"{"a":"b","A":"b"}"#, "{\n\"a\"\t:\r\"b\"\n}",
    #"["\u0060\u012a\u12AB"]"#, #"["\uD801\udc37"]"#, #"["\ud83d\ude39\ud83d\udc8d"]"#,
    #"["\"\\\/\b\f\n\r\t"]"#, #"["\\u0000"]"#, #"["\""]"#, #"["a/*b*/c/*d//e"]"#, #"["\\a"]"#,
    #"["\\n"]"#, #"["\u0012"]"#, #"["\uFFFF"]"#, #"[ "asd"]"#, #"["\uDBFF\uDFFF"]"#,
    #"["new\u00A0line"]"#, "[\"\u{10FFFF}\"]", "[\"\u{FFFF}\"]", #"["\u0000"]"#, #"["\u002c"]"#,
    #"["π"]"#, "[\"\u{1BFFF}\"]", #"["asd "]"#, #"" ""#, #"["\uD834\uDd1e"]"#, #"["\u0821"]"#,
    #"["\u2028"]"#, #"["\u0061\u30af\u30EA\u30b9"]"#, "[\"\u{7F}\"]", #"["\uA66D"]"#,
    #"["\u005C"]"#, #"["⍂㈴⍂"]"#, #"["\uDBFF\uDFFE"]"#, #"["\uD83F\uDFFE"]"#, #"["\uFDD0"]"#,
    #"["\uFFFE"]"#, #"["€𝄞"]"#, "false", "42", "-0.1", "null", #""asd""#, "true", #""""#,
    "[\"a\"]\n", " [] ", "{}", "[[[[[[[[[[[[[[[[[[[[\"deep\"]]]]]]]]]]]]]]]]]]]]",
  ])
  func acceptsValidText(_ text: String) {
    #expect(parseError(text) == nil)
  }

  /// Refused texts: the JSONTestSuite `n_` cases, and `i_` cases this parser decides to refuse
  /// (lone surrogates, numbers that overflow a double).
  @Test(arguments: [
    "", " ", "[1 true]", #"["": 1]"#, #"[""],"#, "[,1]", "[1,,2]", #"["x",,]"#, #"["x"]]"#,
    #"["",]"#, #"["x""#, "[x", "[3[4]]", "[1:2]", "[,]", "[-]", #"[   , ""]"#, "[\"a\",\n4\n,1,",
    "[1,]", "[1,,]", "[*]", #"[""#, "[1,", "[1,\n1\n,1", "[{}", #"["a" "b"]"#, "[0.1.2]",
    "[++1234]", "[+1]", "[+Inf]", "[-01]", "[-1.0.]", "[-2.]", "[-NaN]", "[.-1]", "[.2e-3]",
    "[0.3e+]", "[0.3e]", "[0.e1]", "[0E+]", "[0E]", "[0e+]", "[0e]", "[1.0e+]", "[1.0e-]",
    "[1.0e]", "[1 000.0]", "[1eE2]", "[2.e+3]", "[2.e-3]", "[2.e3]", "[9.e+]", "[Inf]", "[NaN]",
    "[012]", "[-012]", "[1.]", "[.123]", "[0x1]", "[0x42]", "[-foo]", "[- 1]", "[Infinity]",
    "[-Infinity]", "[1e309]", "[-1e309]", "[1e99999]", "[123.456e999]", "-", "00", "01", "1.5.",
    #"{"a":"b"}/**/"#, #"{"a" b}"#, "{key: 'value'}", #"{"a":"a" 123}"#, #"{"a" "b"}"#, #"{:"b"}"#,
    #"{"a":}"#, #"{"a""#, #"{"a":"b",}"#, #"{"a":"b"}#"#, "{1:1}", "{null:null,null:null}",
    #"{"a":"b"}}"#, "{'a':0}", #"{"a":"b",,"c":"d"}"#, #"{"id":0,}"#, #"{"x", null}"#,
    #"{"a":/*comment*/"b"}"#, #"{"a":true} "x""#, #"["\uD800\"]"#, #"["\uD800\u"]"#,
    #"["\uD800\u1"]"#, #"["\uD800\u1x"]"#, #"["\a"]"#, #"["\x00"]"#, #"["\u00A"]"#,
    #"["\uqqqq"]"#, #"["\"]"#, #"["\UA66D"]"#, "[\"\\\t\"]", "[\"a\u{0}a\"]", "[\"new\nline\"]",
    "[\"\t\"]", "\"", "abc", #"[é]"#, "{}}", "[]]", "<.>", "[<null>]", "[1]x", "[1]]",
    #"["asd]"#, "[True]", "1]", #"{"x": true,"#, "[][]", "]", "[", "2@", #"{"":"#, "['",
    "[,", "[{", #"["a"#, #"["a""#, "{", "{]", "{,", "{[", #"{"a"#, "{'a'", #"["\{["\{"#, "*",
    "[1", "[ false, nul", "[ true, fals", "[ false, tru", #"{"asd":"asd""#, "[\u{2060}]",
    "[\u{C}]", "[\u{A0}1]", "nul", "tru", "fals", "nulll", "truee", "falsee", "NULL",
    #"["\uD800"]"#, #"["\uDFAA"]"#, #"["\uD800abc"]"#, #"["\uD800\uD800"]"#,
    #"["\uDd1e\uD834"]"#, #"["\uD888\u1234"]"#, #"{"\uDFAA":0}"#,
  ])
  func refusesInvalidText(_ text: String) {
    #expect(parseError(text) != nil)
  }

  /// Byte sequences that are not UTF-8, or start with a byte order mark.
  @Test(
    arguments: [
      [0xEF, 0xBB, 0xBF, 0x7B, 0x7D],  // BOM then {}
      [0xEF, 0xBB, 0x7B, 0x7D],  // partial BOM
      [0x5B, 0xFF, 0x5D],  // [ 0xFF ]
      [0x22, 0xFF, 0x22],  // lone 0xFF
      [0x22, 0x81, 0x22],  // continuation byte without a lead
      [0x22, 0xE9, 0x22],  // truncated 2-byte sequence (Latin-1 é)
      [0x22, 0xE0, 0xFF, 0x22],  // bad continuation
      [0x22, 0xC0, 0xAF, 0x22],  // overlong '/'
      [0x22, 0xC1, 0xBF, 0x22],  // overlong
      [0x22, 0xE0, 0x80, 0xAF, 0x22],  // overlong 3-byte
      [0x22, 0xF0, 0x80, 0x80, 0xAF, 0x22],  // overlong 4-byte
      [0x22, 0xED, 0xA0, 0x80, 0x22],  // encoded surrogate U+D800
      [0x22, 0xED, 0xBF, 0xBF, 0x22],  // encoded surrogate U+DFFF
      [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],  // above U+10FFFF
      [0x22, 0xF5, 0x80, 0x80, 0x80, 0x22],  // lead byte beyond F4
      [0x22, 0xF8, 0x88, 0x80, 0x80, 0x80, 0x22],  // 5-byte form
      [0x22, 0xE2, 0x82],  // truncated at the end of the input
      [0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x30, 0x7D],  // invalid byte in a member name
      [0x5B, 0x00, 0x5D],  // NUL as white space
      [0x22, 0x61, 0x1F, 0x22],  // raw U+001F
    ] as [[UInt8]])
  func refusesBytesThatAreNotUTF8(_ bytes: [UInt8]) {
    #expect(parseError(bytes) != nil)
  }

  @Test func acceptsEveryWellFormedUTF8Boundary() throws {
    let scalars: [Unicode.Scalar] = [
      "\u{80}", "\u{7FF}", "\u{800}", "\u{FFF}", "\u{1000}", "\u{CFFF}", "\u{D000}", "\u{D7FF}",
      "\u{E000}", "\u{FFFD}", "\u{FFFF}", "\u{10000}", "\u{3FFFF}", "\u{40000}", "\u{FFFFF}",
      "\u{100000}", "\u{10FFFF}",
    ]
    for scalar in scalars {
      let text = "\"a\(scalar)b\""
      #expect(try parse(text) == .string("a\(scalar)b"))
      // The same scalar as a \u escape (a surrogate pair above U+FFFF).
      let escaped = String(scalar).utf16.map { String(format: "\\u%04X", $0) }.joined()
      #expect(try parse("\"a\(escaped)b\"") == .string("a\(scalar)b"))
    }
  }

  @Test func decodesEscapes() throws {
    #expect(try parse(#""\"\\\/\b\f\n\r\t""#) == .string("\"\\/\u{8}\u{C}\n\r\t"))
    #expect(try parse(#""\u00e9\u00C9\u20ac\ud83d\ude00""#) == .string("éÉ€😀"))
    #expect(try parse(#""\u0000""#) == .string("\u{0}"))
    #expect(try parse(#""plain ascii""#) == .string("plain ascii"))
    #expect(try parse(#""mixed é and \n""#) == .string("mixed é and \n"))
  }

  @Test func valuesHaveTheirStructure() throws {
    let value = try parse(#" {"a": [1, -2.5, true, false, null, "x"], "b": {"c": {}}, "d": []} "#)
    #expect(
      value
        == .object([
          "a": .array([.number(1), .number(-2.5), .bool(true), .bool(false), .null, .string("x")]),
          "b": .object(["c": .object([:])]), "d": .array([]),
        ]))
  }

  @Test func parsesDataAndSlicesAndNonContiguousBytes() throws {
    let text = #"{"k":[1,2,3]}"#
    let expected = JSONValue.object(["k": .array([.number(1), .number(2), .number(3)])])
    #expect(try JSONValue.parse(Data(text.utf8)) == expected)
    let padded = Data(("xx" + text + "yy").utf8)
    #expect(try JSONValue.parse(padded[2..<(padded.count - 2)]) == expected)
    let array = Array(("xx" + text).utf8)
    #expect(try JSONValue.parse(array[2...]) == expected)
    // DispatchData built from two regions is not contiguous.
    var dispatch = DispatchData.empty
    let bytes = Array(text.utf8)
    bytes[0..<5].withUnsafeBytes { dispatch.append($0) }
    bytes[5...].withUnsafeBytes { dispatch.append($0) }
    #expect(try JSONValue.parse(dispatch) == expected)
  }
}

@Suite struct JSONParserStrictnessTests {
  @Test func duplicateMemberNamesAreRefused() throws {
    #expect(parseError(#"{"a":1,"a":2}"#)?.contains("byte 7") == true)
    #expect(parseError(#"{"a":1,"a":2}"#)?.contains("duplicate") == true)
    #expect(parseError(#"{"a":1,"b":{"x":1,"y":2,"x":3}}"#) != nil)
    #expect(parseError(#"[{"a":1},{"a":1,"b":2,"c":3,"a":null}]"#) != nil)
    // Escaped and raw spellings of one name are the same name.
    #expect(parseError(#"{"é":1,"\u00e9":2}"#) != nil)
    // Canonically equivalent names are one Swift String: refused rather than silently merged.
    #expect(parseError("{\"\u{E9}\":1,\"e\u{301}\":2}") != nil)
    // The same name in different objects is fine.
    #expect(try parse(#"{"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}]}"#).objectValue?.count == 2)
  }

  @Test func nestingIsLimitedTo128Levels() throws {
    let limit = 128
    let arrays = String(repeating: "[", count: limit) + String(repeating: "]", count: limit)
    #expect(parseError(arrays) == nil)
    let tooDeep =
      String(repeating: "[", count: limit + 1) + String(repeating: "]", count: limit + 1)
    let reason = try #require(parseError(tooDeep))
    #expect(reason.contains("deeper than 128"))
    #expect(reason.contains("byte 128"))
    let objects =
      String(repeating: #"{"a":"#, count: limit) + "1" + String(repeating: "}", count: limit)
    #expect(parseError(objects) == nil)
    let deepObjects = String(repeating: #"{"a":["#, count: 65) + String(repeating: "]}", count: 65)
    #expect(parseError(deepObjects)?.contains("deeper than 128") == true)
    // A hostile input does not exhaust the stack.
    #expect(parseError(String(repeating: "[", count: 1_000_000))?.contains("deeper") == true)
  }

  @Test func errorsNameTheByteOffset() {
    #expect(parseError("[1,,2]") == "not valid JSON at byte 3: expected a value")
    #expect(parseError("[1 2]")?.contains("byte 3: expected ',' or ']'") == true)
    #expect(parseError(#"{"a" 1}"#)?.contains("byte 5: expected ':'") == true)
    #expect(parseError("[1]x")?.contains("byte 3: expected the end of the text") == true)
    #expect(parseError("[01]")?.contains("byte 2") == true)
    #expect(parseError("")?.contains("byte 0") == true)
    #expect(parseError("[1,")?.contains("text ended") == true)
    #expect(parseError(#"["abc"#)?.contains("byte 1") == true)
    #expect(parseError([0xEF, 0xBB, 0xBF, 0x31])?.contains("byte order mark") == true)
    #expect(parseError([0x22, 0x61, 0xFF, 0x22])?.contains("byte 2: invalid UTF-8") == true)
    #expect(parseError("[1e400]")?.contains("byte 1") == true)
  }

  @Test func errorsNeverQuoteTheInput() {
    let sentinel = "SENTINEL-8812"
    let texts = [
      #"{"\#(sentinel)": 1, "\#(sentinel)": 2}"#, #"["\#(sentinel)""#, #""\#(sentinel)"#, sentinel,
      "[1, \(sentinel)]", "{\"a\": \"\(sentinel)\u{1}\"}", #"["\#(sentinel)\q"]"#,
      #"["\#(sentinel)\uD800"]"#, "[-\(sentinel)]", "[1e\(sentinel)]", #"{"a":1} \#(sentinel)"#,
      #"[1e400, "\#(sentinel)"]"#, #"{"\#(sentinel)" "x"}"#, "[t\(sentinel)]", "[\"\(sentinel)\"",
      #"{"a": "\#(sentinel)", "a": "\#(sentinel)"}"#, "[\"\(sentinel)\"] \(sentinel)",
    ]
    for text in texts {
      let reason = parseError(text)
      #expect(reason != nil, "\(text.count)-byte text should be refused")
      #expect(reason?.contains(sentinel) == false)
      #expect(reason?.contains("SENTINEL") == false)
    }
    var invalid = Array("[\"\(sentinel)".utf8)
    invalid += [0xC0, 0x80, 0x22, 0x5D]
    #expect(parseError(invalid)?.contains("SENTINEL") == false)
    // The description of the thrown error is the reason, and quotes nothing either.
    do {
      _ = try JSONValue.parse(Array(#"{"k": "\#(sentinel)", "k": 1}"#.utf8))
      Issue.record("a duplicate name was accepted")
    } catch {
      #expect(!error.description.contains(sentinel))
    }
  }
}

@Suite struct JSONParserNumberTests {
  @Test(arguments: [
    ("1e308", 1e308), ("0.1", 0.1), ("5e-324", 5e-324), ("4.9e-324", 5e-324),
    ("123456789012345678", 123_456_789_012_345_678.0), ("-0", -0.0), ("0", 0), ("-0.0", -0.0),
    ("1.7976931348623157e308", Double.greatestFiniteMagnitude),
    ("2.2250738585072014e-308", Double.leastNormalMagnitude),
    ("2.2250738585072011e-308", 2.2250738585072011e-308),
    ("9007199254740993", 9_007_199_254_740_992),
    ("9007199254740995", 9_007_199_254_740_996), ("1e23", 1e23), ("8.9e22", 8.9e22),
    ("0.30000000000000004", 0.30000000000000004), ("1e-400", 0), ("-1e-400", -0.0),
    ("2.4703282292062327e-324", 0), ("2.4703282292062328e-324", 5e-324),
    ("123456789012345", 123_456_789_012_345), ("999999999999999999999", 1e21),
    ("0.000000000000000000000000000001", 1e-30), ("12345.678", 12345.678), ("100E-2", 1),
    // Exactly halfway between 1 and the next double: ties to even; a hair above rounds up.
    ("1.00000000000000011102230246251565404236316680908203125", 1),
    ("1.00000000000000011102230246251565404236316680908203126", 1.0000000000000002),
    ("7.2057594037927933e16", 72_057_594_037_927_936), ("-2.5e-8", -2.5e-8),
  ])
  func convertsLikeDoubleFromString(_ text: String, _ expected: Double) throws {
    let value = try #require(try parse(text).numberValue)
    #expect(value.bitPattern == expected.bitPattern)
    #expect(value.bitPattern == Double(text)?.bitPattern)
  }

  @Test func overflowIsAnError() throws {
    for text in ["1e309", "-1e309", "1.8e308", "17976931348623159e292", "1e1000000000000"] {
      #expect(parseError(text)?.contains("too large") == true)
    }
    // Just below the rounding boundary to infinity still rounds to the largest double.
    #expect(try parse("1.7976931348623158e308") == .number(.greatestFiniteMagnitude))
  }

  /// Random decimal texts of every shape, fast path and slow path, against `Double(String)`.
  @Test func randomNumbersMatchDoubleFromStringBitForBit() throws {
    var generator = SeededGenerator(seed: 0x5EED_0001)
    for _ in 0..<50_000 {
      let text = randomNumberText(using: &generator)
      guard let expected = Double(text), expected.isFinite else {
        #expect(parseError(text) != nil)
        continue
      }
      let parsed = try parse(text).numberValue
      #expect(parsed?.bitPattern == expected.bitPattern, "\(text)")
    }
  }

  @Test func randomDoublesRoundTripThroughCanonicalText() throws {
    var generator = SeededGenerator(seed: 0x5EED_0002)
    for _ in 0..<50_000 {
      let value = Double(bitPattern: generator.next())
      guard value.isFinite else { continue }
      let parsed = try JSONValue.parse(JSONValue.number(value).canonicalBytes)
      #expect(parsed.numberValue?.bitPattern == (value == 0 ? 0 : value.bitPattern))
    }
  }
}

/// A number in JSON's grammar: sign, integer part, optional fraction and exponent.
private func randomNumberText(using generator: inout SeededGenerator) -> String {
  func digits(_ count: Int, leadingNonZero: Bool) -> String {
    String(
      (0..<count).map { index in
        let low = index == 0 && leadingNonZero ? 1 : 0
        return Character(String(Int.random(in: low...9, using: &generator)))
      })
  }
  var text = Bool.random(using: &generator) ? "-" : ""
  let integerDigits = [0, 1, 1, 2, 5, 9, 15, 16, 17, 19, 20, 25][
    Int.random(in: 0..<12, using: &generator)]
  text += integerDigits == 0 ? "0" : digits(integerDigits, leadingNonZero: true)
  if Bool.random(using: &generator) {
    text +=
      "."
      + digits(
        [1, 2, 5, 10, 17, 25][Int.random(in: 0..<6, using: &generator)], leadingNonZero: false)
  }
  if Int.random(in: 0..<3, using: &generator) > 0 {
    text += Bool.random(using: &generator) ? "e" : "E"
    text += ["", "+", "-"][Int.random(in: 0..<3, using: &generator)]
    let exponent = [
      Int.random(in: 0...22, using: &generator), Int.random(in: 0...40, using: &generator),
      Int.random(in: 280...340, using: &generator),
    ][Int.random(in: 0..<3, using: &generator)]
    text += String(exponent)
  }
  return text
}

@Suite struct JSONParserFoundationTests {
  /// Random documents (as text, with the value they must parse to) agree with the expected value
  /// and with Foundation's `JSONSerialization`.
  @Test func randomDocumentsAgreeWithJSONSerialization() throws {
    var generator = SeededGenerator(seed: 0x5EED_0003)
    for _ in 0..<1_500 {
      var text = ""
      let expected = randomDocument(depth: 0, into: &text, using: &generator)
      let bytes = Array(text.utf8)
      let parsed = try JSONValue.parse(bytes)
      #expect(parsed == expected)
      let foundation = try JSONSerialization.jsonObject(
        with: Data(bytes), options: [.fragmentsAllowed])
      #expect(matches(parsed, foundation), "\(text)")
    }
  }

  private func matches(_ value: JSONValue, _ any: Any) -> Bool {
    switch value {
    case .null: return any is NSNull
    case .bool(let flag): return (any as? Bool) == flag
    case .number(let number):
      // Long decimals come back as NSDecimalNumber, whose `doubleValue` is not correctly
      // rounded (23649574945866124.15261963996616015e-3 gives ...866.12415 instead of ...866.125);
      // its text is the exact decimal (up to 38 digits), which `Double(String)` rounds correctly.
      if let decimal = any as? NSDecimalNumber { return Double(decimal.description) == number }
      guard let other = any as? NSNumber else { return false }
      return other.doubleValue == number
    case .string(let string): return (any as? String) == string
    case .array(let values):
      guard let others = any as? [Any], others.count == values.count else { return false }
      return zip(values, others).allSatisfy { matches($0, $1) }
    case .object(let members):
      guard let others = any as? [String: Any], others.count == members.count else { return false }
      return members.allSatisfy { key, member in others[key].map { matches(member, $0) } ?? false }
    }
  }

  private func whitespace(_ generator: inout SeededGenerator) -> String {
    ["", "", "", " ", "\n", "\t", "\r\n", "  "][Int.random(in: 0..<8, using: &generator)]
  }

  private func randomDocument(
    depth: Int, into text: inout String, using generator: inout SeededGenerator
  ) -> JSONValue {
    text += whitespace(&generator)
    defer { text += whitespace(&generator) }
    switch Int.random(in: 0..<(depth > 4 ? 5 : 7), using: &generator) {
    case 0:
      text += "null"
      return .null
    case 1:
      let flag = Bool.random(using: &generator)
      text += flag ? "true" : "false"
      return .bool(flag)
    case 2, 3:
      let number = randomNumberText(using: &generator)
      guard let value = Double(number), value.isFinite else {
        text += "0"
        return .number(0)
      }
      text += number
      return .number(value)
    case 4:
      let (encoded, value) = randomString(using: &generator)
      text += encoded
      return .string(value)
    case 5:
      text += "["
      var values: [JSONValue] = []
      for index in 0..<Int.random(in: 0...5, using: &generator) {
        if index > 0 { text += "," }
        values.append(randomDocument(depth: depth + 1, into: &text, using: &generator))
      }
      if values.isEmpty { text += whitespace(&generator) }
      text += "]"
      return .array(values)
    default:
      text += "{"
      var members: [String: JSONValue] = [:]
      for _ in 0..<Int.random(in: 0...5, using: &generator) {
        let (encoded, name) = randomString(using: &generator)
        if members[name] != nil { continue }
        if !members.isEmpty { text += "," }
        text += whitespace(&generator) + encoded + whitespace(&generator) + ":"
        members[name] = randomDocument(depth: depth + 1, into: &text, using: &generator)
      }
      if members.isEmpty { text += whitespace(&generator) }
      text += "}"
      return .object(members)
    }
  }

  /// A JSON string literal mixing raw UTF-8 and every kind of escape, and its value.
  private func randomString(using generator: inout SeededGenerator) -> (String, String) {
    var encoded = "\""
    var value = ""
    let raw: [String] = [
      "a", "Z", "0", " ", "/", "é", "€", "😀", "\u{7F}", "\u{FFFD}", "\u{10FFFF}", "ß",
    ]
    let escapes: [(String, String)] = [
      (#"\""#, "\""), (#"\\"#, "\\"), (#"\/"#, "/"), (#"\b"#, "\u{8}"), (#"\f"#, "\u{C}"),
      (#"\n"#, "\n"), (#"\r"#, "\r"), (#"\t"#, "\t"), (#"\u0001"#, "\u{1}"), (#"\u00E9"#, "é"),
      (#"\u20ac"#, "€"), (#"\uD83D\uDE00"#, "😀"), (#"\uDBFF\uDFFF"#, "\u{10FFFF}"),
      (#"\u0000"#, "\u{0}"),
    ]
    for _ in 0..<Int.random(in: 0...10, using: &generator) {
      if Int.random(in: 0..<3, using: &generator) == 0 {
        let (escape, character) = escapes[Int.random(in: 0..<escapes.count, using: &generator)]
        encoded += escape
        value += character
      } else {
        let character = raw[Int.random(in: 0..<raw.count, using: &generator)]
        encoded += character
        value += character
      }
    }
    return (encoded + "\"", value)
  }
}

/// Random values with a text spelling, shared by the round-trip tests.
enum JSONParserFoundationTestsAccess {
  static func document(into text: inout String, using generator: inout SeededGenerator) -> JSONValue
  {
    value(depth: 0, into: &text, using: &generator)
  }

  private static func value(
    depth: Int, into text: inout String, using generator: inout SeededGenerator
  ) -> JSONValue {
    switch Int.random(in: 0..<(depth > 3 ? 4 : 6), using: &generator) {
    case 0:
      text += "null"
      return .null
    case 1:
      text += "true"
      return .bool(true)
    case 2:
      let number = randomNumberText(using: &generator)
      guard let value = Double(number), value.isFinite else {
        text += "1"
        return .number(1)
      }
      text += number
      return .number(value)
    case 3:
      let characters = ["a", "\\n", "é", "😀", "\\u0007", "\\\"", "\u{E000}", "\\ud83d\\ude00"]
      let values = ["a", "\n", "é", "😀", "\u{7}", "\"", "\u{E000}", "😀"]
      var value = ""
      text += "\""
      for _ in 0..<Int.random(in: 0...6, using: &generator) {
        let pick = Int.random(in: 0..<characters.count, using: &generator)
        text += characters[pick]
        value += values[pick]
      }
      text += "\""
      return .string(value)
    case 4:
      text += "["
      var values: [JSONValue] = []
      for index in 0..<Int.random(in: 0...4, using: &generator) {
        if index > 0 { text += ", " }
        values.append(value(depth: depth + 1, into: &text, using: &generator))
      }
      text += "]"
      return .array(values)
    default:
      text += "{"
      var members: [String: JSONValue] = [:]
      for index in 0..<Int.random(in: 0...4, using: &generator) {
        let name =
          ["k", "\u{E000}", "😀", "é"][index] + String(Int.random(in: 0...9, using: &generator))
        if index > 0 { text += ", " }
        text += "\"\(name)\": "
        members[name] = value(depth: depth + 1, into: &text, using: &generator)
      }
      text += "}"
      return .object(members)
    }
  }
}
