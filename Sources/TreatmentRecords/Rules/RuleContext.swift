import Foundation

/// Everything one validation needs, and the flags it has raised so far.
struct RuleContext {
  let state: PatientDecisionState
  let eventId: UUID
  let eventType: String
  /// The clinical time the rules judge against (for a correction: the corrected entry's).
  let occurredAt: Date
  let now: Date
  let clinicalProtocol: ClinicalProtocol
  /// `""`, or `"replacement"` while judging a correction's replacement.
  let fieldPrefix: String
  private(set) var flags: [ClinicalFlag] = []

  init(
    state: PatientDecisionState, eventId: UUID, eventType: String, occurredAt: Date, now: Date,
    clinicalProtocol: ClinicalProtocol, fieldPrefix: String = ""
  ) {
    self.state = state
    self.eventId = eventId
    self.eventType = eventType
    self.occurredAt = occurredAt
    self.now = now
    self.clinicalProtocol = clinicalProtocol
    self.fieldPrefix = fieldPrefix
  }

  var thresholds: ClinicalThresholds { clinicalProtocol.thresholds }

  func error(
    _ rule: HardLimit, field: String? = nil, limit: String? = nil
  ) -> ClinicalValidationError {
    ClinicalValidationError(
      eventId: eventId, eventType: eventType,
      field: FieldPath.join(fieldPrefix, field ?? rule.field), rule: rule.rawValue,
      limit: limit ?? rule.limit)
  }

  /// Rejects with `rule` unless `condition` holds.
  func require(
    _ condition: Bool, _ rule: HardLimit, field: String? = nil, limit: String? = nil
  ) throws(ClinicalValidationError) {
    if !condition {
      throw error(rule, field: field, limit: limit)
    }
  }

  /// Raises a flag (with the field under the current prefix).
  mutating func flag(_ code: FlagCode, when condition: Bool = true) {
    guard condition else { return }
    flags.append(
      ClinicalFlag(
        code: code.rawValue, field: FieldPath.join(fieldPrefix, code.field),
        rule: code.rule(thresholds), protocolVersion: clinicalProtocol.protocolVersion))
  }

  /// Adds flags raised by a nested context (already prefixed).
  mutating func adopt(_ other: RuleContext) {
    flags += other.flags
  }

  // MARK: Shared checks

  func requireId(_ value: String, field: String) throws(ClinicalValidationError) {
    try require(IdentifierFormat.isValid(value), .idFormat, field: field)
  }

  func requireText(
    _ value: String, field: String, rule: HardLimit = .textEmpty
  ) throws(ClinicalValidationError) {
    try require(!value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, rule, field: field)
  }

  func requireRange(
    _ value: Double?, _ range: ClosedRange<Double>, _ rule: HardLimit, field: String
  ) throws(ClinicalValidationError) {
    guard let value else { return }
    try require(range.contains(value), rule, field: field)
  }

  func requirePositive(
    _ value: Double?, _ rule: HardLimit, field: String
  ) throws(ClinicalValidationError) {
    guard let value else { return }
    try require(value.isFinite && value > 0, rule, field: field)
  }

  func requireStartedSession(
    _ sessionId: String, _ rule: HardLimit, field: String = "sessionId"
  ) throws(ClinicalValidationError) -> SessionFacts {
    try requireId(sessionId, field: field)
    guard let session = state.session(sessionId) else { throw error(rule, field: field) }
    return session
  }
}
