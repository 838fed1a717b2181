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
  /// ``LedgerError/Code/erased``, the timeline and summary are empty, and nothing more is
  /// recorded for the patient. Rotate the key-encryption key afterwards (as `treatment-ledger
  /// erase` does) so that copies of the destroyed wrapped keys in LMDB's free pages and in later
  /// backups are wrapped by a key that no longer exists.
  ///
  /// This call does not check retention periods or legal holds: `retentionRule` names the rule
  /// under which the caller found the erasure due. (The retention rules and holds check the
  /// erasure before this call, in the same place.)
  @discardableResult
  public func erase(
    patient patientId: String, by recorder: Recorder, reason: String,
    retentionRule: String = "unchecked"
  ) async throws(LedgerError) -> AppendResult {
    let now = Timestamp.format(micros: Timestamp.nowMicros())
    let record = ProposedEvent(
      type: Self.erasureEventType, occurredAt: now, recordedBy: recorder,
      data: .object(["reason": .string(reason), "retentionRule": .string(retentionRule)]))
    do {
      return try await store.erase(stream: Self.stream(forPatient: patientId), record: record)
    } catch {
      throw LedgerError(error)
    }
  }
}
