// Workload 2: single-event durable appends from 8 concurrent appenders.
// Each system's loop is written out on its own, so a reader sees exactly what each baseline does.
import Foundation
import TreatmentLedger

extension Workloads {
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
}
