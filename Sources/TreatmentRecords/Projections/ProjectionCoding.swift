import Foundation
import LedgerEventStore

/// Deterministic JSON for projection states: equal states give equal bytes, so a rebuild can be
/// compared with the live state byte for byte.
enum ProjectionCoding {
  static func encode<T: Encodable>(_ value: T) -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return (try? encoder.encode(value)).map { Array($0) } ?? []
  }

  static func decode<T: Decodable>(
    _ type: T.Type, _ bytes: [UInt8], projection: String, stream: String
  ) throws(EventStoreError) -> T {
    do {
      return try JSONDecoder().decode(T.self, from: Data(bytes))
    } catch {
      throw .incompatibleStore(reason: "state of projection '\(projection)' for stream '\(stream)' does not decode")
    }
  }
}

/// The id an `EntryCorrected` or `EntryVoided` event names, read from its data.
func supersededTarget(_ event: RecordedEvent) -> UUID? {
  switch event.type {
  case EntryCorrected.eventType: return event.data["correctedEventId"]?.stringValue.flatMap(UUID.init(uuidString:))
  case EntryVoided.eventType: return event.data["voidedEventId"]?.stringValue.flatMap(UUID.init(uuidString:))
  default: return nil
  }
}
