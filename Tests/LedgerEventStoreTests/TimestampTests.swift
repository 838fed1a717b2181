import LedgerEventStore
import LedgerFoundation
import LedgerTestSupport
import Testing

/// `recordedAt` text is the store's own; parsing is the foundation's (LedgerFoundationTests).
@Suite struct TimestampTests {
  @Test func formatsRecordedTimesInUTCWithSixFractionDigits() {
    #expect(Timestamp.format(micros: 0) == "1970-01-01T00:00:00.000000Z")
    #expect(Timestamp.format(micros: 1_795_461_764_123_456) == "2026-11-23T19:22:44.123456Z")
    #expect(Timestamp.format(micros: -1) == "1969-12-31T23:59:59.999999Z")
    #expect(Timestamp.format(micros: 253_402_300_800_000_000) == "10000-01-01T00:00:00.000000Z")
    for micros: Int64 in [0, 1, 951_782_400_000_000, 4_102_444_800_999_999, -86_400_000_001] {
      #expect(Timestamp.parseMicros(Timestamp.format(micros: micros)) == micros)
    }
  }

  @Test func formatIsTheFoundationsSixDigitUTCForm() {
    var generator = SeededGenerator(seed: 0x7153)
    for _ in 0..<2_000 {
      let micros = Int64.random(in: Timestamp.recordedAtRange, using: &generator)
      #expect(Timestamp.format(micros: micros) == RFC3339.format(micros: micros))
    }
  }

  @Test(arguments: [
    "2026-11-23T19:22:44", "2016-12-31T23:59:60Z", "2016-12-31T23:59:60.5Z",
    "2016-12-31T18:59:60-05:00", "2026-11-23T19:22:60Z", "2016-12-31T23:59:60+01:00",
  ])
  func parsingIsTheFoundationsRuleLeapSecondsIncluded(_ text: String) {
    #expect(Timestamp.parseMicros(text) == RFC3339.micros(text))
  }
}
