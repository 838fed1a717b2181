import Foundation
import LedgerEventStore

extension Ledger {
  /// The type of the event an erasure appends to the patient's stream.
  public static let erasureEventType = "PatientDataErased"

  /// How many times ``erase(patient:by:reason:policy:now:)`` decides again when the log changed
  /// under its decision before it gives up with ``LedgerError/Code/wrongExpectedVersion``.
  static let erasureAttempts = 3

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
  /// (`retentionRule`). The gate's answer and the destruction are atomic: if an event that could
  /// change the answer (the patient's own, a legal hold, a controlled-substance record) is
  /// appended while the gate reads, the destruction is refused in its transaction and the gate
  /// runs again (at most three times, then ``LedgerError/Code/wrongExpectedVersion``, naming the stream).
  @discardableResult
  public func erase(
    patient patientId: String, by recorder: Recorder, reason: String,
    policy: RetentionPolicy = .defaults, now: ClinicalTime = ClinicalTime(Date())
  ) async throws(LedgerError) -> AppendResult {
    let stream = Self.stream(forPatient: patientId)
    // The gate and the key destruction are one decision: the erasure's transaction refuses if
    // an event that could change the gate's answer (the patient's, a legal hold, a
    // controlled-substance record) was appended after the gate began to read; then the gate runs
    // again on the newer log.
    var attempt = 0
    while true {
      attempt += 1
      let eventId = UUID()
      let basis: ErasureBasis
      do {
        basis = ErasureBasis(
          position: try store.nextPosition(), streams: [stream, Self.legalHoldStream],
          streamPrefixes: [InventoryReviewer.siteStreamPrefix])
      } catch {
        throw LedgerError(error)
      }
      let clearance = try checkErasureAllowed(
        patient: patientId, policy: policy, now: now, erasureEventId: eventId)
      let record = ProposedEvent(
        eventId: eventId, type: Self.erasureEventType,
        occurredAt: Timestamp.format(micros: Timestamp.nowMicros()), recordedBy: recorder,
        data: .object([
          "reason": .string(reason), "retentionRule": .string(clearance.retentionRule),
        ]))
      do {
        return try await store.erase(stream: stream, record: record, basis: basis)
      } catch {
        if case .wrongExpectedVersion = error, attempt < Self.erasureAttempts { continue }
        throw LedgerError(error)
      }
    }
  }
}
