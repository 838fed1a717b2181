// Workload 7 (issue 13): single durable appends to ONE patient whose record grows, timed at
// several history lengths, with what each append adds to the store and writes to disk.
// TreatmentLedger goes through `Ledger.record(_:patient:occurredAt:by:)`, the call a service
// embedding the library makes; raw LMDB appends the same envelopes to one stream.
import Foundation
import TreatmentLedger

extension Workloads {
  /// Events per bulk transaction while the patient's record is grown to the next history length.
  static let longPatientGrowthBatch = 500

  static func ledgerLongPatient(_ context: ChildContext) async throws -> [Measurement] {
    let path = context.workDirectory + "/w7-tl"
    fresh(path)
    defer { fresh(path) }
    let ledger = try openLedger(path)
    defer { ledger.close() }
    let patient = LongPatientEvents.patientId
    var measurements: [Measurement] = []
    var next = 0
    for history in context.sizes.longPatientHistories {
      // Growth (not timed): bulk appends of the patient's next events, in batches.
      while next < history {
        let end = min(history, next + longPatientGrowthBatch)
        let results = try await ledger.record((next..<end).map(LongPatientEvents.entry))
        guard results.count == 1, results[0].written == end - next else {
          throw BenchError("growing the long patient: a batch wrote less than asked")
        }
        next = end
      }
      guard try ledger.store.streamVersion(LongPatientEvents.stream) == UInt64(history - 1) else {
        throw BenchError("the long patient does not have \(history) events")
      }
      let before = try StoreProbe.take(path)
      let statisticsBefore = try ledger.store.statistics()
      let run = Run()
      var latencies = Latencies()
      let start = monotonicNanos()
      for _ in 0..<context.sizes.longPatientAppends {
        let entry = LongPatientEvents.entry(next)
        let begin = monotonicNanos()
        let result = try await ledger.record(
          entry.event, patient: patient, occurredAt: entry.occurredAt, by: entry.recordedBy,
          eventId: entry.eventId)
        latencies.add(monotonicNanos() - begin)
        guard result.written == 1 else { throw BenchError("an append wrote \(result.written)") }
        next += 1
      }
      let elapsed = monotonicNanos() - start
      let after = try StoreProbe.take(path)
      let statisticsAfter = try ledger.store.statistics()
      guard statisticsAfter.fileBytes == after.fileBytes,
        statisticsAfter.events == statisticsBefore.events + UInt64(latencies.samples.count)
      else {
        throw BenchError("EventStore.statistics() disagrees with data.mdb or the appends")
      }
      var measurement = run.finish(
        workload: 7, operation: longPatientOperation(history), system: .ledger,
        events: latencies.samples.count, nanos: elapsed, latencies: latencies,
        diskBytes: DiskUsage.bytes(path), diskEvents: next,
        note: "Ledger.record, one vitals reading per call, patient at \(history) events")
      StoreProbe.perAppend(
        &measurement, before: before, after: after, appends: latencies.samples.count,
        history: history)
      measurements.append(measurement)
    }
    return measurements
  }

  static func lmdbLongPatient(_ context: ChildContext) throws -> [Measurement] {
    let path = context.workDirectory + "/w7-lmdb"
    fresh(path)
    defer { fresh(path) }
    let sizes = context.sizes
    let total = (sizes.longPatientHistories.max() ?? 0) + sizes.longPatientAppends
    let recordedAt = BenchEvents.recordedNow()
    let events = try (0..<total).map { try LongPatientEvents.raw($0, recordedAt: recordedAt) }
    let db = try RawLMDB(path: path)
    var measurements: [Measurement] = []
    var next = 0
    for history in sizes.longPatientHistories {
      while next < history {
        let end = min(history, next + longPatientGrowthBatch)
        try db.append(events[next..<end])
        next = end
      }
      let before = try StoreProbe.take(path)
      try db.checkInfo(against: before)
      let run = Run()
      var latencies = Latencies()
      let start = monotonicNanos()
      for _ in 0..<sizes.longPatientAppends {
        let begin = monotonicNanos()
        try db.append(CollectionOfOne(events[next]))
        latencies.add(monotonicNanos() - begin)
        next += 1
      }
      let elapsed = monotonicNanos() - start
      let after = try StoreProbe.take(path)
      try db.checkInfo(against: after)
      var measurement = run.finish(
        workload: 7, operation: longPatientOperation(history), system: .lmdb,
        events: latencies.samples.count, nanos: elapsed, latencies: latencies,
        diskBytes: db.diskBytes, diskEvents: next,
        note: "one txn per event, stream at \(history) events")
      StoreProbe.perAppend(
        &measurement, before: before, after: after, appends: latencies.samples.count,
        history: history)
      measurements.append(measurement)
    }
    return measurements
  }

  /// The operation name of workload 7's figure at `history` events.
  static func longPatientOperation(_ history: Int) -> String {
    "at \(Format.count(history)) events"
  }
}

extension RawLMDB {
  /// Throws unless `mdb_env_info` agrees with what ``StoreProbe`` read from `data.mdb`'s meta
  /// page: the check that the file reading TreatmentLedger's figures rely on is right.
  func checkInfo(against probe: StoreProbe) throws {
    let current = try self.info()
    guard current.pageSize == probe.pageSize, current.lastPage == probe.lastPage,
      current.transaction == probe.transaction
    else {
      throw BenchError(
        "mdb_env_info (page \(current.pageSize), last page \(current.lastPage), txn \(current.transaction)) "
          + "differs from data.mdb's meta page (\(probe.pageSize), \(probe.lastPage), \(probe.transaction))"
      )
    }
  }
}
