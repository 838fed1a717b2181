import Foundation
import TreatmentLedger

/// Events the trials write: neutral types and payloads (no clinical data, no patient streams).
enum TrialEvents {
  /// The recorder named in every trial event.
  static let recorder = Recorder(id: "reliability", name: "Reliability Harness", role: "tester")

  /// One event with a `sequence` number and `padding` bytes of filler in its payload.
  static func make(
    type: String = "TrialEventRecorded", sequence: Int, padding: Int = 0, id: UUID = UUID()
  ) -> ProposedEvent {
    var data: [String: JSONValue] = ["sequence": .number(Double(sequence))]
    if padding > 0 { data["filler"] = .string(String(repeating: "x", count: padding)) }
    return ProposedEvent(
      eventId: id, type: type, occurredAt: "2026-03-02T09:30:00+01:00", recordedBy: recorder,
      data: .object(data))
  }
}
