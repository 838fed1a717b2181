import Foundation

/// Why an event (or a protocol file) was rejected.
///
/// It names the event, the field path and the rule, and states the limit in words. By design it
/// never contains a patient's value: error messages and logs may carry ids, types and field names
/// only (docs/CLINICAL-RULES.md section 2).
///
/// ```swift
/// do { _ = try state.validate(event, ...) }
/// catch { print(error) }
/// // DoseAdministered 6f1c…: field 'doseMgPerKg' rejected by dose.iv.maxMgPerKg (at most 2 mg/kg for IV)
/// ```
public struct ClinicalValidationError: Error, Sendable, Hashable, CustomStringConvertible {
  /// The rejected event's id, when known (decoding happens before an id is attached).
  public var eventId: UUID?
  /// The event type, e.g. `"DoseAdministered"`; `"ClinicalProtocol"` for protocol files.
  public var eventType: String
  /// The field path inside `data`, e.g. `"weightKg"` or `"replacement.itemScores[8]"`; empty when
  /// the rule concerns the entry as a whole (e.g. no consent in force).
  public var field: String
  /// The stable dotted rule code, e.g. `"dose.iv.maxMgPerKg"` (see ``ClinicalRuleCatalogue``).
  public var rule: String
  /// The limit in words, e.g. `"at most 2 mg/kg for IV"`.
  public var limit: String

  /// Creates an error.
  public init(eventId: UUID? = nil, eventType: String, field: String, rule: String, limit: String) {
    self.eventId = eventId
    self.eventType = eventType
    self.field = field
    self.rule = rule
    self.limit = limit
  }

  /// A one-line description with the event, field, rule and limit, and no patient value.
  public var description: String {
    var text = eventType
    if let eventId {
      text += " " + eventId.lowercasedString
    }
    text += field.isEmpty ? ": entry" : ": field '\(field)'"
    text += " rejected by \(rule) (\(limit))"
    return text
  }
}
