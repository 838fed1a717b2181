import Foundation

/// A clinical time: an RFC 3339 date-time with an explicit offset (`Z` or `±hh:mm`), kept as
/// written together with the instant it denotes.
///
/// Strings without an offset are refused: a clinic's local time cannot be placed on the timeline
/// without one. Two values are equal when their text is equal; compare ``date`` for instants.
///
/// ```swift
/// let time = ClinicalTime("2026-03-02T09:15:00+01:00")  // 08:15 UTC
/// ```
public struct ClinicalTime: Codable, Sendable, Hashable, CustomStringConvertible {
  /// The text exactly as written.
  public let text: String
  /// The instant the text denotes.
  public let date: Date

  /// Parses an RFC 3339 date-time with an explicit offset; `nil` when `text` is not one.
  ///
  /// Accepted: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±hh:mm)`, with `t` and `z` allowed in lowercase
  /// as RFC 3339 permits. Leap seconds (`:60`) are refused because `Date` cannot hold them.
  public init?(_ text: String) {
    guard let date = RFC3339.parse(text) else { return nil }
    self.text = text
    self.date = date
  }

  /// Formats an instant as RFC 3339 at the given offset from UTC (whole minutes, default `Z`),
  /// with microseconds when the instant has a fractional second.
  public init(_ date: Date, offsetMinutes: Int = 0) {
    let text = RFC3339.format(date, offsetMinutes: offsetMinutes)
    self.text = text
    self.date = RFC3339.parse(text) ?? date
  }

  /// The text as written.
  public var description: String { text }

  /// Decodes from a JSON string, refusing strings that are not RFC 3339 with an offset.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    let text: String
    do {
      text = try container.decode(String.self)
    } catch {
      throw FieldIssue.wrongType(decoder.codingPath, expected: "a string")
    }
    guard let parsed = ClinicalTime(text) else {
      throw FieldIssue.invalidFormat(
        decoder.codingPath, expected: "an RFC 3339 date-time with an explicit offset")
    }
    self = parsed
  }

  /// Encodes the text as written.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(text)
  }
}

/// A strict RFC 3339 parser and formatter that needs no locale or calendar.
enum RFC3339 {
  static func parse(_ text: String) -> Date? {
    let bytes = Array(text.utf8)
    var index = 0

    func digits(_ count: Int) -> Int? {
      guard index + count <= bytes.count else { return nil }
      var value = 0
      for byte in bytes[index..<(index + count)] {
        guard byte >= 0x30, byte <= 0x39 else { return nil }
        value = value * 10 + Int(byte - 0x30)
      }
      index += count
      return value
    }
    func expect(_ characters: String) -> Bool {
      guard index < bytes.count, characters.utf8.contains(bytes[index]) else { return false }
      index += 1
      return true
    }

    guard let year = digits(4), expect("-"), let month = digits(2), expect("-"),
      let day = digits(2), expect("Tt"), let hour = digits(2), expect(":"),
      let minute = digits(2), expect(":"), let second = digits(2)
    else { return nil }
    var fraction = 0.0
    if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
      index += 1
      var scale = 0.1
      let start = index
      while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
        fraction += Double(bytes[index] - 0x30) * scale
        scale /= 10
        index += 1
      }
      guard index > start else { return nil }
    }
    var offsetSeconds = 0
    if expect("Zz") {
      offsetSeconds = 0
    } else {
      guard index < bytes.count else { return nil }
      let sign: Int
      switch bytes[index] {
      case UInt8(ascii: "+"): sign = 1
      case UInt8(ascii: "-"): sign = -1
      default: return nil
      }
      index += 1
      guard let offsetHours = digits(2), expect(":"), let offsetMinutes = digits(2),
        offsetHours <= 23, offsetMinutes <= 59
      else { return nil }
      offsetSeconds = sign * (offsetHours * 3600 + offsetMinutes * 60)
    }
    guard index == bytes.count else { return nil }
    guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
      hour <= 23, minute <= 59, second <= 59
    else { return nil }
    let days = daysFromCivil(year: year, month: month, day: day)
    let seconds = Double(days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds)
    return Date(timeIntervalSince1970: seconds + fraction)
  }

  static func format(_ date: Date, offsetMinutes: Int) -> String {
    let clampedOffset = max(-(23 * 60 + 59), min(23 * 60 + 59, offsetMinutes))
    let shifted = date.timeIntervalSince1970 + Double(clampedOffset * 60)
    var whole = shifted.rounded(.down)
    var micros = Int(((shifted - whole) * 1_000_000).rounded())
    if micros >= 1_000_000 {
      micros -= 1_000_000
      whole += 1
    }
    let total = Int(whole)
    let days = Int((Double(total) / 86_400).rounded(.down))
    let secondsOfDay = total - days * 86_400
    let (year, month, day) = civilFromDays(days)
    var text =
      pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + "T" + pad(secondsOfDay / 3600, 2)
      + ":" + pad(secondsOfDay / 60 % 60, 2) + ":" + pad(secondsOfDay % 60, 2)
    if micros > 0 {
      text += "." + pad(micros, 6)
    }
    if clampedOffset == 0 {
      text += "Z"
    } else {
      let magnitude = abs(clampedOffset)
      text +=
        (clampedOffset < 0 ? "-" : "+") + pad(magnitude / 60, 2) + ":" + pad(magnitude % 60, 2)
    }
    return text
  }

  /// The calendar year (UTC) of an instant.
  static func utcYear(_ date: Date) -> Int {
    let days = Int((date.timeIntervalSince1970 / 86_400).rounded(.down))
    return civilFromDays(days).year
  }

  private static func pad(_ value: Int, _ width: Int) -> String {
    let text = String(value)
    return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
  }

  private static func isLeap(_ year: Int) -> Bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
  }

  private static func daysIn(month: Int, year: Int) -> Int {
    switch month {
    case 2: return isLeap(year) ? 29 : 28
    case 4, 6, 9, 11: return 30
    default: return 31
    }
  }

  // Howard Hinnant's days-from-civil algorithm (proleptic Gregorian calendar).
  private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yearOfEra = y - era * 400
    let monthIndex = month > 2 ? month - 3 : month + 9
    let dayOfYear = (153 * monthIndex + 2) / 5 + day - 1
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    return era * 146_097 + dayOfEra - 719_468
  }

  private static func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let dayOfEra = z - era * 146_097
    let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let monthIndex = (5 * dayOfYear + 2) / 153
    let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
    let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
    let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    return (year, month, day)
  }
}
