/// The one RFC 3339 date-time parser and formatter of every layer: the store's `occurredAt` check
/// and `recordedAt` reading, the clinical validation (``ClinicalTime``), the audit filters and the
/// tools all use it, so that they never disagree about what a time is.
///
/// Accepted: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±hh:mm)` (RFC 3339 section 5.6), with `t` and `z`
/// also in lowercase as the RFC permits. A time without an offset is refused: a clinic's local
/// time cannot be placed on the timeline without one. The instant is kept in whole microseconds
/// since 1970-01-01T00:00:00Z (`Int64`, never `Double`); further fraction digits are truncated.
/// Years are 0000–9999 as written; the offset may move the instant outside them.
///
/// ## Leap seconds
///
/// This is the one place that decides them, for the store and the clinical rules alike. A second
/// of `60` is accepted only where a leap second can be (RFC 3339 section 5.7): in the last minute
/// of the last day of a month **in UTC**, after the offset is applied (`2016-12-31T23:59:60Z`,
/// `2016-12-31T18:59:60-05:00`). Anywhere else it is an impossible time and is refused. The
/// instant is that of the following second, as in POSIX time, which has no leap seconds:
/// `2016-12-31T23:59:60.5Z` denotes the same microsecond as `2017-01-01T00:00:00.5Z`. The text
/// is kept as written, so nothing the writer said is lost; only the instant (used for ordering
/// and comparisons) is shared with the next second. Whether a leap second was actually inserted
/// on that date is not checked: future ones are announced only months ahead.
public enum RFC3339 {
  /// Parses an RFC 3339 date-time with an explicit offset into microseconds since the epoch.
  ///
  /// ```swift
  /// try RFC3339.parseMicros("2026-11-23T14:22:44.123456-05:00")  // 1_795_461_764_123_456
  /// ```
  ///
  /// - Throws: ``LedgerParseError`` of kind `.time` naming the byte offset and what was
  ///   expected there.
  public static func parseMicros(_ text: String) throws(LedgerParseError) -> Int64 {
    var text = text
    let result = text.withUTF8 { bytes in
      var parser = TimeParser(bytes)
      return Result { () throws(LedgerParseError) -> Int64 in try parser.parse() }
    }
    return try result.get()
  }

  /// ``parseMicros(_:)``, or nil when `text` is not an RFC 3339 date-time with an offset.
  public static func micros(_ text: String) -> Int64? {
    try? parseMicros(text)
  }

  /// The RFC 3339 text of an instant at an offset from UTC, or nil when the local date at that
  /// offset is outside the years 0000–9999 or the offset is not within ±23:59.
  ///
  /// - Parameters:
  ///   - micros: microseconds since 1970-01-01T00:00:00Z.
  ///   - offsetMinutes: minutes east of UTC; `0` is written `Z`.
  ///   - fraction: how the fraction of a second is written.
  public static func format(
    micros: Int64, offsetMinutes: Int = 0, fraction: FractionDigits = .always
  ) -> String? {
    guard abs(offsetMinutes) <= 23 * 60 + 59 else { return nil }
    let local = micros.addingReportingOverflow(Int64(offsetMinutes) * 60_000_000)
    guard !local.overflow else { return nil }
    let parts = CivilCalendar.split(micros: local.partialValue)
    guard (0...9999).contains(parts.year) else { return nil }
    var text = CivilCalendar.dateTimeText(parts)
    if fraction == .always || parts.micros != 0 {
      text += "." + CivilCalendar.pad(parts.micros, 6)
    }
    if offsetMinutes == 0 {
      text += "Z"
    } else {
      let magnitude = Int64(abs(offsetMinutes))
      text +=
        (offsetMinutes < 0 ? "-" : "+") + CivilCalendar.pad(magnitude / 60, 2) + ":"
        + CivilCalendar.pad(magnitude % 60, 2)
    }
    return text
  }

  /// How ``format(micros:offsetMinutes:fraction:)`` writes the fraction of a second.
  public enum FractionDigits: Sendable, Hashable {
    /// Always six digits (`.000000`), as `recordedAt` is written.
    case always
    /// Six digits when the instant has a fraction of a second, none otherwise.
    case whenNotZero
  }

  /// The calendar year in UTC of an instant given in microseconds since the epoch.
  public static func utcYear(micros: Int64) -> Int64 {
    CivilCalendar.split(micros: micros).year
  }
}

/// Proleptic Gregorian calendar arithmetic on microseconds since the epoch (Howard Hinnant's
/// days-from-civil algorithms), shared by the parser and the formatters.
package enum CivilCalendar {
  /// The parts of an instant in UTC.
  package struct Parts: Sendable {
    package var year: Int64
    package var month: Int64
    package var day: Int64
    package var secondOfDay: Int64
    package var micros: Int64
  }

  /// Splits microseconds since the epoch into a UTC date, second of day and microsecond.
  package static func split(micros: Int64) -> Parts {
    let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
    let fraction = micros - seconds * 1_000_000
    let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
    let (year, month, day) = civil(fromDays: days)
    return Parts(
      year: year, month: month, day: day, secondOfDay: seconds - days * 86_400, micros: fraction)
  }

  /// `YYYY-MM-DDTHH:MM:SS` of the parts (no fraction, no offset).
  package static func dateTimeText(_ parts: Parts) -> String {
    let second = parts.secondOfDay
    return "\(pad(parts.year, 4))-\(pad(parts.month, 2))-\(pad(parts.day, 2))T"
      + "\(pad(second / 3600, 2)):\(pad(second / 60 % 60, 2)):\(pad(second % 60, 2))"
  }

  /// `value` in decimal, left-padded with zeros to `width` digits.
  package static func pad(_ value: Int64, _ width: Int) -> String {
    let text = String(value)
    return String(repeating: "0", count: max(0, width - text.count)) + text
  }

  /// The number of days in `month` (1–12) of `year`.
  package static func daysInMonth(year: Int64, month: Int64) -> Int64 {
    switch month {
    case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
    case 4, 6, 9, 11: return 30
    default: return 31
    }
  }

  /// Days since 1970-01-01 of a civil date.
  package static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yearOfEra = y - era * 400
    let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    return era * 146_097 + dayOfEra - 719_468
  }

  /// The civil date (year, month, day) of a number of days since 1970-01-01.
  package static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let dayOfEra = z - era * 146_097
    let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let mp = (5 * dayOfYear + 2) / 153
    let day = dayOfYear - (153 * mp + 2) / 5 + 1
    let month = mp < 10 ? mp + 3 : mp - 9
    return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
  }
}
