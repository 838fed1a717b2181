import Foundation
import LedgerLMDB
import Logging

/// An append-only, hash-chained event store on LMDB.
///
/// ```swift
/// let store = try EventStore.open(at: "/var/lib/clinic/ledger", logger: logger)
/// let result = try await store.append([event], to: "patient-7f3a", expectedVersion: .noStream)
/// let events = try store.readStream("patient-7f3a")
/// ```
///
/// - Appends are atomic and durable (flushed to disk) when they return. Concurrent appends from
///   tasks of one process share one write transaction and one flush (group commit); each caller
///   still gets its own result or error. Several processes may append to one store at once.
/// - Reads are synchronous snapshots and never block appends.
/// - Every event is hash-chained twice: to the previous event of the log and to the previous event
///   of its stream, so both the whole log and one stream can be verified on their own.
///
/// The store is `Sendable`: share one instance per path across the process (LMDB allows one
/// environment per path per process, and a second ``open(at:options:logger:)`` of the same path
/// throws).
public final class EventStore: Sendable {
  /// Settings for opening a store.
  public struct Options: Sendable {
    /// Create the store when the path holds none. Default true.
    public var createIfMissing: Bool = true
    /// Open without the right to append (for exports and verification beside a running service).
    public var readOnly: Bool = false
    /// Initial LMDB map size; it grows on demand. Default 64 MiB.
    public var initialMapSize: Int = 64 << 20
    /// Commit durability. Leave at `.durable` for clinical data.
    public var durability: Environment.Durability = .durable
    /// Most events one group commit writes; bounds a transaction's size. Default 20,000.
    public var maximumEventsPerCommit: Int = 20_000
    /// A file outside the store where the chain anchor (event count and chain head, as JSON:
    /// `{"events":N,"chainHead":"…"}`) is written after every commit of this process, replaced
    /// atomically. Keep it on another disk or ship it to a log: `verify` against it detects
    /// removal of the newest events, which the chain alone cannot show.
    public var anchorFile: String?
    /// Rules consulted inside every append to the streams they govern (see ``AppendReviewer``).
    public var reviewer: (any AppendReviewer)?
    /// Projections kept beside the log (``KeyedStreamProjection`` or ``StreamProjection``);
    /// names must be unique.
    public var projections: [any ProjectionDefinition] = []
    /// The clock that stamps `recordedAt`: microseconds since 1970-01-01T00:00:00Z. Defaults to
    /// the system clock; tests inject one to move time backwards or far ahead. The store never
    /// stamps a commit earlier than the one before it, whatever this clock says, and refuses to
    /// commit while it reads outside ``Timestamp/recordedAtRange``.
    public var clock: @Sendable () -> Int64 = { Timestamp.nowMicros() }
    /// Streams whose `data` and derived state are sealed under per-stream data keys, and the
    /// key-encryption key (see ``Sealing``). A store that was created with sealing records its
    /// prefixes and refuses to open writable without it; a read-only handle without it verifies
    /// and exports but cannot open sealed data (``EventStoreError/keyUnavailable(reason:)``).
    public var sealing: Sealing?
    /// The monotonic clock that spaces the clock-behind warnings
    /// (``EventStore/clockWarningInterval``); tests freeze it.
    package var warningClock: @Sendable () -> ContinuousClock.Instant = { .now }

    /// Default options.
    public init() {}
  }

  /// The largest canonical envelope of one event, in bytes (1 MiB).
  public static let maximumEventBytes = 1 << 20

  let environment: Environment
  let layout: Layout
  let logger: Logger
  let notifier = CommitNotifier()
  let reviewer: (any AppendReviewer)?
  let projections: [ProjectionHandle]
  let anchorFile: String?
  /// The clock that stamps `recordedAt` (see ``Options/clock``).
  let clock: @Sendable () -> Int64
  /// Holds back repeated warnings about a clock behind the newest commit.
  let clockWarnings: WarningLimiter
  /// Recently saved review states (see ``DecodedStateCache``), so appends skip decoding them.
  let reviewStateCache = DecodedStateCache<Any>()
  let writer: GroupCommitWriter?
  /// The data keys of sealed streams, nil when the store was opened without sealing.
  let dataKeys: DataKeys?
  /// Seals the derived state of sealed streams (docs/FORMAT.md 2.6).
  let derivedSealer: DerivedSealer
  /// The path of the store's directory.
  public let path: String

  private init(
    environment: Environment, layout: Layout, logger: Logger, writer: GroupCommitWriter?,
    reviewer: (any AppendReviewer)?, projections: [ProjectionHandle], anchorFile: String?,
    clock: @escaping @Sendable () -> Int64, sealing: Sealing?,
    warningClock: @escaping @Sendable () -> ContinuousClock.Instant
  ) {
    self.clockWarnings = WarningLimiter(
      interval: EventStore.clockWarningInterval, now: warningClock)
    let dataKeys = sealing.map { DataKeys($0) }
    self.dataKeys = dataKeys
    self.derivedSealer = DerivedSealer(dataKeys: dataKeys, layout: layout)
    self.anchorFile = anchorFile
    self.clock = clock
    self.environment = environment
    self.reviewer = reviewer
    self.projections = projections
    self.layout = layout
    self.logger = logger
    self.path = environment.path
    self.writer = writer
  }

  /// Opens the store in directory `path`, creating it when `options.createIfMissing` allows.
  ///
  /// The store logs through `logger`, or, when it is nil, through swift-log's task-local
  /// `Logger.current` of the calling task; it never makes a logger of its own.
  ///
  /// - Throws: `.storeNotFound` when there is no store and none may be created,
  ///   `.incompatibleStore` when the files belong to something else, `.storage` for LMDB errors
  ///   (including a path this process has open already).
  public static func open(
    at path: String, options: Options = Options(), logger: Logger? = nil
  ) throws(EventStoreError) -> EventStore {
    let logger = logger ?? Logger.current
    let handles = try ProjectionHandle.handles(of: options.projections)
    let exists = FileManager.default.fileExists(atPath: path + "/data.mdb")
    if !exists && (!options.createIfMissing || options.readOnly) {
      throw .storeNotFound(path: path)
    }
    var environmentOptions = Environment.Options()
    environmentOptions.mapSize = options.initialMapSize
    environmentOptions.readOnly = options.readOnly
    environmentOptions.durability = options.durability
    let environment: Environment
    do { environment = try Environment(path: path, options: environmentOptions) } catch {
      throw .storage(error)
    }
    // Every write, the layout setup included, runs on the store's writer thread.
    let writer =
      options.readOnly
      ? nil : GroupCommitWriter(maximumEvents: max(1, options.maximumEventsPerCommit))
    writer?.start()
    do {
      let layout = try prepareLayout(
        environment, writer: writer, mayCreate: options.createIfMissing, path: path,
        requirement: options.reviewer?.requirement, sealing: options.sealing)
      let store = EventStore(
        environment: environment, layout: layout, logger: logger, writer: writer,
        reviewer: options.reviewer, projections: handles,
        anchorFile: options.anchorFile, clock: options.clock, sealing: options.sealing,
        warningClock: options.warningClock)
      writer?.attach(store)
      logger.debug("opened event store", metadata: ["path": "\(environment.path)"])
      return store
    } catch {
      writer?.stop()
      environment.close()
      throw error
    }
  }

  /// Opens the store's databases. Only an environment that holds nothing yet (one this call or a
  /// concurrent one just created, or one whose creation was interrupted before its first commit)
  /// is given the store's databases and format marker, and only when `mayCreate`; any other
  /// environment must already be a store, so a foreign LMDB environment is refused, never taken
  /// over.
  private static func prepareLayout(
    _ environment: Environment, writer: GroupCommitWriter?, mayCreate: Bool, path: String,
    requirement: ReviewerRequirement?, sealing: Sealing?
  ) throws(EventStoreError) -> Layout {
    do {
      guard let writer else {
        return try environment.read { txn in
          let format = try txn.openDatabase("meta")
          try checkFormat(try txn.get(format, Layout.formatKey))
          let layout = try Layout.open(in: txn)
          if let sealing, let check = try txn.get(layout.meta, Layout.keyCheckKey) {
            try checkKey(sealing.keyProvider, check)
          }
          return layout
        }
      }
      return try writer.perform {
        try setUpLayout(environment, mayCreate, path, requirement, sealing)
      }
    } catch let error as EventStoreError {
      throw error
    } catch let error as LMDBError where error.code == .notFound || error.code == .incompatible {
      throw .incompatibleStore(
        reason: "the LMDB environment holds no TreatmentLedger store (a foreign environment, or an "
          + "`init` that was interrupted: then remove the directory and run init again)")
    } catch let error as LMDBError {
      throw .storage(error)
    } catch {
      throw .incompatibleStore(reason: "unexpected error while opening")
    }
  }

  /// The write half of ``prepareLayout(_:writer:mayCreate:path:requirement:)``; runs on the
  /// writer thread.
  private static func setUpLayout(
    _ environment: Environment, _ mayCreate: Bool, _ path: String,
    _ requirement: ReviewerRequirement?, _ sealing: Sealing?
  ) throws -> Layout {
    return try environment.write { txn in
      if try txn.environmentIsEmpty() {
        guard mayCreate else { throw EventStoreError.storeNotFound(path: path) }
      } else {
        // Refuse before creating anything in an environment that is not a store.
        let meta = try txn.openDatabase("meta")
        try checkFormat(try txn.get(meta, Layout.formatKey))
      }
      let layout = try Layout.create(in: txn)
      if let format = try txn.get(layout.meta, Layout.formatKey) {
        try checkFormat(format)
      } else {
        try txn.put(layout.meta, Layout.formatKey, Array(Layout.formatName.utf8))
      }
      if let requirement {
        let stored = try txn.get(layout.meta, Layout.reviewerKey).flatMap {
          ReviewerRequirement(encoded: $0)
        }
        if let widened = ReviewerRequirement.recording(requirement, over: stored) {
          try txn.put(layout.meta, Layout.reviewerKey, widened.encoded)
        }
      }
      try setUpSealing(sealing, layout, txn)
      return layout
    }
  }

  private static func checkFormat(_ bytes: [UInt8]?) throws(EventStoreError) {
    guard let bytes else { throw .incompatibleStore(reason: "no format marker") }
    let format = String(decoding: bytes, as: UTF8.self)
    if format == Layout.previousFormatName {
      throw .incompatibleStore(
        reason: "this store has the earlier format \(format); copy it into the current format "
          + "with `treatment-ledger migrate --from OLD --to NEW` (OLD this store, NEW a new path)")
    }
    guard format == Layout.formatName else {
      throw .incompatibleStore(
        reason: "unknown format '\(format)' (this build reads \(Layout.formatName))")
    }
  }

  /// Stops the writer (after pending appends finish) and closes the environment. Later calls
  /// throw `.closed`. Safe to call more than once.
  public func close() {
    writer?.stop()
    environment.close()
    notifier.close()
  }

  /// True when the store was opened read-only.
  public var isReadOnly: Bool { writer == nil }

  // MARK: Appending

  /// Appends `events` to `stream`, all or nothing, and returns their positions once they are on
  /// disk.
  ///
  /// - An event whose `eventId` is already stored with the same content is not written again; its
  ///   original position is returned. When every event is such a duplicate, nothing is written,
  ///   the expected version is not checked, and ``AppendResult/wasAlreadyStored`` is true.
  /// - The same id with different content throws `.eventIdConflict`.
  /// - A stream at another version than `expectedVersion` throws `.wrongExpectedVersion`.
  /// In every error case nothing of the batch is written.
  public func append(
    _ events: [ProposedEvent], to stream: String, expectedVersion: ExpectedVersion = .any
  ) async throws(EventStoreError) -> AppendResult {
    let results = try await append([
      StreamAppend(stream: stream, expectedVersion: expectedVersion, events: events)
    ])
    guard let result = results.first else { throw .emptyBatch }
    return result
  }

  /// Appends batches to several streams in one atomic, durable transaction (all or nothing),
  /// returning one result per batch. Used by imports.
  public func append(_ batches: [StreamAppend]) async throws(EventStoreError) -> [AppendResult] {
    try await submit(batches, system: false, options: AppendOptions())
  }

  /// Appends batches with ``AppendOptions``: skip refused events instead of refusing the batch,
  /// and/or decide without writing (a dry run gives exactly the verdicts a real append would).
  public func append(
    _ batches: [StreamAppend], options: AppendOptions
  ) async throws(EventStoreError) -> [AppendResult] {
    try await submit(batches, system: false, options: options)
  }

  /// Appends to a reserved `$` stream (see ``StreamNames``). For the library's own records (the
  /// audit log): `package` access, so no embedding service can write a system stream.
  package func appendSystem(
    _ events: [ProposedEvent], to stream: String
  ) async throws(EventStoreError) -> AppendResult {
    let results = try await submit(
      [StreamAppend(stream: stream, expectedVersion: .any, events: events)], system: true,
      options: AppendOptions())
    guard let result = results.first else { throw .emptyBatch }
    return result
  }

  func submit(
    _ batches: [StreamAppend], system: Bool, options: AppendOptions
  ) async throws(EventStoreError) -> [AppendResult] {
    guard let writer else { throw .readOnly }
    guard !batches.isEmpty, batches.allSatisfy({ !$0.events.isEmpty }) else { throw .emptyBatch }
    // The events' transaction-free work runs ahead of the writer on another thread.
    let prepared = options.erasing ? nil : PreparedAppend.start(batches, store: self)
    defer { prepared?.cancel() }
    return try await writer.submit(batches, system: system, options: options, prepared: prepared)
      .get()
  }

  /// `.reviewerRequired` when one of `batches` appends to a stream governed by `required` that
  /// this handle's rule set (`own`) does not review, else nil.
  private static func unreviewed(
    _ batches: [StreamAppend], _ required: ReviewerRequirement, own: ReviewerRequirement?
  ) -> EventStoreError? {
    batches.first { batch in
      required.governs(batch.stream)
        && !(own?.name == required.name && own?.governs(batch.stream) == true)
    }.map { .reviewerRequired(stream: $0.stream, reviewer: required.name) }
  }

  /// Thrown inside a dry run's child transaction to discard what it wrote.
  private struct DiscardDryRun: Error {
    let results: [AppendResult]
  }

  /// Writes one group of requests in one transaction. Runs on the writer thread only.
  func commit(_ group: [GroupCommitWriter.Request]) -> [Result<[AppendResult], EventStoreError>] {
    var results: [Result<[AppendResult], EventStoreError>?] = []
    var written = false
    var committedHead = Layout.Head.empty
    do {
      try environment.write { txn in
        // This closure may run again after the map grows: start from scratch each time.
        results = Array(repeating: nil, count: group.count)
        let start = try layout.head(txn)
        var head = start
        let micros = try commitMicros(after: head.lastRecordedMicros)
        let required = try layout.requiredReviewer(txn)
        let sealed = try layout.sealedPrefixes(txn)
        let inline = try inlineProjections(txn, start: start)
        for (index, request) in group.enumerated() {
          results[index] = try commitRequest(
            request, alone: group.count == 1, required: required, sealed: sealed, inline: inline,
            txn, &head, micros)
        }
        if head != start {
          try saveHead(&head, micros: micros, inline: inline, txn)
          committedHead = head
          written = true
        }
      }
    } catch let error as EventStoreError {
      // Only a single-request group throws its own error out of the transaction.
      return group.indices.map { _ in .failure(error) }
    } catch let error as LMDBError {
      logger.error("append transaction failed", metadata: ["error": "\(error)"])
      return group.indices.map { _ in .failure(.storage(error)) }
    } catch {
      return group.indices.map { _ in .failure(.storage(LMDBError(.other(-1), operation: "append")))
      }
    }
    if written {
      if let anchorFile { writeAnchor(committedHead, to: anchorFile) }
      notifier.signal()
    }
    return results.map { $0 ?? .failure(.storage(LMDBError(.other(-1), operation: "append"))) }
  }

  /// The projections that have folded the whole log, updated inline by this commit (a new store's
  /// projections too); the others catch up later.
  private func inlineProjections(
    _ txn: WriteTransaction, start: Layout.Head
  ) throws -> [InlineProjection] {
    var inline: [InlineProjection] = []
    for handle in projections {
      let meta = try layout.projectionMeta(txn, handle.name)
      if let meta, meta.version == handle.version, meta.checkpoint == start.nextPosition {
        inline.append(InlineProjection(handle: handle, slot: meta.slot))
      } else if meta == nil && start.nextPosition == 0 {
        inline.append(InlineProjection(handle: handle, slot: 0))
      }
    }
    return inline
  }

  /// Appends one request's batches. Alone in its group (and not a dry run), it writes straight
  /// into `txn` and throws its refusal, which aborts the transaction; otherwise it writes into a
  /// child transaction, so that its refusal (returned) or its dry run discards only its own writes.
  private func commitRequest(
    _ request: GroupCommitWriter.Request, alone: Bool, required: ReviewerRequirement?,
    sealed: [String], inline: [InlineProjection], _ txn: WriteTransaction,
    _ head: inout Layout.Head,
    _ micros: Int64
  ) throws -> Result<[AppendResult], EventStoreError> {
    var tentative = head
    let options = request.options
    do {
      // An erasure writes no patient data and is judged by no rule (``erase(stream:record:basis:)``).
      if !options.erasing, let required,
        let refusal = Self.unreviewed(request.batches, required, own: reviewer?.requirement)
      {
        throw refusal
      }
      if !options.erasing, let refusal = unsealed(request.batches, sealed) { throw refusal }
      if alone && !options.dryRun {
        // Alone in the transaction: a refusal aborts the transaction itself.
        return .success(
          try appendBatches(
            request.batches, system: request.system, options: options, inline: inline, txn,
            &head, micros, prepared: request.prepared))
      }
      let result = try txn.nested { child in
        let result = try appendBatches(
          request.batches, system: request.system, options: options, inline: inline, child,
          &tentative, micros, prepared: request.prepared)
        if options.dryRun { throw DiscardDryRun(results: result) }
        return result
      }
      head = tentative
      return .success(result)
    } catch let discarded as DiscardDryRun {
      return .success(discarded.results)
    } catch let error as EventStoreError {
      // A full map is the transaction's, not the request's: it grows the map and runs again.
      if alone || LMDBError.isMapFull(error) { throw error }
      return .failure(error)
    }
  }

  /// Stores the advanced log head, stamped with this commit's time, and moves the inline
  /// projections' checkpoints to it.
  private func saveHead(
    _ head: inout Layout.Head, micros: Int64, inline: [InlineProjection], _ txn: WriteTransaction
  ) throws {
    head.lastRecordedMicros = micros
    try txn.put(layout.meta, Layout.headKey, head.encoded)
    for projection in inline {
      try layout.putProjectionMeta(
        txn, projection.handle.name,
        ProjectionMeta(
          version: projection.handle.version, slot: projection.slot,
          checkpoint: head.nextPosition))
    }
  }

  /// Replaces the anchor file atomically (write a temporary file, then rename). A failure is
  /// logged, not thrown: the events are committed, and the next commit writes it again.
  private func writeAnchor(_ head: Layout.Head, to path: String) {
    let anchor = ChainAnchor(events: head.nextPosition, chainHead: head.lastHash.hex)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    do {
      let data = try encoder.encode(anchor) + Data([0x0A])
      try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    } catch {
      logger.error("could not write the chain anchor file", metadata: ["path": "\(path)"])
    }
    logger.debug(
      "chain anchor", metadata: ["events": "\(anchor.events)", "chainHead": "\(anchor.chainHead)"])
  }

  // MARK: Reading

  /// Direction of a stream read.
  public enum ReadDirection: Sendable {
    /// From the given version towards the newest.
    case forward
    /// From the given version towards the oldest.
    case backward
  }

  /// Events of `stream` starting at `version` (inclusive), in the given direction, at most
  /// `limit` of them. `version` nil means the first (forward) or the last (backward) event.
  /// An unknown stream gives an empty array.
  public func readStream(
    _ stream: String, from version: UInt64? = nil, direction: ReadDirection = .forward,
    limit: Int = Int.max
  ) throws(EventStoreError) -> [RecordedEvent] {
    try withRead { txn in
      let prefix = Layout.streamPrefix(stream)
      var events: [RecordedEvent] = []
      try txn.withCursor(layout.streams) { cursor in
        var entry: Entry?
        switch direction {
        case .forward:
          entry = try cursor.seek(atLeast: Layout.streamKey(stream, version ?? 0))
        case .backward:
          let start = try cursor.seek(atLeast: Layout.streamKey(stream, version ?? UInt64.max))
          if let start, start.key == Layout.streamKey(stream, version ?? UInt64.max) {
            entry = start
          } else if start == nil {
            entry = try cursor.last()
          } else {
            entry = try cursor.previous()
          }
        }
        while let current = entry, events.count < limit, current.key.starts(with: prefix),
          current.key.count == prefix.count + 8
        {
          guard let position = UInt64(bigEndianBytes: current.value) else {
            throw EventStoreError.incompatibleStore(reason: "a streams value has the wrong size")
          }
          events.append(try event(at: position, txn))
          entry = direction == .forward ? try cursor.next() : try cursor.previous()
        }
      }
      return events
    }
  }

  /// Events of the whole log from global position `position` (inclusive), at most `limit`.
  /// With `recordedAtOrBefore` (microseconds since the epoch), only events the store had
  /// recorded by then: the log as it was at that time.
  public func readAll(
    from position: UInt64 = 0, limit: Int = 1_000, recordedAtOrBefore: Int64? = nil
  ) throws(EventStoreError) -> [RecordedEvent] {
    try withRead { txn in
      var end = try layout.head(txn).nextPosition
      if let cutoff = recordedAtOrBefore { end = try positionsRecorded(by: cutoff, end: end, txn) }
      var events: [RecordedEvent] = []
      var next = position
      while next < end && events.count < limit {
        events.append(try event(at: next, txn))
        next += 1
      }
      return events
    }
  }

  /// The event with id `eventId`, or nil.
  public func event(id eventId: UUID) throws(EventStoreError) -> RecordedEvent? {
    try withRead { txn in
      guard let bytes = try txn.get(layout.eventIds, Layout.eventIdKey(eventId)),
        let position = UInt64(bigEndianBytes: bytes)
      else { return nil }
      return try event(at: position, txn)
    }
  }

  /// The last version of `stream`, or nil when it has no events.
  public func streamVersion(_ stream: String) throws(EventStoreError) -> UInt64? {
    try withRead { txn in try layout.streamHead(txn, stream)?.version }
  }

  /// The global position the next appended event will get (= the number of events).
  public func nextPosition() throws(EventStoreError) -> UInt64 {
    try withRead { txn in try layout.head(txn).nextPosition }
  }

  /// How many events had been recorded at or before `micros` (microseconds since the epoch).
  public func eventCount(recordedAtOrBefore micros: Int64) throws(EventStoreError) -> UInt64 {
    try withRead { txn in
      try positionsRecorded(by: micros, end: try layout.head(txn).nextPosition, txn)
    }
  }

  /// Binary search: recordedAt never decreases along the log.
  private func positionsRecorded(by micros: Int64, end: UInt64, _ txn: Transaction) throws -> UInt64
  {
    var low: UInt64 = 0
    var high = end
    while low < high {
      let middle = low + (high - low) / 2
      let recorded = try event(at: middle, txn).recordedAt
      guard let recordedMicros = Timestamp.parseMicros(recorded) else {
        throw EventStoreError.corruptRecord(position: middle, reason: "recordedAt is not a time")
      }
      if recordedMicros <= micros { low = middle + 1 } else { high = middle }
    }
    return low
  }

  func event(at position: UInt64, _ txn: Transaction) throws -> RecordedEvent {
    guard let value = try txn.get(layout.log, position.bigEndianBytes) else {
      throw EventStoreError.corruptRecord(position: position, reason: "missing from the log")
    }
    return try openData(try RecordCodec.decode(position: position, value), txn)
  }

  /// Runs `body` in a read transaction, mapping every error to ``EventStoreError``.
  func withRead<R>(_ body: (Transaction) throws -> R) throws(EventStoreError) -> R {
    do {
      return try environment.read { txn in try body(txn) }
    } catch let error as EventStoreError {
      throw error
    } catch let error as LMDBError {
      throw error.code == .environmentClosed ? .closed : .storage(error)
    } catch {
      throw .storage(LMDBError(.other(-1), operation: "read"))
    }
  }
}
