// Workload 6: audit export.
// Each system's loop is written out on its own, so a reader sees exactly what each baseline does.
import Foundation
import TreatmentLedger

extension Workloads {
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
    let ledger = try openLedger(context.ledgerDataset, readOnly: true, unsealed: context.unsealed)
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
      workload: 6, operation: operation, system: context.ledgerSystem, events: events,
      nanos: elapsed,
      diskBytes: DiskUsage.bytes(export.stagingDirectory),
      note: "AuditExporter.export, whole log, \(names) + manifest (read-only store)")
  }

  static func ledgerExportEquivalent(_ context: ChildContext) throws -> Measurement {
    let ledger = try openLedger(context.ledgerDataset, readOnly: true, unsealed: context.unsealed)
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
      workload: 6, operation: "readAll lines", system: context.ledgerSystem, events: Int(position),
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
