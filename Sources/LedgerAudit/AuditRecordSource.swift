import LedgerEventStore

/// Where an ``AuditExporter`` reads the records it exports: a clinic's `EventStore`, or another
/// copy of one clinic's log that holds its stored bytes (the chain's central PostgreSQL copy,
/// `LedgerCentral`). Every method returns events as stored (sealed data still sealed).
///
/// The exporter calls these one at a time from its own task. An `EventStore` answers each in one
/// short read transaction that does not span an `await`.
public protocol AuditRecordSource: Sendable {
  /// The log's head now (event count, chain head, newest `recordedAt`) and the store's format
  /// name, for the manifest; nothing at or after the head is exported.
  func auditHead() async throws(EventStoreError) -> (head: AuditManifest.StoreHead, format: String)
  /// How many events had been recorded at or before `micros` (microseconds since the epoch).
  func eventCount(recordedAtOrBefore micros: Int64) async throws(EventStoreError) -> UInt64
  /// Up to `limit` stored log values (`0x01`, hash, canonical bytes) from `position` on, below
  /// `end`.
  func storedRecords(
    from position: UInt64, limit: Int, end: UInt64
  ) async throws(EventStoreError) -> [(position: UInt64, value: [UInt8])]
  /// The event at `position`, as stored, or nil past the end.
  func storedEvent(at position: UInt64) async throws(EventStoreError) -> RecordedEvent?
  /// The last version of `stream`, or nil when it has no events.
  func streamVersion(_ stream: String) async throws(EventStoreError) -> UInt64?
  /// Up to `limit` events of `stream` from `version` (nil: the first, or the last backward), as
  /// stored.
  func storedStream(
    _ stream: String, from version: UInt64?, direction: EventStore.ReadDirection, limit: Int
  ) async throws(EventStoreError) -> [RecordedEvent]
}

extension EventStore: AuditRecordSource {
  /// See ``AuditRecordSource/auditHead()``.
  public func auditHead() async throws(EventStoreError) -> (
    head: AuditManifest.StoreHead, format: String
  ) {
    let statistics = try statistics()
    return (
      AuditManifest.StoreHead(
        events: statistics.events, chainHead: statistics.chainHead,
        lastRecordedAt: statistics.lastRecordedAt),
      statistics.format
    )
  }

  /// See ``AuditRecordSource/storedRecords(from:limit:end:)``.
  public func storedRecords(
    from position: UInt64, limit: Int, end: UInt64
  ) async throws(EventStoreError) -> [(position: UInt64, value: [UInt8])] {
    try readStoredRecords(from: position, limit: limit, end: end)
  }

  /// See ``AuditRecordSource/storedEvent(at:)``.
  public func storedEvent(at position: UInt64) async throws(EventStoreError) -> RecordedEvent? {
    try readAll(from: position, limit: 1).first?.asStored
  }

  /// See ``AuditRecordSource/storedStream(_:from:direction:limit:)``.
  public func storedStream(
    _ stream: String, from version: UInt64?, direction: EventStore.ReadDirection, limit: Int
  ) async throws(EventStoreError) -> [RecordedEvent] {
    try readStream(stream, from: version, direction: direction, limit: limit).map(\.asStored)
  }
}

extension AuditExporter {
  /// Moves `export` from its staging directory to its directory without recording it in a
  /// store's `$audit`: for exports of a copy of a log that has no `$audit` of its own to write
  /// (the chain's central copy, which only forwarders write). A store's exports go through
  /// ``record(_:in:)`` instead.
  public static func publish(_ export: AuditExport) throws(AuditError) {
    try AuditStaging.publish(export)
  }
}
