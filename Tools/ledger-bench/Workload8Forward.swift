// Workload 8 (issue 20): forwarding a clinic's log to the central PostgreSQL (docs/CENTRAL.md)
// beside a plain binary COPY of the same rows into the same table, and the forwarder's lag
// behind a clinic that appends at a fixed rate. Runs only with a PostgreSQL URL (--postgres or
// TREATMENT_LEDGER_POSTGRES_URL); each child makes its own database and drops it.
import Foundation
import LedgerCentral
import Synchronization
import TreatmentLedger

extension Workloads {
  /// The clinic store of workload 8: demo patients from the pool, about `events` events.
  static func forwardingStore(_ context: ChildContext, path: String, events: Int) async throws
    -> Ledger
  {
    fresh(path)
    fresh(KeyFile.defaultPath(forStore: path))
    let ledger = try openLedger(path)
    try await BenchEvents.dataset(context.pool, count: events, batchSize: 5_000) { batch in
      _ = try await ledger.store.append(
        batch.map { StreamAppend(stream: $0.stream, expectedVersion: .any, events: $0.events) })
    }
    return ledger
  }

  /// `forward --once` (the library call) of a demo-sized store into an empty central copy, then
  /// a binary `COPY` of the very same rows into the same table, emptied, in the same child.
  static func forwardAndCopy(_ context: ChildContext) async throws -> [Measurement] {
    let central = try BenchDatabase(context)
    defer { central.drop() }
    let path = context.workDirectory + "/w8-clinic"
    let ledger = try await forwardingStore(
      context, path: path, events: context.sizes.forwardEvents)
    defer {
      ledger.close()
      fresh(path)
      fresh(KeyFile.defaultPath(forStore: path))
    }
    var options = ClinicForwarder.Options()
    options.eventsPerBatch = 2_000
    let forwarder = ClinicForwarder(
      store: ledger.store, database: try CentralDatabase(url: central.url),
      clinic: try ClinicID("bench").orThrow("clinic id"), options: options)
    let run = Run()
    let cpuBefore = StoreProbe.processCPUMicros()
    let begin = monotonicNanos()
    let progress = try await forwarder.forwardOnce()
    let forwardNanos = monotonicNanos() - begin
    let cpu = Double(StoreProbe.processCPUMicros() - cpuBefore) / 1e6
    let events = Int(progress.forwarded)
    let forward = run.finish(
      workload: 8, operation: "forward --once", system: .ledger, events: events,
      nanos: forwardNanos, diskBytes: nil,
      note: "ClinicForwarder.forwardOnce, batches of 2,000: connect, read, insert, checkpoint; "
        + "the forwarder's own CPU \(String(format: "%.2f", cpu)) s of "
        + "\(String(format: "%.2f", Double(forwardNanos) / 1e9)) s")

    let rows = context.workDirectory + "/w8-rows.copy"
    defer { fresh(rows) }
    try central.psql(
      "\\copy (SELECT * FROM treatment_ledger.events ORDER BY global_position) TO '\(rows)' "
        + "WITH (FORMAT binary)")
    try central.psql("TRUNCATE treatment_ledger.events")
    let copyRun = Run()
    let copyBegin = monotonicNanos()
    try central.psql("\\copy treatment_ledger.events FROM '\(rows)' WITH (FORMAT binary)")
    let copyNanos = monotonicNanos() - copyBegin
    let copied = try central.count("SELECT count(*) FROM treatment_ledger.events")
    guard copied == events else { throw BenchError("COPY loaded \(copied) of \(events) rows") }
    let copy = copyRun.finish(
      workload: 8, operation: "binary COPY", system: .postgresCopy, events: copied,
      nanos: copyNanos, diskBytes: nil,
      note: "psql \\copy FROM a binary file of the same rows into the same (emptied) table; "
        + "includes psql's start and connection")
    return [forward, copy]
  }

  /// The long-lived forwarder's lag while the clinic appends at a fixed rate: per append, the
  /// time until the central head reached it; the most events behind seen by a 20 ms sampler.
  static func forwardingLag(_ context: ChildContext) async throws -> Measurement {
    let central = try BenchDatabase(context)
    defer { central.drop() }
    let path = context.workDirectory + "/w8-lag"
    let ledger = try await forwardingStore(context, path: path, events: 0)
    defer {
      ledger.close()
      fresh(path)
      fresh(KeyFile.defaultPath(forStore: path))
    }
    let store = ledger.store
    let forwarded = Mutex<[(nanos: UInt64, central: UInt64)]>([])
    let forwarder = ClinicForwarder(
      store: store, database: try CentralDatabase(url: central.url),
      clinic: try ClinicID("bench").orThrow("clinic id"))
    let task = Task {
      try await forwarder.run { progress in
        let now = monotonicNanos()
        forwarded.withLock { $0.append((now, progress.centralEvents)) }
      }
    }
    defer { task.cancel() }
    let rate = context.sizes.lagEventsPerSecond
    let perTick = max(1, rate / 10)
    var appended: [(nanos: UInt64, end: UInt64)] = []
    var mostBehind: UInt64 = 0
    var patient = 0
    var pending: [ProposedEvent] = []
    var stream = ""
    let run = Run()
    let start = monotonicNanos()
    let duration = UInt64(context.sizes.lagSeconds) * 1_000_000_000
    var tick: UInt64 = 0
    while monotonicNanos() - start < duration {
      if pending.isEmpty {
        let next = context.pool.patient(patient)
        (pending, stream, patient) = (next.events, next.stream, patient + 1)
      }
      let chunk = Array(pending.prefix(perTick))
      pending.removeFirst(chunk.count)
      _ = try await store.append([StreamAppend(stream: stream, events: chunk)])
      let end = try store.nextPosition()
      appended.append((monotonicNanos(), end))
      tick += 1
      // Sample the lag every 20 ms until the next tick (100 ms apart).
      while monotonicNanos() < start + tick * 100_000_000 {
        let central = forwarded.withLock { $0.last?.central ?? 0 }
        mostBehind = max(mostBehind, (try store.nextPosition()) - central)
        try await Task.sleep(for: .milliseconds(20))
      }
    }
    let elapsed = monotonicNanos() - start
    let total = appended.last?.end ?? 0
    let deadline = monotonicNanos() + 30_000_000_000
    while forwarded.withLock({ $0.last?.central ?? 0 }) < total && monotonicNanos() < deadline {
      try await Task.sleep(for: .milliseconds(20))
    }
    task.cancel()
    var lags = Latencies()
    let marks = forwarded.withLock { $0 }
    for append in appended {
      guard
        let reached = marks.first(where: { $0.central >= append.end && $0.nanos >= append.nanos })
      else { throw BenchError("the forwarder never reached position \(append.end)") }
      lags.add(reached.nanos - append.nanos)
    }
    return run.finish(
      workload: 8, operation: "lag at \(rate) events/s", system: .ledger, events: Int(total),
      nanos: elapsed, latencies: lags, diskBytes: nil,
      note: "p50/p99: seconds from an append (\(perTick) events every 100 ms, durable) until the "
        + "central head reached it; most events behind (20 ms samples): \(mostBehind)")
  }
}

extension Optional {
  func orThrow(_ what: String) throws -> Wrapped {
    guard let self else { throw BenchError("invalid \(what)") }
    return self
  }
}

/// A database of its own on the bench's PostgreSQL server, made and dropped with `psql`.
struct BenchDatabase {
  let admin: String
  let name: String
  let url: String

  init(_ context: ChildContext) throws {
    guard let admin = context.postgres else {
      throw BenchError("workload 8 needs --postgres URL or TREATMENT_LEDGER_POSTGRES_URL")
    }
    self.admin = admin
    name = "tl_bench_" + UUID().uuidString.prefix(8).lowercased()
    guard var components = URLComponents(string: admin) else {
      throw BenchError("the PostgreSQL URL does not parse")
    }
    components.path = "/" + name
    guard let url = components.string else { throw BenchError("no database URL") }
    self.url = url
    _ = try Self.psql(admin, "CREATE DATABASE \(name)")
  }

  func psql(_ sql: String) throws { _ = try Self.psql(url, sql) }

  func count(_ sql: String) throws -> Int {
    guard let value = Int(try Self.psql(url, sql)) else {
      throw BenchError("psql printed no number")
    }
    return value
  }

  func drop() { _ = try? Self.psql(admin, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }

  /// Runs `psql URL -XAtq -c SQL` and returns what it printed.
  static func psql(_ url: String, _ sql: String) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
    process.arguments = [url, "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql]
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw BenchError("psql exited with status \(process.terminationStatus)")
    }
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
  }
}
