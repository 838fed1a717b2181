import Foundation
import LedgerLMDB

extension EventStore {
  /// Events folded per write transaction while catching up or rebuilding: bounded, so no
  /// transaction (and no reader) is held for long and appends interleave.
  static let projectionBatch: UInt64 = 2_000

  func handle(_ name: String) throws(EventStoreError) -> ProjectionHandle {
    guard let handle = projections.first(where: { $0.name == name }) else {
      throw .unknownProjection(name: name)
    }
    return handle
  }

  /// The names of the registered projections.
  public var projectionNames: [String] { projections.map(\.name) }

  /// Where projection `name` stands.
  public func status(projection name: String) throws(EventStoreError) -> ProjectionStatus {
    let handle = try handle(name)
    return try withRead { txn in
      let meta = try layout.projectionMeta(txn, name)
      return ProjectionStatus(
        name: name, storedVersion: meta?.version, codeVersion: handle.version,
        checkpoint: meta?.checkpoint ?? 0, head: try layout.head(txn).nextPosition)
    }
  }

  /// The stored state of projection `name` for `stream`, or nil when the stream has none. For a
  /// ``KeyedStreamProjection``, which stores many records per stream, read
  /// ``projectionRecords(_:stream:)``, or the typed `projectionState(_:stream:)` that
  /// takes the projection, instead; this returns nil for it.
  ///
  /// A projection that is behind the log is caught up first; a stale one throws
  /// `.projectionStale` (never serves state made by other code). A current projection (the usual
  /// case: appends update it inline) is read in a read transaction only, so reads never wait
  /// for the writer.
  public func projectionState(_ name: String, stream: String) throws(EventStoreError) -> [UInt8]? {
    try projectionRecords(name, stream: stream).first { $0.key.isEmpty }?.value
  }

  /// The stored records of projection `name` for `stream` in key order (empty when the stream
  /// has none): the records of a ``KeyedStreamProjection``, or the one record (under the empty
  /// key) of a ``StreamProjection``. Current, caught up or refused exactly as
  /// the `projectionState(_:stream:)` that takes a name.
  public func projectionRecords(_ name: String, stream: String) throws(EventStoreError)
    -> [ProjectionRecord]
  {
    let handle = try handle(name)
    // nil: behind the log (or never run) in a store that can catch it up.
    let current: [ProjectionRecord]? = try withRead { txn in
      let meta = try layout.projectionMeta(txn, name)
      let head = try layout.head(txn).nextPosition
      if isReadOnly, meta?.version != handle.version || meta?.checkpoint ?? 0 < head {
        // A read-only handle cannot bring the stored state up to date: fold the stream's events
        // in this snapshot instead, so it never serves state behind the log or of other code.
        guard handle.includes(stream) else { return [] }
        let events = try streamEvents(stream, txn)
        return events.isEmpty ? [] : try foldedRecords(handle, stream: stream, events: events, txn)
      }
      guard let meta else { return nil }
      guard meta.version == handle.version else {
        throw EventStoreError.projectionStale(
          name: name, storedVersion: meta.version, codeVersion: handle.version)
      }
      guard meta.checkpoint >= head else { return nil }
      return try storedRecords(name, slot: meta.slot, stream: stream, txn)
    }
    if let current { return current }
    try catchUp(projection: name)
    return try withRead { txn in
      guard let meta = try layout.projectionMeta(txn, name) else {
        throw EventStoreError.projectionStale(
          name: name, storedVersion: 0, codeVersion: handle.version)
      }
      guard meta.version == handle.version else {
        throw EventStoreError.projectionStale(
          name: name, storedVersion: meta.version, codeVersion: handle.version)
      }
      return try storedRecords(name, slot: meta.slot, stream: stream, txn)
    }
  }

  /// The state of keyed `projection` for `stream`, assembled from its records, or nil when the
  /// stream has none. Current, caught up or refused exactly as
  /// the `projectionState(_:stream:)` that takes a name.
  ///
  /// ```swift
  /// let timeline = try store.projectionState(PatientTimelineProjection(), stream: "patient-7f3a")
  /// ```
  public func projectionState<P: KeyedStreamProjection>(
    _ projection: P, stream: String
  ) throws(EventStoreError) -> P.State? {
    let records = try projectionRecords(projection.name, stream: stream)
    guard !records.isEmpty else { return nil }
    let handle = try handle(projection.name)
    guard handle.projectionType == P.self, handle.version == projection.version,
      let cache = handle.cache as? DecodedStateCache<P.State>
    else { return try projection.state(stream: stream, records: records) }
    // The records as one byte string: a state assembled from exactly these records is served
    // again without decoding them (as for a whole state, checked on every read).
    var fingerprint: [UInt8] = []
    fingerprint.reserveCapacity(records.reduce(0) { $0 + $1.key.count + $1.value.count + 16 })
    for record in records {
      fingerprint += UInt64(record.key.count).bigEndianBytes
      fingerprint += record.key
      fingerprint += UInt64(record.value.count).bigEndianBytes
      fingerprint += record.value
    }
    if let state = cache.state(stream: stream, storedBytes: fingerprint) { return state }
    let state = try projection.state(stream: stream, records: records)
    cache.store(stream: stream, bytes: fingerprint, state: state)
    return state
  }

  /// The decoded state of `projection` for `stream`, or nil when the stream has none: what
  /// ``projectionState(_:stream:)`` returns, decoded with the projection's `decode`.
  ///
  /// The store keeps the states it last folded or decoded for recently used streams in memory;
  /// one is served only when the stored bytes are exactly the bytes it encodes to (checked on
  /// every call), so a repeated read skips decoding and never sees other state than a decode
  /// would give.
  ///
  /// ```swift
  /// let timeline = try store.projectionState(PatientTimelineProjection(), stream: "patient-7f3a")
  /// ```
  public func projectionState<P: StreamProjection>(
    _ projection: P, stream: String
  ) throws(EventStoreError) -> P.State? {
    guard let bytes = try projectionState(projection.name, stream: stream) else { return nil }
    let handle = try handle(projection.name)
    guard handle.projectionType == P.self, handle.version == projection.version,
      let cache = handle.cache as? DecodedStateCache<P.State>
    else { return try projection.decode(bytes, stream: stream) }
    if let state = cache.state(stream: stream, storedBytes: bytes) { return state }
    let state = try projection.decode(bytes, stream: stream)
    cache.store(stream: stream, bytes: bytes, state: state)
    return state
  }

  /// Brings projection `name` up to the head of the log in bounded transactions, after which
  /// appends update it inline. Does nothing when it is current; throws `.projectionStale` when
  /// its state is of another version (rebuild it instead).
  public func catchUp(projection name: String) throws(EventStoreError) {
    let handle = try handle(name)
    while true {
      let done: Bool = try withWrite { txn in
        let head = try layout.head(txn).nextPosition
        var meta =
          try layout.projectionMeta(txn, name)
          ?? ProjectionMeta(version: handle.version, slot: 0, checkpoint: 0)
        guard meta.version == handle.version else {
          throw EventStoreError.projectionStale(
            name: name, storedVersion: meta.version, codeVersion: handle.version)
        }
        if meta.checkpoint >= head {
          if try layout.projectionMeta(txn, name) == nil {
            try layout.putProjectionMeta(txn, name, meta)
          }
          return true
        }
        let end = min(head, meta.checkpoint + Self.projectionBatch)
        try fold(handle, slot: meta.slot, from: meta.checkpoint, to: end, txn)
        meta.checkpoint = end
        try layout.putProjectionMeta(txn, name, meta)
        return end == head
      }
      if done { return }
    }
  }

  /// Rebuilds projection `name` from the log beside the live state, which readers keep reading
  /// and appends keep updating meanwhile. The log is read in bounded transactions; when the new
  /// state has caught up with the head, it is compared with the live state (per stream) and
  /// swapped in, atomically, in the same transaction. A failure leaves the live state untouched
  /// and names the event that failed.
  ///
  /// Runs on its own thread; `progress` gets (events folded, log head). See
  /// ``rebuild(projections:replaceDiffering:progress:)`` for when the live state is kept.
  public func rebuild(
    projection name: String, replaceDiffering: Bool = false,
    progress: (@Sendable (UInt64, UInt64) -> Void)? = nil
  ) async throws(EventStoreError) -> RebuildReport {
    let reports = try await rebuild(
      projections: [name], replaceDiffering: replaceDiffering, progress: progress)
    guard let report = reports.first else { throw .unknownProjection(name: name) }
    return report
  }

  /// Rebuilds several projections in one pass over the log: each event is read and decoded once
  /// and folded into every projection, each beside its live state as
  /// ``rebuild(projection:replaceDiffering:progress:)`` does. All are swapped in in the same transaction, and a
  /// failure of any leaves every live state untouched. Returns one report per projection, in
  /// the order named (a name given twice is rebuilt once); `seconds` is the whole pass.
  ///
  /// - A live state of the same version is first brought up to the head of the log, so the
  ///   comparison is between two states of the same events. If the rebuilt state then differs
  ///   from it, the live state has been damaged or was written by faulty code: the differences
  ///   are reported and, unless `replaceDiffering` is true, nothing is swapped
  ///   (``RebuildReport/replaced`` is false). A live state of another version, or none, is
  ///   always replaced.
  /// - One rebuild at a time per store: the rebuild claims the store's maintenance lock
  ///   (`maintenance.lock`, seen by every process), and a second one is refused with
  ///   `.maintenanceInProgress` naming the holder.
  ///
  /// ```swift
  /// let reports = try await store.rebuild(projections: store.projectionNames)
  /// ```
  public func rebuild(
    projections names: [String], replaceDiffering: Bool = false,
    progress: (@Sendable (UInt64, UInt64) -> Void)? = nil
  ) async throws(EventStoreError) -> [RebuildReport] {
    var handles: [ProjectionHandle] = []
    for name in names where !handles.contains(where: { $0.name == name }) {
      handles.append(try handle(name))
    }
    guard !handles.isEmpty else { return [] }
    let chosen = handles
    let result: Result<[RebuildReport], EventStoreError> = await withCheckedContinuation {
      continuation in
      let thread = Thread {
        continuation.resume(
          returning: Result { () throws(EventStoreError) in
            try self.rebuildNow(chosen, replaceDiffering: replaceDiffering, progress: progress)
          })
      }
      thread.name = "TreatmentLedger.rebuild.\(chosen.map(\.name).joined(separator: "+"))"
      thread.start()
    }
    return try result.get()
  }

  private func rebuildNow(
    _ handles: [ProjectionHandle], replaceDiffering: Bool,
    progress: (@Sendable (UInt64, UInt64) -> Void)?
  ) throws(EventStoreError) -> [RebuildReport] {
    let claim = try MaintenanceLock(
      storePath: path, work: "rebuild of \(handles.map(\.name).joined(separator: " + "))")
    defer { claim.release() }
    let started = ContinuousClock.now
    let live: [ProjectionMeta?] = try withRead { txn in
      try handles.map { try layout.projectionMeta(txn, $0.name) }
    }
    // Bring a live state of this code's version to the head, so that it is compared with a
    // rebuild of the same events (a store appended to without its projections falls behind).
    for (handle, meta) in zip(handles, live) where meta?.version == handle.version {
      try catchUp(projection: handle.name)
    }
    let liveSlots = live.map { $0?.slot ?? 1 }
    let targets = zip(handles, liveSlots).map { FoldTarget(handle: $0, slot: $1 == 0 ? 1 : 0) }
    for target in targets { try clearSlot(target.handle.name, slot: target.slot) }
    var checkpoint: UInt64 = 0
    // Per target, the digest of each stream's records in the rebuilt slot (committed batches).
    var digests = targets.map { _ in [String: RecordSetDigest]() }
    while true {
      // The body may run again after the map grows, so `checkpoint` and `digests` move only once
      // it committed.
      let (end, reports, tallies): (UInt64, [RebuildReport]?, [SlotTally]) = try withWrite {
        txn in
        let head = try layout.head(txn).nextPosition
        let end = min(head, checkpoint + Self.projectionBatch)
        let tallies = targets.map { _ in SlotTally() }
        let tallied = zip(targets, tallies).map {
          FoldTarget(handle: $0.handle, slot: $0.slot, tally: $1)
        }
        try fold(tallied, from: checkpoint, to: end, txn)
        guard end == head else { return (end, nil, tallies) }
        // Caught up inside this transaction: compare with the live states and swap.
        let rebuilt = zip(digests, tallies).map { $1.applied(to: $0) }
        let reports = try swap(
          targets, rebuilt: rebuilt, head: head, replaceDiffering: replaceDiffering, txn)
        return (end, reports, tallies)
      }
      checkpoint = end
      if reports == nil { digests = zip(digests, tallies).map { $1.applied(to: $0) } }
      progress?(checkpoint, max(checkpoint, (try? nextPosition()) ?? checkpoint))
      if let reports {
        for (target, report) in zip(targets, reports) {
          let liveSlot = target.slot == 0 ? UInt8(1) : 0
          try clearSlot(target.handle.name, slot: report.replaced ? liveSlot : target.slot)
        }
        let elapsed = ContinuousClock.now - started
        let seconds =
          Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return reports.map { report in
          var report = report
          report.seconds = seconds
          logger.info(
            "projection rebuilt",
            metadata: [
              "projection": "\(report.projection)", "events": "\(report.eventsRead)",
              "differing": "\(report.differingStreams.count + report.missingStreams.count)",
              "replaced": "\(report.replaced)",
            ])
          return report
        }
      }
    }
  }

  /// In the transaction where the rebuilt states reached `head`: brings each live state of the
  /// same version to `head`, compares, and makes each rebuilt state live unless it differs from a
  /// live state of the same version and `replaceDiffering` is false.
  private func swap(
    _ targets: [FoldTarget], rebuilt: [[String: RecordSetDigest]], head: UInt64,
    replaceDiffering: Bool, _ txn: WriteTransaction
  ) throws -> [RebuildReport] {
    try zip(targets, rebuilt).map { target, digests in
      let name = target.handle.name
      let previous = try layout.projectionMeta(txn, name)
      if let previous, previous.version == target.handle.version, previous.checkpoint < head {
        try fold(target.handle, slot: previous.slot, from: previous.checkpoint, to: head, txn)
        try layout.putProjectionMeta(
          txn, name,
          ProjectionMeta(version: previous.version, slot: previous.slot, checkpoint: head))
      }
      var report = try compareSlots(name, live: previous?.slot, rebuilt: digests, txn)
      report.eventsRead = head
      report.replacedVersion = previous?.version
      let unexpected =
        previous?.version == target.handle.version
        && !(report.differingStreams.isEmpty && report.missingStreams.isEmpty)
      report.replaced = replaceDiffering || !unexpected
      if report.replaced {
        try layout.putProjectionMeta(
          txn, name,
          ProjectionMeta(version: target.handle.version, slot: target.slot, checkpoint: head))
      }
      return report
    }
  }

  /// Rebuilds one stream's state of projection `name` from the stream's events, compares it with
  /// the live state and replaces it, in one transaction. A live state that differs is reported
  /// and kept unless `replaceDiffering` is true (``RebuildReport/replaced``).
  public func rebuild(
    projection name: String, stream: String, replaceDiffering: Bool = false
  ) throws(EventStoreError) -> RebuildReport {
    let handle = try handle(name)
    try catchUp(projection: name)
    let started = ContinuousClock.now
    var report: RebuildReport = try withWrite { txn in
      guard let meta = try layout.projectionMeta(txn, name) else {
        throw EventStoreError.unknownProjection(name: name)
      }
      let events = try streamEvents(stream, txn)
      // A damaged (unopenable) live record makes the stream's state differ.
      let live = try storedRecordsIfIntact(name, slot: meta.slot, stream: stream, txn)
      var report = RebuildReport(
        projection: name, eventsRead: UInt64(events.count), streams: 1, differingStreams: [],
        missingStreams: [], replacedVersion: meta.version, seconds: 0)
      guard handle.includes(stream), !events.isEmpty else { return report }
      let rebuilt = try foldedRecords(handle, stream: stream, events: events, txn)
      if live?.isEmpty == true {
        report.missingStreams = [stream]
      } else if live != rebuilt {
        report.differingStreams = [stream]
      }
      report.replaced = replaceDiffering || live == rebuilt
      if report.replaced, live != rebuilt {
        try replaceRecords(name, slot: meta.slot, stream: stream, with: rebuilt, txn)
      }
      return report
    }
    let elapsed = ContinuousClock.now - started
    report.seconds =
      Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    return report
  }

  /// Replaces the `live` records of `stream` in `slot` by `rebuilt`.
  private func replaceRecords(
    _ name: String, slot: UInt8, stream: String, with rebuilt: [ProjectionRecord],
    _ txn: WriteTransaction
  ) throws {
    let base = Layout.projectionStateKey(name, slot: slot, stream: stream)
    func key(_ record: ProjectionRecord) -> [UInt8] {
      record.key.isEmpty ? base : base + [0] + record.key
    }
    for stored in try storedRecordKeys(name, slot: slot, stream: stream, txn) {
      try txn.delete(layout.projectionState, stored)
    }
    for record in rebuilt {
      let sealed = try derivedSealer.seal(
        record.value, stream: stream, database: "projection-state", key: key(record), in: txn)
      try txn.put(layout.projectionState, key(record), sealed)
    }
  }

  // MARK: Internals

  /// A projection and the slot a fold writes, and what tallies the records written (a rebuild).
  struct FoldTarget {
    let handle: ProjectionHandle
    let slot: UInt8
    var tally: SlotTally?
  }

  /// Folds log positions [from, to) into `slot`, stream by stream, in `txn`.
  func fold(
    _ handle: ProjectionHandle, slot: UInt8, from: UInt64, to: UInt64, _ txn: WriteTransaction
  ) throws {
    try fold([FoldTarget(handle: handle, slot: slot, tally: nil)], from: from, to: to, txn)
  }

  /// Folds log positions [from, to) into every target, stream by stream, in `txn`, reading and
  /// decoding each event once.
  func fold(_ targets: [FoldTarget], from: UInt64, to: UInt64, _ txn: WriteTransaction) throws {
    var order: [String] = []
    var byStream: [String: [RecordedEvent]] = [:]
    var position = from
    var erased: [String: Bool] = [:]
    // Each stream's data keys read once for the whole fold (it writes no keys).
    var keys: [String: StreamKeys] = [:]
    func memo(_ stream: String) -> StreamKeys {
      if let known = keys[stream] { return known }
      let made = StreamKeys(stream: stream)
      keys[stream] = made
      return made
    }
    var lastMemo: StreamKeys?
    while position < to {
      guard let value = try txn.get(layout.log, position.bigEndianBytes) else {
        throw EventStoreError.corruptRecord(position: position, reason: "missing from the log")
      }
      let decoded = try RecordCodec.decode(position: position, value)
      let streamKeys =
        lastMemo?.stream == decoded.streamId ? lastMemo : memo(decoded.streamId)
      lastMemo = streamKeys
      let recorded = try openData(decoded, txn, keys: streamKeys)
      let isErased =
        try erased[recorded.streamId] ?? (layout.erasure(txn, recorded.streamId) != nil)
      erased[recorded.streamId] = isErased
      if !isErased, targets.contains(where: { $0.handle.includes(recorded.streamId) }) {
        if byStream[recorded.streamId] == nil { order.append(recorded.streamId) }
        byStream[recorded.streamId, default: []].append(recorded)
      }
      position += 1
    }
    for target in targets {
      for stream in order where target.handle.includes(stream) {
        let events = byStream[stream] ?? []
        try foldInto(
          target.handle, slot: target.slot, stream: stream, events: events, txn,
          keys: memo(stream), tally: target.tally)
      }
    }
  }

  /// Folds `events` of `stream` into its stored state in `slot`.
  func foldInto(
    _ handle: ProjectionHandle, slot: UInt8, stream: String, events: [RecordedEvent],
    _ txn: WriteTransaction, keys: StreamKeys? = nil, tally: SlotTally? = nil
  ) throws {
    let records = ProjectionRecords(
      stream: stream, name: handle.name, slot: slot, store: self, txn: txn, keys: keys,
      tally: tally)
    try handle.fold(records, events)
    records.finishTally()
  }

  /// Every event of `stream`, in stream order, read in `txn`.
  /// An erased stream has none: its data is gone, so nothing is derived from it.
  func streamEvents(_ stream: String, _ txn: Transaction) throws -> [RecordedEvent] {
    if try layout.erasure(txn, stream) != nil { return [] }
    let prefix = Layout.streamPrefix(stream)
    return try txn.withCursor(layout.streams) { cursor in
      var events: [RecordedEvent] = []
      var entry = try cursor.seek(atLeast: prefix)
      while let current = entry, current.key.starts(with: prefix),
        current.key.count == prefix.count + 8
      {
        guard let position = UInt64(bigEndianBytes: current.value) else {
          throw EventStoreError.incompatibleStore(reason: "a streams value has the wrong size")
        }
        events.append(try event(at: position, txn))
        entry = try cursor.next()
      }
      return events
    }
  }

  /// Deletes every state of `slot` in bounded transactions.
  private func clearSlot(_ name: String, slot: UInt8) throws(EventStoreError) {
    let prefix = Layout.projectionSlotPrefix(name, slot: slot)
    while true {
      let done: Bool = try withWrite { txn in
        let keys: [[UInt8]] = try txn.withCursor(layout.projectionState) { cursor in
          var keys: [[UInt8]] = []
          var entry = try cursor.seek(atLeast: prefix)
          while let current = entry, current.key.starts(with: prefix), keys.count < 5_000 {
            keys.append(current.key)
            entry = try cursor.next()
          }
          return keys
        }
        for key in keys { try txn.delete(layout.projectionState, key) }
        return keys.count < 5_000
      }
      if done { return }
    }
  }

  /// Runs `body` in a write transaction of its own on the store's writer thread (after the
  /// appends queued before it; the calling thread waits), mapping errors to ``EventStoreError``.
  /// Catch-up, rebuild batches and repairs write through here, so every write transaction of
  /// the store begins and commits on the one writer thread.
  func withWrite<R>(_ body: (WriteTransaction) throws -> R) throws(EventStoreError) -> R {
    guard let writer else { throw .readOnly }
    do {
      return try writer.perform { try environment.write { txn in try body(txn) } }
    } catch let error as EventStoreError {
      throw error
    } catch let error as LMDBError {
      throw error.code == .environmentClosed ? .closed : .storage(error)
    } catch {
      throw .storage(LMDBError(.other(-1), operation: "write"))
    }
  }
}
