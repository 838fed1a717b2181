import Foundation
import LedgerEventStore
import LedgerFoundation
import TreatmentRecords

/// Reads one JSON object of an inventory payload field by field, strictly: unknown keys, nulls
/// and wrong types are refused with the field's path and a `decode.*` rule, as the clinical
/// catalogue refuses them, and never with the value that was sent.
struct JSONFields {
  let members: [String: JSONValue]
  let path: String
  let eventType: String

  /// Opens `value` as an object whose members must all be among `known`.
  init(
    _ value: JSONValue, known: Set<String>, path: String = "", eventType: String
  ) throws(ClinicalValidationError) {
    self.path = path
    self.eventType = eventType
    guard case .object(let members) = value else {
      throw ClinicalValidationError(
        eventType: eventType, field: path, rule: "decode.field.wrongType",
        limit: path.isEmpty ? "data must be a JSON object" : "must be an object")
    }
    self.members = members
    if let unknown = members.keys.filter({ !known.contains($0) }).min() {
      throw ClinicalValidationError(
        eventType: eventType, field: Self.join(path, EchoedName.escaped(unknown)),
        rule: "decode.field.unknownKey", limit: "must be one of the type's fields")
    }
  }

  static func join(_ path: String, _ name: String) -> String {
    path.isEmpty ? name : name.hasPrefix("[") ? path + name : path + "." + name
  }

  func field(_ name: String) -> String { Self.join(path, name) }

  func fail(_ name: String, _ rule: String, _ limit: String) -> ClinicalValidationError {
    ClinicalValidationError(eventType: eventType, field: field(name), rule: rule, limit: limit)
  }

  /// The member `name`, nil when absent; an explicit null is refused.
  func value(_ name: String, required: Bool) throws(ClinicalValidationError) -> JSONValue? {
    guard let value = members[name] else {
      if required { throw fail(name, "decode.field.missing", "is required") }
      return nil
    }
    if case .null = value { throw fail(name, "decode.field.wrongType", "must not be null") }
    return value
  }

  func string(_ name: String) throws(ClinicalValidationError) -> String {
    guard let text = try optionalString(name) else {
      throw fail(name, "decode.field.missing", "is required")
    }
    return text
  }

  /// A string that must hold more than white space (`format.text.empty` otherwise).
  func text(_ name: String) throws(ClinicalValidationError) -> String {
    let text = try string(name)
    guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
      throw fail(name, "format.text.empty", "must not be empty")
    }
    return text
  }

  func optionalString(_ name: String) throws(ClinicalValidationError) -> String? {
    guard let value = try value(name, required: false) else { return nil }
    guard case .string(let text) = value else {
      throw fail(name, "decode.field.wrongType", "must be a string")
    }
    return text
  }

  func number(_ name: String) throws(ClinicalValidationError) -> Double {
    guard let number = try optionalNumber(name) else {
      throw fail(name, "decode.field.missing", "is required")
    }
    return number
  }

  func optionalNumber(_ name: String) throws(ClinicalValidationError) -> Double? {
    guard let value = try value(name, required: false) else { return nil }
    guard case .number(let number) = value else {
      throw fail(name, "decode.field.wrongType", "must be a number")
    }
    return number
  }

  func optionalInteger(_ name: String) throws(ClinicalValidationError) -> Int? {
    guard let number = try optionalNumber(name) else { return nil }
    guard number == number.rounded(), abs(number) <= 9_007_199_254_740_992 else {
      throw fail(name, "decode.field.wrongType", "must be an integer")
    }
    return Int(number)
  }

  func bool(_ name: String) throws(ClinicalValidationError) -> Bool {
    guard case .bool(let flag) = try value(name, required: true) else {
      throw fail(name, "decode.field.wrongType", "must be a boolean")
    }
    return flag
  }

  func array(_ name: String, required: Bool = true) throws(ClinicalValidationError) -> [JSONValue]?
  {
    guard let value = try value(name, required: required) else { return nil }
    guard case .array(let items) = value else {
      throw fail(name, "decode.field.wrongType", "must be an array")
    }
    return items
  }

  func object(_ name: String, known: Set<String>, required: Bool = true)
    throws(ClinicalValidationError) -> JSONFields?
  {
    guard let value = try value(name, required: required) else { return nil }
    return try JSONFields(value, known: known, path: field(name), eventType: eventType)
  }

  func code<E: RawRepresentable<String> & CaseIterable>(_ name: String, as type: E.Type)
    throws(ClinicalValidationError) -> E
  {
    let text = try string(name)
    guard let code = E(rawValue: text) else {
      throw fail(
        name, "decode.field.unknownEnumValue",
        "must be one of: " + E.allCases.map(\.rawValue).joined(separator: ", "))
    }
    return code
  }

  func uuid(_ name: String) throws(ClinicalValidationError) -> UUID {
    guard let id = try optionalUUID(name) else {
      throw fail(name, "decode.field.missing", "is required")
    }
    return id
  }

  func optionalUUID(_ name: String) throws(ClinicalValidationError) -> UUID? {
    guard let text = try optionalString(name) else { return nil }
    guard let id = UUID(uuidString: text) else {
      throw fail(name, "decode.field.invalidFormat", "must be a UUID string")
    }
    return id
  }

  func day(_ name: String) throws(ClinicalValidationError) -> CalendarDay {
    guard let day = CalendarDay(try string(name)) else {
      throw fail(name, "decode.field.invalidFormat", "must be a date YYYY-MM-DD")
    }
    return day
  }

  func time(_ name: String) throws(ClinicalValidationError) -> ClinicalTime {
    guard let time = try optionalTime(name) else {
      throw fail(name, "decode.field.missing", "is required")
    }
    return time
  }

  func optionalTime(_ name: String) throws(ClinicalValidationError) -> ClinicalTime? {
    guard let text = try optionalString(name) else { return nil }
    guard let time = ClinicalTime(text) else {
      throw fail(
        name, "decode.field.invalidFormat", "must be an RFC 3339 date-time with an explicit offset")
    }
    return time
  }

  func recorder(_ name: String, required: Bool) throws(ClinicalValidationError) -> Recorder? {
    guard let fields = try object(name, known: ["id", "name", "role"], required: required) else {
      return nil
    }
    return try fields.recorder()
  }

  func recorder() throws(ClinicalValidationError) -> Recorder {
    Recorder(id: try text("id"), name: try text("name"), role: try text("role"))
  }
}

extension Recorder {
  var json: JSONValue {
    .object(["id": .string(id), "name": .string(name), "role": .string(role)])
  }
}

/// A calendar date, `YYYY-MM-DD` (an expiry date, the day stock was received): compared and
/// stepped as days, with no time zone.
public struct CalendarDay: Sendable, Hashable, Comparable, CustomStringConvertible {
  /// The date as written, `YYYY-MM-DD`.
  public let text: String
  /// Days since 1970-01-01.
  public let ordinal: Int

  /// Parses `YYYY-MM-DD` (a real date of the proleptic Gregorian calendar); nil otherwise.
  public init?(_ text: String) {
    let bytes = Array(text.utf8)
    guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else {
      return nil
    }
    func digits(_ range: Range<Int>) -> Int? {
      var value = 0
      for byte in bytes[range] {
        guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
        value = value * 10 + Int(byte - UInt8(ascii: "0"))
      }
      return value
    }
    guard let year = digits(0..<4), let month = digits(5..<7), let day = digits(8..<10),
      (1...12).contains(month), day >= 1, day <= Self.daysIn(month: month, year: year)
    else { return nil }
    self.text = text
    self.ordinal = Self.ordinal(year: year, month: month, day: day)
  }

  /// The day `ordinal` days after 1970-01-01.
  public init(ordinal: Int) {
    let (year, month, day) = CivilCalendar.civil(fromDays: Int64(ordinal))
    self.ordinal = ordinal
    self.text =
      String(format: "%04d-%02d-%02d", year, month, day)
  }

  /// The local calendar day of a clinical time (the date its writer's offset gives).
  public init(of time: ClinicalTime) {
    self = CalendarDay(String(time.text.prefix(10))) ?? CalendarDay(ordinal: 0)
  }

  /// `count` days later (earlier when negative).
  public func adding(days count: Int) -> CalendarDay { CalendarDay(ordinal: ordinal + count) }

  /// 0 for Monday … 6 for Sunday.
  public var weekday: Int { ((ordinal % 7) + 7 + 3) % 7 }

  /// `YYYY-MM-DD`.
  public var description: String { text }

  /// Earlier days sort first.
  public static func < (lhs: CalendarDay, rhs: CalendarDay) -> Bool { lhs.ordinal < rhs.ordinal }

  static func daysIn(month: Int, year: Int) -> Int {
    switch month {
    case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
    case 4, 6, 9, 11: return 30
    default: return 31
    }
  }

  static func ordinal(year: Int, month: Int, day: Int) -> Int {
    Int(CivilCalendar.days(fromCivil: Int64(year), Int64(month), Int64(day)))
  }
}
