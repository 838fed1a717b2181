import Foundation

/// One clinical event to record: the typed event, whose record it belongs to, when it happened
/// and who entered it. ``Ledger/record(_:expectedVersions:)`` writes several of them, across patients, in one
/// atomic transaction.
///
/// ```swift
/// let entries = [
///   ClinicalEntry(.sessionStarted(start), patient: "7f3a", occurredAt: startTime, by: nurse),
///   ClinicalEntry(.doseAdministered(dose), patient: "7f3a", occurredAt: doseTime, by: prescriber),
/// ]
/// let results = try await ledger.record(entries)
/// ```
public struct ClinicalEntry: Sendable, Hashable {
  /// The typed event.
  public var event: ClinicalEvent
  /// The patient's pseudonymous id (the stream is `patient-<id>`).
  public var patientId: String
  /// When it happened, with the clinic's offset from UTC.
  public var occurredAt: ClinicalTime
  /// Who entered it.
  public var recordedBy: Recorder
  /// The event's id: keep it to retry safely (a re-sent event with the same id and content is
  /// not stored twice).
  public var eventId: UUID
  /// Groups events of one workflow (optional).
  public var correlationId: UUID?
  /// The event that caused this one (optional).
  public var causationId: UUID?

  /// An entry with a new event id.
  public init(
    _ event: ClinicalEvent, patient patientId: String, occurredAt: ClinicalTime,
    by recordedBy: Recorder, eventId: UUID = UUID(), correlationId: UUID? = nil,
    causationId: UUID? = nil
  ) {
    self.event = event
    self.patientId = patientId
    self.occurredAt = occurredAt
    self.recordedBy = recordedBy
    self.eventId = eventId
    self.correlationId = correlationId
    self.causationId = causationId
  }

  /// The store-level event.
  func proposed() throws(LedgerError) -> ProposedEvent {
    do {
      return try Ledger.proposed(
        event, occurredAt: occurredAt.text, recordedBy: recordedBy, eventId: eventId,
        correlationId: correlationId, causationId: causationId)
    } catch {
      throw LedgerError(error)
    }
  }
}

extension Ledger {
  /// Records one clinical event in the patient's record: validated by the clinical rules and
  /// durable on disk when it returns.
  ///
  /// `expectedVersion` is the version the patient's record must be at (`.noStream` for a new
  /// patient; default `.any`, no check). Keep `eventId` for retries: the same event sent again is
  /// not stored twice.
  /// - Throws: ``LedgerError`` — ``LedgerError/Code/rejected`` with the field, rule and limit
  ///   when a rule refuses the event; nothing is written then.
  @discardableResult
  public func record(
    _ event: ClinicalEvent, patient patientId: String, occurredAt: ClinicalTime,
    by recordedBy: Recorder, eventId: UUID = UUID(), expectedVersion: ExpectedVersion = .any,
    correlationId: UUID? = nil, causationId: UUID? = nil
  ) async throws(LedgerError) -> AppendResult {
    let entry = ClinicalEntry(
      event, patient: patientId, occurredAt: occurredAt, by: recordedBy, eventId: eventId,
      correlationId: correlationId, causationId: causationId)
    let results = try await record([entry], expectedVersions: [patientId: expectedVersion])
    guard let result = results.first else { throw LedgerError(.emptyBatch) }
    return result
  }

  /// Records several events, of one patient or of several, in one atomic and durable
  /// transaction: all of them or none. Each patient's events keep the order given; every event
  /// is judged by the clinical rules after the ones before it (so a dose may follow the consent
  /// recorded in the same call).
  ///
  /// `expectedVersions` gives, per patient id, the version its record must be at; patients not
  /// named are not checked.
  /// - Returns: one result per patient, in the order each patient first appears in `entries`.
  /// - Throws: ``LedgerError``; a refusal's ``LedgerError/Refusal/index`` is the event's index
  ///   in `entries`.
  @discardableResult
  public func record(
    _ entries: [ClinicalEntry], expectedVersions: [String: ExpectedVersion] = [:]
  ) async throws(LedgerError) -> [AppendResult] {
    var byStream: [String: ExpectedVersion] = [:]
    for (patientId, version) in expectedVersions {
      byStream[Self.stream(forPatient: patientId)] = version
    }
    return try await record(clinical: entries, inventory: [], expectedVersions: byStream)
  }

}

extension LedgerError {
  /// The same error with its refusal's index replaced.
  func atIndex(_ index: Int) -> LedgerError {
    switch underlying {
    case .rejected(_, let eventId, let type, let field, let rule, let limit):
      return LedgerError(
        .rejected(
          index: index, eventId: eventId, type: type, field: field, rule: rule, limit: limit))
    case .invalidEvent(_, let eventId, let field, let reason):
      return LedgerError(
        .invalidEvent(index: index, eventId: eventId, field: field, reason: reason))
    default:
      return self
    }
  }
}

extension ClinicalTime {
  /// Parses an RFC 3339 date-time with an explicit offset, as `init(parsing:)` does, but throwing
  /// the ledger's one error type, ``LedgerError`` (code
  /// ``LedgerError/Code/invalidInput``, field `occurredAt`) when `text` is not one; the error never
  /// repeats the text.
  ///
  /// ```swift
  /// let time = try ClinicalTime(validating: "2026-11-04T10:15:00-05:00")
  /// ```
  public init(validating text: String) throws(LedgerError) {
    guard let time = ClinicalTime(text) else {
      throw LedgerError(
        .invalidEvent(
          index: 0, eventId: nil, field: "occurredAt",
          reason: "must be an RFC 3339 date-time with an explicit offset"))
    }
    self = time
  }
}
