import Foundation
import LedgerEventStore

/// One event of the reserved `$audit` stream, read as an audit export record.
public struct AuditLogEntry: Sendable, Hashable {
  /// The stored event (type ``AuditExporter/eventType`` for exports).
  public var event: RecordedEvent
  /// The export's id (the event's id), when it records an export.
  public var exportId: String? { event.data["exportId"]?.stringValue }
  /// Who exported.
  public var exportedBy: Recorder { event.recordedBy }
  /// Why.
  public var reason: String? { event.data["reason"]?.stringValue }
  /// The filter, as recorded.
  public var filter: AuditFilter? {
    guard let recorded = event.data["filter"], let time = recorded["time"]?.stringValue,
      let basis = AuditFilter.TimeBasis(rawValue: time)
    else { return nil }
    return AuditFilter(
      patientId: recorded["patientId"]?.stringValue, streamId: recorded["stream"]?.stringValue,
      timeBasis: basis,
      from: recorded["from"]?.stringValue, to: recorded["to"]?.stringValue)
  }
  /// Events the export holds.
  public var events: UInt64? { event.data["events"]?.numberValue.map { UInt64($0) } }
  /// SHA-256 of the export's `manifest.json`.
  public var manifestSHA256: String? { event.data["manifestSha256"]?.stringValue }
  /// When the store recorded the export.
  public var recordedAt: String { event.recordedAt }
}

/// Reading the `$audit` stream.
public enum AuditLog {
  /// Entries of `$audit` from `version` on, at most `limit`, oldest first: the exports and
  /// reports recorded there, without the publications of signing keys
  /// (``AuditSignature/publicationEventType``, listed by `keys public --all`). Page with
  /// `from: last.event.streamVersion + 1`; fewer than `limit` entries means the end.
  public static func entries(
    in store: EventStore, from version: UInt64 = 0, limit: Int = 1_000
  ) throws(AuditError) -> [AuditLogEntry] {
    var entries: [AuditLogEntry] = []
    var next = version
    do {
      while entries.count < limit {
        let page = try store.readStream(StreamNames.audit, from: next, limit: limit)
        for event in page where event.type != AuditSignature.publicationEventType {
          if entries.count < limit { entries.append(AuditLogEntry(event: event)) }
        }
        guard let last = page.last, page.count == limit else { break }
        next = last.streamVersion + 1
      }
    } catch {
      throw .store(error)
    }
    return entries
  }

  /// The entry recording export `exportId`, or nil.
  public static func entry(exportId: String, in store: EventStore) throws(AuditError)
    -> AuditLogEntry?
  {
    guard let id = UUID(uuidString: exportId) else { return nil }
    let event: RecordedEvent?
    do { event = try store.event(id: id) } catch { throw .store(error) }
    guard let event, event.streamId == StreamNames.audit else { return nil }
    return AuditLogEntry(event: event)
  }
}
