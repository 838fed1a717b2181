// Workload 5: a 1,000-event patient's timeline and course summary.
// Each system's loop is written out on its own, so a reader sees exactly what each baseline does.
import Foundation
import TreatmentLedger

extension Workloads {
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
}
