// Workload 3: import in large batches (writes the data set of workloads 4–6).
// Each system's loop is written out on its own, so a reader sees exactly what each baseline does.
import Foundation
import TreatmentLedger

extension Workloads {
  static func ledgerImport(_ context: ChildContext, path: String) async throws -> Measurement {
    fresh(path)
    try FileManager.default.createDirectory(
      atPath: context.dataset, withIntermediateDirectories: true)
    let ledger = try openLedger(path, unsealed: context.unsealed)
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
      workload: 3, system: context.ledgerSystem, events: count, nanos: timed, latencies: latencies,
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
}
