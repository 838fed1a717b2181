import Foundation
import LedgerEventStore
import LedgerTestSupport

let nurse = Recorder(id: "u-17", name: "Nurse Example", role: "nurse")

func event(
  _ type: String = "VitalsRecorded", id: UUID = UUID(), data: [String: JSONValue] = ["heartRateBpm": .number(72)],
  occurredAt: String = "2026-11-02T10:15:00-05:00"
) -> ProposedEvent {
  ProposedEvent(eventId: id, type: type, occurredAt: occurredAt, recordedBy: nurse, data: .object(data))
}

/// Opens a store in a fresh directory; the caller closes it and removes the directory.
func openStore(_ label: String = "store") throws -> (EventStore, TemporaryDirectory) {
  let dir = TemporaryDirectory(label)
  var options = EventStore.Options()
  options.initialMapSize = 1 << 20
  return (try EventStore.open(at: dir.path, options: options), dir)
}
