// Workload 1: single durable appends by one appender, for TreatmentLedger, raw LMDB and SQLite.
// Each system's loop is written out on its own, so a reader sees exactly what each baseline does.
import Foundation
import TreatmentLedger

extension Workloads {
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
}
