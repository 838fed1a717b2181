/// Why text could not be read as strict JSON or as an RFC 3339 time: the one error of the
/// foundation's parsers.
///
/// It names where the problem is (the byte offset in the text, and the field the text came from
/// when the caller knows it) and what was expected there, never any of the content: the text may
/// hold patient data.
///
/// ```swift
/// do {
///   _ = try JSONValue.parse(Array(#"{"a": }"#.utf8))
/// } catch {
///   print(error)  // not valid JSON at byte 6: expected a value
/// }
/// ```
public struct LedgerParseError: Error, Sendable, Hashable, CustomStringConvertible {
  /// What was being parsed.
  public enum Kind: String, Sendable, Hashable {
    /// A JSON document (``JSONValue/parse(_:)``).
    case json
    /// An RFC 3339 date-time with an offset (``RFC3339/parseMicros(_:)``, ``ClinicalTime``).
    case time
  }

  /// What was being parsed.
  public var kind: Kind
  /// The offset, in UTF-8 bytes from the start of the text, where the problem was found.
  public var offset: Int
  /// What was expected at ``offset`` or what rule the text breaks; never quotes the text.
  public var reason: String
  /// The field the text came from (a member name or path such as `occurredAt`), when known.
  public var field: String?

  /// Makes an error; `reason` must not quote the text.
  public init(kind: Kind, offset: Int, reason: String, field: String? = nil) {
    self.kind = kind
    self.offset = offset
    self.reason = reason
    self.field = field
  }

  /// The same error, naming the field the text came from.
  public func inField(_ field: String) -> LedgerParseError {
    var copy = self
    copy.field = field
    return copy
  }

  /// For example `not valid JSON at byte 3: expected a value`, or
  /// `field 'occurredAt': not an RFC 3339 date-time with an offset at byte 19: expected ':'`.
  public var description: String {
    let what =
      switch kind {
      case .json: "not valid JSON"
      case .time: "not an RFC 3339 date-time with an offset"
      }
    let text = "\(what) at byte \(offset): \(reason)"
    return field.map { "field '\($0)': \(text)" } ?? text
  }
}
