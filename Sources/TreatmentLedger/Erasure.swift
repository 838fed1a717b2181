import Foundation
import LedgerEventStore

extension Ledger {
  /// The type of the event an erasure appends to the patient's stream.
  public static let erasureEventType = "PatientDataErased"

  /// Erases a patient's clinical data by destroying their data keys (crypto-shredding), and
  /// appends `PatientDataErased` {keyVersions, reason, retentionRule} to their stream in the same
  /// transaction: who erased (`by`), when (its recorded and clinical time), why; no patient data.
  ///
  /// Afterwards the patient's events keep their envelopes and hashes (`verify` and earlier audit
  /// exports still verify) and read with `data` null, marked erased; ``events(of:)`` throws
  /// ``LedgerError/Code/erased``, as do the timeline and summary, and nothing more is
  /// recorded for the patient. Rotate the key-encryption key afterwards (as `treatment-ledger
  /// erase` does) so that copies of the destroyed wrapped keys in LMDB's free pages and in later
  /// backups are wrapped by a key that no longer exists.
  ///
  /// The erasure gate runs first (``checkErasureAllowed(patient:policy:now:erasureEventId:)``):
  /// while `patient`'s retention under `policy` runs at `now`, or a legal hold covers them, the
  /// erasure is refused with ``LedgerError/Code/rejected`` naming the rule (and the day it ends,
  /// or the hold), and nothing is destroyed. The event records the rule the gate found
  /// (`retentionRule`).
  @discardableResult
  public func erase(
    patient patientId: String, by recorder: Recorder, reason: String,
    policy: RetentionPolicy = .defaults, now: ClinicalTime = ClinicalTime(Date())
  ) async throws(LedgerError) -> AppendResult {
    let eventId = UUID()
    let clearance = try checkErasureAllowed(
      patient: patientId, policy: policy, now: now, erasureEventId: eventId)
    let record = ProposedEvent(
      eventId: eventId, type: Self.erasureEventType,
      occurredAt: Timestamp.format(micros: Timestamp.nowMicros()), recordedBy: recorder,
      data: .object([
        "reason": .string(reason), "retentionRule": .string(clearance.retentionRule),
      ]))
    do {
      return try await store.erase(stream: Self.stream(forPatient: patientId), record: record)
    } catch {
      throw LedgerError(error)
    }
  }
}
