// Compiled and run by the tests (DocumentationSnippetTests): keep in step with AppendsAndConcurrency.md.
import TreatmentLedger

/// Records a dose only if nothing was added to the patient's record since `version` was read
/// (for example a side effect that would change the prescriber's decision).
func recordDose(
  _ dose: DoseAdministered, patientId: String, readAtVersion version: UInt64,
  occurredAt: ClinicalTime, by prescriber: Recorder, in ledger: Ledger
) async throws -> Bool {
  do {
    try await ledger.record(
      .doseAdministered(dose), patient: patientId, occurredAt: occurredAt, by: prescriber,
      expectedVersion: .exact(version))
    return true
  } catch {
    guard error.code == .wrongExpectedVersion else { throw error }
    // Someone else wrote first: show the prescriber the new entries, then ask again.
    print("the record changed since version \(version)")
    return false
  }
}
