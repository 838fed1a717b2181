// Compiled and run by the tests (DocumentationSnippetTests): keep in step with docs/RETENTION.md
// ("From Swift").
import Foundation
import TreatmentLedger

/// docs/RETENTION.md's snippet, on the store of ``controlledSubstancesSnippet(storePath:)``
/// (patient 7f3a, with a dose accounted at site main): the patient's retention, a legal hold, the
/// erasure gate's refusals, then the release.
func retentionSnippet(storePath: String) async throws {
  let ledger = try Ledger.open(Ledger.Configuration(path: storePath))
  defer { ledger.close() }
  let officer = Recorder(id: "staff-0012", name: "Robin Example", role: "complianceOfficer")
  let now = try ClinicalTime(validating: "2026-11-20T09:00:00-05:00")
  var policy = RetentionPolicy()
  policy.policyVersion = "clinic-2027"
  policy.controlledSubstanceYearsAfterEvent = 3

  if let status = try ledger.retentionStatus(patient: "7f3a", policy: policy, asOf: now) {
    for period in status.periods {
      print(period.rule, period.endsOn, period.description)
    }
    print("governs:", status.retentionRule, "until", status.governing.endsOn)
  }
  try await ledger.placeLegalHold(
    "matter-2026-014", scope: "7f3a", reason: "Records request of counsel", occurredAt: now,
    by: officer)
  let later = try ClinicalTime(validating: "2040-01-01T00:00:00Z")
  var refusal: LedgerError.Refusal?
  do {
    try ledger.checkErasureAllowed(patient: "7f3a", policy: policy, now: later)
  } catch {
    refusal = error.refusal  // erase.hold.inForce: "… held by matter-2026-014 until released"
  }
  try await ledger.releaseLegalHold(
    "matter-2026-014", reason: "Matter closed", occurredAt: now, by: officer)
  let clearance = try ledger.checkErasureAllowed(patient: "7f3a", policy: policy, now: later)
  print("erasure allowed under", clearance.retentionRule)
  // Not in the docs: the snippet's claims, checked.
  guard refusal?.rule == "erase.hold.inForce", refusal?.limit.contains("matter-2026-014") == true
  else { throw EmbeddingExamples.Failed(description: "the hold did not block erasure") }
}
