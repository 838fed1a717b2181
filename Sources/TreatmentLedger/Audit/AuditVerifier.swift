// Over 600 lines, knowingly and for now: the verifier re-implements the chain rules of
// LedgerEventStore's Verification.swift. Issue 14 moves audit export and verification into a
// module of their own with one chain follower shared with `verify`; this file is split then,
// rather than twice.
import Foundation
import LedgerEventStore
import LedgerFoundation

/// The first problem an export verification found.
public struct AuditProblem: Sendable, Hashable, Codable, CustomStringConvertible {
  /// What is wrong. The Python verifier (`Tools/audit-verify/verify_export.py`) uses the same
  /// names.
  public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
    /// `manifest.json` is missing or is not a manifest.
    case unreadableManifest
    /// The manifest names an export format this build does not read.
    case unsupportedFormat
    /// The manifest contradicts itself (its contents, chain or files do not fit its filter).
    case manifestInconsistent
    /// `manifest.json` is not the manifest recorded in `$audit` (or the one the auditor was
    /// given): it was edited.
    case manifestMismatch
    /// The store holds no `$audit` record of this export.
    case notRecorded
    /// A file the manifest lists is missing.
    case missingFile
    /// An NDJSON line is not `{"hash":…,"event":…}` with a canonical envelope.
    case malformedLine
    /// A line's event bytes do not hash to its hash: a byte was changed.
    case hashMismatch
    /// A line's event bytes hash correctly but are not the canonical form of an envelope (other
    /// serialization, or members an envelope does not have): not bytes the store wrote.
    case notCanonical
    /// A position or version is skipped: a line was removed (or lines were moved).
    case missingEvent
    /// A position or version repeats or goes back: a line was added (or lines were moved).
    case unexpectedEvent
    /// An event's previous hash is not the hash of the event before it.
    case brokenChain
    /// An event the filter excludes: another stream, or a recorded time outside the range.
    case outsideFilter
    /// The files hold another number of events than the manifest says.
    case countMismatch
    /// The first or last event, the events around the range or the heads disagree with the
    /// manifest.
    case anchorMismatch
    /// `events.csv` is not valid RFC 4180.
    case csvMalformed
    /// A CSV row disagrees with the NDJSON line of the same event.
    case csvMismatch
    /// A file's SHA-256 or size differs from the manifest.
    case fileHashMismatch
  }

  /// What is wrong.
  public var kind: Kind
  /// The file concerned, when there is one.
  public var file: String?
  /// 1-based line of `events.ndjson`, or 1-based record of `events.csv` (the header is 1).
  public var line: UInt64?
  /// A sentence about the problem (positions, columns, hashes; never payload values).
  public var detail: String

  /// Creates a problem.
  public init(kind: Kind, file: String? = nil, line: UInt64? = nil, detail: String) {
    self.kind = kind
    self.file = file
    self.line = line
    self.detail = detail
  }

  /// `kind in FILE line N: detail`.
  public var description: String {
    var text = kind.rawValue
    if let file { text += " in \(file)" }
    if let line { text += file == AuditManifest.csvFileName ? " record \(line)" : " line \(line)" }
    return text + ": " + detail
  }
}

/// The outcome of ``AuditVerifier/verify(directory:expectedManifestSHA256:)``.
public struct AuditVerificationReport: Sendable, Hashable, Codable {
  /// The export's id, when the manifest could be read.
  public var exportId: String?
  /// Intact events: those, in file order, whose line (or CSV row when there is no NDJSON), place
  /// in the chain and CSV row all passed, before the first problem if there is one (the `N` of
  /// "FAILED after N intact events", counted as verify_export.py counts it).
  public var eventsChecked: UInt64
  /// Of those, the events inside the filter's range.
  public var eventsInRange: UInt64
  /// True when the hashes were recomputed from the NDJSON (false for a CSV-only export).
  public var hashesRecomputed: Bool
  /// SHA-256 of `manifest.json`.
  public var manifestSHA256: String?
  /// True when the manifest was compared with its `$audit` record or an expected hash.
  public var manifestChecked: Bool
  /// The first problem, or nil.
  public var problem: AuditProblem?
  /// True when no problem was found.
  public var isIntact: Bool { problem == nil }
}

/// Verifies an audit export directory with its manifest alone, and optionally against the store's
/// `$audit` record of it (docs/AUDIT.md, "What `audit verify` checks").
///
/// ```swift
/// let report = AuditVerifier().verify(directory: "/mnt/audit/2026-03")
/// if let problem = report.problem { print(problem) }      // e.g. hashMismatch in events.ndjson line 7: …
/// ```
///
/// It reads the files once, in batches of lines (parsed on several threads, checked in order),
/// with flat memory, and stops at the first problem. The chain is the store's own definition, as
/// `EventStore.verify(anchor:progress:)` applies it: each line's hash is recomputed with
/// `ChainHash.sha256(_:)` over the event's stored canonical bytes, and `previousHash` /
/// `previousStreamHash` must name the hash of the event before it.
public struct AuditVerifier: Sendable {
  /// Called with the intact events so far and the number the manifest announces, every few
  /// thousand events and once at the end of the events (for a progress display).
  public var progress: (@Sendable (_ eventsChecked: UInt64, _ expected: UInt64) -> Void)?

  /// Creates a verifier, optionally reporting progress.
  public init(progress: (@Sendable (_ eventsChecked: UInt64, _ expected: UInt64) -> Void)? = nil) {
    self.progress = progress
  }

  /// Verifies the export in `directory`. With `expectedManifestSHA256` (from `audit log`, or
  /// handed to the auditor separately) an edit of any manifest member is detected too.
  public func verify(directory: String, expectedManifestSHA256: String? = nil)
    -> AuditVerificationReport
  {
    var run = VerificationRun(directory: directory, progress: progress)
    run.verify(expectedManifestSHA256: expectedManifestSHA256?.lowercased(), store: nil)
    return run.report
  }

  /// Verifies the export in `directory` and checks that `store` recorded it in `$audit` with this
  /// very manifest.
  public func verify(directory: String, against store: EventStore) -> AuditVerificationReport {
    var run = VerificationRun(directory: directory, progress: progress)
    run.verify(expectedManifestSHA256: nil, store: store)
    return run.report
  }
}

/// The chain fields of one exported event, from an NDJSON line or a CSV row.
private struct ChainView: Sendable {
  var globalPosition: UInt64
  var streamVersion: UInt64
  var streamId: String
  var recordedAt: String
  var occurredAt: String
  var previousHash: String
  var previousStreamHash: String
  var hash: String

  var anchor: AuditManifest.EventAnchor {
    AuditManifest.EventAnchor(
      globalPosition: globalPosition, streamVersion: streamVersion, recordedAt: recordedAt,
      previousHash: previousHash, previousStreamHash: previousStreamHash, hash: hash)
  }
}

/// What the lines of a batch are checked against while they are parsed.
private struct LineContext: Sendable {
  var filter: AuditFilter
  var markRange: Bool
  var renderCSV: Bool
}

/// One NDJSON line after the checks that need nothing but the line itself.
private enum PreparedLine: Sendable {
  case failed(AuditProblem.Kind, String)
  case parsed(ChainView, matches: Bool, cells: [String]?)

  init(_ bytes: [UInt8], terminated: Bool, context: LineContext) {
    guard terminated else {
      self = .failed(.malformedLine, "the last line has no line end")
      return
    }
    guard
      let (stated, canonical) = AuditNDJSONLine.split(bytes[...]).map({ ($0.hash, $0.canonical) })
    else {
      self = .failed(.malformedLine, "the line is not {\"hash\":\"<64 hex>\",\"event\":<envelope>}")
      return
    }
    // The store's definition of an event's hash: SHA-256 of its stored canonical bytes.
    let computed = ChainHash.sha256(canonical)
    guard computed == stated else {
      self = .failed(
        .hashMismatch,
        "the event's bytes hash to \(computed.hex), the line states \(stated.hex): the line was changed"
      )
      return
    }
    guard let envelope = try? JSONValue.parse(canonical) else {
      self = .failed(.malformedLine, "the event is not JSON")
      return
    }
    // As the store's verification requires: the bytes are exactly the canonical form of an
    // envelope, with no member an envelope does not have.
    guard envelope.canonicalBytes.elementsEqual(canonical),
      let members = envelope.objectValue?.keys,
      members.allSatisfy(AuditEventFields.envelopeMembers.contains)
    else {
      self = .failed(.notCanonical, "the event's bytes are not the canonical form of an envelope")
      return
    }
    guard let fields = AuditEventFields(envelope: envelope, hash: stated),
      ChainHash(hex: fields.previousHash) != nil, ChainHash(hex: fields.previousStreamHash) != nil
    else {
      self = .failed(
        .malformedLine, "the event lacks an envelope member or has one of the wrong type")
      return
    }
    let view = ChainView(
      globalPosition: fields.globalPosition, streamVersion: fields.streamVersion,
      streamId: fields.streamId,
      recordedAt: fields.recordedAt, occurredAt: fields.occurredAt,
      previousHash: fields.previousHash,
      previousStreamHash: fields.previousStreamHash, hash: fields.hash)
    let matches =
      context.markRange
      ? Timestamp.parseMicros(fields.occurredAt).map { context.filter.contains(micros: $0) }
        ?? false : true
    self = .parsed(
      view, matches: matches,
      cells: context.renderCSV ? AuditCSV.cells(fields, inRange: matches) : nil)
  }

  /// Prepares `lines` on `workers` threads; the result is in line order.
  static func prepare(
    _ lines: [(bytes: [UInt8], terminated: Bool)], context: LineContext, workers: Int
  ) -> [PreparedLine] {
    let results = UnsafeMutableBufferPointer<PreparedLine>.allocate(capacity: lines.count)
    defer { results.deallocate() }
    let slots = SendableSlots(results)
    let stripes = min(workers, lines.count)
    DispatchQueue.concurrentPerform(iterations: stripes) { stripe in
      var index = stripe
      while index < lines.count {
        slots.initialize(
          index,
          PreparedLine(lines[index].bytes, terminated: lines[index].terminated, context: context))
        index += stripes
      }
    }
    let prepared = Array(results)
    _ = results.deinitialize()
    return prepared
  }
}

/// Distinct indexes of one buffer, each written by exactly one thread.
private struct SendableSlots<Element>: @unchecked Sendable {
  let buffer: UnsafeMutableBufferPointer<Element>

  init(_ buffer: UnsafeMutableBufferPointer<Element>) {
    self.buffer = buffer
  }

  func initialize(_ index: Int, _ value: Element) {
    buffer.initializeElement(at: index, to: value)
  }
}

private struct Stop: Error {
  var problem: AuditProblem
}

private struct VerificationRun {
  let directory: String
  let progress: (@Sendable (UInt64, UInt64) -> Void)?
  var report = AuditVerificationReport(
    exportId: nil, eventsChecked: 0, eventsInRange: 0, hashesRecomputed: false, manifestSHA256: nil,
    manifestChecked: false, problem: nil)

  init(directory: String, progress: (@Sendable (UInt64, UInt64) -> Void)?) {
    self.directory = directory
    self.progress = progress
  }

  mutating func verify(expectedManifestSHA256: String?, store: EventStore?) {
    do {
      try run(expectedManifestSHA256: expectedManifestSHA256, store: store)
    } catch {
      report.problem = error.problem
    }
  }

  private static let zero = ChainHash.zero.hex
  private static let ndjson = AuditManifest.ndjsonFileName
  private static let csv = AuditManifest.csvFileName

  private func fail(
    _ kind: AuditProblem.Kind, _ file: String? = nil, line: UInt64? = nil, _ detail: String
  ) -> Stop {
    Stop(problem: AuditProblem(kind: kind, file: file, line: line, detail: detail))
  }

  // MARK: The manifest

  private mutating func readManifest(
    expectedManifestSHA256: String?, store: EventStore?
  ) throws(Stop) -> AuditManifest {
    let path = directory + "/" + AuditManifest.fileName
    guard let data = FileManager.default.contents(atPath: path) else {
      throw fail(
        .unreadableManifest, AuditManifest.fileName,
        "there is no readable manifest.json in \(directory)")
    }
    let bytes = Array(data)
    let sha = ChainHash.sha256(bytes).hex
    report.manifestSHA256 = sha
    let parsed: JSONValue
    do { parsed = try JSONValue.parse(bytes) } catch {
      throw fail(
        .unreadableManifest, AuditManifest.fileName, "manifest.json is not JSON (\(error))")
    }
    guard parsed["format"]?.stringValue == AuditManifest.formatName else {
      throw fail(
        .unsupportedFormat, AuditManifest.fileName,
        "the manifest's format is not \(AuditManifest.formatName)")
    }
    let manifest: AuditManifest
    do { manifest = try AuditManifest.decode(bytes) } catch {
      throw fail(.unreadableManifest, AuditManifest.fileName, "\(error)")
    }
    report.exportId = manifest.exportId
    if let expectedManifestSHA256 {
      report.manifestChecked = true
      guard expectedManifestSHA256 == sha else {
        throw fail(
          .manifestMismatch, AuditManifest.fileName,
          "manifest.json has SHA-256 \(sha), not the expected \(expectedManifestSHA256): it was edited"
        )
      }
    }
    if let store {
      let entry: AuditLogEntry?
      do { entry = try AuditLog.entry(exportId: manifest.exportId, in: store) } catch {
        throw fail(.notRecorded, AuditManifest.fileName, "the store could not be read: \(error)")
      }
      guard let entry, let recorded = entry.manifestSHA256 else {
        throw fail(
          .notRecorded, AuditManifest.fileName,
          "the store has no \(StreamNames.audit) record of export "
            + EchoedName.escaped(manifest.exportId))
      }
      report.manifestChecked = true
      guard recorded == sha else {
        throw fail(
          .manifestMismatch, AuditManifest.fileName,
          "manifest.json has SHA-256 \(sha), but \(StreamNames.audit) recorded \(recorded) for this export (position \(entry.event.globalPosition)): it was edited"
        )
      }
    }
    if parsed["filter"]?["stream"] != manifest.filter.stream.map(JSONValue.string) {
      throw fail(
        .manifestInconsistent, AuditManifest.fileName,
        "the filter's stream is not patient-<patientId>")
    }
    try checkConsistency(manifest)
    return manifest
  }

  /// The manifest's own members must fit together.
  private func checkConsistency(_ manifest: AuditManifest) throws(Stop) {
    let file = AuditManifest.fileName
    do { try manifest.filter.validate() } catch {
      throw fail(.manifestInconsistent, file, "the filter is invalid: \(error)")
    }
    if manifest.contents != AuditManifest.Contents(manifest.filter) {
      throw fail(
        .manifestInconsistent, file,
        "contents '\(manifest.contents.rawValue)' does not follow from the filter")
    }
    let chain: AuditManifest.Anchors.Chain = manifest.filter.patientId == nil ? .log : .stream
    if manifest.anchors.chain != chain {
      throw fail(
        .manifestInconsistent, file,
        "a \(chain == .log ? "whole-log" : "patient") export follows the \(chain.rawValue) chain")
    }
    if chain == .log && manifest.anchors.streamHead != nil {
      throw fail(.manifestInconsistent, file, "a whole-log export names no stream head")
    }
    if manifest.files.isEmpty {
      throw fail(.manifestInconsistent, file, "the manifest lists no files")
    }
    var seen: Set<AuditFormat> = []
    for entry in manifest.files {
      guard entry.name == entry.format.fileName, seen.insert(entry.format).inserted else {
        throw fail(
          .manifestInconsistent, file,
          "the file list is not events.ndjson and/or events.csv, once each")
      }
      guard entry.records == manifest.counts.events else {
        throw fail(
          .countMismatch, file,
          "\(entry.name) is listed with \(entry.records) events, the counts say \(manifest.counts.events)"
        )
      }
      guard ChainHash(hex: entry.sha256) != nil else {
        throw fail(
          .manifestInconsistent, file, "the SHA-256 of \(entry.name) is not 64 lowercase hex digits"
        )
      }
    }
    if manifest.counts.eventsInRange > manifest.counts.events {
      throw fail(.countMismatch, file, "more events in range than events")
    }
    if (manifest.counts.events == 0) != (manifest.anchors.first == nil)
      || (manifest.anchors.first == nil) != (manifest.anchors.last == nil)
    {
      throw fail(
        .anchorMismatch, file, "first and last events must be named exactly when there are events")
    }
  }

  // MARK: The files

  private mutating func run(expectedManifestSHA256: String?, store: EventStore?) throws(Stop) {
    let manifest = try readManifest(expectedManifestSHA256: expectedManifestSHA256, store: store)
    let filter = manifest.filter
    let anchors = manifest.anchors
    let chain = anchors.chain
    let stream = filter.stream
    let markRange = filter.time == .occurredAt && filter.hasRange
    let recordedRange = manifest.contents == .recordedRange
    let entries = Dictionary(uniqueKeysWithValues: manifest.files.map { ($0.format, $0) })

    func open(_ format: AuditFormat) throws(Stop) -> HashingFileReader? {
      guard entries[format] != nil else { return nil }
      guard let reader = HashingFileReader(path: directory + "/" + format.fileName) else {
        throw fail(
          .missingFile, format.fileName,
          "\(format.fileName) is listed in the manifest but cannot be read")
      }
      return reader
    }
    let ndjsonReader = try open(.ndjson)
    let csvFile = try open(.csv)
    var csvReader = csvFile.map(CSVRecordReader.init)
    report.hashesRecomputed = ndjsonReader != nil
    let primary = ndjsonReader != nil ? Self.ndjson : Self.csv

    if var reader = csvReader {
      let header: [String]?
      do { header = try reader.next() } catch {
        throw fail(.csvMalformed, Self.csv, line: 1, "the header is not valid CSV")
      }
      guard header == AuditCSV.header else {
        throw fail(
          .csvMismatch, Self.csv, line: 1, "the header row is not the documented column list")
      }
      csvReader = reader
    }

    var previous: ChainView?
    var count: UInt64 = 0
    var inRange: UInt64 = 0
    let index = { (view: ChainView) in chain == .log ? view.globalPosition : view.streamVersion }
    let link = { (view: ChainView) in chain == .log ? view.previousHash : view.previousStreamHash }
    let indexName = chain == .log ? "position" : "version"

    /// The filter and the chain at the event of line `line`; then it is counted.
    func check(_ view: ChainView, matches: Bool, line: UInt64) throws(Stop) {
      if let stream, view.streamId != stream {
        throw fail(
          .outsideFilter, primary, line: line, "the event belongs to another stream than \(stream)")
      }
      guard let recorded = Timestamp.parseMicros(view.recordedAt) else {
        throw fail(.malformedLine, primary, line: line, "recordedAt is not a time")
      }
      if recordedRange && !filter.contains(micros: recorded) {
        throw fail(
          .outsideFilter, primary, line: line, "recordedAt \(view.recordedAt) is outside the range")
      }
      let expectedIndex: UInt64
      let expectedLink: String
      if let previous {
        expectedIndex = index(previous) + 1
        expectedLink = previous.hash
      } else if let before = anchors.before {
        expectedIndex = index(before.view) + 1
        expectedLink = before.hash
      } else {
        expectedIndex = 0
        expectedLink = Self.zero
      }
      if index(view) > expectedIndex {
        throw fail(
          .missingEvent, primary, line: line,
          "the line holds \(indexName) \(index(view)) where \(expectedIndex) comes next: "
            + (index(view) - expectedIndex == 1
              ? "\(indexName) \(expectedIndex) is missing"
              : "\(indexName)s \(expectedIndex)…\(index(view) - 1) are missing")
            + " (a line was removed or moved)")
      }
      if index(view) < expectedIndex {
        throw fail(
          .unexpectedEvent, primary, line: line,
          "the line holds \(indexName) \(index(view)) where \(expectedIndex) comes next (a line was added or moved)"
        )
      }
      if link(view) != expectedLink {
        throw fail(
          .brokenChain, primary, line: line,
          "\(chain == .log ? "previousHash" : "previousStreamHash") is not the hash of the \(previous == nil ? "event before the export (manifest)" : "previous line")"
        )
      }
      if let previous {
        if view.globalPosition <= previous.globalPosition {
          throw fail(.unexpectedEvent, primary, line: line, "global positions do not increase")
        }
        if let earlier = Timestamp.parseMicros(previous.recordedAt), recorded < earlier {
          throw fail(.unexpectedEvent, primary, line: line, "recordedAt decreases")
        }
      } else if anchors.first != view.anchor {
        throw fail(
          .anchorMismatch, primary, line: line, "the first event is not the manifest's first event")
      }
      if view.globalPosition >= anchors.store.events {
        throw fail(
          .anchorMismatch, primary, line: line,
          "the event is beyond the store head the manifest names")
      }
      previous = view
      count += 1
      if matches { inRange += 1 }
    }

    /// The event just checked is intact: its line, its place in the chain and its CSV row all
    /// hold. Only then does it count among the "intact events before the problem"
    /// (docs/AUDIT.md 4), as in verify_export.py.
    func counted() {
      report.eventsChecked = count
      report.eventsInRange = inRange
      if count % 4_096 == 0 || count == manifest.counts.events {
        progress?(count, manifest.counts.events)
      }
    }

    func nextCSVRow() throws(Stop) -> [String]? {
      guard var reader = csvReader else { return nil }
      defer { csvReader = reader }
      do { return try reader.next() } catch {
        throw fail(
          .csvMalformed, Self.csv, line: UInt64(error.record), "the record is not valid CSV")
      }
    }

    if let ndjsonReader {
      // Lines are read in order, checked for shape and hash and parsed in parallel, a batch at
      // a time, then followed along the chain in order.
      let context = LineContext(filter: filter, markRange: markRange, renderCSV: csvReader != nil)
      let workers = min(4, max(1, ProcessInfo.processInfo.activeProcessorCount))
      while true {
        var batch: [(bytes: [UInt8], terminated: Bool)] = []
        var batchBytes = 0
        while batch.count < 2_048 && batchBytes < 8 << 20, let next = ndjsonReader.nextLine() {
          batch.append((Array(next.bytes), next.terminated))
          batchBytes += next.bytes.count
        }
        if batch.isEmpty { break }
        let first = count + 1
        let prepared = PreparedLine.prepare(batch, context: context, workers: workers)
        for (offset, item) in prepared.enumerated() {
          let line = first + UInt64(offset)
          switch item {
          case .failed(let kind, let detail):
            throw fail(kind, Self.ndjson, line: line, detail)
          case .parsed(let view, let matches, let cells):
            try check(view, matches: matches, line: line)
            guard let cells else {
              counted()
              continue
            }
            // The CSV row of the same event, after the NDJSON's own checks.
            guard let row = try nextCSVRow() else {
              throw fail(
                .csvMismatch, Self.csv, line: line + 1,
                "events.csv ends before events.ndjson (line \(line) has no row)")
            }
            if row != cells {
              guard row.count == cells.count else {
                throw fail(
                  .csvMismatch, Self.csv, line: line + 1,
                  "the row has \(row.count) cells, not \(cells.count)")
              }
              let column = row.indices.first { row[$0] != cells[$0] } ?? 0
              throw fail(
                .csvMismatch, Self.csv, line: line + 1,
                "column \(AuditCSV.header[column]) disagrees with line \(line) of events.ndjson")
            }
            counted()
          }
        }
      }
    } else {
      // A CSV-only export: the chain fields of each row.
      while let row = try nextCSVRow() {
        let line = count + 1
        guard let view = Self.chainView(row) else {
          throw fail(
            .csvMismatch, Self.csv, line: line + 1, "the row does not have the documented columns")
        }
        let matches =
          markRange
          ? Timestamp.parseMicros(view.occurredAt).map { filter.contains(micros: $0) } ?? false
          : true
        try check(view, matches: matches, line: line)
        let expected = matches ? "true" : "false"
        if row[AuditCSV.Column.allCases.firstIndex(of: .inRange) ?? 0] != expected {
          throw fail(
            .csvMismatch, Self.csv, line: line + 1,
            "column inRange should be \(expected) for the row's occurredAt and the filter's range")
        }
        counted()
      }
    }

    // The end of the export.
    if let last = previous {
      guard let manifestLast = anchors.last else {
        throw fail(.anchorMismatch, AuditManifest.fileName, "the manifest names no last event")
      }
      if index(last) < index(manifestLast.view) {
        throw fail(
          .missingEvent, primary, line: count,
          "the export ends at \(indexName) \(index(last)), the manifest's last event is \(index(manifestLast.view)): lines at the end were removed"
        )
      }
      if index(last) > index(manifestLast.view) {
        throw fail(
          .unexpectedEvent, primary, line: count,
          "the export ends at \(indexName) \(index(last)), the manifest's last event is \(index(manifestLast.view)): lines were added at the end"
        )
      }
      if last.anchor != manifestLast {
        throw fail(
          .anchorMismatch, primary, line: count, "the last event is not the manifest's last event")
      }
    }
    if count != manifest.counts.events {
      throw fail(
        .countMismatch, primary, "\(count) events where the manifest says \(manifest.counts.events)"
      )
    }
    if inRange != manifest.counts.eventsInRange {
      throw fail(
        .countMismatch, primary,
        "\(inRange) events in range where the manifest says \(manifest.counts.eventsInRange)")
    }
    try checkEnds(manifest, last: previous)

    if ndjsonReader != nil, csvReader != nil {
      if try nextCSVRow() != nil {
        throw fail(
          .csvMismatch, Self.csv, line: count + 2,
          "events.csv has more rows than events.ndjson has lines")
      }
    }

    // Every byte of every file, as the manifest lists it.
    for (format, reader) in [(AuditFormat.ndjson, ndjsonReader), (.csv, csvFile)] {
      guard let reader, let entry = entries[format] else { continue }
      let sha = reader.finish()
      if sha != entry.sha256 || reader.bytesRead != entry.bytes {
        throw fail(
          .fileHashMismatch, entry.name,
          "\(entry.name) has SHA-256 \(sha) (\(reader.bytesRead) bytes), the manifest lists \(entry.sha256) (\(entry.bytes) bytes)"
        )
      }
    }
  }

  /// The events just before and after the export, and the heads, must continue its chain.
  private func checkEnds(_ manifest: AuditManifest, last: ChainView?) throws(Stop) {
    let anchors = manifest.anchors
    let filter = manifest.filter
    let file = AuditManifest.fileName
    let log = anchors.chain == .log
    let index = { (anchor: AuditManifest.EventAnchor) in
      log ? anchor.globalPosition : anchor.streamVersion
    }
    // Where the chain stands after the export's last event (or after `before` when it is empty).
    let endIndex: UInt64?
    let endHash: String
    if let last {
      endIndex = log ? last.globalPosition : last.streamVersion
      endHash = last.hash
    } else if let before = anchors.before {
      endIndex = index(before)
      endHash = before.hash
    } else {
      endIndex = nil
      endHash = Self.zero
    }
    let nextIndex = endIndex.map { $0 + 1 } ?? 0

    if let before = anchors.before {
      guard manifest.contents == .recordedRange, let from = filter.fromMicros else {
        throw fail(
          .manifestInconsistent, file,
          "an event before the export is named, but the range has no start")
      }
      guard let recorded = Timestamp.parseMicros(before.recordedAt), recorded < from else {
        throw fail(
          .anchorMismatch, file, "the event before the export was recorded inside the range")
      }
      if before.globalPosition >= anchors.store.events {
        throw fail(.anchorMismatch, file, "the event before the export is beyond the store head")
      }
    }
    if let after = anchors.after {
      guard manifest.contents == .recordedRange, let to = filter.toMicros else {
        throw fail(
          .manifestInconsistent, file,
          "an event after the export is named, but the range has no end")
      }
      guard let recorded = Timestamp.parseMicros(after.recordedAt), recorded >= to else {
        throw fail(
          .anchorMismatch, file, "the event after the export was recorded inside the range")
      }
      if index(after) != nextIndex
        || (log ? after.previousHash : after.previousStreamHash) != endHash
      {
        throw fail(
          .anchorMismatch, file,
          "the event after the export does not continue its chain (events at the end of the range are missing)"
        )
      }
      if after.globalPosition >= anchors.store.events {
        throw fail(.anchorMismatch, file, "the event after the export is beyond the store head")
      }
      if !log {
        guard let head = anchors.streamHead, head.streamVersion >= after.streamVersion else {
          throw fail(.anchorMismatch, file, "the stream head is before the event after the export")
        }
      }
      return
    }
    // No event after the export: it ends at the head of its chain.
    if log {
      if nextIndex != anchors.store.events || endHash != anchors.store.chainHead {
        throw fail(
          .anchorMismatch, file,
          "the export should end at the store head (\(anchors.store.events) events, chain head \(anchors.store.chainHead)) but ends at \(nextIndex) events: events at the end are missing"
        )
      }
    } else {
      let head = anchors.streamHead
      let reached =
        endIndex.map { version in
          head.map { $0.streamVersion == version && $0.hash == endHash } ?? false
        } ?? (head == nil)
      if !reached {
        throw fail(
          .anchorMismatch, file,
          "the export should end at the stream head (version \(head.map { String($0.streamVersion) } ?? "none")) but ends at version \(endIndex.map(String.init) ?? "none"): events at the end are missing"
        )
      }
      if let head, head.globalPosition >= anchors.store.events {
        throw fail(.anchorMismatch, file, "the stream head is beyond the store head")
      }
    }
  }

  /// The chain fields of a CSV row (for an export without NDJSON).
  private static func chainView(_ row: [String]) -> ChainView? {
    let columns = AuditCSV.Column.allCases
    guard row.count == columns.count else { return nil }
    func cell(_ column: AuditCSV.Column) -> String {
      let text = row[columns.firstIndex(of: column) ?? 0]
      if text.hasPrefix("'"), AuditCSV.guardFormula(String(text.dropFirst())) == text {
        return String(text.dropFirst())
      }
      return text
    }
    guard let position = UInt64(cell(.globalPosition)), let version = UInt64(cell(.streamVersion)),
      ChainHash(hex: cell(.hash)) != nil, ChainHash(hex: cell(.previousHash)) != nil,
      ChainHash(hex: cell(.previousStreamHash)) != nil
    else { return nil }
    return ChainView(
      globalPosition: position, streamVersion: version, streamId: cell(.streamId),
      recordedAt: cell(.recordedAt), occurredAt: cell(.occurredAt),
      previousHash: cell(.previousHash),
      previousStreamHash: cell(.previousStreamHash), hash: cell(.hash))
  }
}

extension AuditManifest.EventAnchor {
  fileprivate var view: ChainView {
    ChainView(
      globalPosition: globalPosition, streamVersion: streamVersion, streamId: "",
      recordedAt: recordedAt, occurredAt: "", previousHash: previousHash,
      previousStreamHash: previousStreamHash, hash: hash)
  }
}
