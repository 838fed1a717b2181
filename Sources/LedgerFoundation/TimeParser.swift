/// The parser behind ``RFC3339/parseMicros(_:)``: one pass over the UTF-8 bytes, each field
/// checked where it stands so that an error can name its byte offset.
struct TimeParser {
  /// Where the seconds start: `YYYY-MM-DDTHH:MM:` is 17 bytes.
  private static let secondOffset = 17

  private let bytes: UnsafeBufferPointer<UInt8>
  private var index = 0

  init(_ bytes: UnsafeBufferPointer<UInt8>) {
    self.bytes = bytes
  }

  /// The fields of a date-time as written, before the offset is applied.
  private struct Fields {
    var year: Int64 = 0
    var month: Int64 = 0
    var day: Int64 = 0
    var hour: Int64 = 0
    var minute: Int64 = 0
    var second: Int64 = 0
    var micros: Int64 = 0
    var offsetSeconds: Int64 = 0
  }

  /// Microseconds since the epoch of the whole text.
  mutating func parse() throws(LedgerParseError) -> Int64 {
    var fields = Fields()
    try readDate(into: &fields)
    try readTime(into: &fields)
    try readOffset(into: &fields)
    guard index == bytes.count else {
      throw failure("expected the end of the text after the offset")
    }
    return try instant(of: fields)
  }

  private mutating func readDate(into fields: inout Fields) throws(LedgerParseError) {
    fields.year = try number(4, "a four-digit year")
    try expect("-", "'-' after the year")
    let monthStart = index
    fields.month = try number(2, "a two-digit month")
    guard (1...12).contains(fields.month) else {
      throw failure("the month is not 01-12", at: monthStart)
    }
    try expect("-", "'-' after the month")
    let dayStart = index
    fields.day = try number(2, "a two-digit day")
    guard fields.day >= 1,
      fields.day <= CivilCalendar.daysInMonth(year: fields.year, month: fields.month)
    else { throw failure("the day is not in the month", at: dayStart) }
    try expect("Tt", "'T' between the date and the time")
  }

  private mutating func readTime(into fields: inout Fields) throws(LedgerParseError) {
    let hourStart = index
    fields.hour = try number(2, "a two-digit hour")
    guard fields.hour < 24 else { throw failure("the hour is not 00-23", at: hourStart) }
    try expect(":", "':' after the hour")
    let minuteStart = index
    fields.minute = try number(2, "a two-digit minute")
    guard fields.minute < 60 else { throw failure("the minute is not 00-59", at: minuteStart) }
    try expect(":", "':' after the minute")
    let secondStart = index
    fields.second = try number(2, "a two-digit second")
    guard fields.second <= 60 else { throw failure("the second is not 00-60", at: secondStart) }
    guard index < bytes.count, bytes[index] == UInt8(ascii: ".") else { return }
    index += 1
    var digits = 0
    while index < bytes.count, isDigit(bytes[index]) {
      if digits < 6 { fields.micros = fields.micros * 10 + Int64(bytes[index] &- 0x30) }
      digits += 1
      index += 1
    }
    guard digits > 0 else { throw failure("expected a digit after the decimal point") }
    for _ in digits..<max(digits, 6) { fields.micros *= 10 }
  }

  private mutating func readOffset(into fields: inout Fields) throws(LedgerParseError) {
    guard index < bytes.count else {
      throw failure("expected 'Z' or an offset (+hh:mm or -hh:mm)")
    }
    switch bytes[index] {
    case UInt8(ascii: "Z"), UInt8(ascii: "z"):
      index += 1
      fields.offsetSeconds = 0
    case UInt8(ascii: "+"), UInt8(ascii: "-"):
      let sign: Int64 = bytes[index] == UInt8(ascii: "-") ? -1 : 1
      let offsetStart = index
      index += 1
      let hours = try number(2, "a two-digit offset hour")
      try expect(":", "':' in the offset")
      let minutes = try number(2, "a two-digit offset minute")
      guard hours < 24, minutes < 60 else {
        throw failure("the offset is not within -23:59 to +23:59", at: offsetStart)
      }
      fields.offsetSeconds = sign * (hours * 3600 + minutes * 60)
    default:
      throw failure("expected 'Z' or an offset (+hh:mm or -hh:mm)")
    }
  }

  /// The instant of the fields, with the leap-second rule of ``RFC3339`` (documented there).
  private func instant(of fields: Fields) throws(LedgerParseError) -> Int64 {
    let days = CivilCalendar.days(fromCivil: fields.year, fields.month, fields.day)
    let secondOfDay = fields.hour * 3600 + fields.minute * 60 + min(fields.second, 59)
    let seconds = days * 86_400 + secondOfDay - fields.offsetSeconds
    if fields.second == 60 {
      let utc = CivilCalendar.split(micros: seconds * 1_000_000)
      guard utc.secondOfDay == 86_399,
        utc.day == CivilCalendar.daysInMonth(year: utc.year, month: utc.month)
      else {
        throw failure(
          "second 60 is a leap second, allowed only at 23:59:60 UTC on the last day of a month",
          at: Self.secondOffset)
      }
      return (seconds + 1) * 1_000_000 + fields.micros
    }
    return seconds * 1_000_000 + fields.micros
  }

  // MARK: Pieces

  private func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

  private mutating func number(
    _ width: Int, _ expected: String
  ) throws(LedgerParseError) -> Int64 {
    var value: Int64 = 0
    for offset in 0..<width {
      guard index + offset < bytes.count, isDigit(bytes[index + offset]) else {
        throw failure("expected \(expected)", at: index + offset)
      }
      value = value * 10 + Int64(bytes[index + offset] &- 0x30)
    }
    index += width
    return value
  }

  private mutating func expect(_ characters: String, _ expected: String) throws(LedgerParseError) {
    guard index < bytes.count, characters.utf8.contains(bytes[index]) else {
      throw failure("expected \(expected)")
    }
    index += 1
  }

  private func failure(_ reason: String) -> LedgerParseError {
    failure(reason, at: index)
  }

  private func failure(_ reason: String, at offset: Int) -> LedgerParseError {
    offset < bytes.count
      ? LedgerParseError(kind: .time, offset: offset, reason: reason)
      : LedgerParseError(kind: .time, offset: offset, reason: "\(reason), but the text ended")
  }
}
