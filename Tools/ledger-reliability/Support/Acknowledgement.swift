import Foundation
import TreatmentLedger

/// An event an append returned for: where the store said it put it.
struct Acknowledgement: Sendable, Hashable, Codable {
  /// The event's id.
  var eventId: UUID
  /// The stream it was appended to.
  var stream: String
  /// The global position the append returned.
  var globalPosition: UInt64
  /// The stream version the append returned.
  var streamVersion: UInt64

  /// The acknowledgements of a multi-stream append, in batch order.
  static func from(_ batches: [StreamAppend], _ results: [AppendResult]) -> [Acknowledgement] {
    var acknowledged: [Acknowledgement] = []
    for (batch, result) in zip(batches, results) {
      for (event, position) in zip(batch.events, result.positions) {
        acknowledged.append(
          Acknowledgement(
            eventId: event.eventId, stream: batch.stream, globalPosition: position.globalPosition,
            streamVersion: position.streamVersion))
      }
    }
    return acknowledged
  }

  /// Checks `acknowledged` against the store: every event present exactly once (by id), at its
  /// acknowledged stream, version and position. Returns one line per problem.
  static func problems(
    _ acknowledged: [Acknowledgement], in store: EventStore
  ) -> (found: Int, problems: [String]) {
    var problems: [String] = []
    var found = 0
    var seen = Set<UUID>()
    for ack in acknowledged {
      let id = ack.eventId.uuidString.lowercased()
      guard seen.insert(ack.eventId).inserted else {
        problems.append("event \(id) was acknowledged twice")
        continue
      }
      do {
        guard let event = try store.event(id: ack.eventId) else {
          problems.append(
            "acknowledged event \(id) (\(ack.stream)@\(ack.streamVersion)) is missing")
          continue
        }
        guard event.streamId == ack.stream, event.streamVersion == ack.streamVersion,
          event.globalPosition == ack.globalPosition
        else {
          problems.append(
            "event \(id) acknowledged at \(ack.stream)@\(ack.streamVersion) position "
              + "\(ack.globalPosition) is stored at \(event.streamId)@\(event.streamVersion) position "
              + "\(event.globalPosition)")
          continue
        }
        found += 1
      } catch {
        problems.append("reading event \(id) failed: \(error)")
      }
    }
    return (found, problems)
  }
}

/// Reads the whole log in chunks, decoding every event, and counts how often each of `ids`
/// occurs. Returns the number of events read and one line per problem (an undecodable record, an
/// acknowledged id stored more than once, a log shorter or longer than the head says).
func scanLog(_ store: EventStore, counting ids: Set<UUID>) -> (events: UInt64, problems: [String]) {
  var problems: [String] = []
  var occurrences: [UUID: Int] = [:]
  var position: UInt64 = 0
  do {
    let expected = try store.statistics().events
    while true {
      let chunk = try store.readAll(from: position, limit: 4_096)
      guard let last = chunk.last else { break }
      for event in chunk where ids.contains(event.eventId) {
        occurrences[event.eventId, default: 0] += 1
      }
      position = last.globalPosition + 1
    }
    if position != expected {
      problems.append("the log reads \(position) events, the head says \(expected)")
    }
  } catch {
    problems.append("reading the log failed at position \(position): \(error)")
  }
  for (id, count) in occurrences where count > 1 {
    problems.append("event \(id.uuidString.lowercased()) is stored \(count) times")
  }
  return (position, problems)
}
