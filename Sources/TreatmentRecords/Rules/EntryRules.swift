import Foundation

extension RuleContext {
  /// Every rule for one event, corrections and voids included.
  mutating func check(
    _ event: ClinicalEvent, otherStreamHasEvent: (UUID) -> Bool
  ) throws(ClinicalValidationError) {
    switch event {
    case .entryCorrected(let data):
      try checkCorrection(data, otherStreamHasEvent: otherStreamHasEvent)
    case .entryVoided(let data):
      try checkVoid(data, otherStreamHasEvent: otherStreamHasEvent)
    default:
      try checkPayload(event)
    }
  }

  /// The rules of an original entry (also applied to a correction's replacement).
  mutating func checkPayload(_ event: ClinicalEvent) throws(ClinicalValidationError) {
    switch event {
    case .patientRegistered: break
    default: try require(state.isPatientRegistered, .notRegistered)
    }
    switch event {
    case .patientRegistered(let data): try check(data)
    case .consultationRecorded(let data): try check(data)
    case .consentRecorded(let data): try check(data)
    case .coursePlanned(let data): try check(data)
    case .sessionStarted(let data): try check(data)
    case .doseAdministered(let data): try check(data)
    case .infusionAdjusted(let data): try check(data)
    case .vitalsRecorded(let data): try check(data)
    case .sideEffectObserved(let data): try check(data)
    case .assessmentRecorded(let data): try check(data)
    case .patientDischarged(let data): try check(data)
    case .followUpScheduled(let data): try check(data)
    case .followUpCompleted(let data): try check(data)
    case .courseCompleted(let data): try check(data)
    case .entryCorrected, .entryVoided:
      // A replacement is never a correction or a void: its target cannot be one.
      throw error(.correctionTargetIsCorrection, field: "")
    }
  }

  private mutating func checkCorrection(
    _ data: EntryCorrected, otherStreamHasEvent: (UUID) -> Bool
  ) throws(ClinicalValidationError) {
    try requireText(data.reason, field: "reason", rule: .correctionReasonEmpty)
    guard let position = state.positions[data.correctedEventId] else {
      throw error(
        otherStreamHasEvent(data.correctedEventId)
          ? .correctionTargetOtherStream : .correctionTargetUnknown)
    }
    let target = state.entries[position]
    try require(!target.isCorrectionOrVoid, .correctionTargetIsCorrection)
    try require(target.voidIds.isEmpty, .correctionTargetVoided)
    let replacement: ClinicalEvent
    do {
      replacement = try ClinicalEvent.decodeReplacement(data.replacement, type: target.eventType)
    } catch {
      var withId = error
      withId.eventId = eventId
      throw withId
    }
    // Judge the replacement as if it stood in the target's place: against the state without
    // the target, at the target's clinical time.
    var inner = RuleContext(
      state: state.excluding(target.eventId), eventId: eventId, eventType: eventType,
      occurredAt: target.occurredAt, now: now, clinicalProtocol: clinicalProtocol,
      fieldPrefix: "replacement")
    try inner.checkPayload(replacement)
    adopt(inner)
  }

  private mutating func checkVoid(
    _ data: EntryVoided, otherStreamHasEvent: (UUID) -> Bool
  ) throws(ClinicalValidationError) {
    try requireText(data.reason, field: "reason", rule: .voidReasonEmpty)
    guard let position = state.positions[data.voidedEventId] else {
      throw error(
        otherStreamHasEvent(data.voidedEventId) ? .voidTargetOtherStream : .voidTargetUnknown)
    }
    let target = state.entries[position]
    try require(target.eventType != EntryVoided.eventType, .voidTargetIsVoid)
    try require(target.voidIds.isEmpty, .voidTargetAlreadyVoided)
  }
}
