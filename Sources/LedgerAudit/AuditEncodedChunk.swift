import LedgerEventStore
import LedgerFoundation

/// A stored log value and its position, as the store reads it for the exporter.
typealias StoredRecord = (position: UInt64, value: [UInt8])

/// The bytes one chunk of events adds to each file, and what the manifest needs to know of it.
struct EncodedChunk: Sendable {
  var ndjson: [UInt8] = []
  var csv: [UInt8] = []
  var count: UInt64 = 0
  var inRange: UInt64 = 0
  var first: RecordedEvent?
  var last: RecordedEvent?
  /// A record that does not decode; the chunk is otherwise empty.
  var failure: EventStoreError?
  /// The data key versions the chunk's sealed events use, by stream (for `keys.json`).
  var keyVersions: [String: Set<UInt64>] = [:]

  /// The chunk of stored `records`. NDJSON lines are the stored bytes themselves, so an NDJSON
  /// export without `inRange` marks decodes only the chunk's first and last record (for the
  /// manifest's anchors); the CSV, the marks and the key versions of `keys.json` (`collectKeys`)
  /// need every event decoded.
  static func encoding(
    _ records: [StoredRecord], formats: Set<AuditFormat>, filter: AuditFilter, markRange: Bool,
    collectKeys: Bool, semantics: any AuditSemantics
  ) -> EncodedChunk {
    var chunk = EncodedChunk()
    do throws(EventStoreError) {
      guard formats == [.ndjson], !markRange, !collectKeys else {
        let events = try records.map { (record) throws(EventStoreError) in
          try RecordCodec.decode(position: record.position, record.value)
        }
        return EncodedChunk(
          events, formats: formats, filter: filter, markRange: markRange, semantics: semantics)
      }
      chunk.ndjson.reserveCapacity(records.reduce(0) { $0 + $1.value.count + 53 })
      for record in records {
        guard let (hash, canonical) = RecordCodec.split(record.value) else {
          throw .corruptRecord(
            position: record.position, reason: "unknown record version or truncated value")
        }
        AuditNDJSONLine.encode(hash: hash, canonical: canonical, into: &chunk.ndjson)
      }
      chunk.count = UInt64(records.count)
      chunk.inRange = chunk.count
      if let record = records.first {
        chunk.first = try RecordCodec.decode(position: record.position, record.value)
      }
      if let record = records.last {
        chunk.last = try RecordCodec.decode(position: record.position, record.value)
      }
      return chunk
    } catch {
      return EncodedChunk(failure: error)
    }
  }

  private init(failure: EventStoreError? = nil) { self.failure = failure }

  init(
    _ events: [RecordedEvent], formats: Set<AuditFormat>, filter: AuditFilter, markRange: Bool,
    semantics: any AuditSemantics
  ) {
    count = UInt64(events.count)
    first = events.first
    last = events.last
    for event in events {
      if let version = event.dataForm.keyVersion {
        keyVersions[event.streamId, default: []].insert(version)
      }
    }
    if formats.contains(.ndjson) {
      ndjson.reserveCapacity(events.reduce(0) { $0 + $1.canonicalBytes.count + 86 })
      for event in events { AuditNDJSONLine.encode(event, into: &ndjson) }
    }
    let wantCSV = formats.contains(.csv)
    for event in events {
      let matches =
        markRange
        ? Timestamp.parseMicros(event.occurredAt).map { filter.contains(micros: $0) } ?? false
        : true
      if matches { inRange += 1 }
      if wantCSV {
        AuditCSV.appendRow(
          AuditCSV.cells(AuditEventFields(event), inRange: matches, semantics: semantics), to: &csv)
      }
    }
  }
}
