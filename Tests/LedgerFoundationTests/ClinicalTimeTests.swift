import Foundation
import LedgerFoundation
import LedgerTestSupport
import Testing

@Suite("Clinical time")
struct ClinicalTimeTests {
  @Test(
    "RFC 3339 with an explicit offset is accepted",
    arguments: [
      "2026-03-02T09:15:00+01:00", "2026-03-02T08:15:00Z", "2026-03-02t08:15:00z",
      "2026-03-02T08:15:00.123456Z", "2024-02-29T23:59:59-05:30", "2026-03-02T08:15:00-00:00",
      "2016-12-31T23:59:60Z",
    ])
  func accepted(_ text: String) throws {
    let time = try #require(ClinicalTime(text))
    #expect(time.text == text)
    #expect(try ClinicalTime(parsing: text) == time)
    #expect(time.micros == RFC3339.micros(text))
  }

  @Test(
    "Strings without an offset, or not RFC 3339, are refused",
    arguments: [
      "2026-03-02T09:15:00", "2026-03-02 09:15:00Z", "2026-03-02", "2026-02-29T09:15:00Z",
      "2026-13-02T09:15:00Z", "2026-03-02T24:00:00Z", "2026-03-02T09:15:60Z",
      "2026-03-02T09:15:00+1:00", "2026-03-02T09:15:00.Z", "2026-03-02T09:15:00+01:00 ", "",
    ])
  func refused(_ text: String) {
    #expect(ClinicalTime(text) == nil)
    #expect(throws: LedgerParseError.self) { try ClinicalTime(parsing: text) }
  }

  @Test("Offsets denote the same instant; equality is of the text")
  func offsets() throws {
    let local = try #require(ClinicalTime("2026-03-02T09:15:00+01:00"))
    let utc = try #require(ClinicalTime("2026-03-02T08:15:00Z"))
    #expect(local.micros == utc.micros)
    #expect(local.micros == 1_772_439_300_000_000)
    #expect(local.date == utc.date)
    #expect(local != utc)
  }

  @Test("Microseconds are kept exactly, where a Double of seconds would not be")
  func microsecondPrecision() throws {
    let time = try #require(ClinicalTime("2026-03-02T08:15:00.000001Z"))
    #expect(time.micros == 1_772_439_300_000_001)
    let next = try #require(ClinicalTime("2026-03-02T08:15:00.000002Z"))
    #expect(next.micros - time.micros == 1)
  }

  @Test("Formatting an instant gives text that parses back to the same instant")
  func formattingMicros() throws {
    var generator = SeededGenerator(seed: 42)
    for _ in 0..<2_000 {
      let micros = Int64.random(in: 0...4_102_444_800_000_000, using: &generator)
      let offset = [0, 60, -300, 330, -(23 * 60 + 59)][Int.random(in: 0..<5, using: &generator)]
      let time = try #require(ClinicalTime(micros: micros, offsetMinutes: offset))
      #expect(time.micros == micros)
      #expect(ClinicalTime(time.text) == time)
    }
    #expect(ClinicalTime(micros: 0)?.text == "1970-01-01T00:00:00Z")
    #expect(
      ClinicalTime(micros: 500_000, offsetMinutes: -60)?.text == "1969-12-31T23:00:00.500000-01:00")
    #expect(ClinicalTime(micros: 253_402_300_800_000_000) == nil)
    #expect(ClinicalTime(micros: 0, offsetMinutes: 24 * 60) == nil)
  }

  @Test("Formatting a Date rounds to the microsecond and keeps within years 0000-9999")
  func formattingDates() {
    #expect(ClinicalTime(Date(timeIntervalSince1970: 0)).text == "1970-01-01T00:00:00Z")
    #expect(
      ClinicalTime(Date(timeIntervalSince1970: 1_772_439_300), offsetMinutes: 60).text
        == "2026-03-02T09:15:00+01:00")
    #expect(ClinicalTime(Date(timeIntervalSince1970: 0.000_000_6)).micros == 1)
    #expect(ClinicalTime(Date(timeIntervalSince1970: 1e15)).text == "9999-12-31T23:59:59.999999Z")
    #expect(ClinicalTime(Date(timeIntervalSince1970: .nan)).micros == 0)
    let late = ClinicalTime(Date(timeIntervalSince1970: 1e15), offsetMinutes: -120)
    #expect(late.text == "9999-12-31T23:59:59.999999-02:00")
    #expect(ClinicalTime(late.text) == late)
  }

  @Test("Decoding refuses non-strings and bad text without repeating the value")
  func decoding() throws {
    struct Holder: Decodable { var at: ClinicalTime }
    let decoded = try JSONDecoder().decode(
      Holder.self, from: Data(#"{"at":"2026-03-02T09:15:00+01:00"}"#.utf8))
    #expect(decoded.at.text == "2026-03-02T09:15:00+01:00")
    #expect(
      String(decoding: try JSONEncoder().encode(decoded.at), as: UTF8.self)
        == #""2026-03-02T09:15:00+01:00""#)

    #expect {
      try JSONDecoder().decode(Holder.self, from: Data(#"{"at":17}"#.utf8))
    } throws: { error in
      guard case DecodingError.typeMismatch(let type, let context) = error else { return false }
      return type == String.self && context.codingPath.map(\.stringValue) == ["at"]
    }
    let sentinel = "2026-03-02T09:15:00SENTINEL"
    #expect {
      try JSONDecoder().decode(Holder.self, from: Data(#"{"at":"\#(sentinel)"}"#.utf8))
    } throws: { error in
      guard case DecodingError.dataCorrupted(let context) = error,
        let underlying = context.underlyingError as? LedgerParseError
      else { return false }
      return underlying.kind == .time && underlying.offset == 19
        && !context.debugDescription.contains("SENTINEL")
        && context.codingPath.map(\.stringValue) == ["at"]
    }
  }
}
