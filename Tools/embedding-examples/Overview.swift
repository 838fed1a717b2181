// Compiled and run by the tests (DocumentationSnippetTests): keep in step with TreatmentLedger.md.
import TreatmentLedger

func recordReading(in ledger: Ledger, nurse: Recorder) async throws {
  let vitals = VitalsRecorded(sessionId: "session-7f3a-a1", timepoint: .during, heartRateBpm: 72)
  try await ledger.record(
    .vitalsRecorded(vitals), patient: "7f3a",
    occurredAt: try ClinicalTime(validating: "2026-11-04T10:15:00-05:00"), by: nurse)
  let timeline = try ledger.timeline(of: "7f3a")
  print(timeline.entries.count, "entries")
}
