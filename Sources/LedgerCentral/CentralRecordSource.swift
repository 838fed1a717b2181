import Foundation
import LedgerAudit
import LedgerEventStore
import Logging
import NIOCore
import PostgresNIO

/// One clinic's central rows as an ``AuditRecordSource``, so that `LedgerAudit`'s exporter writes
/// the export a clinic's own store would give (docs/AUDIT.md), from the central copy alone.
///
/// The head is the clinic's central head when the source was made; rows are read in pages by
/// position or by stream. A PostgreSQL failure while reading fails the export with
/// `EventStoreError.incompatibleStore` naming the central copy (no event data).
struct CentralRecordSource: AuditRecordSource {
  let connection: PostgresConnection
  let clinic: String
  let logger: Logger
  let head: CentralStatus.Head

  func auditHead() async throws(EventStoreError) -> (
    head: AuditManifest.StoreHead, format: String
  ) {
    (
      AuditManifest.StoreHead(
        events: UInt64(head.headPosition + 1), chainHead: head.headHash.hex,
        lastRecordedAt: head.headMicros.map { Timestamp.format(micros: $0) }),
      RecordCodec.formatName
    )
  }

  private var end: Int64 { head.headPosition + 1 }

  /// Runs `body`, mapping its failures to a store error that names the central copy.
  private func reading<R>(_ body: () async throws -> R) async throws(EventStoreError) -> R {
    do {
      return try await body()
    } catch let error as EventStoreError {
      throw error
    } catch {
      throw .incompatibleStore(
        reason: "the central copy could not be read: \(CentralDatabase.describe(error))")
    }
  }

  func eventCount(recordedAtOrBefore micros: Int64) async throws(EventStoreError) -> UInt64 {
    try await reading {
      let rows = try await connection.query(
        """
        SELECT count(*) FROM treatment_ledger.events
        WHERE clinic_id = \(clinic) AND global_position < \(end)
          AND recorded_at <= timestamptz 'epoch' + \(micros) * interval '1 microsecond'
        """, logger: logger)
      var count: Int64 = 0
      for try await (found) in rows.decode(Int64.self) { count = found }
      return UInt64(count)
    }
  }

  func storedRecords(
    from position: UInt64, limit: Int, end requested: UInt64
  ) async throws(EventStoreError) -> [(position: UInt64, value: [UInt8])] {
    let stop = min(Int64(clamping: requested), end)
    return try await reading {
      let rows = try await connection.query(
        """
        SELECT global_position, hash, envelope FROM treatment_ledger.events
        WHERE clinic_id = \(clinic) AND global_position >= \(Int64(clamping: position))
          AND global_position < \(stop)
        ORDER BY global_position LIMIT \(limit)
        """, logger: logger)
      var records: [(position: UInt64, value: [UInt8])] = []
      for try await (position, hash, envelope) in rows.decode((Int64, ByteBuffer, ByteBuffer).self)
      {
        var value: [UInt8] = [1]
        value.append(contentsOf: hash.readableBytesView)
        value.append(contentsOf: envelope.readableBytesView)
        records.append((UInt64(position), value))
      }
      return records
    }
  }

  func storedEvent(at position: UInt64) async throws(EventStoreError) -> RecordedEvent? {
    guard let record = try await storedRecords(from: position, limit: 1, end: position + 1).first,
      record.position == position
    else { return nil }
    return try RecordCodec.decode(position: record.position, record.value)
  }

  func streamVersion(_ stream: String) async throws(EventStoreError) -> UInt64? {
    try await reading {
      let rows = try await connection.query(
        """
        SELECT max(stream_version) FROM treatment_ledger.events
        WHERE clinic_id = \(clinic) AND stream_id = \(stream) AND global_position < \(end)
        """, logger: logger)
      var version: Int64?
      for try await (found) in rows.decode(Int64?.self) { version = found }
      return version.map { UInt64($0) }
    }
  }

  func storedStream(
    _ stream: String, from version: UInt64?, direction: EventStore.ReadDirection, limit: Int
  ) async throws(EventStoreError) -> [RecordedEvent] {
    let forward = direction == .forward
    let bound = version.map { Int64(clamping: $0) } ?? (forward ? 0 : Int64.max)
    let records: [(UInt64, [UInt8])] = try await reading {
      let rows = try await connection.query(
        """
        SELECT global_position, hash, envelope FROM treatment_ledger.events
        WHERE clinic_id = \(clinic) AND stream_id = \(stream) AND global_position < \(end)
          AND (CASE WHEN \(forward) THEN stream_version >= \(bound)
                    ELSE stream_version <= \(bound) END)
        ORDER BY CASE WHEN \(forward) THEN stream_version ELSE -stream_version END
        LIMIT \(limit)
        """, logger: logger)
      var found: [(UInt64, [UInt8])] = []
      for try await (position, hash, envelope) in rows.decode((Int64, ByteBuffer, ByteBuffer).self)
      {
        found.append((UInt64(position), [1] + Array(buffer: hash) + Array(buffer: envelope)))
      }
      return found
    }
    var events: [RecordedEvent] = []
    for (position, value) in records {
      events.append(try RecordCodec.decode(position: position, value))
    }
    return events
  }
}

/// Audit exports of one clinic from the central copy (`treatment-ledger central audit export`).
public struct CentralAuditExporter: Sendable {
  /// The central copy.
  public let database: CentralDatabase
  /// What the exported records mean: the clinic tool's semantics (`ClinicalAuditSemantics`).
  public let semantics: any AuditSemantics
  /// Where the exporter logs.
  public let logger: Logger

  /// An exporter of `database`'s clinics, rendering records with `semantics`.
  public init(
    database: CentralDatabase, semantics: any AuditSemantics,
    logger: Logger = Logger(label: "treatment-ledger.central")
  ) {
    self.database = database
    self.semantics = semantics
    self.logger = logger
  }

  /// Writes the export `request` describes for `clinic`, from the central rows up to the clinic's
  /// central head, and moves it to its directory. It is not recorded in any store's `$audit`:
  /// the central copy is written only by forwarders (docs/CENTRAL.md).
  ///
  /// `prepare` is called with the staging directory before the export is moved to its directory
  /// (the command line puts a copy of `verify_export.py` there).
  public func export(
    clinic: ClinicID, _ request: AuditExportRequest,
    prepare: (@Sendable (_ stagingDirectory: String) -> Void)? = nil
  ) async throws(CentralError) -> AuditExport {
    let (logger, semantics) = (self.logger, self.semantics)
    return try await database.withConnection(logger: logger) { connection in
      let heads = try await CentralStatus.clinicHeads(connection, only: clinic, logger: logger)
      guard let head = heads.first else { throw CentralError.unknownClinic(clinic.rawValue) }
      let source = CentralRecordSource(
        connection: connection, clinic: clinic.rawValue, logger: logger, head: head)
      let export: AuditExport
      do throws(AuditError) {
        export = try await AuditExporter(source: source, semantics: semantics).export(request)
      } catch {
        throw CentralError.export(reason: error.description)
      }
      prepare?(export.stagingDirectory)
      do throws(AuditError) { try AuditExporter.publish(export) } catch {
        throw CentralError.export(reason: error.description)
      }
      return export
    }
  }
}
