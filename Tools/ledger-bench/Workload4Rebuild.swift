// Workload 4: rebuild of all projections (baselines: a full scan of the log).
// Each system's loop is written out on its own, so a reader sees exactly what each baseline does.
import Foundation
import TreatmentLedger

extension Workloads {
  static func ledgerRebuild(_ context: ChildContext) async throws -> Measurement {
    let ledger = try openLedger(context.ledgerDataset, unsealed: context.unsealed)
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
      workload: 4, operation: context.label, system: context.ledgerSystem, events: events,
      nanos: elapsed,
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
}
