import Foundation

/// A clinical time: an RFC 3339 date-time with an explicit offset (`Z` or `±hh:mm`), kept as
/// written together with the instant it denotes, in microseconds since the epoch.
///
/// Strings without an offset are refused: a clinic's local time cannot be placed on the timeline
/// without one. Parsing follows ``RFC3339`` (which also states the rule for leap seconds). Two
/// values are equal when their text is equal; compare ``micros`` for instants.
///
/// ```swift
/// let time = ClinicalTime("2026-03-02T09:15:00+01:00")  // 08:15 UTC
/// time?.micros  // 1_772_439_300_000_000
/// ```
public struct ClinicalTime: Codable, Sendable, Hashable, CustomStringConvertible {
  /// The text exactly as written.
  public let text: String
  /// The instant the text denotes: microseconds since 1970-01-01T00:00:00Z.
  public let micros: Int64

  /// Parses an RFC 3339 date-time with an explicit offset; `nil` when `text` is not one.
  ///
  /// Accepted: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±hh:mm)`, with `t` and `z` allowed in lowercase
  /// as RFC 3339 permits; a second of 60 only as ``RFC3339`` allows it.
  public init?(_ text: String) {
    guard let micros = RFC3339.micros(text) else { return nil }
    self.text = text
    self.micros = micros
  }

  /// Parses an RFC 3339 date-time with an explicit offset.
  ///
  /// - Throws: ``LedgerParseError`` of kind `.time`, naming the byte offset and what was expected.
  public init(parsing text: String) throws(LedgerParseError) {
    self.micros = try RFC3339.parseMicros(text)
    self.text = text
  }

  /// The instant `micros` written at `offsetMinutes` from UTC (minutes east; `0` is written `Z`),
  /// with six fraction digits when it has a fraction of a second; nil when the local date is
  /// outside the years 0000–9999 or the offset is not within ±23:59.
  public init?(micros: Int64, offsetMinutes: Int = 0) {
    guard
      let text = RFC3339.format(
        micros: micros, offsetMinutes: offsetMinutes, fraction: .whenNotZero)
    else { return nil }
    self.text = text
    self.micros = micros
  }

  /// Formats an instant as RFC 3339 at the given offset from UTC (whole minutes, default `Z`,
  /// held to ±23:59), with microseconds when the instant has a fractional second. The instant is
  /// rounded to the nearest microsecond and held to what years 0000–9999 at that offset can write.
  public init(_ date: Date, offsetMinutes: Int = 0) {
    let offset = max(-(23 * 60 + 59), min(23 * 60 + 59, offsetMinutes))
    let shift = Int64(offset) * 60_000_000
    let seconds = date.timeIntervalSince1970
    // ±10^12 s is beyond years 0000–9999 at any offset, and its microseconds fit an Int64.
    let wanted = seconds.isFinite ? Int64((max(-1e12, min(1e12, seconds)) * 1e6).rounded()) : 0
    let earliest = Self.firstWritableMicros - shift
    let latest = Self.lastWritableMicros - shift
    let micros = min(max(wanted, earliest), latest)
    if let text = RFC3339.format(micros: micros, offsetMinutes: offset, fraction: .whenNotZero) {
      self.text = text
      self.micros = micros
    } else {
      // Not reached: `micros` is held to what the (held) offset can write.
      self.text = "1970-01-01T00:00:00Z"
      self.micros = 0
    }
  }

  /// The instant as a `Date` (a `Double` of seconds: for display and interop; compare ``micros``).
  public var date: Date {
    Date(timeIntervalSince1970: Double(micros) / 1_000_000)
  }

  /// The text as written.
  public var description: String { text }

  /// 0000-01-01T00:00:00 local time, in microseconds since the epoch at offset zero.
  private static let firstWritableMicros = CivilCalendar.days(fromCivil: 0, 1, 1) * 86_400_000_000
  /// 9999-12-31T23:59:59.999999 local time, in microseconds since the epoch at offset zero.
  private static let lastWritableMicros =
    CivilCalendar.days(fromCivil: 10_000, 1, 1) * 86_400_000_000 - 1

  /// Decodes from a JSON string. A value that is not a string is a `DecodingError.typeMismatch`
  /// (for `String`); a string that is not an RFC 3339 date-time with an offset is a
  /// `DecodingError.dataCorrupted` whose underlying error is the ``LedgerParseError``. Neither
  /// repeats the value.
  public init(from decoder: any Decoder) throws {
    let text: String
    do {
      text = try decoder.singleValueContainer().decode(String.self)
    } catch {
      throw DecodingError.typeMismatch(
        String.self,
        DecodingError.Context(codingPath: decoder.codingPath, debugDescription: "expected a string")
      )
    }
    do {
      self = try ClinicalTime(parsing: text)
    } catch {
      throw DecodingError.dataCorrupted(
        DecodingError.Context(
          codingPath: decoder.codingPath, debugDescription: error.description,
          underlyingError: error))
    }
  }

  /// Encodes the text as written.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(text)
  }
}
