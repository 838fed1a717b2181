import Foundation

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
      patientId: recorded["patientId"]?.stringValue, timeBasis: basis,
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
  /// Entries of `$audit` from `version` on, at most `limit`, oldest first, read in one short
  /// read transaction. Page with `from: last.event.streamVersion + 1`.
  public static func entries(
    in store: EventStore, from version: UInt64 = 0, limit: Int = 1_000
  ) throws(AuditError) -> [AuditLogEntry] {
    do {
      return try store.readStream(StreamNames.audit, from: version, limit: limit).map {
        AuditLogEntry(event: $0)
      }
    } catch {
      throw .store(error)
    }
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

extension Ledger {
  /// Exports the events `request` selects and records the export in `$audit`, on this ledger's
  /// own (read-write) store: the way a service embedding the ledger exports.
  ///
  /// ```swift
  /// let export = try await ledger.exportAudit(
  ///   AuditExportRequest(directory: "/mnt/audit/7f3a", filter: AuditFilter(patientId: "7f3a"),
  ///                      exportedBy: officer, reason: "Patient access request #88"))
  /// print(export.manifest.counts.events, export.manifestSHA256)
  /// ```
  ///
  /// Appends by this or other processes continue while it reads. When the export cannot be
  /// recorded its files are removed and ``AuditError/notRecorded(_:)`` is thrown.
  public func exportAudit(
    _ request: AuditExportRequest,
    progress: (@Sendable (_ written: UInt64, _ expected: UInt64) -> Void)? = nil
  ) async throws(AuditError) -> AuditExport {
    let export = try AuditExporter(store: store).export(request, progress: progress)
    try await AuditExporter.record(export, in: store)
    return export
  }

  /// The `$audit` entries from `version` on (see ``AuditLog/entries(in:from:limit:)``).
  public func auditLog(from version: UInt64 = 0, limit: Int = 1_000) throws(AuditError)
    -> [AuditLogEntry]
  {
    try AuditLog.entries(in: store, from: version, limit: limit)
  }

  /// Verifies the export in `directory` and checks its manifest against this ledger's `$audit`
  /// record of it.
  public func verifyAuditExport(at directory: String) -> AuditVerificationReport {
    AuditVerifier().verify(directory: directory, against: store)
  }
}
