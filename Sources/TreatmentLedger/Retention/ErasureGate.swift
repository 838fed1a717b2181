import Foundation

/// What the erasure gate allowed: the status it judged and the rule an erasure records.
public struct ErasureClearance: Sendable, Hashable {
  /// The patient's retention status at the time of the check.
  public var status: RetentionStatus
  /// The `retentionRule` a `PatientDataErased` event records: the governing rule in words, with
  /// the policy's version and no date or patient data.
  public var retentionRule: String { status.retentionRule }
}

/// The rule codes of the erasure gate (``Ledger/checkErasureAllowed(patient:policy:now:erasureEventId:)``).
public enum ErasureGateRule: String, Sendable, Hashable, CaseIterable {
  /// The patient has no events.
  case unknownPatient = "erase.patient.unknown"
  /// The patient's data is already erased.
  case alreadyErased = "erase.patient.alreadyErased"
  /// The governing retention rule has not ended.
  case retentionRunning = "erase.retention.running"
  /// A legal hold in force covers the patient.
  case holdInForce = "erase.hold.inForce"
}

extension Ledger {
  /// Checks that `patient`'s data may be erased at `now` under `policy`: call it before
  /// destroying any key. Refuses, with ``LedgerError/Code/rejected`` and a ``LedgerError/refusal``
  /// whose `rule` is an ``ErasureGateRule`` code and whose `limit` says why:
  ///
  /// - `erase.retention.running` while the governing rule runs, naming the rule and the last day
  ///   of retention (e.g. `retention runs until 2036-11-04 under adult: 10 years after the last
  ///   event (policy default-1)`);
  /// - `erase.hold.inForce` while a legal hold covers the patient, naming the hold ids;
  /// - `erase.patient.unknown`, `erase.patient.alreadyErased`.
  ///
  /// Holds are checked first: a hold blocks erasure whatever the retention. The refusal's
  /// `eventId` is `erasureEventId`: the id of the erasure event the caller means to append.
  ///
  /// ```swift
  /// let clearance = try ledger.checkErasureAllowed(patient: "7f3a", policy: policy, now: now)
  /// print(clearance.retentionRule)  // recorded by the erasure event
  /// ```
  ///
  /// Cost: one read of the whole log (``retentionStatus(patient:policy:asOf:)``).
  @discardableResult
  public func checkErasureAllowed(
    patient patientId: String, policy: RetentionPolicy = .defaults,
    now: ClinicalTime = ClinicalTime(Date()), erasureEventId: UUID = UUID()
  ) throws(LedgerError) -> ErasureClearance {
    func refusal(_ rule: ErasureGateRule, _ limit: String) -> LedgerError {
      LedgerError(
        .rejected(
          index: 0, eventId: erasureEventId, type: Self.erasureEventType, field: "patientId",
          rule: rule.rawValue, limit: limit))
    }
    guard let status = try retentionStatus(patient: patientId, policy: policy, asOf: now) else {
      throw refusal(.unknownPatient, "a patient with recorded events")
    }
    if status.erased {
      throw refusal(.alreadyErased, "a patient whose data is not yet erased")
    }
    if !status.holds.isEmpty {
      let ids = status.holds.map(\.holdId).joined(separator: ", ")
      throw refusal(
        .holdInForce, "no legal hold in force; held by \(ids) until released")
    }
    if !status.retentionEnded {
      throw refusal(
        .retentionRunning,
        "retention runs until \(status.governing.endsOn) under \(status.retentionRule)")
    }
    return ErasureClearance(status: status)
  }
}
