import Foundation
import LedgerEventStore
import LedgerFoundation

/// A finished export: its directory, its manifest and the manifest's SHA-256.
public struct AuditExport: Sendable, Hashable {
  /// The export directory: the files are there once the export is recorded.
  public var directory: String
  /// Where the files are until the export is recorded: `.<name>.partial-<pid>` beside
  /// ``directory``, renamed to it by ``AuditExporter/record(_:in:)``.
  public var stagingDirectory: String
  /// The manifest as written.
  public var manifest: AuditManifest
  /// SHA-256 of `manifest.json` (hex): recorded in `$audit`.
  public var manifestSHA256: String
  /// `signature.json`, when the request had a signer.
  public var signature: AuditSignature? = nil
  /// `keys.json`, when the request named auditors' keys: which streams' data keys it carries,
  /// sealed to whom (never a key in plain).
  public var keys: AuditKeysFile? = nil
  /// Seconds the export took (reading and writing, not recording).
  public var seconds: Double

  /// Paths of the files written (the manifest last), once the export is recorded.
  public var paths: [String] {
    manifest.files.map { directory + "/" + $0.name } + [directory + "/" + AuditManifest.fileName]
      + (signature == nil ? [] : [directory + "/" + AuditSignature.fileName])
  }

  /// Removes an export that was not recorded: its staging directory and everything in it (the
  /// export created that directory and nothing else writes there).
  public func removeFiles() {
    try? FileManager.default.removeItem(atPath: stagingDirectory)
  }
}

/// Writes audit exports from an `EventStore` (docs/AUDIT.md).
///
/// ```swift
/// let store = try EventStore.open(at: path, options: readOnly)   // or ledger.store
/// let export = try await AuditExporter(store: store, semantics: ClinicalAuditSemantics()).export(
///   AuditExportRequest(directory: "/mnt/audit/2026-03", filter: march,
///                      exportedBy: officer, reason: "Quarterly DEA review"))
/// store.close()
/// try await AuditExporter.record(export, in: writableStore)        // the `$audit` event
/// ```
///
/// - The export reads the store in short read transactions of ``AuditExportRequest/eventsPerRead``
///   events, encodes a few of those chunks at once in child tasks and writes them in order, so
///   memory stays flat for any size and appends by other tasks or processes continue
///   meanwhile (LMDB readers never block writers). It covers the log as it was when it began:
///   events appended later are not included, and the manifest names that head.
/// - NDJSON lines are the stored bytes. A whole-log NDJSON export without `inRange` marks
///   copies them without decoding the events (only each chunk's first and last, for the
///   manifest); a record that is not a log value of this store's version fails the export,
///   naming its position. Other damage (bytes that no longer hash to their hash, say) is copied
///   as stored, as it must be: `audit verify` on the export and `verify` on the store find it.
/// - It works on a read-only store; recording needs a writable one. One process cannot open the
///   same store twice, so a tool that exported read-only closes that handle before it opens the
///   store to record (the `treatment-ledger audit export` command does this), while a service
///   uses its own open ledger for both (`Ledger.exportAudit(_:progress:)` in TreatmentLedger).
/// - The exporter is `Sendable` and keeps no state between exports.
public struct AuditExporter: Sendable {
  /// Where the records are read: the store, or another copy of its log.
  public let source: any AuditRecordSource
  /// What the exported records mean (patient streams, corrections, voids).
  public let semantics: any AuditSemantics

  /// An exporter reading `store`, rendering its records with `semantics`.
  public init(store: EventStore, semantics: any AuditSemantics) {
    self.init(source: store, semantics: semantics)
  }

  /// An exporter reading `source` (a copy of one store's log, such as the chain's central copy),
  /// rendering its records with `semantics`: the files are those a store's export gives.
  public init(source: any AuditRecordSource, semantics: any AuditSemantics) {
    self.source = source
    self.semantics = semantics
  }

  /// The `$audit` event type.
  public static let eventType = "AuditExported"

  /// Writes the export described by `request`: the chosen files, then `manifest.json`, in the
  /// staging directory beside `request.directory` (``AuditExport/stagingDirectory``);
  /// ``record(_:in:)`` moves them to `request.directory`.
  ///
  /// `progress` is called after each read with (events written, events expected); the expected
  /// count is exact for whole-log exports and an upper bound for patient exports.
  ///
  /// - Throws: ``AuditError`` for an invalid request or filter, an output directory that is not
  ///   empty, a file-system error (the files written so far are removed), or a store error.
  public func export(
    _ request: AuditExportRequest,
    progress: (@Sendable (_ written: UInt64, _ expected: UInt64) -> Void)? = nil
  ) async throws(AuditError) -> AuditExport {
    let started = ContinuousClock.now
    try request.filter.validate(using: semantics)
    guard !request.formats.isEmpty else {
      throw .invalidRequest(reason: "choose at least one format (ndjson, csv)")
    }
    if !request.auditorKeys.isEmpty {
      guard request.formats.contains(.ndjson) else {
        throw .invalidRequest(reason: "an export for auditors' keys needs the ndjson format")
      }
      _ = try AuditorKeyPair.publicKeys(request.auditorKeys.map(Hex.encode))
      guard source is EventStore else {
        throw .invalidRequest(
          reason: "auditors' keys are exported from the clinic's store, which holds the data keys")
      }
    }
    guard !request.reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
      throw .invalidRequest(reason: "a reason is required")
    }
    for (field, value) in [
      ("id", request.exportedBy.id), ("name", request.exportedBy.name),
      ("role", request.exportedBy.role),
    ] where value.trimmingCharacters(in: .whitespaces).isEmpty || value.utf8.count > 200 {
      throw .invalidRequest(reason: "the exporter's \(field) must be 1–200 bytes, not blank")
    }
    guard (1...100_000).contains(request.eventsPerRead) else {
      throw .invalidRequest(reason: "eventsPerRead must be from 1 to 100000")
    }

    let staging = try AuditStaging.prepare(request.directory)
    var job = ExportJob(
      store: source, semantics: semantics, request: request, directory: staging, progress: progress)
    do {
      let export = try await job.run(started: started)
      guard let signer = request.signer else { return export }
      return try export.signed(by: signer)
    } catch {
      job.removeWritten()
      try? FileManager.default.removeItem(atPath: staging)
      throw error
    }
  }

  /// The `$audit` event recording `export`: who (its `recordedBy`), why, the filter, the counts,
  /// the positions and the manifest's SHA-256 — never a patient's data. Its `eventId` is the
  /// export's id, so recording twice stores it once.
  public static func auditEvent(for export: AuditExport) -> ProposedEvent {
    let manifest = export.manifest
    var filter: [String: JSONValue] = ["time": .string(manifest.filter.time.rawValue)]
    if let patientId = manifest.filter.patientId { filter["patientId"] = .string(patientId) }
    if let streamId = manifest.filter.streamId { filter["stream"] = .string(streamId) }
    if let from = manifest.filter.from { filter["from"] = .string(from) }
    if let to = manifest.filter.to { filter["to"] = .string(to) }
    var data: [String: JSONValue] = [
      "exportId": .string(manifest.exportId),
      "reason": .string(manifest.reason),
      "filter": .object(filter),
      "formats": .array(manifest.files.map { .string($0.format.rawValue) }),
      "events": .number(Double(manifest.counts.events)),
      "eventsInRange": .number(Double(manifest.counts.eventsInRange)),
      "storeEvents": .number(Double(manifest.anchors.store.events)),
      "storeChainHead": .string(manifest.anchors.store.chainHead),
      "manifestSha256": .string(export.manifestSHA256),
      "format": .string(manifest.format),
      "tool": .string("\(manifest.tool.name) \(manifest.tool.version)"),
    ]
    if let first = manifest.anchors.first {
      data["firstGlobalPosition"] = .number(Double(first.globalPosition))
    }
    if let last = manifest.anchors.last {
      data["lastGlobalPosition"] = .number(Double(last.globalPosition))
      data["lastHash"] = .string(last.hash)
    }
    return ProposedEvent(
      eventId: UUID(uuidString: manifest.exportId) ?? UUID(), type: eventType,
      occurredAt: manifest.generatedAt, recordedBy: manifest.generatedBy, data: .object(data))
  }

  /// Records `export` in the reserved `$audit` stream, then renames its staging directory to
  /// its final name, and returns the stored event.
  ///
  /// When it cannot be recorded, the export's files are removed (an export nobody can account
  /// for is not left behind) and ``AuditError/notRecorded(_:)`` is thrown. When it is recorded
  /// but cannot be renamed, ``AuditError/output(path:reason:)`` names both directories.
  @discardableResult
  public static func record(
    _ export: AuditExport, in store: EventStore
  ) async throws(AuditError) -> RecordedEvent {
    let event = auditEvent(for: export)
    let stored: RecordedEvent
    do throws(EventStoreError) {
      let result = try await store.appendSystem([event], to: StreamNames.audit)
      guard let found = try store.event(id: event.eventId) else {
        throw .corruptRecord(
          position: result.positions.first?.globalPosition ?? 0,
          reason: "the audit event was not found")
      }
      stored = found
    } catch {
      export.removeFiles()
      throw .notRecorded(error)
    }
    try AuditStaging.publish(export)
    return stored
  }
}

/// One export in progress: the plan, the writers and the running counts.
private struct ExportJob {
  let store: any AuditRecordSource
  let semantics: any AuditSemantics
  let request: AuditExportRequest
  /// Where the files are written (the staging directory).
  let directory: String
  let progress: (@Sendable (UInt64, UInt64) -> Void)?
  var ndjson: HashingFileWriter?
  var csv: HashingFileWriter?
  var written: [String] = []
  var count: UInt64 = 0
  var inRange: UInt64 = 0
  var first: AuditManifest.EventAnchor?
  var last: RecordedEvent?
  var expected: UInt64 = 0
  let markRange: Bool
  /// The data key versions the exported sealed events use, by stream (for `keys.json`).
  var keyVersions: [String: Set<UInt64>] = [:]
  /// Chunks read ahead of the one being written: enough to keep the cores encoding, few enough
  /// that memory holds at most this many chunks of ``AuditExportRequest/eventsPerRead`` events.
  static let window = 2 * min(4, max(1, ProcessInfo.processInfo.activeProcessorCount))

  init(
    store: any AuditRecordSource, semantics: any AuditSemantics, request: AuditExportRequest,
    directory: String, progress: (@Sendable (UInt64, UInt64) -> Void)?
  ) {
    self.store = store
    self.semantics = semantics
    self.request = request
    self.directory = directory
    self.progress = progress
    markRange = request.filter.time == .occurredAt && request.filter.hasRange
  }

  mutating func removeWritten() {
    ndjson = nil
    csv = nil
    for path in written { try? FileManager.default.removeItem(atPath: path) }
  }

  mutating func run(started: ContinuousClock.Instant) async throws(AuditError) -> AuditExport {
    let filter = request.filter.recordingStream(using: semantics)
    if request.formats.contains(.ndjson) {
      let path = directory + "/" + AuditManifest.ndjsonFileName
      ndjson = try HashingFileWriter(path: path)
      written.append(path)
    }
    if request.formats.contains(.csv) {
      let path = directory + "/" + AuditManifest.csvFileName
      let writer = try HashingFileWriter(path: path)
      written.append(path)
      try writer.write(AuditCSV.byteOrderMark)
      var header: [UInt8] = []
      AuditCSV.appendRow(AuditCSV.header, to: &header)
      try writer.write(header)
      csv = writer
    }

    // The log as it is now: nothing at or after `storeHead.events` is exported.
    let storeHead: AuditManifest.StoreHead
    let storeFormat: String
    do { (storeHead, storeFormat) = try await store.auditHead() } catch { throw .store(error) }
    let generatedAt = Timestamp.format(micros: Timestamp.nowMicros())

    let anchors: AuditManifest.Anchors
    do {
      if let stream = filter.stream(using: semantics) {
        anchors = try await exportStream(stream, end: storeHead.events, storeHead: storeHead)
      } else {
        anchors = try await exportLog(end: storeHead.events, storeHead: storeHead)
      }
    } catch let error as AuditError {
      throw error
    } catch let error as EventStoreError {
      throw .store(error)
    } catch {
      throw .store(.corruptRecord(position: 0, reason: "unexpected error while exporting"))
    }

    var files: [AuditManifest.FileEntry] = []
    if let ndjson {
      let sha = try ndjson.finish()
      files.append(
        AuditManifest.FileEntry(
          name: AuditManifest.ndjsonFileName, format: .ndjson, sha256: sha,
          bytes: ndjson.bytesWritten,
          records: count))
    }
    if let csv {
      let sha = try csv.finish()
      files.append(
        AuditManifest.FileEntry(
          name: AuditManifest.csvFileName, format: .csv, sha256: sha, bytes: csv.bytesWritten,
          records: count))
    }
    let exportId = UUID().lowercasedString
    let keys = try writeKeys(exportId: exportId)
    if let keys { files.append(keys.entry) }
    var manifest = AuditManifest(
      exportId: exportId, tool: request.tool, storeFormat: storeFormat,
      generatedAt: generatedAt, generatedBy: request.exportedBy, reason: request.reason,
      filter: filter, counts: AuditManifest.Counts(events: count, eventsInRange: inRange),
      anchors: anchors, files: files)
    if !request.auditorKeys.isEmpty { manifest.format = AuditManifest.formatWithKeys }
    let bytes = manifest.encoded()
    let manifestPath = directory + "/" + AuditManifest.fileName
    let manifestWriter = try HashingFileWriter(path: manifestPath)
    written.append(manifestPath)
    try manifestWriter.write(bytes)
    _ = try manifestWriter.finish()
    AuditStaging.syncDirectory(directory)
    let elapsed = ContinuousClock.now - started
    return AuditExport(
      directory: request.directory, stagingDirectory: directory, manifest: manifest,
      manifestSHA256: ChainHash.sha256(bytes).hex, keys: keys?.file,
      seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
  }

  // MARK: Whole log

  /// Exports positions of the log: all of them below `end`, or those recorded in the range.
  private mutating func exportLog(
    end: UInt64, storeHead: AuditManifest.StoreHead
  ) async throws -> AuditManifest.Anchors {
    let filter = request.filter
    var low: UInt64 = 0
    var high = end
    if !filter.coversWholeChain {
      if let from = filter.fromMicros {
        low = min(end, try await store.eventCount(recordedAtOrBefore: from - 1))
      }
      if let to = filter.toMicros {
        high = min(end, try await store.eventCount(recordedAtOrBefore: to - 1))
      }
      high = max(low, high)
    }
    let before = low > 0 ? try await store.storedEvent(at: low - 1) : nil
    let after = high < end ? try await store.storedEvent(at: high) : nil
    expected = high - low
    // Chunks of stored records are read here, one short read transaction each, decoded (only
    // as far as the files need) and encoded a few at once in child tasks, and written and hashed
    // here in order.
    let (store, chunk) = (self.store, UInt64(request.eventsPerRead))
    let (formats, markRange, semantics) = (request.formats, self.markRange, self.semantics)
    let collectKeys = !request.auditorKeys.isEmpty
    var start = low
    try await orderedParallelMap(
      window: Self.window,
      next: { () async throws(AuditError) -> [StoredRecord]? in
        guard start < high else { return nil }
        let count = Int(min(chunk, high - start))
        do throws(EventStoreError) {
          let records = try await store.storedRecords(from: start, limit: count, end: high)
          if records.count != count || records.first?.position != start {
            throw .corruptRecord(position: start, reason: "missing from the log")
          }
          start += UInt64(count)
          return records
        } catch {
          throw .store(error)
        }
      },
      transform: { records in
        EncodedChunk.encoding(
          records, formats: formats, filter: filter, markRange: markRange,
          collectKeys: collectKeys, semantics: semantics)
      },
      consume: { (encoded) throws(AuditError) in
        if let failure = encoded.failure { throw .store(failure) }
        try write(encoded)
      })
    return AuditManifest.Anchors(
      chain: .log, first: first, last: last.map(AuditManifest.EventAnchor.init),
      before: before.map(AuditManifest.EventAnchor.init),
      after: after.map(AuditManifest.EventAnchor.init),
      store: storeHead, streamHead: nil)
  }

  // MARK: One patient's stream

  /// Exports versions of `stream` stored below position `end`: all of them, or those recorded
  /// in the range.
  private mutating func exportStream(
    _ stream: String, end: UInt64, storeHead: AuditManifest.StoreHead
  ) async throws -> AuditManifest.Anchors {
    let filter = request.filter
    let chunk = request.eventsPerRead
    let currentVersion = try await store.streamVersion(stream)
    expected = currentVersion.map { $0 + 1 } ?? 0
    guard currentVersion != nil else {
      return AuditManifest.Anchors(
        chain: .stream, first: nil, last: nil, before: nil, after: nil, store: storeHead,
        streamHead: nil)
    }
    var low: UInt64 = 0
    if !filter.coversWholeChain, let from = filter.fromMicros, let top = currentVersion {
      low = try await firstVersion(of: stream, recordedFrom: from, upTo: top, end: end)
    }
    let before = low > 0 ? try await event(of: stream, low - 1, end: end) : nil
    var after: RecordedEvent?
    var version = low
    var reachedEnd = false
    expected = (currentVersion ?? 0) + 1 - low
    while !reachedEnd {
      let events = try await store.storedStream(
        stream, from: version, direction: .forward, limit: chunk)
      var batch: [RecordedEvent] = []
      batch.reserveCapacity(events.count)
      for event in events {
        if event.globalPosition >= end {
          reachedEnd = true
          break
        }
        if !filter.coversWholeChain, let to = filter.toMicros,
          (Timestamp.parseMicros(event.recordedAt) ?? .max) >= to
        {
          after = event
          reachedEnd = true
          break
        }
        batch.append(event)
      }
      try write(batch)
      guard let lastRead = events.last, events.count == chunk else { break }
      version = lastRead.streamVersion + 1
    }

    // When the stream went on past the range, its head is its last event stored before `end`.
    let streamHead = after == nil ? last ?? before : try await lastEvent(of: stream, end: end)
    return AuditManifest.Anchors(
      chain: .stream, first: first, last: last.map(AuditManifest.EventAnchor.init),
      before: before.map(AuditManifest.EventAnchor.init),
      after: after.map(AuditManifest.EventAnchor.init),
      store: storeHead,
      streamHead: streamHead.map {
        AuditManifest.StreamHead(
          streamVersion: $0.streamVersion, globalPosition: $0.globalPosition, hash: $0.hash.hex)
      })
  }

  /// The event at `version` of `stream`, or nil when there is none or it was stored at or after
  /// `end`.
  private func event(of stream: String, _ version: UInt64, end: UInt64) async throws
    -> RecordedEvent?
  {
    guard
      let event = try await store.storedStream(
        stream, from: version, direction: .forward, limit: 1
      ).first,
      event.streamVersion == version, event.globalPosition < end
    else { return nil }
    return event
  }

  /// The first version of `stream` (up to `top`) recorded at or after `from`, or stored at or
  /// after `end`: recordedAt never decreases along a stream, so a binary search finds it.
  private func firstVersion(
    of stream: String, recordedFrom from: Int64, upTo top: UInt64, end: UInt64
  ) async throws -> UInt64 {
    var lower: UInt64 = 0
    var upper = top + 1
    while lower < upper {
      let middle = lower + (upper - lower) / 2
      let candidate = try await event(of: stream, middle, end: end)
      let reached =
        candidate.map { (Timestamp.parseMicros($0.recordedAt) ?? .max) >= from } ?? true
      if reached { upper = middle } else { lower = middle + 1 }
    }
    return lower
  }

  /// The last event of `stream` stored before position `end`, read backward a chunk at a time.
  private func lastEvent(of stream: String, end: UInt64) async throws -> RecordedEvent? {
    let chunk = request.eventsPerRead
    var from: UInt64? = nil
    while true {
      let events = try await store.storedStream(
        stream, from: from, direction: .backward, limit: chunk)
      if let event = events.first(where: { $0.globalPosition < end }) { return event }
      guard let oldest = events.last, oldest.streamVersion > 0, events.count == chunk else {
        return nil
      }
      from = oldest.streamVersion - 1
    }
  }

  // MARK: Writing

  /// Writes `keys.json` when the request names auditors' keys, and returns it and its entry.
  private mutating func writeKeys(
    exportId: String
  ) throws(AuditError) -> (file: AuditKeysFile, entry: AuditManifest.FileEntry)? {
    guard !request.auditorKeys.isEmpty else { return nil }
    guard let store = store as? EventStore else {
      throw .invalidRequest(
        reason: "auditors' keys are exported from the clinic's store, which holds the data keys")
    }
    let keys = try AuditKeysFile.make(
      exportId: exportId, used: keyVersions, auditors: request.auditorKeys, store: store)
    let path = directory + "/" + AuditKeysFile.fileName
    let writer = try HashingFileWriter(path: path)
    written.append(path)
    try writer.write(keys.encoded())
    let sha = try writer.finish()
    let entry = AuditManifest.FileEntry(
      name: AuditKeysFile.fileName, format: .keys, sha256: sha, bytes: writer.bytesWritten,
      records: UInt64(keys.streams.count))
    return (keys, entry)
  }

  private mutating func write(_ events: [RecordedEvent]) throws(AuditError) {
    try write(
      EncodedChunk(
        events, formats: request.formats, filter: request.filter, markRange: markRange,
        semantics: semantics))
  }

  private mutating func write(_ chunk: EncodedChunk) throws(AuditError) {
    guard let lastEvent = chunk.last else { return }
    try ndjson?.write(chunk.ndjson)
    try csv?.write(chunk.csv)
    if first == nil, let event = chunk.first { first = AuditManifest.EventAnchor(event) }
    last = lastEvent
    count += chunk.count
    inRange += chunk.inRange
    keyVersions.merge(chunk.keyVersions) { $0.union($1) }
    progress?(count, max(expected, count))
  }
}
