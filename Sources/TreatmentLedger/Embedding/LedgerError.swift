import Foundation

/// Every error the ``Ledger`` API throws: a ``code`` to branch on, the rejected event's field,
/// rule and limit when a rule refused it (``refusal``), and the store's own error
/// (``underlying``) for logs. Descriptions name event ids, types, positions, fields and rules,
/// never a patient's value.
///
/// Match a rule by its code (the codes are listed in docs/CLINICAL-RULES.md and
/// `ClinicalRuleCatalogue`):
///
/// ```swift
/// do {
///   try await ledger.record(reading, patient: "7f3a", occurredAt: time, by: nurse)
/// } catch {
///   switch error {
///   case "vitals.spo2.range":
///     print("impossible SpO2; the limit is", error.refusal?.limit ?? "")
///   case "dose.consent.notInForce":
///     print("no consent on record")
///   default:
///     print(error.code, error)
///   }
/// }
/// ```
public struct LedgerError: Error, Sendable, Hashable, CustomStringConvertible {
  /// What kind of failure this is.
  public enum Code: String, Sendable, Hashable, CaseIterable {
    /// A clinical rule or hard limit refused an event (see ``LedgerError/refusal``). Nothing of
    /// the call was written.
    case rejected
    /// An event or argument is malformed (bad JSON, a bad time, an empty batch, a bad stream
    /// name). Nothing was written.
    case invalidInput
    /// The patient's record is at another version than the caller expected. Nothing was written.
    case wrongExpectedVersion
    /// An event id is already stored with different content. Nothing was written.
    case eventIdConflict
    /// There is no store at the configured path (and it may not be created).
    case storeNotFound
    /// The ledger was opened read-only.
    case readOnly
    /// The ledger has been closed.
    case closed
    /// The store needs an operator: damaged or foreign files, stale or failed projections, a
    /// maintenance run in progress, a missing rule set, a clock outside the supported range.
    case needsOperator
    /// The disk or LMDB failed (full disk, I/O error, map or reader limits).
    case storage
    /// The clinic's key-encryption key (the key file) is missing, wrong or unreachable. Nothing
    /// was changed.
    case keyUnavailable
    /// The patient's data was erased (their keys destroyed): nothing more is recorded for them.
    case erased
  }

  /// The rejected event and the rule that refused it.
  public struct Refusal: Sendable, Hashable {
    /// The event's 0-based index in the call's events.
    public var index: Int
    /// The event's id (nil when it could not be read).
    public var eventId: UUID?
    /// The event type, when known.
    public var type: String?
    /// The field at fault (a JSON path such as `data.spo2Percent`, or an envelope field).
    public var field: String
    /// The stable rule code, such as `vitals.spo2.range` (see docs/CLINICAL-RULES.md); for a
    /// malformed envelope field (``Code/invalidInput``), `envelope.<field>`, e.g.
    /// `envelope.occurredAt`.
    public var rule: String
    /// The limit in words, such as `50–100 %`; never the value that was sent.
    public var limit: String
  }

  /// What kind of failure this is.
  public let code: Code
  /// For ``Code/rejected`` and most ``Code/invalidInput`` errors: which event, field and rule.
  public let refusal: Refusal?
  /// The event store's error this one wraps.
  public let underlying: EventStoreError

  /// Wraps an event store error.
  public init(_ error: EventStoreError) {
    underlying = error
    switch error {
    case .rejected(let index, let eventId, let type, let field, let rule, let limit):
      code = .rejected
      refusal = Refusal(
        index: index, eventId: eventId, type: type, field: field, rule: rule, limit: limit)
    case .invalidEvent(let index, let eventId, let field, let reason):
      code = .invalidInput
      refusal = Refusal(
        index: index, eventId: eventId, type: nil, field: field, rule: "envelope.\(field)",
        limit: reason)
    case .invalidStreamName, .emptyBatch, .malformedJSON:
      code = .invalidInput
      refusal = nil
    case .wrongExpectedVersion:
      (code, refusal) = (.wrongExpectedVersion, nil)
    case .eventIdConflict:
      (code, refusal) = (.eventIdConflict, nil)
    case .storeNotFound:
      (code, refusal) = (.storeNotFound, nil)
    case .readOnly:
      (code, refusal) = (.readOnly, nil)
    case .closed:
      (code, refusal) = (.closed, nil)
    case .incompatibleStore, .corruptRecord, .projectionStale, .unknownProjection,
      .projectionFailed, .reviewerRequired, .maintenanceInProgress, .recordedAtOutOfRange:
      (code, refusal) = (.needsOperator, nil)
    case .storage:
      (code, refusal) = (.storage, nil)
    case .keyUnavailable:
      (code, refusal) = (.keyUnavailable, nil)
    case .streamErased:
      (code, refusal) = (.erased, nil)
    }
  }

  /// The rule that refused the event, if a rule did.
  public var rule: String? { refusal?.rule }

  /// The underlying error's description (ids, types, positions, fields and rules only).
  public var description: String { underlying.description }

  /// True when `error` is a refusal by the rule with code `rule`, as in `case "vitals.spo2.range":`.
  public static func ~= (rule: String, error: LedgerError) -> Bool {
    error.refusal?.rule == rule
  }
}
