import Foundation
import LedgerFoundation

extension PatientDecisionState {
  /// Checks one event against every hard limit and soft alert of docs/CLINICAL-RULES.md, given
  /// this state of the patient's stream.
  ///
  /// - Parameters:
  ///   - event: The decoded payload.
  ///   - eventId: The event's id (named in errors).
  ///   - occurredAt: The event's clinical time; consent, eligibility and the previous session
  ///     are judged as they stood at this time.
  ///   - now: The current time, for the birth year and age rules.
  ///   - clinicalProtocol: The clinic's thresholds; their version is recorded in every flag.
  ///   - otherStreamHasEvent: Whether another stream holds an event id (tells a correction or
  ///     void aimed at another patient's entry from one aimed at nothing).
  /// - Returns: The soft alerts to store with the event (empty when none).
  /// - Throws: ``ClinicalValidationError`` for the first hard limit broken. It names the event,
  ///   field and rule, never a value.
  ///
  /// Call it for a new event id: recognising a retried append of an id already stored is the
  /// store's idempotency check (``applying(_:eventId:occurredAt:)`` ignores a known id).
  public func validate(
    _ event: ClinicalEvent, eventId: UUID, occurredAt: ClinicalTime, now: Date,
    protocol clinicalProtocol: ClinicalProtocol, otherStreamHasEvent: (UUID) -> Bool
  ) throws(ClinicalValidationError) -> [ClinicalFlag] {
    var context = RuleContext(
      state: self, eventId: eventId, eventType: event.eventType, occurredAt: occurredAt.date,
      now: now, clinicalProtocol: clinicalProtocol)
    try context.check(event, otherStreamHasEvent: otherStreamHasEvent)
    return context.flags
  }
}
