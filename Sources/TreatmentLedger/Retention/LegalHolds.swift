import Foundation

/// A legal hold as the clinic's `legal-holds` stream records it: placed, and perhaps released.
///
/// A hold in force blocks the erasure of every patient it covers (``Ledger/checkErasureAllowed(patient:policy:now:erasureEventId:)``).
public struct LegalHold: Sendable, Hashable {
  /// How a hold was placed or released: when, by whom, why, in which event.
  public struct Step: Sendable, Hashable {
    /// The clinical time the writer gave.
    public var occurredAt: ClinicalTime
    /// When the store recorded it (UTC).
    public var recordedAt: ClinicalTime
    /// Who recorded it.
    public var recordedBy: Recorder
    /// Why.
    public var reason: String
    /// The event's id.
    public var eventId: UUID
  }

  /// The hold's identifier.
  public var holdId: String
  /// `"all"` or one patient's id.
  public var scope: String
  /// The placing.
  public var placed: Step
  /// The release, nil while the hold is in force.
  public var released: Step?

  /// True while the hold has not been released.
  public var isInForce: Bool { released == nil }

  /// True when the hold's scope covers `patientId` (`"all"` or that id).
  public func covers(patient patientId: String) -> Bool {
    scope == LegalHoldPlaced.allPatients || scope == patientId
  }
}

extension Ledger {
  /// The clinic stream that holds every legal hold: `legal-holds`.
  public static let legalHoldStream = LegalHoldReviewer.stream

  /// Places a legal hold on one patient's records (`scope` the patient id) or on every patient's
  /// (`scope` `"all"`); durable when it returns.
  ///
  /// ```swift
  /// try await ledger.placeLegalHold(
  ///   "matter-2031-07", scope: "7f3a", reason: "Subpoena 2031-07", occurredAt: now, by: officer)
  /// ```
  /// - Throws: ``LedgerError`` — ``LedgerError/Code/rejected`` with a `hold.*` rule
  ///   (`hold.holdId.duplicate`, `hold.scope.format`, `hold.reason.empty`, `hold.holdId.format`)
  ///   when the rules refuse it; nothing is written then.
  @discardableResult
  public func placeLegalHold(
    _ holdId: String, scope: String, reason: String, occurredAt: ClinicalTime,
    by recordedBy: Recorder, eventId: UUID = UUID()
  ) async throws(LedgerError) -> AppendResult {
    try await appendHold(
      .placed(LegalHoldPlaced(holdId: holdId, scope: scope, reason: reason)),
      occurredAt: occurredAt, by: recordedBy, eventId: eventId)
  }

  /// Releases a legal hold placed earlier; durable when it returns.
  ///
  /// - Throws: ``LedgerError`` — ``LedgerError/Code/rejected`` with `hold.release.unknown`,
  ///   `hold.release.alreadyReleased` or `hold.reason.empty`; nothing is written then.
  @discardableResult
  public func releaseLegalHold(
    _ holdId: String, reason: String, occurredAt: ClinicalTime, by recordedBy: Recorder,
    eventId: UUID = UUID()
  ) async throws(LedgerError) -> AppendResult {
    try await appendHold(
      .released(LegalHoldReleased(holdId: holdId, reason: reason)),
      occurredAt: occurredAt, by: recordedBy, eventId: eventId)
  }

  private func appendHold(
    _ event: LegalHoldEvent, occurredAt: ClinicalTime, by recordedBy: Recorder, eventId: UUID
  ) async throws(LedgerError) -> AppendResult {
    let proposed = ProposedEvent(
      eventId: eventId, type: event.eventType, schemaVersion: event.schemaVersion,
      occurredAt: occurredAt.text, recordedBy: recordedBy, data: event.json)
    do {
      return try await store.append([proposed], to: Self.legalHoldStream, expectedVersion: .any)
    } catch {
      throw LedgerError(error)
    }
  }

  /// Every legal hold the clinic has placed, in the order placed, released ones included.
  /// Reads the `legal-holds` stream (one event per placing or release).
  ///
  /// - Throws: ``LedgerError`` (`.needsOperator` when a stored hold event does not decode).
  public func legalHolds() throws(LedgerError) -> [LegalHold] {
    let events: [RecordedEvent]
    do { events = try store.readStream(Self.legalHoldStream) } catch { throw LedgerError(error) }
    var holds: [LegalHold] = []
    var index: [String: Int] = [:]
    for recorded in events {
      let event: LegalHoldEvent
      do {
        event = try LegalHoldEvent.decode(
          type: recorded.type, schemaVersion: recorded.schemaVersion, value: recorded.data)
      } catch {
        throw LedgerError(
          .corruptRecord(
            position: recorded.globalPosition,
            reason: "its data does not decode as \(recorded.type) (rule \(error.rule))"))
      }
      let (occurredAt, recordedAt) = try Ledger.storedTimes(of: recorded)
      func step(_ reason: String) -> LegalHold.Step {
        LegalHold.Step(
          occurredAt: occurredAt, recordedAt: recordedAt, recordedBy: recorded.recordedBy,
          reason: reason, eventId: recorded.eventId)
      }
      switch event {
      case .placed(let data):
        index[data.holdId] = holds.count
        holds.append(LegalHold(holdId: data.holdId, scope: data.scope, placed: step(data.reason)))
      case .released(let data):
        if let position = index[data.holdId] { holds[position].released = step(data.reason) }
      }
    }
    return holds
  }

  /// The holds in force that cover `patientId`, in the order placed.
  public func legalHoldsInForce(patient patientId: String) throws(LedgerError) -> [LegalHold] {
    try legalHolds().filter { $0.isInForce && $0.covers(patient: patientId) }
  }
}
