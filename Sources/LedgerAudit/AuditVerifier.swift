import Foundation
import LedgerEventStore

/// Verifies an audit export directory with its manifest alone, and optionally against the store's
/// `$audit` record of it (docs/AUDIT.md, "What `audit verify` checks").
///
/// ```swift
/// let report = await AuditVerifier(semantics: ClinicalAuditSemantics())
///   .verify(directory: "/mnt/audit/2026-03")
/// if let problem = report.problem { print(problem) }      // e.g. hashMismatch in events.ndjson line 7: …
/// ```
///
/// It reads the files once, in batches of lines (parsed a few batches at once in child tasks,
/// checked in order), with flat memory, and stops at the first problem. The chain is the store's
/// own definition: each line's hash is recomputed with `ChainHash.sha256(_:)` over the event's
/// stored canonical bytes, and the events are followed by the `ChainFollower` that
/// `EventStore.verify(anchor:progress:)` uses, so `previousHash` / `previousStreamHash` must name
/// the hash of the event before. A whole-log export's stream chains are followed as well: each
/// stream's versions follow on and link, from its first event in the export.
public struct AuditVerifier: Sendable {
  /// Called with the intact events so far and the number the manifest announces, every few
  /// thousand events and once at the end of the events (for a progress display).
  public var progress: (@Sendable (_ eventsChecked: UInt64, _ expected: UInt64) -> Void)?
  /// What the exported records mean (patient streams, corrections, voids): the CSV cells are
  /// rendered with it and compared.
  public var semantics: any AuditSemantics
  /// The Ed25519 public keys (32 bytes each) the export may be signed by: when any is given, the
  /// export's `signature.json` must sign its manifest and store head by one of them
  /// (docs/AUDIT.md 2.5), so a rewritten manifest or a forged tail fails without a second channel.
  public var trustedKeys: [[UInt8]]
  /// An auditor's key pair: when given, an intact export's data keys (`keys.json`) are unsealed
  /// with it and every sealed event's `data` is opened and checked (docs/AUDIT.md 2.7); the
  /// report's ``AuditVerificationReport/opened`` says what was opened.
  public var auditor: AuditorKeyPair? = nil
  /// With ``auditor``: a directory (new or empty) to write the opened events to, as
  /// `events.ndjson` with each line the envelope as `treatment-ledger read --json` prints it.
  public var decryptTo: String? = nil

  /// Creates a verifier for exports of records that `semantics` describes, optionally reporting
  /// progress and requiring a signature by one of `trustedKeys`.
  public init(
    semantics: any AuditSemantics, trustedKeys: [[UInt8]] = [],
    progress: (@Sendable (_ eventsChecked: UInt64, _ expected: UInt64) -> Void)? = nil
  ) {
    self.semantics = semantics
    self.trustedKeys = trustedKeys
    self.progress = progress
  }

  /// Verifies the export in `directory`. With `expectedManifestSHA256` (from `audit log`, or
  /// handed to the auditor separately) an edit of any manifest member is detected too.
  public func verify(directory: String, expectedManifestSHA256: String? = nil) async
    -> AuditVerificationReport
  {
    var run = VerificationRun(
      directory: directory, semantics: semantics, trustedKeys: trustedKeys, progress: progress)
    await run.verify(expectedManifestSHA256: expectedManifestSHA256?.lowercased(), store: nil)
    return opened(run)
  }

  /// Verifies the export in `directory` and checks that `store` recorded it in `$audit` with this
  /// very manifest.
  public func verify(directory: String, against store: EventStore) async
    -> AuditVerificationReport
  {
    var run = VerificationRun(
      directory: directory, semantics: semantics, trustedKeys: trustedKeys, progress: progress)
    await run.verify(expectedManifestSHA256: nil, store: store)
    return opened(run)
  }

  /// The report of `run`, and with ``auditor``, what it opened in the intact export.
  private func opened(_ run: VerificationRun) -> AuditVerificationReport {
    var report = run.report
    guard let auditor, report.isIntact, let manifest = run.manifest else { return report }
    let opener = AuditDataOpener(
      directory: run.directory, manifest: manifest, auditor: auditor, outputDirectory: decryptTo)
    do { report.opened = try opener.run() } catch { report.problem = error.problem }
    return report
  }
}

/// The first problem found: it ends the verification.
struct Stop: Error {
  var problem: AuditProblem

  init(_ kind: AuditProblem.Kind, _ file: String? = nil, line: UInt64? = nil, _ detail: String) {
    problem = AuditProblem(kind: kind, file: file, line: line, detail: detail)
  }
}

/// One verification: check the manifest, then follow the files' events in order, then check
/// the ends of the export and the files' hashes.
struct VerificationRun {
  let directory: String
  let semantics: any AuditSemantics
  let trustedKeys: [[UInt8]]
  let progress: (@Sendable (UInt64, UInt64) -> Void)?
  var report = AuditVerificationReport(
    exportId: nil, eventsChecked: 0, eventsInRange: 0, hashesRecomputed: false, manifestSHA256: nil,
    manifestChecked: false, problem: nil)
  /// The manifest, once read.
  var manifest: AuditManifest?

  static let ndjson = AuditManifest.ndjsonFileName
  static let csv = AuditManifest.csvFileName
  /// NDJSON batches in flight or waiting their turn: enough to keep the cores parsing, few enough
  /// that memory holds at most this many batches.
  static let window = 2 * min(4, max(1, ProcessInfo.processInfo.activeProcessorCount))
  /// Lines per batch, and the bytes after which a batch ends sooner.
  static let linesPerBatch = 512
  static let bytesPerBatch = 2 << 20

  init(
    directory: String, semantics: any AuditSemantics, trustedKeys: [[UInt8]],
    progress: (@Sendable (UInt64, UInt64) -> Void)?
  ) {
    self.directory = directory
    self.semantics = semantics
    self.trustedKeys = trustedKeys
    self.progress = progress
  }

  mutating func verify(expectedManifestSHA256: String?, store: EventStore?) async {
    do {
      try await run(expectedManifestSHA256: expectedManifestSHA256, store: store)
    } catch {
      report.problem = error.problem
    }
  }

  private mutating func run(expectedManifestSHA256: String?, store: EventStore?) async throws(Stop)
  {
    let manifest = try readManifest(expectedManifestSHA256: expectedManifestSHA256, store: store)
    self.manifest = manifest
    let entries = Dictionary(uniqueKeysWithValues: manifest.files.map { ($0.format, $0) })
    func open(_ format: AuditFileKind) throws(Stop) -> HashingFileReader? {
      guard entries[format] != nil else { return nil }
      guard let reader = HashingFileReader(path: directory + "/" + format.fileName) else {
        throw Stop(
          .missingFile, format.fileName,
          "\(format.fileName) is listed in the manifest but cannot be read")
      }
      return reader
    }
    let ndjsonFile = try open(.ndjson)
    let csvFile = try open(.csv)
    report.hashesRecomputed = ndjsonFile != nil
    var rows = try CSVRows(csvFile)
    var walk = ExportChainWalk(
      manifest: manifest, stream: manifest.filter.stream(using: semantics),
      file: ndjsonFile != nil ? Self.ndjson : Self.csv)

    if let ndjsonFile {
      try await followLines(ndjsonFile, rows: &rows, walk: &walk)
    } else {
      try followRows(&rows, walk: &walk)
    }
    try walk.checkEnd()
    if ndjsonFile != nil, csvFile != nil, try rows.next() != nil {
      throw Stop(
        .csvMismatch, Self.csv, line: walk.count + 2,
        "events.csv has more rows than events.ndjson has lines")
    }
    // Every byte of every file, as the manifest lists it.
    let keysFile = try open(.keys)
    for (format, reader) in [
      (AuditFileKind.ndjson, ndjsonFile), (.csv, csvFile), (.keys, keysFile),
    ] {
      guard let reader, let entry = entries[format] else { continue }
      let sha = reader.finish()
      if sha != entry.sha256 || reader.bytesRead != entry.bytes {
        throw Stop(
          .fileHashMismatch, entry.name,
          "\(entry.name) has SHA-256 \(sha) (\(reader.bytesRead) bytes), the manifest lists \(entry.sha256) (\(entry.bytes) bytes)"
        )
      }
    }
  }

  // MARK: Following the events

  /// NDJSON lines are read here in batches, checked for shape and hash and parsed a few batches
  /// at once in child tasks, then followed along the chain here, in order.
  private mutating func followLines(
    _ file: HashingFileReader, rows: inout CSVRows, walk: inout ExportChainWalk
  ) async throws(Stop) {
    let filter = walk.manifest.filter
    let context = LineContext(
      filter: filter, markRange: filter.time == .occurredAt && filter.hasRange,
      renderCSV: rows.isPresent, semantics: semantics,
      rules: AuditCSVRules(format: walk.manifest.format) ?? .current)
    try await orderedParallelMap(
      window: Self.window,
      next: { () throws(Stop) -> [RawLine]? in
        var batch: [RawLine] = []
        var bytes = 0
        while batch.count < Self.linesPerBatch && bytes < Self.bytesPerBatch,
          let line = file.nextLine()
        {
          batch.append(RawLine(bytes: Array(line.bytes), terminated: line.terminated))
          bytes += line.bytes.count
        }
        return batch.isEmpty ? nil : batch
      },
      transform: { batch in batch.map { PreparedLine($0, context: context) } },
      consume: { (prepared) throws(Stop) in
        for item in prepared { try take(item, rows: &rows, walk: &walk) }
      })
  }

  /// One prepared NDJSON line: its chain, then its CSV row (after the line's own checks).
  private mutating func take(
    _ item: PreparedLine, rows: inout CSVRows, walk: inout ExportChainWalk
  ) throws(Stop) {
    let line = walk.count + 1
    switch item {
    case .failed(let kind, let detail):
      throw Stop(kind, Self.ndjson, line: line, detail)
    case .parsed(let view, let matches, let cells):
      try walk.take(view, matches: matches, line: line)
      if let cells {
        try Self.compare(cells, with: try rows.next(), line: line)
      }
      counted(walk)
    }
  }

  /// The CSV row of the event of NDJSON line `line` must hold the cells rendered from the line.
  private static func compare(_ cells: [String], with row: [String]?, line: UInt64) throws(Stop) {
    guard let row else {
      throw Stop(
        .csvMismatch, csv, line: line + 1,
        "events.csv ends before events.ndjson (line \(line) has no row)")
    }
    guard row != cells else { return }
    guard row.count == cells.count else {
      throw Stop(
        .csvMismatch, csv, line: line + 1, "the row has \(row.count) cells, not \(cells.count)")
    }
    let column = row.indices.first { row[$0] != cells[$0] } ?? 0
    throw Stop(
      .csvMismatch, csv, line: line + 1,
      "column \(AuditCSV.header[column]) disagrees with line \(line) of events.ndjson")
  }

  /// A CSV-only export: the chain fields of each row.
  private mutating func followRows(_ rows: inout CSVRows, walk: inout ExportChainWalk) throws(Stop)
  {
    let filter = walk.manifest.filter
    let markRange = filter.time == .occurredAt && filter.hasRange
    let inRangeColumn = AuditCSV.Column.allCases.firstIndex(of: .inRange) ?? 0
    let rules = AuditCSVRules(format: walk.manifest.format) ?? .current
    while let row = try rows.next() {
      let line = walk.count + 1
      guard let view = ChainView(row: row, rules: rules) else {
        throw Stop(
          .csvMismatch, Self.csv, line: line + 1, "the row does not have the documented columns")
      }
      let matches =
        markRange
        ? Timestamp.parseMicros(view.occurredAt).map { filter.contains(micros: $0) } ?? false
        : true
      try walk.take(view, matches: matches, line: line)
      let expected = matches ? "true" : "false"
      if row[inRangeColumn] != expected {
        throw Stop(
          .csvMismatch, Self.csv, line: line + 1,
          "column inRange should be \(expected) for the row's occurredAt and the filter's range")
      }
      counted(walk)
    }
  }

  /// The event just taken is intact: its line, its place in the chain and its CSV row all hold.
  /// Only then does it count among the "intact events before the problem" (docs/AUDIT.md 4), as
  /// in verify_export.py.
  private mutating func counted(_ walk: ExportChainWalk) {
    report.eventsChecked = walk.count
    report.eventsInRange = walk.inRange
    let expected = walk.manifest.counts.events
    if walk.count % 4_096 == 0 || walk.count == expected { progress?(walk.count, expected) }
  }
}

/// The rows of `events.csv`, after its header; none when the export has no CSV.
struct CSVRows {
  private var reader: CSVRecordReader?

  /// Reads and checks the header of `file`.
  init(_ file: HashingFileReader?) throws(Stop) {
    guard let file else { return }
    var reader = CSVRecordReader(file)
    let header: [String]?
    do { header = try reader.next() } catch {
      throw Stop(.csvMalformed, VerificationRun.csv, line: 1, CSVRows.malformed)
    }
    guard header == AuditCSV.header else {
      throw Stop(
        .csvMismatch, VerificationRun.csv, line: 1,
        "the header row is not the documented column list")
    }
    self.reader = reader
  }

  /// The detail of a `csvMalformed` problem.
  static let malformed =
    "the record is not RFC 4180 CSV in the documented form (byte-order mark, CRLF line ends, "
    + "quotes only where needed)"

  /// True when the export has a CSV file.
  var isPresent: Bool { reader != nil }

  /// The next row, or nil at the end (or without a CSV).
  mutating func next() throws(Stop) -> [String]? {
    guard reader != nil else { return nil }
    do { return try reader?.next() } catch {
      throw Stop(
        .csvMalformed, VerificationRun.csv, line: UInt64(error.record), CSVRows.malformed)
    }
  }
}
