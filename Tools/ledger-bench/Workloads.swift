// Over 600 lines, knowingly: each workload is timed for TreatmentLedger, raw LMDB and SQLite side
// by side, and the loops are kept apart (not merged into one generic loop) so that a reader sees
// exactly what each baseline does. Issue 13 adds workload 7 in a file of its own.
import Foundation
import TreatmentLedger

/// How many events each workload uses.
struct Sizes: Codable, Sendable {
  /// Workload 1: single appends by one appender.
  var singleAppends: Int
  /// Workload 2: appenders at once.
  var appenders: Int
  /// Workload 2: single appends in all (split between the appenders).
  var concurrentAppends: Int
  /// Workloads 3–6: events imported (and then rebuilt, read, exported).
  var datasetEvents: Int
  /// Workload 3: events per import batch (whole streams, so about this many).
  var importBatch: Int
  /// Workload 5: timed reads of each kind.
  var reads: Int
  /// The smaller data set for the peak-RSS comparison of rebuild and export (none in quick runs).
  var scalingEvents: Int?

  static let full = Sizes(
    singleAppends: 2_000, appenders: 8, concurrentAppends: 2_000, datasetEvents: 1_000_000,
    importBatch: 5_000, reads: 200, scalingEvents: 100_000)
  static let quick = Sizes(
    singleAppends: 300, appenders: 8, concurrentAppends: 320, datasetEvents: 20_000,
    importBatch: 5_000, reads: 30, scalingEvents: nil)
  /// `--quick` in a debug build (only to test the tool: its figures are not measurements).
  static let quickDebug = Sizes(
    singleAppends: 100, appenders: 8, concurrentAppends: 80, datasetEvents: 5_000,
    importBatch: 2_500, reads: 5, scalingEvents: nil)

  static func chosen(quick: Bool) -> Sizes {
    guard quick else { return .full }
    return LedgerBench.isDebugBuild ? .quickDebug : .quick
  }
}

/// The systems compared.
enum System: String, Codable, Sendable, CaseIterable {
  case ledger = "TreatmentLedger"
  case lmdb = "raw LMDB"
  case sqliteFull = "SQLite FULL"
  case sqliteNormal = "SQLite NORMAL"
}

/// Where one child process works.
struct ChildContext: Sendable {
  var workDirectory: String
  /// The directory holding the data set of workloads 3–6 (`tl`, `lmdb`, `sqlite.db`).
  var dataset: String
  var datasetEvents: Int
  var sizes: Sizes
  /// Label of the figure (`100k events` for the RSS comparison), else empty.
  var label: String
  /// The demo patients the events come from.
  var pool: ClinicPool

  var ledgerDataset: String { dataset + "/tl" }
  var lmdbDataset: String { dataset + "/lmdb" }
  var sqliteDataset: String { dataset + "/sqlite.db" }
}

/// Times one run of a workload in a child process and fills in its memory figures.
struct Run {
  let sampler = AnonymousMemorySampler()

  func finish(
    workload: Int, operation: String = "", system: System, events: Int, nanos: UInt64,
    latencies: Latencies? = nil, diskBytes: Int?, diskEvents: Int? = nil, note: String? = nil
  ) -> Measurement {
    let seconds = Double(nanos) / 1e9
    let anon = sampler.stop()
    let perEvent = diskBytes.map { Double($0) / Double(max(1, diskEvents ?? events)) }
    return Measurement(
      workload: workload, operation: operation, system: system.rawValue, events: events,
      seconds: seconds, eventsPerSecond: seconds > 0 ? Double(events) / seconds : 0,
      p50Micros: latencies?.percentile(0.50), p99Micros: latencies?.percentile(0.99),
      operations: latencies?.samples.count, peakRSSBytes: ProcessMemory.peakResident(),
      peakAnonBytes: anon, diskBytesPerEvent: perEvent, note: note)
  }
}

/// The workloads, one function per (workload, system); each runs in its own child process.
enum Workloads {
  static func run(_ spec: String, _ context: ChildContext) async throws -> [Measurement] {
    switch spec {
    case "w1.tl": return [try await ledgerSingle(context)]
    case "w1.lmdb": return [try lmdbSingle(context)]
    case "w1.sqlite-full": return [try sqliteSingle(context)]
    case "w2.tl": return [try await ledgerConcurrent(context)]
    case "w2.lmdb": return [try lmdbConcurrent(context)]
    case "w2.sqlite-full": return [try sqliteConcurrent(context)]
    case "w3.tl", "prepare.tl":
      return [try await ledgerImport(context, path: context.ledgerDataset)]
    case "w3.lmdb", "prepare.lmdb":
      return [try await lmdbImport(context, path: context.lmdbDataset)]
    case "w3.sqlite-full", "prepare.sqlite":
      return [
        try await sqliteImport(context, path: context.sqliteDataset, synchronous: .sqliteFull)
      ]
    case "w3.sqlite-normal":
      let path = context.workDirectory + "/w3-sqlite-normal.db"
      defer { SQLiteDB.remove(path) }
      return [try await sqliteImport(context, path: path, synchronous: .sqliteNormal)]
    case "w4.tl": return [try await ledgerRebuild(context)]
    case "w4.lmdb": return [try lmdbScan(context)]
    case "w4.sqlite": return [try sqliteScan(context)]
    case "w5.tl": return try ledgerReads(context)
    case "w5.lmdb": return [try lmdbReads(context)]
    case "w5.sqlite": return [try sqliteReads(context)]
    case "w6.tl": return try await ledgerExports(context)
    case "w6.lmdb": return [try lmdbExport(context)]
    case "w6.sqlite": return [try sqliteExport(context)]
    default: throw BenchError("unknown child workload '\(spec)'")
    }
  }

  private static func fresh(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
  }

  private static func openLedger(_ path: String, readOnly: Bool = false) throws -> Ledger {
    try Ledger.open(
      Ledger.Configuration(path: path, readOnly: readOnly, createIfMissing: !readOnly))
  }

  // MARK: 1. Single durable appends, one appender

  static func ledgerSingle(_ context: ChildContext) async throws -> Measurement {
    let path = context.workDirectory + "/w1-tl"
    fresh(path)
    defer { fresh(path) }
    let streams = BenchEvents.patients(context.pool, count: context.sizes.singleAppends)
    let ledger = try openLedger(path)
    let run = Run()
    var latencies = Latencies()
    let start = monotonicNanos()
    for stream in streams {
      for event in stream.events {
        let begin = monotonicNanos()
        let result = try await ledger.store.append([event], to: stream.stream)
        latencies.add(monotonicNanos() - begin)
        guard result.written == 1 else {
          throw BenchError("an append wrote \(result.written) events")
        }
      }
    }
    let elapsed = monotonicNanos() - start
    ledger.close()
    return run.finish(
      workload: 1, system: .ledger, events: latencies.samples.count, nanos: elapsed,
      latencies: latencies,
      diskBytes: DiskUsage.bytes(path))
  }

  /// The baseline events of workload 1 (the same demo events as TreatmentLedger's).
  private static func singleRaw(_ context: ChildContext) -> [RawEvent] {
    let streams = BenchEvents.patients(context.pool, count: context.sizes.singleAppends)
    let recordedAt = BenchEvents.recordedNow()
    return BenchEvents.raw(streams, firstPosition: 0, recordedAt: recordedAt)
  }

  static func lmdbSingle(_ context: ChildContext) throws -> Measurement {
    let path = context.workDirectory + "/w1-lmdb"
    fresh(path)
    defer { fresh(path) }
    let events = singleRaw(context)
    let db = try RawLMDB(path: path)
    let run = Run()
    var latencies = Latencies()
    let start = monotonicNanos()
    for event in events {
      let begin = monotonicNanos()
      try db.append(CollectionOfOne(event))
      latencies.add(monotonicNanos() - begin)
    }
    let elapsed = monotonicNanos() - start
    return run.finish(
      workload: 1, system: .lmdb, events: events.count, nanos: elapsed, latencies: latencies,
      diskBytes: db.diskBytes)
  }

  static func sqliteSingle(_ context: ChildContext) throws -> Measurement {
    let path = context.workDirectory + "/w1-sqlite.db"
    SQLiteDB.remove(path)
    defer { SQLiteDB.remove(path) }
    let events = singleRaw(context)
    let db = try SQLiteDB(path: path, synchronous: "FULL")
    let run = Run()
    var latencies = Latencies()
    let start = monotonicNanos()
    for event in events {
      let begin = monotonicNanos()
      try db.insert(event)  // autocommit: one durable transaction per event
      latencies.add(monotonicNanos() - begin)
    }
    let elapsed = monotonicNanos() - start
    try db.checkpoint()
    return run.finish(
      workload: 1, system: .sqliteFull, events: events.count, nanos: elapsed, latencies: latencies,
      diskBytes: db.diskBytes)
  }

  // MARK: 2. Single-event durable appends from 8 concurrent appenders

  /// Appender `index`'s streams: bench patients from index × 10,000, one after another.
  private static func appenderStreams(_ context: ChildContext, _ index: Int) -> [BenchEvents
    .StreamEvents]
  {
    let perAppender = context.sizes.concurrentAppends / context.sizes.appenders
    return BenchEvents.patients(context.pool, count: perAppender, startingAt: index * 10_000)
  }

  private static func appenderRaw(_ context: ChildContext, _ index: Int) -> [RawEvent] {
    let perAppender = context.sizes.concurrentAppends / context.sizes.appenders
    return BenchEvents.raw(
      appenderStreams(context, index), firstPosition: UInt64(index * perAppender),
      recordedAt: BenchEvents.recordedNow())
  }

  static func ledgerConcurrent(_ context: ChildContext) async throws -> Measurement {
    let path = context.workDirectory + "/w2-tl"
    fresh(path)
    defer { fresh(path) }
    let work = (0..<context.sizes.appenders).map { appenderStreams(context, $0) }
    let ledger = try openLedger(path)
    let run = Run()
    let start = monotonicNanos()
    let all = try await withThrowingTaskGroup(of: Latencies.self) { group in
      for streams in work {
        group.addTask {
          var latencies = Latencies()
          for stream in streams {
            for event in stream.events {
              let begin = monotonicNanos()
              _ = try await ledger.store.append([event], to: stream.stream)
              latencies.add(monotonicNanos() - begin)
            }
          }
          return latencies
        }
      }
      var all = Latencies()
      for try await latencies in group { all.add(contentsOf: latencies) }
      return all
    }
    let elapsed = monotonicNanos() - start
    ledger.close()
    return run.finish(
      workload: 2, system: .ledger, events: all.samples.count, nanos: elapsed, latencies: all,
      diskBytes: DiskUsage.bytes(path), note: "group commit")
  }

  static func lmdbConcurrent(_ context: ChildContext) throws -> Measurement {
    let path = context.workDirectory + "/w2-lmdb"
    fresh(path)
    defer { fresh(path) }
    let work = (0..<context.sizes.appenders).map { appenderRaw(context, $0) }
    let db = try RawLMDB(path: path)
    let run = Run()
    let start = monotonicNanos()
    let results = try onThreads(work.count) { index in
      var latencies = Latencies()
      for event in work[index] {
        let begin = monotonicNanos()
        try db.append(CollectionOfOne(event))
        latencies.add(monotonicNanos() - begin)
      }
      return latencies
    }
    let elapsed = monotonicNanos() - start
    var all = Latencies()
    for latencies in results { all.add(contentsOf: latencies) }
    return run.finish(
      workload: 2, system: .lmdb, events: all.samples.count, nanos: elapsed, latencies: all,
      diskBytes: db.diskBytes, note: "8 threads, one transaction each (LMDB serialises writers)")
  }

  static func sqliteConcurrent(_ context: ChildContext) throws -> Measurement {
    let path = context.workDirectory + "/w2-sqlite.db"
    SQLiteDB.remove(path)
    defer { SQLiteDB.remove(path) }
    let work = (0..<context.sizes.appenders).map { appenderRaw(context, $0) }
    let db = try SQLiteDB(path: path, synchronous: "FULL")
    let lock = NSLock()
    let run = Run()
    let start = monotonicNanos()
    let results = try onThreads(work.count) { index in
      var latencies = Latencies()
      for event in work[index] {
        let begin = monotonicNanos()
        lock.lock()
        defer { lock.unlock() }
        try db.insert(event)
        latencies.add(monotonicNanos() - begin)
      }
      return latencies
    }
    let elapsed = monotonicNanos() - start
    try db.checkpoint()
    var all = Latencies()
    for latencies in results { all.add(contentsOf: latencies) }
    return run.finish(
      workload: 2, system: .sqliteFull, events: all.samples.count, nanos: elapsed, latencies: all,
      diskBytes: db.diskBytes, note: "8 threads sharing one connection under a lock")
  }

  // MARK: 3. Import in large batches (writes the data set of workloads 4–6)

  static func ledgerImport(_ context: ChildContext, path: String) async throws -> Measurement {
    fresh(path)
    try FileManager.default.createDirectory(
      atPath: context.dataset, withIntermediateDirectories: true)
    let ledger = try openLedger(path)
    let run = Run()
    var latencies = Latencies()
    var timed: UInt64 = 0
    var count = 0
    try await BenchEvents.dataset(
      context.pool, count: context.datasetEvents, batchSize: context.sizes.importBatch
    ) { batch in
      let appends = batch.map {
        StreamAppend(stream: $0.stream, expectedVersion: .any, events: $0.events)
      }
      let expected = batch.reduce(0) { $0 + $1.events.count }
      let begin = monotonicNanos()
      let results = try await ledger.store.append(appends)
      let nanos = monotonicNanos() - begin
      timed += nanos
      latencies.add(nanos)
      let written = results.reduce(0) { $0 + $1.written }
      guard written == expected else {
        throw BenchError("a batch wrote \(written) of \(expected) events")
      }
      count += written
    }
    ledger.close()
    return run.finish(
      workload: 3, system: .ledger, events: count, nanos: timed, latencies: latencies,
      diskBytes: DiskUsage.bytes(path),
      note: "batches of ~\(context.sizes.importBatch); latency per batch")
  }

  static func lmdbImport(_ context: ChildContext, path: String) async throws -> Measurement {
    fresh(path)
    let db = try RawLMDB(path: path)
    let run = Run()
    var latencies = Latencies()
    var timed: UInt64 = 0
    var count = 0
    var payloadBytes = 0
    try await BenchEvents.dataset(
      context.pool, count: context.datasetEvents, batchSize: context.sizes.importBatch
    ) { batch in
      let events = BenchEvents.raw(
        batch, firstPosition: UInt64(count), recordedAt: BenchEvents.recordedNow())
      payloadBytes += events.reduce(0) { $0 + $1.canonical.count }
      let begin = monotonicNanos()
      try db.append(events)
      let nanos = monotonicNanos() - begin
      timed += nanos
      latencies.add(nanos)
      count += events.count
    }
    let mean = Double(payloadBytes) / Double(max(1, count))
    return run.finish(
      workload: 3, system: .lmdb, events: count, nanos: timed, latencies: latencies,
      diskBytes: db.diskBytes, note: "mean canonical envelope \(Int(mean.rounded())) bytes")
  }

  static func sqliteImport(_ context: ChildContext, path: String, synchronous: System) async throws
    -> Measurement
  {
    SQLiteDB.remove(path)
    try FileManager.default.createDirectory(
      atPath: context.dataset, withIntermediateDirectories: true)
    let db = try SQLiteDB(path: path, synchronous: synchronous == .sqliteFull ? "FULL" : "NORMAL")
    let run = Run()
    var latencies = Latencies()
    var timed: UInt64 = 0
    var count = 0
    try await BenchEvents.dataset(
      context.pool, count: context.datasetEvents, batchSize: context.sizes.importBatch
    ) { batch in
      let events = BenchEvents.raw(
        batch, firstPosition: UInt64(count), recordedAt: BenchEvents.recordedNow())
      let begin = monotonicNanos()
      try db.insert(batch: events)
      let nanos = monotonicNanos() - begin
      timed += nanos
      latencies.add(nanos)
      count += events.count
    }
    try db.checkpoint()
    return run.finish(
      workload: 3, system: synchronous, events: count, nanos: timed, latencies: latencies,
      diskBytes: db.diskBytes)
  }

  // MARK: 4. Rebuild of all projections (baselines: a full scan of the log)

  static func ledgerRebuild(_ context: ChildContext) async throws -> Measurement {
    let ledger = try openLedger(context.ledgerDataset)
    let events = Int(try ledger.nextPosition())
    let run = Run()
    let start = monotonicNanos()
    var differing = 0
    for report in try await ledger.store.rebuild(projections: ledger.projectionNames) {
      differing += report.differingStreams.count + report.missingStreams.count
    }
    let elapsed = monotonicNanos() - start
    ledger.close()
    let names = ledger.projectionNames.joined(separator: " + ")
    return run.finish(
      workload: 4, operation: context.label, system: .ledger, events: events, nanos: elapsed,
      diskBytes: DiskUsage.bytes(context.ledgerDataset),
      note: "\(names); rate = log events / total time"
        + (differing > 0 ? "; \(differing) streams differed" : ""))
  }

  static func lmdbScan(_ context: ChildContext) throws -> Measurement {
    let db = try RawLMDB(path: context.lmdbDataset, readOnly: true)
    let run = Run()
    var checksum = 0
    let start = monotonicNanos()
    let count = try db.scanLog { _, value in
      checksum &+= value.count &+ Int(value.last ?? 0) &+ Int(value.first ?? 0)
    }
    let elapsed = monotonicNanos() - start
    consume(checksum)
    return run.finish(
      workload: 4, operation: context.label, system: .lmdb, events: count, nanos: elapsed,
      diskBytes: db.diskBytes, note: "full scan of the log (cursor, every value touched)")
  }

  static func sqliteScan(_ context: ChildContext) throws -> Measurement {
    let db = try SQLiteDB(path: context.sqliteDataset, synchronous: "FULL", readOnly: true)
    let run = Run()
    var checksum = 0
    let start = monotonicNanos()
    let count = try db.query(
      "SELECT position, stream, version, payload FROM events ORDER BY position"
    ) { row in
      let payload = sqliteColumn(row, 3)
      checksum &+= payload.count &+ Int(payload.last ?? 0) &+ Int(sqliteInteger(row, 2))
    }
    let elapsed = monotonicNanos() - start
    consume(checksum)
    return run.finish(
      workload: 4, operation: context.label, system: .sqliteFull, events: count, nanos: elapsed,
      diskBytes: db.diskBytes, note: "full scan of the table in position order")
  }

  // MARK: 5. A 1,000-event patient's timeline and course summary

  static func ledgerReads(_ context: ChildContext) throws -> [Measurement] {
    let ledger = try openLedger(context.ledgerDataset)
    defer { ledger.close() }
    let patient = BenchEvents.longPatientId
    let expected = min(BenchEvents.longPatientEvents, context.datasetEvents)
    // The first read of each kind in this process decodes the stored state (nothing is cached
    // yet): reported on its own as "cold", beside the repeated reads below.
    var measurements: [Measurement] = []
    let timelineRun = Run()
    var begin = monotonicNanos()
    let entries = try ledger.timeline(of: patient).entries.count
    let timelineNanos = monotonicNanos() - begin
    guard entries == expected else {
      throw BenchError("the long patient's timeline has \(entries) entries, expected \(expected)")
    }
    measurements.append(
      timelineRun.finish(
        workload: 5, operation: "timeline cold", system: .ledger, events: expected,
        nanos: timelineNanos,
        latencies: Latencies(samples: [timelineNanos]), diskBytes: nil,
        note: "first Ledger.timeline(patientId:) of the process"))
    let summaryRun = Run()
    begin = monotonicNanos()
    consume(try ledger.summary(of: patient).courses.count)
    let summaryNanos = monotonicNanos() - begin
    measurements.append(
      summaryRun.finish(
        workload: 5, operation: "summary cold", system: .ledger, events: expected,
        nanos: summaryNanos,
        latencies: Latencies(samples: [summaryNanos]), diskBytes: nil,
        note: "first Ledger.summary(patientId:) of the process"))
    for operation in ["timeline", "summary"] {
      let run = Run()
      var latencies = Latencies()
      for _ in 0..<5 { try readOnce(ledger, operation, patient) }  // warm-up
      let start = monotonicNanos()
      for _ in 0..<context.sizes.reads {
        let begin = monotonicNanos()
        try readOnce(ledger, operation, patient)
        latencies.add(monotonicNanos() - begin)
      }
      let elapsed = monotonicNanos() - start
      measurements.append(
        run.finish(
          workload: 5, operation: operation, system: .ledger,
          events: expected * context.sizes.reads,
          nanos: elapsed, latencies: latencies, diskBytes: nil,
          note: operation == "timeline"
            ? "Ledger.timeline(patientId:)" : "Ledger.summary(patientId:)"))
    }
    return measurements
  }

  private static func readOnce(_ ledger: Ledger, _ operation: String, _ patient: String) throws {
    if operation == "timeline" {
      consume(try ledger.timeline(of: patient).entries.count)
    } else {
      consume(try ledger.summary(of: patient).courses.count)
    }
  }

  static func lmdbReads(_ context: ChildContext) throws -> Measurement {
    let db = try RawLMDB(path: context.lmdbDataset, readOnly: true)
    let stream = Array(BenchEvents.longStream.utf8)
    let expected = min(BenchEvents.longPatientEvents, context.datasetEvents)
    guard try db.readStream(stream).count == expected else {
      throw BenchError("raw LMDB: the long stream does not have \(expected) events")
    }
    let run = Run()
    var latencies = Latencies()
    for _ in 0..<5 { consume(try db.readStream(stream).count) }
    let start = monotonicNanos()
    for _ in 0..<context.sizes.reads {
      let begin = monotonicNanos()
      consume(try db.readStream(stream).count)
      latencies.add(monotonicNanos() - begin)
    }
    let elapsed = monotonicNanos() - start
    return run.finish(
      workload: 5, operation: "stream read", system: .lmdb, events: expected * context.sizes.reads,
      nanos: elapsed, latencies: latencies, diskBytes: nil,
      note: "streams index range + one log get per event, values copied out")
  }

  static func sqliteReads(_ context: ChildContext) throws -> Measurement {
    let db = try SQLiteDB(path: context.sqliteDataset, synchronous: "FULL", readOnly: true)
    let statement = try db.streamReader()
    defer { SQLiteDB.finalize(statement) }
    let stream = Array(BenchEvents.longStream.utf8)
    let expected = min(BenchEvents.longPatientEvents, context.datasetEvents)
    guard try db.readStream(statement, stream).count == expected else {
      throw BenchError("SQLite: the long stream does not have \(expected) events")
    }
    let run = Run()
    var latencies = Latencies()
    for _ in 0..<5 { consume(try db.readStream(statement, stream).count) }
    let start = monotonicNanos()
    for _ in 0..<context.sizes.reads {
      let begin = monotonicNanos()
      consume(try db.readStream(statement, stream).count)
      latencies.add(monotonicNanos() - begin)
    }
    let elapsed = monotonicNanos() - start
    return run.finish(
      workload: 5, operation: "stream read", system: .sqliteFull,
      events: expected * context.sizes.reads,
      nanos: elapsed, latencies: latencies, diskBytes: nil,
      note: "prepared SELECT payload … WHERE stream = ? ORDER BY version, values copied out")
  }

  // MARK: 6. Audit export

  /// Workload 6 for TreatmentLedger: `AuditExporter.export` of the whole log from a read-only
  /// store (NDJSON only, the format the baselines write; then NDJSON + CSV), and, to separate the
  /// exporter's own cost from the read path, the equivalent through `readAll` (same lines).
  static func ledgerExports(_ context: ChildContext) async throws -> [Measurement] {
    if !context.label.isEmpty {
      return [try await ledgerAuditExport(context, formats: [.ndjson], operation: context.label)]
    }
    return [
      try await ledgerAuditExport(context, formats: [.ndjson], operation: ""),
      try await ledgerAuditExport(context, formats: [.ndjson, .csv], operation: "ndjson+csv"),
      try ledgerExportEquivalent(context),
    ]
  }

  static func ledgerAuditExport(
    _ context: ChildContext, formats: Set<AuditFormat>, operation: String
  ) async throws -> Measurement {
    let ledger = try openLedger(context.ledgerDataset, readOnly: true)
    defer { ledger.close() }
    let events = Int(try ledger.nextPosition())
    let directory = context.workDirectory + "/w6-audit-export"
    fresh(directory)
    defer { fresh(directory) }
    let request = AuditExportRequest(
      directory: directory, formats: formats,
      exportedBy: Recorder(id: "bench", name: "LedgerBench", role: "auditor"),
      reason: "benchmark of issue 7")
    let run = Run()
    let start = monotonicNanos()
    let export = try await AuditExporter(store: ledger.store).export(request)
    let elapsed = monotonicNanos() - start
    // Not recorded: the files stay in the export's staging directory, removed afterwards.
    defer { export.removeFiles() }
    guard export.manifest.counts.events == UInt64(events) else {
      throw BenchError("the export holds \(export.manifest.counts.events) of \(events) events")
    }
    let names = formats.sorted().map(\.rawValue).joined(separator: " + ")
    return run.finish(
      workload: 6, operation: operation, system: .ledger, events: events, nanos: elapsed,
      diskBytes: DiskUsage.bytes(export.stagingDirectory),
      note: "AuditExporter.export, whole log, \(names) + manifest (read-only store)")
  }

  static func ledgerExportEquivalent(_ context: ChildContext) throws -> Measurement {
    let ledger = try openLedger(context.ledgerDataset, readOnly: true)
    defer { ledger.close() }
    let output = context.workDirectory + "/w6-tl.ndjson"
    defer { try? FileManager.default.removeItem(atPath: output) }
    let run = Run()
    let start = monotonicNanos()
    let file = try BufferedFile(path: output)
    var position: UInt64 = 0
    while true {
      let events = try ledger.store.readAll(from: position, limit: 2_000)
      if events.isEmpty { break }
      for event in events {
        try event.hash.bytes.withUnsafeBytes { hash in
          try event.canonicalBytes.withUnsafeBytes { canonical in
            try file.writeLine(hash: hash, canonical: canonical)
          }
        }
      }
      position += UInt64(events.count)
    }
    try file.finish()
    let elapsed = monotonicNanos() - start
    return run.finish(
      workload: 6, operation: "readAll lines", system: .ledger, events: Int(position),
      nanos: elapsed,
      diskBytes: file.bytes,
      note: "readAll in pages of 2,000 + the same NDJSON lines + fsync (no exporter)")
  }

  static func lmdbExport(_ context: ChildContext) throws -> Measurement {
    let db = try RawLMDB(path: context.lmdbDataset, readOnly: true)
    let output = context.workDirectory + "/w6-lmdb.ndjson"
    defer { try? FileManager.default.removeItem(atPath: output) }
    let run = Run()
    let start = monotonicNanos()
    let file = try BufferedFile(path: output)
    let count = try db.scanLog { _, value in
      guard value.count > 33 else { throw BenchError("a log value of \(value.count) bytes") }
      try file.writeLine(
        hash: UnsafeRawBufferPointer(rebasing: value[1..<33]),
        canonical: UnsafeRawBufferPointer(rebasing: value[33...]))
    }
    try file.finish()
    let elapsed = monotonicNanos() - start
    return run.finish(
      workload: 6, operation: context.label, system: .lmdb, events: count, nanos: elapsed,
      diskBytes: file.bytes, note: "cursor scan + the same lines + fsync")
  }

  static func sqliteExport(_ context: ChildContext) throws -> Measurement {
    let db = try SQLiteDB(path: context.sqliteDataset, synchronous: "FULL", readOnly: true)
    let output = context.workDirectory + "/w6-sqlite.ndjson"
    defer { try? FileManager.default.removeItem(atPath: output) }
    let run = Run()
    let start = monotonicNanos()
    let file = try BufferedFile(path: output)
    let count = try db.query("SELECT hash, payload FROM events ORDER BY position") { row in
      try file.writeLine(hash: sqliteColumn(row, 0), canonical: sqliteColumn(row, 1))
    }
    try file.finish()
    let elapsed = monotonicNanos() - start
    return run.finish(
      workload: 6, operation: context.label, system: .sqliteFull, events: count, nanos: elapsed,
      diskBytes: file.bytes, note: "SELECT in position order + the same lines + fsync")
  }
}
