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
  /// Workload 7: the long patient's history lengths at which single appends are timed.
  var longPatientHistories: [Int]
  /// Workload 7: timed single appends at each history length.
  var longPatientAppends: Int
  /// Workload 8: events of the clinic store forwarded (and copied).
  var forwardEvents: Int = 17_800
  /// Workload 8: the clinic's steady append rate while the lag is measured.
  var lagEventsPerSecond: Int = 500
  /// Workload 8: how long the clinic appends while the lag is measured.
  var lagSeconds: Int = 20

  static let full = Sizes(
    singleAppends: 2_000, appenders: 8, concurrentAppends: 2_000, datasetEvents: 1_000_000,
    importBatch: 5_000, reads: 200, scalingEvents: 100_000,
    longPatientHistories: [100, 1_000, 10_000], longPatientAppends: 200)
  static let quick = Sizes(
    singleAppends: 300, appenders: 8, concurrentAppends: 320, datasetEvents: 20_000,
    importBatch: 5_000, reads: 30, scalingEvents: nil,
    longPatientHistories: [100, 1_000, 3_000], longPatientAppends: 100, forwardEvents: 17_800,
    lagEventsPerSecond: 500, lagSeconds: 10)
  /// `--quick` in a debug build (only to test the tool: its figures are not measurements).
  static let quickDebug = Sizes(
    singleAppends: 100, appenders: 8, concurrentAppends: 80, datasetEvents: 5_000,
    importBatch: 2_500, reads: 5, scalingEvents: nil,
    longPatientHistories: [100, 300], longPatientAppends: 20, forwardEvents: 2_000,
    lagEventsPerSecond: 100, lagSeconds: 2)

  static func chosen(quick: Bool) -> Sizes {
    guard quick else { return .full }
    return LedgerBench.isDebugBuild ? .quickDebug : .quick
  }
}

/// The systems compared.
enum System: String, Codable, Sendable, CaseIterable {
  case ledger = "TreatmentLedger"
  /// The same workload with patient data not sealed (the cost of sealing, issue 15).
  case ledgerUnsealed = "TreatmentLedger unsealed"
  case lmdb = "raw LMDB"
  case sqliteFull = "SQLite FULL"
  case sqliteNormal = "SQLite NORMAL"
  /// Workload 8's baseline: PostgreSQL's binary `COPY` of the forwarded rows.
  case postgresCopy = "PostgreSQL"
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
  /// Workload 8's PostgreSQL server (an admin URL: each child makes a database of its own).
  var postgres: String?

  /// True for the `-unsealed` variant of a TreatmentLedger workload: patient data not sealed.
  var unsealed = false
  var ledgerDataset: String { dataset + (unsealed ? "/tl-unsealed" : "/tl") }
  /// The system the TreatmentLedger workloads report: sealed (the default) or not.
  var ledgerSystem: System { unsealed ? .ledgerUnsealed : .ledger }
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
/// Each workload lives in a file of its own (`Workload1Single.swift` … `Workload7LongPatient.swift`),
/// its systems' loops written out side by side rather than merged into one generic loop.
enum Workloads {
  static func run(_ spec: String, _ context: ChildContext) async throws -> [Measurement] {
    if spec.hasSuffix("-unsealed") {
      var unsealed = context
      unsealed.unsealed = true
      return try await run(String(spec.dropLast("-unsealed".count)), unsealed)
    }
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
    case "w7.tl": return try await ledgerLongPatient(context)
    case "w7.lmdb": return try lmdbLongPatient(context)
    case "w8.forward": return try await forwardAndCopy(context)
    case "w8.lag": return [try await forwardingLag(context)]
    default: throw BenchError("unknown child workload '\(spec)'")
    }
  }

  static func fresh(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
  }

  static func openLedger(
    _ path: String, readOnly: Bool = false, unsealed: Bool = false
  ) throws -> Ledger {
    var configuration = Ledger.Configuration(
      path: path, readOnly: readOnly, createIfMissing: !readOnly)
    configuration.sealsPatientData = !unsealed
    return try Ledger.open(configuration)
  }
}
