import Foundation
import LedgerEventStore
import LedgerFoundation

/// Writes an inspector's report of one site into a directory:
///
/// - `receipts.csv`, `administrations.csv`, `waste.csv`, `losses.csv`, `disposals.csv`,
///   `counts.csv`: the ``DEAReport`` of the period;
/// - `inventory.ndjson`: every event of the site's stream, version 0 to the head, each line the
///   event's canonical bytes exactly as the store hashed them, so SHA-256 of a line is that
///   event's `hash` and each line's `previousStreamHash` is the hash of the line before;
/// - `dea-manifest.json`: the site, the period, who generated it and when, the stream head (the
///   chain anchor: version, global position, hash) and the SHA-256 and row count of every file.
///
/// ``DEAReportVerifier`` checks such a directory from the files alone, and against a store.
public struct DEAReportWriter: Sendable {
  /// The manifest's `format`.
  public static let formatName = "treatment-ledger-dea-report-1"
  /// The manifest's file name.
  public static let manifestName = "dea-manifest.json"
  /// The events' file name.
  public static let eventsName = "inventory.ndjson"

  /// The store read.
  public let store: EventStore

  /// A writer over `store`.
  public init(store: EventStore) { self.store = store }

  /// Writes the report of `site` for `[from, to)` into `directory` (created if missing; files of
  /// the same names are replaced) and returns the manifest.
  public func write(
    site: String, from: ClinicalTime, to: ClinicalTime, directory: String,
    generatedBy: Recorder, now: Date = Date()
  ) throws(DEAReportError) -> JSONValue {
    let stream = InventoryBook.stream(forSite: site)
    let events: [RecordedEvent]
    do { events = try store.readStream(stream) } catch { throw .store(error) }
    let report = DEAReport(site: site, from: from, to: to, events: events)
    var ndjson: [UInt8] = []
    for event in events {
      ndjson += event.canonicalBytes
      ndjson.append(0x0A)
    }
    var files: [JSONValue] = []
    var outputs: [(String, [UInt8])] = [(Self.eventsName, ndjson)]
    for table in report.tables {
      let bytes = Array(table.csv.utf8)
      outputs.append((table.name, bytes))
      files.append(
        .object([
          "name": .string(table.name), "rows": .number(Double(table.rows.count)),
          "sha256": .string(ChainHash.sha256(bytes).hex),
        ]))
    }
    var manifest: [String: JSONValue] = [
      "format": .string(Self.formatName), "site": .string(site), "stream": .string(stream),
      "from": .string(from.text), "to": .string(to.text),
      "generatedAt": .string(ClinicalTime(now).text), "generatedBy": generatedBy.json,
      "events": .object([
        "file": .string(Self.eventsName), "count": .number(Double(events.count)),
        "sha256": .string(ChainHash.sha256(ndjson).hex),
      ]),
      "files": .array(files),
    ]
    if let last = events.last {
      manifest["streamHead"] = .object([
        "streamVersion": .number(Double(last.streamVersion)),
        "globalPosition": .number(Double(last.globalPosition)), "hash": .string(last.hash.hex),
      ])
    }
    let json = JSONValue.object(manifest)
    outputs.append((Self.manifestName, json.canonicalBytes + [0x0A]))
    do {
      try FileManager.default.createDirectory(
        atPath: directory, withIntermediateDirectories: true)
      for (name, bytes) in outputs {
        try Data(bytes).write(to: URL(fileURLWithPath: directory + "/" + name), options: .atomic)
      }
    } catch {
      throw .cannotWrite(directory: directory)
    }
    return json
  }
}

extension DEAReportWriter {
  /// The `$audit` event type of a report.
  public static let auditEventType = "DEAReportGenerated"

  /// Records a written report in the store's `$audit` stream (who generated it, why, the site,
  /// the period, the stream head and the SHA-256 of its `dea-manifest.json`), as every audit
  /// export is recorded. When it cannot be recorded, the report's files are removed, so that no
  /// report nobody can account for is left behind.
  @discardableResult
  public func record(
    manifest: JSONValue, directory: String, reason: String, generatedBy: Recorder
  ) async throws(DEAReportError) -> RecordedEvent {
    let manifestBytes = manifest.canonicalBytes + [0x0A]
    var data: [String: JSONValue] = [
      "reportId": .string(UUID().lowercasedString), "reason": .string(reason),
      "manifestSha256": .string(ChainHash.sha256(manifestBytes).hex),
    ]
    for key in ["site", "stream", "from", "to", "events", "streamHead"] {
      if let value = manifest[key] { data[key] = key == "events" ? value["count"] ?? .null : value }
    }
    let event = ProposedEvent(
      eventId: UUID(), type: Self.auditEventType, schemaVersion: 1,
      occurredAt: manifest["generatedAt"]?.stringValue ?? ClinicalTime(Date()).text,
      recordedBy: generatedBy, data: .object(data))
    do throws(EventStoreError) {
      _ = try await store.appendSystem([event], to: StreamNames.audit)
      guard let stored = try store.event(id: event.eventId) else {
        throw .incompatibleStore(reason: "the recorded report was not found in $audit")
      }
      return stored
    } catch {
      Self.removeFiles(directory)
      throw .store(error)
    }
  }

  static let fileNames =
    [manifestName, eventsName] + [
      "receipts.csv", "administrations.csv", "waste.csv", "losses.csv", "disposals.csv",
      "counts.csv",
    ]

  static func removeFiles(_ directory: String) {
    for name in fileNames { try? FileManager.default.removeItem(atPath: directory + "/" + name) }
  }
}

/// Why a report could not be written.
public enum DEAReportError: Error, Sendable, Hashable, CustomStringConvertible {
  /// The store could not be read.
  case store(EventStoreError)
  /// A file of the report could not be written.
  case cannotWrite(directory: String)
  /// The audit export of the site's stream beside the report could not be made or recorded.
  case auditExport(reason: String)

  /// A one-line description.
  public var description: String {
    switch self {
    case .store(let error): "\(error)"
    case .cannotWrite(let directory): "cannot write the report into \(directory)"
    case .auditExport(let reason): "the audit export of the site's stream failed: \(reason)"
    }
  }
}

/// What ``DEAReportVerifier`` found.
public struct DEAReportVerification: Sendable, Hashable {
  /// Events checked.
  public var events: Int
  /// Problems, each naming the file and what is wrong; empty when the report is intact.
  public var problems: [String]
  /// True when nothing is wrong.
  public var isIntact: Bool { problems.isEmpty }
}

/// Checks a report directory: every event line hashes to the next line's `previousStreamHash`
/// and the last to the manifest's stream head; every CSV file has the manifest's SHA-256 and is
/// exactly what ``DEAReport`` computes from the events; with a store, the store's event at the
/// head's version has the head's hash (the chain anchor).
public struct DEAReportVerifier: Sendable {
  /// A verifier.
  public init() {}

  /// Verifies `directory`, and against `store` when given.
  public func verify(directory: String, against store: EventStore? = nil) -> DEAReportVerification {
    var problems: [String] = []
    func read(_ name: String) -> [UInt8]? {
      FileManager.default.contents(atPath: directory + "/" + name).map { Array($0) }
    }
    guard let manifestBytes = read(DEAReportWriter.manifestName),
      let manifest = try? JSONValue.parse(manifestBytes),
      manifest["format"]?.stringValue == DEAReportWriter.formatName,
      let site = manifest["site"]?.stringValue, let stream = manifest["stream"]?.stringValue,
      let from = manifest["from"]?.stringValue.flatMap(ClinicalTime.init),
      let to = manifest["to"]?.stringValue.flatMap(ClinicalTime.init)
    else {
      return DEAReportVerification(events: 0, problems: ["dea-manifest.json: missing or malformed"])
    }
    guard let ndjson = read(DEAReportWriter.eventsName) else {
      return DEAReportVerification(events: 0, problems: ["inventory.ndjson: missing"])
    }
    if manifest["events"]?["sha256"]?.stringValue != ChainHash.sha256(ndjson).hex {
      problems.append("inventory.ndjson: SHA-256 differs from the manifest")
    }
    let (events, chainProblems) = Self.events(ndjson, stream: stream)
    problems += chainProblems
    let head = manifest["streamHead"]
    if events.last?.hash.hex != head?["hash"]?.stringValue {
      problems.append("inventory.ndjson: the last event's hash is not the manifest's stream head")
    }
    let report = DEAReport(site: site, from: from, to: to, events: events)
    let listed =
      manifest["files"].flatMap { value -> [JSONValue]? in
        if case .array(let items) = value { return items }
        return nil
      } ?? []
    for table in report.tables {
      let expected = Array(table.csv.utf8)
      guard let entry = listed.first(where: { $0["name"]?.stringValue == table.name }) else {
        problems.append("\(table.name): not listed in the manifest")
        continue
      }
      if entry["sha256"]?.stringValue != ChainHash.sha256(expected).hex {
        problems.append("\(table.name): the manifest's SHA-256 is not that of the events' report")
      }
      if read(table.name) != expected {
        problems.append("\(table.name): differs from the report computed from the events")
      }
    }
    if let store {
      problems += Self.storeProblems(
        store, stream: stream, last: events.last, manifest: manifestBytes)
    }
    return DEAReportVerification(events: events.count, problems: problems)
  }

  /// The report against `store`: the store's event at the head's version has the head's hash,
  /// and `$audit` records a report with this manifest's SHA-256.
  static func storeProblems(
    _ store: EventStore, stream: String, last: RecordedEvent?, manifest: [UInt8]
  ) -> [String] {
    var problems: [String] = []
    if let last {
      let stored = try? store.readStream(stream, from: last.streamVersion, limit: 1).first
      if stored?.hash != last.hash {
        problems.append("store: the stream's event at the head's version has another hash")
      }
    }
    let sha = ChainHash.sha256(manifest).hex
    let recorded = (try? store.readStream(StreamNames.audit)) ?? []
    if !recorded.contains(where: {
      $0.type == DEAReportWriter.auditEventType && $0.data["manifestSha256"]?.stringValue == sha
    }) {
      problems.append("store: $audit records no report with this manifest's SHA-256")
    }
    return problems
  }

  /// The events of the NDJSON lines, with the problems of their chain.
  static func events(_ ndjson: [UInt8], stream: String) -> ([RecordedEvent], [String]) {
    var events: [RecordedEvent] = []
    var problems: [String] = []
    var previous = ChainHash.zero
    for (index, line) in ndjson.split(separator: 0x0A).enumerated() {
      let bytes = Array(line)
      guard let value = try? JSONValue.parse(bytes), let event = Self.event(value, bytes) else {
        problems.append("inventory.ndjson line \(index + 1): not an event envelope")
        break
      }
      if event.streamId != stream || event.streamVersion != UInt64(index) {
        problems.append("inventory.ndjson line \(index + 1): not version \(index) of \(stream)")
      }
      if event.previousStreamHash != previous {
        problems.append("inventory.ndjson line \(index + 1): previousStreamHash breaks the chain")
      }
      previous = event.hash
      events.append(event)
    }
    return (events, problems)
  }

  static func event(_ v: JSONValue, _ bytes: [UInt8]) -> RecordedEvent? {
    guard let id = v["eventId"]?.stringValue.flatMap(UUID.init(uuidString:)),
      let type = v["type"]?.stringValue,
      let version = v["schemaVersion"]?.numberValue.flatMap({ Int(exactly: $0) }),
      let streamId = v["streamId"]?.stringValue,
      let streamVersion = v["streamVersion"]?.numberValue.flatMap({ UInt64(exactly: $0) }),
      let position = v["globalPosition"]?.numberValue.flatMap({ UInt64(exactly: $0) }),
      let occurredAt = v["occurredAt"]?.stringValue, let recordedAt = v["recordedAt"]?.stringValue,
      let by = v["recordedBy"], let byId = by["id"]?.stringValue,
      let byName = by["name"]?.stringValue, let byRole = by["role"]?.stringValue,
      let data = v["data"],
      let previous = v["previousHash"]?.stringValue.flatMap(ChainHash.init(hex:)),
      let previousStream = v["previousStreamHash"]?.stringValue.flatMap(ChainHash.init(hex:))
    else { return nil }
    var flags: [JSONValue] = []
    if case .array(let items)? = v["flags"] { flags = items }
    return RecordedEvent(
      eventId: id, type: type, schemaVersion: version, streamId: streamId,
      streamVersion: streamVersion, globalPosition: position,
      occurredAt: occurredAt, recordedAt: recordedAt,
      recordedBy: Recorder(id: byId, name: byName, role: byRole),
      correlationId: v["correlationId"]?.stringValue.flatMap(UUID.init(uuidString:)),
      causationId: v["causationId"]?.stringValue.flatMap(UUID.init(uuidString:)), data: data,
      flags: flags, previousHash: previous, previousStreamHash: previousStream,
      hash: ChainHash.sha256(bytes), canonicalBytes: bytes)
  }
}
