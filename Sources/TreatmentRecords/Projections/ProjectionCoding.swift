import Foundation
import LedgerEventStore
import LedgerFoundation

/// The stored form of projection records: a format byte, then ``StateWriter``'s compact binary
/// encoding of one timeline entry or one summary fact. Deterministic (equal values give equal
/// bytes), so a rebuild can be compared with the live records byte for byte.
enum ProjectionCoding {
  /// The first byte of every record of format 3 (one entry or fact per record; format 2 held a
  /// patient's whole state in one value).
  static let format: UInt8 = 3

  static func encode(_ entry: TimelineEntry) -> [UInt8] {
    var writer = StateWriter(capacity: 512)
    writer.write(byte: format)
    write(entry, into: &writer)
    return writer.bytes
  }

  static func decodeEntry(
    _ bytes: [UInt8], projection: String, stream: String
  ) throws(EventStoreError) -> TimelineEntry {
    try decoding(bytes, projection: projection, stream: stream) {
      reader throws(StateReader.Failure) in try readEntry(&reader)
    }
  }

  static func encode(_ fact: CourseSummaryState.Fact) -> [UInt8] {
    var writer = StateWriter(capacity: 384)
    writer.write(byte: format)
    writer.write(uuid: fact.eventId)
    writer.write(uint: fact.globalPosition)
    writer.write(string: fact.occurredAt)
    writer.write(string: fact.type)
    writer.write(json: fact.data)
    writeList(fact.flags, into: &writer)
    return writer.bytes
  }

  static func decodeFact(
    _ bytes: [UInt8], projection: String, stream: String
  ) throws(EventStoreError) -> CourseSummaryState.Fact {
    try decoding(bytes, projection: projection, stream: stream) {
      reader throws(StateReader.Failure) in
      CourseSummaryState.Fact(
        eventId: try reader.readUUID(), globalPosition: try reader.readUInt(),
        occurredAt: try reader.readString(), type: try reader.readString(),
        data: try reader.readJSON(), flags: try readList(&reader))
    }
  }

  // MARK: Parts

  private static func decoding<T>(
    _ bytes: [UInt8], projection: String, stream: String,
    _ body: (inout StateReader) throws(StateReader.Failure) -> T
  ) throws(EventStoreError) -> T {
    var reader = StateReader(bytes)
    do {
      guard try reader.readByte() == format else { throw reader.failure("unknown state format") }
      let value = try body(&reader)
      try reader.expectEnd()
      return value
    } catch {
      throw .incompatibleStore(
        reason:
          "a record of projection '\(projection)' for stream '\(stream)' does not decode (\(error))"
      )
    }
  }

  private static func write(_ entry: TimelineEntry, into writer: inout StateWriter) {
    writer.write(uint: entry.globalPosition)
    writer.write(uint: entry.streamVersion)
    writer.write(uuid: entry.eventId)
    writer.write(string: entry.occurredAt)
    writer.write(string: entry.recordedAt)
    writer.write(string: entry.type)
    write(entry.recordedBy, into: &writer)
    writer.write(json: entry.data)
    writeList(entry.flags, into: &writer)
    writeSupersessions(entry.correctedBy, into: &writer)
    writeSupersessions(entry.voidedBy, into: &writer)
  }

  private static func readEntry(_ reader: inout StateReader) throws(StateReader.Failure)
    -> TimelineEntry
  {
    TimelineEntry(
      globalPosition: try reader.readUInt(), streamVersion: try reader.readUInt(),
      eventId: try reader.readUUID(), occurredAt: try reader.readString(),
      recordedAt: try reader.readString(), type: try reader.readString(),
      recordedBy: try readRecorder(&reader), data: try reader.readJSON(),
      flags: try readList(&reader), correctedBy: try readSupersessions(&reader),
      voidedBy: try readSupersessions(&reader))
  }

  private static func write(_ recorder: Recorder, into writer: inout StateWriter) {
    writer.write(string: recorder.id)
    writer.write(string: recorder.name)
    writer.write(string: recorder.role)
  }

  private static func readRecorder(_ reader: inout StateReader) throws(StateReader.Failure)
    -> Recorder
  {
    Recorder(
      id: try reader.readString(), name: try reader.readString(), role: try reader.readString())
  }

  private static func writeList(_ values: [JSONValue], into writer: inout StateWriter) {
    writer.write(count: values.count)
    for value in values { writer.write(json: value) }
  }

  private static func readList(_ reader: inout StateReader) throws(StateReader.Failure)
    -> [JSONValue]
  {
    let count = try reader.readCount()
    var values: [JSONValue] = []
    values.reserveCapacity(count)
    for _ in 0..<count { values.append(try reader.readJSON()) }
    return values
  }

  /// nil as 0, otherwise the count plus one.
  private static func writeSupersessions(_ list: [Supersession]?, into writer: inout StateWriter) {
    guard let list else {
      writer.write(count: 0)
      return
    }
    writer.write(count: list.count + 1)
    for item in list {
      writer.write(uuid: item.eventId)
      writer.write(uint: item.globalPosition)
      writer.write(string: item.recordedAt)
      write(item.recordedBy, into: &writer)
      writer.write(string: item.reason)
    }
  }

  private static func readSupersessions(
    _ reader: inout StateReader
  ) throws(StateReader.Failure) -> [Supersession]? {
    let count = try reader.readCount()
    guard count > 0 else { return nil }
    var list: [Supersession] = []
    list.reserveCapacity(count - 1)
    for _ in 1..<count {
      list.append(
        Supersession(
          eventId: try reader.readUUID(), globalPosition: try reader.readUInt(),
          recordedAt: try reader.readString(), recordedBy: try readRecorder(&reader),
          reason: try reader.readString()))
    }
    return list
  }
}

/// The id an `EntryCorrected` or `EntryVoided` event names, read from its data.
func supersededTarget(_ event: RecordedEvent) -> UUID? {
  switch event.type {
  case EntryCorrected.eventType:
    return event.data["correctedEventId"]?.stringValue.flatMap(UUID.init(uuidString:))
  case EntryVoided.eventType:
    return event.data["voidedEventId"]?.stringValue.flatMap(UUID.init(uuidString:))
  default: return nil
  }
}
