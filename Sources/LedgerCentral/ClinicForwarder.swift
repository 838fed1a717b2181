import Foundation
import LedgerEventStore
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// Forwards one clinic's log to the central copy, exactly once and in order (docs/CENTRAL.md).
///
/// ```swift
/// let forwarder = ClinicForwarder(
///   store: ledger.store, database: try CentralDatabase(url: url), clinic: clinic)
/// try await forwarder.forwardOnce()        // everything stored now, then return
/// try await forwarder.run()                // follow the log until the task is cancelled
/// ```
///
/// - The store is read in short read transactions of ``Options/eventsPerBatch`` stored records
///   (never across an `await`); each batch is written in one PostgreSQL transaction that locks
///   the clinic's row, checks that the batch continues the central head (its first position is
///   the head's next and its first `previousHash` the head's hash), inserts the rows and advances
///   the head. A batch therefore lands exactly once, in order, or not at all, whatever instant the
///   forwarder or the server stops.
/// - One forwarder per clinic: a session-level advisory lock is taken when connecting; a second
///   forwarder of the clinic fails with ``CentralError/anotherForwarder(clinic:)``.
/// - A store that does not continue the central chain (forked, restored from an older backup,
///   another clinic's) fails with ``CentralError/chainMismatch(clinic:position:reason:)`` or
///   ``CentralError/storeBehind(clinic:storeEvents:centralEvents:)``: nothing is overwritten.
/// - ``run()`` waits out lost and refused connections with exponential backoff, logging the
///   reason (a PostgreSQL error code, never event data).
public struct ClinicForwarder: Sendable {
  /// How a forwarder batches, waits and retries.
  public struct Options: Sendable {
    /// Stored records read and written per batch (one read transaction, one PostgreSQL one).
    public var eventsPerBatch = 2_000
    /// The first wait after a lost connection; doubled after each failure up to
    /// ``maximumRetryDelay``.
    public var initialRetryDelay: Duration = .milliseconds(200)
    /// The longest wait between reconnection attempts.
    public var maximumRetryDelay: Duration = .seconds(10)
    /// How often an idle forwarder reports the clinic's head (for `central status`).
    public var reportInterval: Duration = .seconds(5)
    /// After losing its connection, how long ``ClinicForwarder/run(onBatch:)`` waits for the
    /// server to release its old session's lock before taking "another forwarder" as final.
    public var lockReleaseWait: Duration = .seconds(30)
    /// How long one batch's transaction, or one report, may take before the connection is taken
    /// as lost (closed, and retried by ``ClinicForwarder/run(onBatch:)``).
    public var statementTimeout: Duration = .seconds(60)
    /// Creates the default options.
    public init() {}
  }

  /// What a forwarder has done.
  public struct Progress: Sendable, Hashable {
    /// Events written to the central copy by this forwarder.
    public var forwarded: UInt64 = 0
    /// Batches written.
    public var batches: Int = 0
    /// Events of the clinic in the central copy after the last batch.
    public var centralEvents: UInt64 = 0
  }

  /// The clinic's store (read only; no key needed: the stored bytes are forwarded).
  public let store: EventStore
  /// The central copy.
  public let database: CentralDatabase
  /// The clinic's id in the central copy.
  public let clinic: ClinicID
  /// Batching and retrying.
  public let options: Options
  /// Where the forwarder logs (batches at debug, faults at warning).
  public let logger: Logger

  /// A forwarder of `store` as `clinic` into `database`.
  public init(
    store: EventStore, database: CentralDatabase, clinic: ClinicID, options: Options = Options(),
    logger: Logger = Logger(label: "treatment-ledger.central")
  ) {
    self.store = store
    self.database = database
    self.clinic = clinic
    self.options = options
    self.logger = logger
  }

  /// Forwards every event stored now that the central copy lacks, then returns.
  @discardableResult
  public func forwardOnce() async throws(CentralError) -> Progress {
    let session = try await ForwardSession.open(self)
    var progress = Progress()
    do {
      try await session.forwardAvailable(into: &progress)
    } catch {
      await session.close()
      throw error
    }
    await session.close()
    return progress
  }

  /// Forwards the log and follows it (new events within the store's poll interval) until the
  /// task is cancelled. Lost or refused connections are retried with backoff; a chain mismatch,
  /// a second forwarder or a store error ends it with that error.
  public func run(
    onBatch: (@Sendable (Progress) -> Void)? = nil
  ) async throws(CentralError) {
    var delay = options.initialRetryDelay
    var progress = Progress()
    // After a lost connection the server may not yet have ended the old session, which still
    // holds the clinic's lock: only then is "another forwarder" waited out, for a while.
    var lostSessionAt: ContinuousClock.Instant?
    while !Task.isCancelled {
      do throws(CentralError) {
        let session = try await ForwardSession.open(self)
        delay = options.initialRetryDelay
        lostSessionAt = nil
        do {
          try await session.follow(into: &progress, onBatch: onBatch)
        } catch {
          await session.close()
          if error.isTransient { lostSessionAt = .now }
          throw error
        }
        await session.close()
        return
      } catch  where error.isTransient || lostSession(lostSessionAt, error) {
        logger.warning(
          "central copy unreachable; retrying",
          metadata: [
            "clinic": "\(clinic)", "reason": "\(error)",
            "retryMilliseconds":
              "\(delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000)",
          ])
        try? await Task.sleep(for: delay)
        delay = min(delay * 2, options.maximumRetryDelay)
      }
    }
  }
}

extension ClinicForwarder {
  /// True for "another forwarder" shortly after this forwarder lost its own session (whose lock
  /// the server releases when it notices).
  func lostSession(_ lostAt: ContinuousClock.Instant?, _ error: CentralError) -> Bool {
    guard case .anotherForwarder = error, let lostAt else { return false }
    return ContinuousClock.now - lostAt < options.lockReleaseWait
  }
}

/// One connection of a forwarder, holding the clinic's advisory lock, and the central head.
final class ForwardSession: @unchecked Sendable {
  let forwarder: ClinicForwarder
  let connection: PostgresConnection
  /// The central head: the last position forwarded (-1 when none) and its hash.
  var headPosition: Int64
  var headHash: ChainHash
  var lastReport = ContinuousClock.now
  /// The clinic's key check in the central copy, once read (ForwardSession+Keys.swift).
  var centralKeyCheck: CentralKeyCheck = .unknown

  private init(
    forwarder: ClinicForwarder, connection: PostgresConnection, headPosition: Int64,
    headHash: ChainHash
  ) {
    self.forwarder = forwarder
    self.connection = connection
    self.headPosition = headPosition
    self.headHash = headHash
  }

  var logger: Logger { forwarder.logger }
  var clinic: String { forwarder.clinic.rawValue }

  /// Connects, takes the clinic's lock, and checks that the store continues the central head.
  static func open(_ forwarder: ClinicForwarder) async throws(CentralError) -> ForwardSession {
    let logger = forwarder.logger
    let clinic = forwarder.clinic.rawValue
    let timeout = forwarder.options.statementTimeout
    let connection = try await forwarder.database.connect(logger: logger, timeout: timeout)
    do {
      let acquired = Mutex(true)
      try await guarded(connection, timeout: timeout) {
        let locked = try await connection.query(
          "SELECT pg_try_advisory_lock(hashtextextended(\("treatment-ledger forward " + clinic), 0))",
          logger: logger)
        for try await (value) in locked.decode(Bool.self) { acquired.withLock { $0 = value } }
      }
      guard acquired.withLock({ $0 }) else { throw CentralError.anotherForwarder(clinic: clinic) }
      let found = Mutex<(Int64, ChainHash, ChainHash?)>((-1, .zero, nil))
      try await guarded(connection, timeout: timeout) {
        try await connection.query(
          """
          INSERT INTO treatment_ledger.clinics (clinic_id) VALUES (\(clinic))
          ON CONFLICT (clinic_id) DO NOTHING
          """, logger: logger)
        let rows = try await connection.query(
          """
          SELECT head_position, head_hash, first_hash FROM treatment_ledger.clinics
          WHERE clinic_id = \(clinic)
          """, logger: logger)
        for try await (position, hash, first) in rows.decode(
          (Int64, ByteBuffer, ByteBuffer?).self)
        {
          let row = (
            position, ChainHash(bytes: Array(buffer: hash)) ?? .zero,
            first.flatMap { ChainHash(bytes: Array(buffer: $0)) }
          )
          found.withLock { $0 = row }
        }
      }
      let head = found.withLock { $0 }
      let session = ForwardSession(
        forwarder: forwarder, connection: connection, headPosition: head.0, headHash: head.1)
      try session.checkStoreContinues(first: head.2)
      return session
    } catch {
      // Not awaited: closing a connection the server ended may never answer.
      Task { try? await connection.close() }
      throw CentralDatabase.describe(error)
    }
  }

  func close() async {
    // Not awaited: closing a connection the server ended may never answer either.
    let connection = self.connection
    Task { try? await connection.close() }
  }

  /// The store must hold the central head's event, with the same hash, and the same first event.
  private func checkStoreContinues(first: ChainHash?) throws(CentralError) {
    guard headPosition >= 0 else { return }
    let central = UInt64(headPosition)
    let storeEvents: UInt64
    do { storeEvents = try forwarder.store.nextPosition() } catch { throw .store(error) }
    if let first, storeEvents > 0, try storedHash(at: 0) != first {
      throw .chainMismatch(
        clinic: clinic, position: 0, reason: "the first event differs: another store")
    }
    guard storeEvents > central else {
      throw .storeBehind(clinic: clinic, storeEvents: storeEvents, centralEvents: central + 1)
    }
    if try storedHash(at: central) != headHash {
      throw .chainMismatch(
        clinic: clinic, position: central, reason: "the event at the central head differs")
    }
  }

  private func storedHash(at position: UInt64) throws(CentralError) -> ChainHash? {
    let records: [(position: UInt64, value: [UInt8])]
    do {
      records = try forwarder.store.readStoredRecords(from: position, limit: 1)
    } catch { throw .store(error) }
    guard let value = records.first?.value, let split = RecordCodec.split(value) else {
      return nil
    }
    return ChainHash(bytes: split.hash)
  }

  /// Forwards until the store has nothing more.
  func forwardAvailable(into progress: inout ClinicForwarder.Progress) async throws(CentralError) {
    try await sendKeysIfRewrapped()
    try await forwardPipelined(into: &progress)
    try await sendKeysIfRewrapped()
  }

  /// Forwards and waits for new events until cancelled.
  func follow(
    into progress: inout ClinicForwarder.Progress,
    onBatch: (@Sendable (ClinicForwarder.Progress) -> Void)?
  ) async throws(CentralError) {
    while !Task.isCancelled {
      // A connection the server closed while idle (a restart, pg_terminate_backend).
      if connection.isClosed { throw .unreachable(reason: "connection closed by the server") }
      try await sendKeysIfRewrapped()
      if try await forwardNextBatch(into: &progress) {
        onBatch?(progress)
        continue
      }
      if ContinuousClock.now - lastReport >= forwarder.options.reportInterval {
        try await reportClinicHead()
      }
      do {
        _ = try await forwarder.store.waitForEvents(
          beyond: UInt64(headPosition + 1), timeout: forwarder.options.reportInterval)
      } catch { throw .store(error) }
    }
  }
}
