import LedgerFoundation
import LedgerTestSupport
import Testing

/// The one RFC 3339 parser: what it accepts, the instants it gives, its errors, and the
/// leap-second rule that the store and the clinical validation share.
@Suite struct RFC3339Tests {
  /// 9999-12-31T23:59:59.999999Z, the last instant a `recordedAt` can hold.
  static let lastRecordable: Int64 = 253_402_300_799_999_999

  @Test func parsesToMicrosecondsWithOffsetsApplied() throws {
    #expect(try RFC3339.parseMicros("1970-01-01T00:00:00Z") == 0)
    #expect(try RFC3339.parseMicros("2026-11-23T19:22:44.123456Z") == 1_795_461_764_123_456)
    #expect(try RFC3339.parseMicros("2026-11-23T14:22:44.123456-05:00") == 1_795_461_764_123_456)
    #expect(try RFC3339.parseMicros("2026-11-24T00:52:44.123456+05:30") == 1_795_461_764_123_456)
    #expect(try RFC3339.parseMicros("2026-11-23t19:22:44.123456z") == 1_795_461_764_123_456)
    #expect(try RFC3339.parseMicros("2026-11-23T19:22:44.123456-00:00") == 1_795_461_764_123_456)
    // Digits beyond the microsecond are truncated, never rounded into the next one.
    #expect(try RFC3339.parseMicros("2026-11-23T20:22:44.1234569+01:00") == 1_795_461_764_123_456)
    #expect(try RFC3339.parseMicros("2026-11-23T19:22:44.5Z") == 1_795_461_764_500_000)
    #expect(try RFC3339.parseMicros("1969-12-31T23:59:59.999999Z") == -1)
    #expect(RFC3339.micros("2024-02-29T00:00:00Z") != nil)
  }

  @Test(arguments: [
    "2026-11-23T19:22:44", "2026-11-23 19:22:44Z", "2026-13-01T00:00:00Z", "2025-02-29T00:00:00Z",
    "2026-11-23T24:00:00Z", "2026-11-23T19:22:44.Z", "2026-11-23T19:22:44+0500", "", "yesterday",
    "2026-11-23T19:22:44Z ", "2026-03-02", "2026-03-02T09:15:00+1:00", "2026-04-31T00:00:00Z",
    "2026-03-02T09:60:00Z", "2026-03-02T09:15:61Z", "2026-03-02T09:15:00+24:00",
    "2026-03-02T09:15:00+01:60", "2026-03-02T09:15:00.123", "+2026-03-02T09:15:00Z",
    "2026-00-02T09:15:00Z", "2026-03-00T09:15:00Z", "10000-01-01T00:00:00.000000Z",
  ])
  func refusesTextThatIsNotAnRFC3339TimeWithOffset(_ text: String) {
    #expect(RFC3339.micros(text) == nil)
    #expect(throws: LedgerParseError.self) { try RFC3339.parseMicros(text) }
  }

  // MARK: Leap seconds (the rule is documented on `RFC3339`)

  @Test(arguments: [
    ("2016-12-31T23:59:60Z", "2017-01-01T00:00:00Z"),
    ("2016-12-31T23:59:60.5Z", "2017-01-01T00:00:00.5Z"),
    ("2016-12-31T18:59:60-05:00", "2017-01-01T00:00:00Z"),
    ("2017-01-01T05:29:60+05:30", "2017-01-01T00:00:00Z"),
    ("2015-06-30T23:59:60Z", "2015-07-01T00:00:00Z"),
    ("2026-02-28T23:59:60Z", "2026-03-01T00:00:00Z"),
  ])
  func aLeapSecondIsTheInstantOfTheFollowingSecond(_ leap: String, _ following: String) throws {
    #expect(try RFC3339.parseMicros(leap) == RFC3339.parseMicros(following))
  }

  @Test(arguments: [
    "2026-03-02T09:15:60Z",  // not the last minute of a day
    "2016-12-30T23:59:60Z",  // not the last day of a month
    "2016-12-31T23:59:60+01:00",  // 22:59:60 in UTC
    "2016-12-31T23:58:60Z", "2024-02-28T23:59:60Z",  // 2024 is a leap year: February has 29 days
  ])
  func secondSixtyIsRefusedWhereNoLeapSecondCanBe(_ text: String) {
    #expect(
      throws: LedgerParseError(
        kind: .time, offset: 17,
        reason:
          "second 60 is a leap second, allowed only at 23:59:60 UTC on the last day of a month"
      )
    ) { try RFC3339.parseMicros(text) }
  }

  @Test func clinicalTimeFollowsTheSameLeapSecondRule() throws {
    let leap = try #require(ClinicalTime("2016-12-31T23:59:60Z"))
    #expect(leap.text == "2016-12-31T23:59:60Z")
    #expect(leap.micros == ClinicalTime("2017-01-01T00:00:00Z")?.micros)
    #expect(ClinicalTime("2026-03-02T09:15:60Z") == nil)
  }

  // MARK: Errors

  @Test(arguments: [
    ("2026-11-23T19:22:44", 19, "expected 'Z' or an offset (+hh:mm or -hh:mm), but the text ended"),
    ("2026-13-01T00:00:00Z", 5, "the month is not 01-12"),
    ("2025-02-29T00:00:00Z", 8, "the day is not in the month"),
    ("2026-11-23 19:22:44Z", 10, "expected 'T' between the date and the time"),
    ("2026-11-23T19:22:44.Z", 20, "expected a digit after the decimal point"),
    ("2026-11-23T19:22:44+0500", 22, "expected ':' in the offset"),
    ("2026-11-23T19:22:44+05:00x", 25, "expected the end of the text after the offset"),
    ("2026-11-2", 9, "expected a two-digit day, but the text ended"),
    ("2026-11-23T19:22:44+24:00", 19, "the offset is not within -23:59 to +23:59"),
  ])
  func errorsNameTheByteOffsetAndTheProblem(_ text: String, _ offset: Int, _ reason: String) {
    #expect(throws: LedgerParseError(kind: .time, offset: offset, reason: reason)) {
      try RFC3339.parseMicros(text)
    }
  }

  @Test func errorsNeverQuoteTheText() {
    let sentinel = "SENTINEL-8812"
    for text in ["2026-11-23T19:22:44Z\(sentinel)", "\(sentinel)", "2026-11-23T19:22:\(sentinel)"] {
      do {
        _ = try RFC3339.parseMicros(text)
        Issue.record("accepted text with a sentinel")
      } catch {
        #expect(!error.description.contains(sentinel))
        #expect(!error.inField("occurredAt").description.contains(sentinel))
        #expect(error.inField("occurredAt").description.hasPrefix("field 'occurredAt': not an"))
      }
    }
  }

  // MARK: Formatting, round trips and range limits

  @Test func formatsWithOffsetsAndFractionStyles() {
    #expect(RFC3339.format(micros: 0) == "1970-01-01T00:00:00.000000Z")
    #expect(RFC3339.format(micros: 0, fraction: .whenNotZero) == "1970-01-01T00:00:00Z")
    #expect(
      RFC3339.format(micros: 1_772_439_300_000_000, offsetMinutes: 60, fraction: .whenNotZero)
        == "2026-03-02T09:15:00+01:00")
    #expect(
      RFC3339.format(micros: 1_772_439_300_000_001, offsetMinutes: -330)
        == "2026-03-02T02:45:00.000001-05:30")
    #expect(RFC3339.format(micros: 0, offsetMinutes: 24 * 60) == nil)
  }

  @Test func recordedAtRangeLimits() throws {
    #expect(try RFC3339.parseMicros("1970-01-01T00:00:00.000000Z") == 0)
    #expect(try RFC3339.parseMicros("9999-12-31T23:59:59.999999Z") == Self.lastRecordable)
    #expect(RFC3339.format(micros: Self.lastRecordable) == "9999-12-31T23:59:59.999999Z")
    // One microsecond later needs a five-digit year: it cannot be written or read.
    #expect(RFC3339.format(micros: Self.lastRecordable + 1) == nil)
    // An offset may carry an instant written within 0000–9999 outside those years in UTC.
    #expect(
      try RFC3339.parseMicros("9999-12-31T23:59:59.999999-01:00") == Self.lastRecordable
        + 3_600_000_000)
    #expect(try RFC3339.parseMicros("0000-01-01T00:00:00Z") == -62_167_219_200_000_000)
    #expect(RFC3339.format(micros: -62_167_219_200_000_001) == nil)
  }

  @Test func formatThenParseGivesBackTheInstantOverTheRecordedAtRange() throws {
    var generator = SeededGenerator(seed: 0x3339)
    let edges: [Int64] = [0, 1, 999_999, 1_000_000, Self.lastRecordable, Self.lastRecordable - 1]
    let randoms = (0..<3_000).map { _ in
      Int64.random(in: 0...Self.lastRecordable, using: &generator)
    }
    for micros in edges + randoms {
      let text = try #require(RFC3339.format(micros: micros))
      #expect(try RFC3339.parseMicros(text) == micros)
      #expect(text.utf8.count == 27)
    }
  }

  @Test func formatThenParseGivesBackTheInstantAtEveryOffset() throws {
    var generator = SeededGenerator(seed: 0x0FF5E7)
    for _ in 0..<3_000 {
      let micros = Int64.random(
        in: -62_000_000_000_000_000...250_000_000_000_000_000, using: &generator)
      let offset = Int.random(in: -(23 * 60 + 59)...(23 * 60 + 59), using: &generator)
      let style: RFC3339.FractionDigits = Bool.random(using: &generator) ? .always : .whenNotZero
      let text = try #require(
        RFC3339.format(micros: micros, offsetMinutes: offset, fraction: style))
      #expect(try RFC3339.parseMicros(text) == micros)
      // The same instant in UTC parses to the same microsecond.
      let utc = try #require(RFC3339.format(micros: micros))
      #expect(try RFC3339.parseMicros(utc) == RFC3339.parseMicros(text))
    }
  }

  @Test func utcYearOfAnInstant() {
    #expect(RFC3339.utcYear(micros: 0) == 1970)
    #expect(RFC3339.utcYear(micros: -1) == 1969)
    #expect(RFC3339.utcYear(micros: Self.lastRecordable) == 9999)
    #expect(RFC3339.utcYear(micros: 1_795_461_764_123_456) == 2026)
  }
}
