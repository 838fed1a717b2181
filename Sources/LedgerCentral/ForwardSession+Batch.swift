import Foundation
import LedgerEventStore
import Logging
import NIOCore
import PostgresNIO
import Synchronization
import TreatmentLedger

/// The columns of one batch, as PostgreSQL arrays for one `INSERT … SELECT FROM unnest(…)`.
struct EventRows: Sendable {
  var positions: [Int64] = []
  var streams: [String] = []
  var versions: [Int64] = []
  var types: [String] = []
  var recordedMicros: [Int64] = []
  var previousHashes: [ByteBuffer] = []
  var hashes: [ByteBuffer] = []
  var envelopes: [ByteBuffer] = []
  var firstPreviousHash = ChainHash.zero
  var lastHash = ChainHash.zero
  var lastRecordedMicros: Int64 = 0
  /// The data keys the batch's sealed events name (their wrapped bytes are forwarded with them).
  var sealedKeys: Set<StreamKeyVersion> = []
  /// Streams whose erasure (`PatientDataErased`) is in the batch: their forwarded keys are
  /// deleted in the batch's transaction.
  var erasedStreams: [String] = []

  var count: Int { positions.count }

  /// The rows of stored log values, decoded as far as the columns need; the envelope column is
  /// the stored canonical bytes themselves.
  init(_ records: [(position: UInt64, value: [UInt8])]) throws(CentralError) {
    for (index, record) in records.enumerated() {
      let event: RecordedEvent
      do { event = try RecordCodec.decode(position: record.position, record.value) } catch {
        throw .store(error)
      }
      guard let micros = Timestamp.parseMicros(event.recordedAt) else {
        throw .store(.corruptRecord(position: record.position, reason: "recordedAt is not a time"))
      }
      if index == 0 { firstPreviousHash = event.previousHash }
      positions.append(Int64(record.position))
      streams.append(event.streamId)
      versions.append(Int64(event.streamVersion))
      types.append(event.type)
      recordedMicros.append(micros)
      previousHashes.append(ByteBuffer(bytes: event.previousHash.bytes))
      hashes.append(ByteBuffer(bytes: event.hash.bytes))
      envelopes.append(ByteBuffer(bytes: event.canonicalBytes))
      lastHash = event.hash
      lastRecordedMicros = micros
      if let version = event.dataForm.keyVersion {
        sealedKeys.insert(StreamKeyVersion(stream: event.streamId, version: version))
      }
      if event.type == Ledger.erasureEventType { erasedStreams.append(event.streamId) }
    }
  }
}

/// A batch read from the store and not yet written.
struct PendingBatch: Sendable {
  /// Its first position.
  let from: UInt64
  /// Its rows.
  let rows: EventRows
  /// The wrapped data keys its sealed events use.
  let keys: [WrappedDataKey]
  /// The clinic's event count when it was read (for `central status`).
  let clinicEvents: Int64
  /// The clinic's newest recordedAt then, in microseconds.
  let clinicMicros: Int64?
  /// Its last position.
  var lastPosition: UInt64 { UInt64(rows.positions[rows.count - 1]) }
}

extension ForwardSession {
  /// Reads the next batch in one read transaction and writes it in one PostgreSQL transaction.
  /// False when the store holds nothing beyond the central head.
  func forwardNextBatch(into progress: inout ClinicForwarder.Progress) async throws(CentralError)
    -> Bool
  {
    guard let batch = try readBatch(from: UInt64(headPosition + 1)) else { return false }
    try await writeBatch(batch, into: &progress)
    return true
  }

  /// Forwards until the store has nothing more, reading and decoding each batch while the one
  /// before it is written: the forwarder's own work (the LMDB read, the envelopes' columns)
  /// overlaps PostgreSQL's. A batch read ahead is only written if the one before it landed, and
  /// every batch's transaction checks the central head as always.
  func forwardPipelined(into progress: inout ClinicForwarder.Progress) async throws(CentralError) {
    var next = try readBatch(from: UInt64(headPosition + 1))
    while let batch = next {
      let ahead = Task { [self] in try readBatch(from: batch.lastPosition + 1) }
      do { try await writeBatch(batch, into: &progress) } catch {
        ahead.cancel()
        throw error
      }
      do { next = try await ahead.value } catch { throw CentralDatabase.describe(error) }
    }
  }

  /// The batch after `from - 1`, read in one read transaction (never across an `await`), with
  /// its rows' columns and the wrapped data keys its sealed events use; nil when the store holds
  /// nothing from `from` on.
  func readBatch(from: UInt64) throws(CentralError) -> PendingBatch? {
    let store = forwarder.store
    let statistics: EventStore.Statistics
    let records: [(position: UInt64, value: [UInt8])]
    do {
      statistics = try store.statistics()
      records = try store.readStoredRecords(
        from: from, limit: forwarder.options.eventsPerBatch, end: statistics.events)
    } catch { throw .store(error) }
    guard !records.isEmpty else { return nil }
    let rows = try EventRows(records)
    // Read after the records: a key erased meanwhile is absent here, and its erasure event is
    // forwarded after this batch (docs/CENTRAL.md 5).
    let keys: [WrappedDataKey]
    do { keys = try store.wrappedDataKeys(rows.sealedKeys) } catch { throw .store(error) }
    return PendingBatch(
      from: from, rows: rows, keys: keys, clinicEvents: Int64(statistics.events),
      clinicMicros: statistics.lastRecordedAt.flatMap(Timestamp.parseMicros))
  }

  /// Writes `batch` in one PostgreSQL transaction and moves the session's head past it.
  func writeBatch(
    _ batch: PendingBatch, into progress: inout ClinicForwarder.Progress
  ) async throws(CentralError) {
    let rows = batch.rows
    try await guarded {
      try await self.write(
        rows, keys: batch.keys, clinicEvents: batch.clinicEvents, clinicMicros: batch.clinicMicros)
    }
    headPosition += Int64(rows.count)
    headHash = rows.lastHash
    lastReport = ContinuousClock.now
    progress.forwarded += UInt64(rows.count)
    progress.batches += 1
    progress.centralEvents = UInt64(headPosition + 1)
    logger.debug(
      "forwarded",
      metadata: [
        "clinic": "\(clinic)", "from": "\(batch.from)", "events": "\(rows.count)",
      ])
  }

  /// The batch's transaction: lock the clinic's row, check the head, insert, forward the data
  /// keys (and delete those of streams erased in the batch), advance the head.
  private func write(
    _ rows: EventRows, keys: [WrappedDataKey], clinicEvents: Int64, clinicMicros: Int64?
  ) async throws {
    let clinic = self.clinic
    let logger = self.logger
    let expectedPosition = headPosition
    let expectedHash = headHash
    try await connection.withTransaction(logger: logger) { connection in
      let locked = try await connection.query(
        """
        SELECT head_position, head_hash FROM treatment_ledger.clinics
        WHERE clinic_id = \(clinic) FOR UPDATE
        """, logger: logger)
      var central: (Int64, ChainHash)?
      for try await (position, hash) in locked.decode((Int64, ByteBuffer).self) {
        central = (position, ChainHash(bytes: Array(buffer: hash)) ?? .zero)
      }
      guard let central else { throw CentralError.unknownClinic(clinic) }
      let first = UInt64(rows.positions[0])
      guard central.0 == expectedPosition, central.0 + 1 == rows.positions[0],
        central.1 == rows.firstPreviousHash, central.1 == expectedHash
      else {
        throw CentralError.chainMismatch(
          clinic: clinic, position: first,
          reason: central.0 != expectedPosition
            ? "the central head moved to \(central.0) meanwhile"
            : "previousHash is not the central head's hash")
      }
      try await connection.query(
        """
        INSERT INTO treatment_ledger.events (clinic_id, global_position, stream_id,
          stream_version, event_type, recorded_at, previous_hash, hash, envelope)
        SELECT \(clinic), p, s, v, t, timestamptz 'epoch' + r * interval '1 microsecond', ph, h, e
        FROM unnest(\(rows.positions)::bigint[], \(rows.streams)::text[],
          \(rows.versions)::bigint[], \(rows.types)::text[], \(rows.recordedMicros)::bigint[],
          \(rows.previousHashes)::bytea[], \(rows.hashes)::bytea[], \(rows.envelopes)::bytea[])
          AS u(p, s, v, t, r, ph, h, e)
        """, logger: logger)
      try await Self.writeKeys(
        keys, erasing: rows.erasedStreams, clinic: clinic, connection, logger: logger)
      let lastPosition = rows.positions[rows.count - 1]
      let firstHash = first == 0 ? ByteBuffer(bytes: rows.hashes[0].readableBytesView) : nil
      try await connection.query(
        """
        UPDATE treatment_ledger.clinics SET
          head_position = \(lastPosition), head_hash = \(ByteBuffer(bytes: rows.lastHash.bytes)),
          head_recorded_at = timestamptz 'epoch' + \(rows.lastRecordedMicros) * interval '1 microsecond',
          first_hash = coalesce(first_hash, \(firstHash)::bytea),
          checkpoint_at = now(), clinic_events = \(clinicEvents),
          clinic_recorded_at = timestamptz 'epoch' + \(clinicMicros)::bigint * interval '1 microsecond',
          reported_at = now()
        WHERE clinic_id = \(clinic)
        """, logger: logger)
    }
  }

  /// Records the clinic's head (its event count and newest recordedAt) and the time of the report,
  /// so that `central status` shows how far the central copy is behind.
  func reportClinicHead() async throws(CentralError) {
    let statistics: EventStore.Statistics
    do { statistics = try forwarder.store.statistics() } catch { throw .store(error) }
    let micros = statistics.lastRecordedAt.flatMap(Timestamp.parseMicros)
    let events = Int64(statistics.events)
    let (connection, clinic, logger) = (self.connection, self.clinic, self.logger)
    try await guarded {
      try await connection.query(
        """
        UPDATE treatment_ledger.clinics SET clinic_events = \(events),
          clinic_recorded_at = timestamptz 'epoch' + \(micros)::bigint * interval '1 microsecond',
          reported_at = now()
        WHERE clinic_id = \(clinic)
        """, logger: logger)
    }
    lastReport = ContinuousClock.now
  }

  /// Runs `body` on the session's connection: refused at once when the connection is closed
  /// (a query written to a closed connection is never answered), and given up after
  /// ``ClinicForwarder/Options/statementTimeout`` (the connection is then closed). Both are
  /// ``CentralError/unreachable(reason:)``, which the forwarder retries.
  ///
  /// The caller does not wait for a query that never answers: `body` runs in a task of its own,
  /// cancelled and left behind when the time runs out or the caller is cancelled (postgres-nio
  /// may not answer a query on a connection the server ended, even once it is closed).
  func guarded(_ body: @escaping @Sendable () async throws -> Void) async throws(CentralError) {
    try await Self.guarded(
      connection, timeout: forwarder.options.statementTimeout, body)
  }

  /// ``guarded(_:)`` for any connection (the session's opening uses it before there is one).
  static func guarded(
    _ connection: PostgresConnection, timeout: Duration,
    _ body: @escaping @Sendable () async throws -> Void
  ) async throws(CentralError) {
    guard !connection.isClosed else { throw .unreachable(reason: "connection closed") }
    try await withDeadline(timeout, onTimeout: { Task { try? await connection.close() } }, body)
  }
}
