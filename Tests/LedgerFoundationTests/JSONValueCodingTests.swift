import Foundation
import LedgerFoundation
import LedgerTestSupport
import Testing

/// `JSONValue`'s `Codable` form (the one `ClinicalJSONValue` had): numbers stay numbers, integral
/// ones print as integers, and a Codable round trip gives the same canonical bytes as the strict
/// parser, so an `EntryCorrected.replacement` stores what it stored before.
@Suite struct JSONValueCodingTests {
  private let document = #"""
    {"zero":0,"one":1,"minusZero":-0,"int":78,"fraction":36.7,"big":1e21,"tiny":5e-324,
     "yes":true,"no":false,"none":null,"text":"é \"q\" 😀","list":[0,1,2.5,[],{}],
     "nested":{"heartRateBpm":78,"spo2Percent":98,"temperatureCelsius":36.7}}
    """#

  @Test func decodingAgreesWithTheStrictParser() throws {
    let parsed = try JSONValue.parse(Array(document.utf8))
    let decoded = try JSONDecoder().decode(JSONValue.self, from: Data(document.utf8))
    #expect(decoded == parsed)
    // 0 and 1 are numbers, never booleans.
    #expect(decoded["zero"] == .number(0))
    #expect(decoded["one"] == .number(1))
    #expect(decoded["yes"] == .bool(true))
  }

  @Test func encodingThenParsingGivesTheSameCanonicalBytes() throws {
    let parsed = try JSONValue.parse(Array(document.utf8))
    let encoded = try JSONEncoder().encode(parsed)
    let reparsed = try JSONValue.parse(encoded)
    #expect(reparsed == parsed)
    #expect(reparsed.canonicalBytes == parsed.canonicalBytes)
    #expect(
      String(decoding: parsed["nested"]?.canonicalBytes ?? [], as: UTF8.self)
        == #"{"heartRateBpm":78,"spo2Percent":98,"temperatureCelsius":36.7}"#)
  }

  @Test func randomValuesSurviveACodableRoundTrip() throws {
    var generator = SeededGenerator(seed: 0xC0DA)
    for _ in 0..<300 {
      var text = ""
      let value = JSONParserFoundationTestsAccess.document(into: &text, using: &generator)
      let again = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(value))
      #expect(again.canonicalBytes == value.canonicalBytes)
    }
  }
}
