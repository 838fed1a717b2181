import CSV
import ClinicalTestSupport
import Foundation
import LedgerTestSupport
import Synchronization
import Testing
import TreatmentLedger

/// A store holding the demo patient's record (the schema examples plus one flagged vitals
/// reading) spread over three recorded-time periods, with non-clinical inventory events around it:
///
/// | period | events | positions |
/// |---|---|---|
/// | A (before `t1`) | 30 inventory, patient versions 0–8 (examples up to the dose, flagged vitals) | 0–38 |
/// | B (`t1` ≤ t < `t2`) | patient versions 9–16 (the rest of the examples), 20 inventory | 39–66 |
/// | C (from `t2`) | 10 inventory | 67–76 |
struct AuditStore {
  static let patientId = "demo-0001"
  static let stream = "patient-demo-0001"
  static let auditor = Recorder(id: "compliance-07", name: "Dana Auditor", role: "compliance")
  /// Inventory events' clinical time: outside the clinical range the tests use.
  static let inventoryTime = "2026-11-01T08:00:00-05:00"
  /// A recorder name a spreadsheet would run as a formula.
  static let formulaName = "=HYPERLINK(\"http://x\",\"y\")"

  let directory: TemporaryDirectory
  let ledger: Ledger
  let t1: String
  let t2: String

  /// The fixture store; `sealed: false` keeps patient data plain (a store of the format before
  /// sealing), for the tests of how exports render clinical data.
  static func make(_ label: String, sealed: Bool = true) async throws -> AuditStore {
    let directory = TemporaryDirectory("audit-\(label)")
    var configuration = Ledger.Configuration(path: directory.appending("store"))
    configuration.sealsPatientData = sealed
    let ledger = try Ledger.open(configuration)
    let examples = try Self.exampleEvents()
    let dose = try #require(examples.firstIndex { $0.type == "DoseAdministered" })
    try await appendInventory(ledger.store, 0..<30)
    _ = try await ledger.store.append(
      Array(examples[...dose]), to: stream, expectedVersion: .noStream)
    _ = try await ledger.store.append(
      [Self.flaggedVitals()], to: stream)
    let t1 = try await mark()
    _ = try await ledger.store.append(Array(examples[(dose + 1)...]), to: stream)
    try await appendInventory(ledger.store, 30..<50)
    let t2 = try await mark()
    try await appendInventory(ledger.store, 50..<60)
    return AuditStore(directory: directory, ledger: ledger, t1: t1, t2: t2)
  }

  /// The schema examples in clinical order: one coherent patient record.
  static func exampleEvents() throws -> [ProposedEvent] {
    let events = try SchemaExamples.patientRecord()
    #expect(events.count == SchemaExamples.eventCount)
    return events
  }

  /// A vitals reading during the examples' session with a heart rate the rules flag.
  static func flaggedVitals() -> ProposedEvent {
    ProposedEvent(
      type: "VitalsRecorded", occurredAt: "2026-11-04T10:00:00-05:00",
      recordedBy: Recorder(id: "staff-0107", name: "Jordan Example, RN", role: "nurse"),
      data: .object([
        "sessionId": .string("session-demo-0001-a1"), "timepoint": .string("during"),
        "heartRateBpm": .number(44),
      ]))
  }

  /// A time strictly between the commits before and after it.
  static func mark() async throws -> String {
    try await Task.sleep(for: .milliseconds(3))
    let time = Timestamp.format(micros: Timestamp.nowMicros())
    try await Task.sleep(for: .milliseconds(3))
    return time
  }

  static func inventoryEvent(_ n: Int) -> ProposedEvent {
    ProposedEvent(
      eventId: UUID(uuidString: String(format: "00000000-0000-4000-8000-%012x", n)) ?? UUID(),
      type: "StockCounted", occurredAt: inventoryTime,
      recordedBy: Recorder(
        id: "staff-0300", name: n == 3 ? formulaName : "Pat Pharmacist", role: "pharmacist"),
      data: .object([
        "lot": .string("KT-\(n)"), "vials": .number(Double(n)), "ratio": .number(Double(n) / 8),
        "note": .string("counted, \"sealed\"\nshelf \(n % 4)"), "big": .number(1e21),
        "checks": .array([.bool(true), .null, .object([:])]),
      ]))
  }

  static func appendInventory(_ store: EventStore, _ range: Range<Int>) async throws {
    let batches = Dictionary(grouping: range) { $0 % 3 }.sorted { $0.key < $1.key }.map {
      site, numbers in
      StreamAppend(stream: "supplies-site-\(site)", events: numbers.map(inventoryEvent))
    }
    _ = try await store.append(batches)
  }

  func request(
    _ name: String, _ filter: AuditFilter = AuditFilter(),
    formats: Set<AuditFormat> = Set(AuditFormat.allCases), eventsPerRead: Int = 7
  ) -> AuditExportRequest {
    AuditExportRequest(
      directory: directory.appending(name), filter: filter, formats: formats,
      exportedBy: Self.auditor, reason: "Quarterly controlled-substance review",
      eventsPerRead: eventsPerRead)
  }

  /// Exports and, unless `record` is false, records the export in `$audit` (which adds an event).
  func export(
    _ name: String, _ filter: AuditFilter = AuditFilter(),
    formats: Set<AuditFormat> = Set(AuditFormat.allCases), record: Bool = true
  ) async throws -> AuditExport {
    if !record {
      return try await AuditExporter(store: ledger.store).export(
        request(name, filter, formats: formats))
    }
    return try await ledger.exportAudit(request(name, filter, formats: formats))
  }

  func close() {
    ledger.close()
    directory.remove()
  }
}

/// One line of `events.ndjson`, split at the documented byte offsets (9 and 83).
struct ExportedLine {
  var stated: String
  var canonical: [UInt8]
  var envelope: [String: Any]

  static func read(_ directory: String) throws -> [ExportedLine] {
    let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/events.ndjson"))
    var lines = Array(data).split(separator: 0x0A, omittingEmptySubsequences: false)
    #expect(lines.last?.isEmpty == true, "the file ends with a line end")
    lines.removeLast()
    return try lines.map { line in
      let bytes = Array(line)
      #expect(Array(bytes[0..<9]) == Array(#"{"hash":""#.utf8))
      #expect(Array(bytes[73..<83]) == Array(#"","event":"#.utf8))
      #expect(bytes.last == UInt8(ascii: "}"))
      let canonical = Array(bytes[83..<(bytes.count - 1)])
      let whole = try #require(
        try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
      #expect(Set(whole.keys) == ["hash", "event"])
      return ExportedLine(
        stated: String(decoding: bytes[9..<73], as: UTF8.self), canonical: canonical,
        envelope: try #require(whole["event"] as? [String: Any]))
    }
  }
}

/// The text of the file at `path`, every byte kept (Foundation's UTF-8 reading would drop a
/// leading byte-order mark, which `events.csv` must have).
func fileText(_ path: String) throws -> String {
  String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
}

/// Writes `text` to `path` as UTF-8, byte for byte.
func writeFileText(_ text: String, _ path: String) throws {
  try Data(text.utf8).write(to: URL(fileURLWithPath: path))
}

/// The rows of an exported `events.csv`, read by CSV.swift (yaslab/CSV.swift), a reader
/// independent of the library's writer.
func readCSV(_ path: String) throws -> [[String]] {
  var text = try String(contentsOfFile: path, encoding: .utf8)
  // The byte-order mark spreadsheets use to recognise UTF-8 is not part of the first cell.
  if text.unicodeScalars.first == "\u{FEFF}" { text.unicodeScalars.removeFirst() }
  let reader = try CSVReader(string: text)
  var rows: [[String]] = []
  while let row = reader.next() { rows.append(row) }
  if let error = reader.error { throw error }
  return rows
}

func fileSHA256Hex(_ path: String) throws -> String {
  ChainHash.sha256(Array(try Data(contentsOf: URL(fileURLWithPath: path)))).hex
}
