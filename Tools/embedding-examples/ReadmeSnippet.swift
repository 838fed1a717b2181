// Compiled and run by the tests (DocumentationSnippetTests): keep in step with README.md ("Embedding, in short").
import Logging
import TreatmentLedger

/// README's "Embedding, in short", on a new store at `storePath`.
func readmeEmbedding(storePath: String, logger: Logger) async throws {
  let ledger = try Ledger.open(Ledger.Configuration(path: storePath, logger: logger))
  let nurse = Recorder(id: "u-17", name: "Nurse Example", role: "nurse")
  try await ledger.record(
    .patientRegistered(PatientRegistered(patientId: "7f3a", birthYear: 1984, sexAtBirth: .female)),
    patient: "7f3a", occurredAt: try ClinicalTime(validating: "2026-10-27T08:45:00-04:00"),
    by: nurse, expectedVersion: .noStream)
  for stored in try ledger.events(of: "7f3a") { print(stored.version, stored.event.eventType) }
  ledger.close()
}
