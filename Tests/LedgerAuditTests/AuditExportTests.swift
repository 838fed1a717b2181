import Foundation
import LedgerTestSupport
import Synchronization
import Testing
import TreatmentLedger

// Audit export through the library: what the files hold, the anchors, the `$audit` record, and
// exports taken while the store is being appended to. Tamper detection is in
// AuditVerifierTests.swift; the command line and the Python verifier in
// TreatmentLedgerCLITests/AuditCommandTests.swift.

@Suite("Audit export")
struct AuditExportTests {
  @Test func aWholeLogExportHoldsEveryEventWithTheBytesThatWereHashed() async throws {
    let fixture = try await AuditStore.make("whole")
    defer { fixture.close() }
    let store = fixture.ledger.store
    let statistics = try store.statistics()
    #expect(statistics.events == 77)
    let export = try await fixture.export("whole")
    let manifest = export.manifest

    #expect(manifest.format == "treatment-ledger-audit-2")
    #expect(manifest.contents == .wholeChain)
    #expect(manifest.counts == AuditManifest.Counts(events: 77, eventsInRange: 77))
    #expect(manifest.anchors.chain == .log)
    #expect(
      manifest.anchors.store.events == 77
        && manifest.anchors.store.chainHead == statistics.chainHead)
    #expect(manifest.anchors.first?.globalPosition == 0)
    #expect(manifest.anchors.first?.previousHash == ChainHash.zero.hex)
    #expect(
      manifest.anchors.last?.globalPosition == 76
        && manifest.anchors.last?.hash == statistics.chainHead)
    #expect(
      manifest.anchors.before == nil && manifest.anchors.after == nil
        && manifest.anchors.streamHead == nil)
    #expect(manifest.generatedBy == AuditStore.auditor)
    #expect(manifest.reason == "Quarterly controlled-substance review")

    // Each line carries exactly the stored bytes, which hash to the stated hash.
    let lines = try ExportedLine.read(export.directory)
    let stored = try store.readAll(from: 0, limit: 1_000)
    #expect(lines.count == 77)
    for (line, event) in zip(lines, stored) {
      #expect(line.canonical == event.canonicalBytes)
      #expect(line.stated == event.hash.hex)
      #expect(ChainHash.sha256(line.canonical).hex == line.stated)
      #expect(line.envelope["globalPosition"] as? Int == Int(event.globalPosition))
    }
    // The manifest lists each file's SHA-256, as sha256sum computes it, and the manifest's own.
    for file in manifest.files {
      #expect(try fileSHA256Hex(export.directory + "/" + file.name) == file.sha256)
      #expect(file.records == 77)
    }
    #expect(try fileSHA256Hex(export.directory + "/manifest.json") == export.manifestSHA256)
    let decoded = try AuditManifest.decode(
      Array(try Data(contentsOf: URL(fileURLWithPath: export.directory + "/manifest.json"))))
    #expect(decoded == manifest)

    let report = await AuditVerifier().verify(directory: export.directory)
    #expect(report.isIntact, "\(String(describing: report.problem))")
    #expect(report.eventsChecked == 77 && report.hashesRecomputed && !report.manifestChecked)
    let checked = await fixture.ledger.verifyAuditExport(at: export.directory)
    #expect(checked.isIntact && checked.manifestChecked, "\(String(describing: checked.problem))")
    // The export was recorded after the snapshot: the store verifies with it.
    #expect(try store.verify().isIntact)
  }

  @Test func theExportIsRecordedInAuditWithoutPatientData() async throws {
    let fixture = try await AuditStore.make("record")
    defer { fixture.close() }
    let filter = AuditFilter(patientId: AuditStore.patientId)
    let export = try await fixture.export("patient", filter)
    let entries = try fixture.ledger.auditLog()
    #expect(entries.count == 1)
    let entry = try #require(entries.first)
    #expect(entry.event.streamId == StreamNames.audit)
    #expect(entry.event.type == AuditExporter.eventType)
    #expect(entry.event.eventId.uuidString.lowercased() == export.manifest.exportId)
    #expect(entry.exportId == export.manifest.exportId)
    #expect(entry.exportedBy == AuditStore.auditor)
    #expect(entry.reason == "Quarterly controlled-substance review")
    #expect(entry.filter == filter)
    #expect(entry.events == 17)
    #expect(entry.manifestSHA256 == export.manifestSHA256)
    // Recorded after the snapshot the export covers (77 publishes the store's signing key).
    #expect(entry.event.globalPosition == 78, "recorded after the snapshot the export covers")

    // Only these members: who and why (recordedBy, reason), what (filter, counts, positions),
    // and the hashes. No payload value of any exported event.
    let data = try #require(entry.event.data.objectValue)
    #expect(
      Set(data.keys) == [
        "exportId", "reason", "filter", "formats", "events", "eventsInRange", "storeEvents",
        "storeChainHead", "manifestSha256", "format", "tool", "firstGlobalPosition",
        "lastGlobalPosition", "lastHash",
      ])
    // What the record says besides the fixed format and tool names.
    var described = data
    described["format"] = nil
    described["tool"] = nil
    let recorded =
      String(decoding: JSONValue.object(described).canonicalBytes, as: UTF8.self)
      + String(
        decoding: JSONValue.object(["by": .string(entry.exportedBy.name)]).canonicalBytes,
        as: UTF8.self)
    var leaves: [String] = []
    func collect(_ value: JSONValue) {
      switch value {
      case .string(let text): leaves.append(text)
      case .number: leaves.append(String(decoding: value.canonicalBytes, as: UTF8.self))
      case .array(let values): values.forEach(collect)
      case .object(let members): members.values.forEach(collect)
      default: break
      }
    }
    for event in try fixture.ledger.store.readStream(AuditStore.stream) { collect(event.data) }
    let distinctive = leaves.filter { $0.count >= 5 && $0 != AuditStore.patientId }
    #expect(distinctive.count > 20)
    for value in distinctive {
      #expect(!recorded.contains(value), "the $audit event holds a patient data value")
    }

    // Recording the same export again stores it once (the event id is the export id).
    _ = try await AuditExporter.record(export, in: fixture.ledger.store)
    #expect(try fixture.ledger.auditLog().count == 1)
    #expect(
      try AuditLog.entry(exportId: export.manifest.exportId, in: fixture.ledger.store)?.event
        == entry.event)
  }

  @Test func aPatientExportFollowsTheStreamChainToItsHead() async throws {
    let fixture = try await AuditStore.make("patient")
    defer { fixture.close() }
    let export = try await fixture.export("patient", AuditFilter(patientId: AuditStore.patientId))
    let manifest = export.manifest
    let stream = try fixture.ledger.store.readStream(AuditStore.stream)
    #expect(stream.count == 17)
    #expect(manifest.counts.events == 17)
    #expect(manifest.anchors.chain == .stream)
    #expect(manifest.anchors.first?.streamVersion == 0)
    #expect(manifest.anchors.first?.previousStreamHash == ChainHash.zero.hex)
    #expect(
      manifest.anchors.streamHead
        == AuditManifest.StreamHead(
          streamVersion: 16, globalPosition: stream[16].globalPosition, hash: stream[16].hash.hex))
    let lines = try ExportedLine.read(export.directory)
    #expect(
      lines.map { $0.envelope["streamId"] as? String }
        == Array(repeating: AuditStore.stream, count: 17))
    #expect(lines.map(\.canonical) == stream.map(\.canonicalBytes))
    let report = await AuditVerifier().verify(directory: export.directory)
    #expect(report.isIntact, "\(String(describing: report.problem))")
  }

  @Test func recordedRangesExportExactlyTheirEventsWithTheNeighboursAsAnchors() async throws {
    let fixture = try await AuditStore.make("ranges")
    defer { fixture.close() }
    let store = fixture.ledger.store
    let all = try store.readAll(from: 0, limit: 1_000)
    let stream = try store.readStream(AuditStore.stream)
    let (t1, t2) = (fixture.t1, fixture.t2)
    let patient = AuditStore.patientId
    let future = "2100-01-01T00:00:00Z"

    struct Case {
      var name: String
      var filter: AuditFilter
      var positions: [UInt64]
      var before: UInt64?
      var after: UInt64?
    }
    let patientPositions = stream.map(\.globalPosition)
    let cases = [
      Case(
        name: "log-b", filter: AuditFilter(from: t1, to: t2), positions: Array(39...66), before: 38,
        after: 67),
      Case(
        name: "log-a", filter: AuditFilter(to: t1), positions: Array(0...38), before: nil, after: 39
      ),
      Case(
        name: "log-c", filter: AuditFilter(from: t2), positions: Array(67...76), before: 66,
        after: nil),
      Case(
        name: "log-none", filter: AuditFilter(from: future), positions: [], before: 76, after: nil),
      Case(
        name: "patient-a", filter: AuditFilter(patientId: patient, to: t1),
        positions: Array(patientPositions[0...8]), before: nil, after: patientPositions[9]),
      Case(
        name: "patient-b", filter: AuditFilter(patientId: patient, from: t1, to: t2),
        positions: Array(patientPositions[9...16]), before: patientPositions[8], after: nil),
      Case(
        name: "patient-c", filter: AuditFilter(patientId: patient, from: t2), positions: [],
        before: patientPositions[16], after: nil),
      Case(
        name: "nobody", filter: AuditFilter(patientId: "unknown-9", from: t1), positions: [],
        before: nil,
        after: nil),
    ]
    for test in cases {
      let export = try await fixture.export(test.name, test.filter, record: false)
      let manifest = export.manifest
      // Not recorded: the files are still in the staging directory.
      let lines = try ExportedLine.read(export.stagingDirectory)
      #expect(manifest.contents == .recordedRange, "\(test.name)")
      #expect(
        lines.compactMap { ($0.envelope["globalPosition"] as? Int).map(UInt64.init) }
          == test.positions,
        "\(test.name)")
      #expect(manifest.counts.events == UInt64(test.positions.count), "\(test.name)")
      #expect(manifest.anchors.before?.globalPosition == test.before, "\(test.name)")
      #expect(manifest.anchors.after?.globalPosition == test.after, "\(test.name)")
      if let before = test.before {
        #expect(manifest.anchors.before?.hash == all[Int(before)].hash.hex, "\(test.name)")
      }
      for line in lines {
        let recorded = try #require(
          Timestamp.parseMicros(line.envelope["recordedAt"] as? String ?? ""))
        #expect(test.filter.contains(micros: recorded), "\(test.name)")
      }
      let report = await AuditVerifier().verify(directory: export.stagingDirectory)
      #expect(report.isIntact, "\(test.name): \(String(describing: report.problem))")
    }
  }

  @Test func anOccurredRangeCarriesTheWholeChainAndMarksTheEventsInRange() async throws {
    let fixture = try await AuditStore.make("occurred")
    defer { fixture.close() }
    let from = "2026-11-04T00:00:00-05:00"
    let to = "2026-11-05T00:00:00-05:00"
    let filter = AuditFilter(
      patientId: AuditStore.patientId, timeBasis: .occurredAt, from: from, to: to)
    let export = try await fixture.export("occurred", filter)
    let stream = try fixture.ledger.store.readStream(AuditStore.stream)
    let inside = stream.filter {
      filter.contains(micros: Timestamp.parseMicros($0.occurredAt) ?? 0)
    }
    // SessionStarted … EntryCorrected on 4 November, and the flagged vitals reading.
    #expect(inside.count == 10)
    #expect(export.manifest.contents == .wholeChain)
    #expect(export.manifest.counts == AuditManifest.Counts(events: 17, eventsInRange: 10))
    let rows = try readCSV(export.directory + "/events.csv")
    let inRange = try #require(rows.first?.firstIndex(of: "inRange"))
    let eventId = try #require(rows.first?.firstIndex(of: "eventId"))
    let marked = rows.dropFirst().filter { $0[inRange] == "true" }.map { $0[eventId] }
    #expect(marked == inside.map { $0.eventId.uuidString.lowercased() })
    #expect(await AuditVerifier().verify(directory: export.directory).isIntact)

    // The whole log on clinical time: every event, the patient's ten marked.
    let log = try await fixture.export(
      "occurred-log", AuditFilter(timeBasis: .occurredAt, from: from, to: to))
    #expect(log.manifest.counts == AuditManifest.Counts(events: 79, eventsInRange: 10))
    let report = await AuditVerifier().verify(directory: log.directory)
    #expect(report.isIntact, "\(String(describing: report.problem))")
    #expect(report.eventsInRange == 10)
  }

  @Test func theCSVParsedBackAgreesWithTheNDJSON() async throws {
    // Plain patient data, so that corrections, voids and data cells are rendered from it (a
    // sealed export renders the sealed text: SealingTests).
    let fixture = try await AuditStore.make("csv", sealed: false)
    defer { fixture.close() }
    let export = try await fixture.export("whole")
    let lines = try ExportedLine.read(export.directory)
    let bytes = try Data(contentsOf: URL(fileURLWithPath: export.directory + "/events.csv"))
    #expect(
      Array(bytes.prefix(3)) == [0xEF, 0xBB, 0xBF], "a UTF-8 byte-order mark for spreadsheets")
    let text = String(decoding: bytes, as: UTF8.self)
    let rows = try readCSV(export.directory + "/events.csv")
    #expect(rows.count == lines.count + 1)
    #expect(
      rows[0] == [
        "globalPosition", "streamId", "patientId", "streamVersion", "eventId", "type",
        "schemaVersion",
        "occurredAt", "recordedAt", "recordedById", "recordedByName", "recordedByRole",
        "correctsEventId", "voidsEventId", "flags", "inRange", "hash", "previousHash",
        "previousStreamHash", "data",
      ])
    let column = Dictionary(uniqueKeysWithValues: rows[0].enumerated().map { ($1, $0) })
    func cell(_ row: [String], _ name: String) -> String { row[column[name] ?? 0] }
    var seen = RowKinds()
    for (row, line) in zip(rows.dropFirst(), lines) {
      seen.formUnion(Self.expectRowAgrees(row, with: line, column: column))
    }
    #expect(seen == [.flag, .correction, .void, .formula])
    // A few renderings spelled out.
    let inventory = try #require(
      rows.first { $0[column["eventId"] ?? 0] == "00000000-0000-4000-8000-000000000005" })
    #expect(
      cell(inventory, "data")
        == "big=1e+21; checks[0]=true; checks[1]=null; checks[2]={}; lot=KT-5; note=counted, \"sealed\"\nshelf 1; ratio=0.625; vials=5"
    )
    #expect(text.contains("\r\n"), "CRLF line ends")
  }

  /// Kinds of CSV rows the CSV test must meet at least once.
  struct RowKinds: OptionSet {
    let rawValue: Int
    static let flag = RowKinds(rawValue: 1)
    static let correction = RowKinds(rawValue: 2)
    static let void = RowKinds(rawValue: 4)
    static let formula = RowKinds(rawValue: 8)
  }

  /// Expects every cell of a CSV row to agree with its NDJSON line; returns the row's kinds.
  static func expectRowAgrees(
    _ row: [String], with line: ExportedLine, column: [String: Int]
  ) -> RowKinds {
    func cell(_ name: String) -> String { row[column[name] ?? 0] }
    var kinds = RowKinds()
    let event = line.envelope
    #expect(row.count == 20)
    #expect(cell("globalPosition") == String(event["globalPosition"] as? Int ?? -1))
    #expect(cell("streamVersion") == String(event["streamVersion"] as? Int ?? -1))
    let streamId = event["streamId"] as? String ?? ""
    #expect(cell("streamId") == streamId)
    #expect(
      cell("patientId") == (streamId.hasPrefix("patient-") ? String(streamId.dropFirst(8)) : ""))
    for name in [
      "eventId", "type", "occurredAt", "recordedAt", "previousHash", "previousStreamHash",
    ] {
      #expect(cell(name) == event[name] as? String, "\(name)")
    }
    #expect(cell("hash") == line.stated)
    let recorder = event["recordedBy"] as? [String: String] ?? [:]
    #expect(cell("recordedById") == recorder["id"])
    #expect(cell("recordedByRole") == recorder["role"])
    if recorder["name"] == AuditStore.formulaName {
      #expect(cell("recordedByName") == "'" + AuditStore.formulaName, "formula guarded")
      kinds.insert(.formula)
    } else {
      #expect(cell("recordedByName") == recorder["name"])
    }
    let data = event["data"] as? [String: Any] ?? [:]
    let type = event["type"] as? String
    #expect(
      cell("correctsEventId")
        == (type == "EntryCorrected" ? data["correctedEventId"] as? String : ""))
    #expect(cell("voidsEventId") == (type == "EntryVoided" ? data["voidedEventId"] as? String : ""))
    if !cell("correctsEventId").isEmpty { kinds.insert(.correction) }
    if !cell("voidsEventId").isEmpty { kinds.insert(.void) }
    let codes = (event["flags"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
    #expect(cell("flags") == codes.joined(separator: ";"))
    if !codes.isEmpty { kinds.insert(.flag) }
    #expect(cell("inRange") == "true")
    // The data column names every top-level member with its value (`\` and `;` escaped).
    let summary = cell("data")
    for (key, value) in data {
      if let text = value as? String {
        let escaped = text.replacingOccurrences(of: "\\", with: "\\\\")
          .replacingOccurrences(of: ";", with: "\\;")
        #expect(summary.contains("\(key)=\(escaped)"), "\(key)")
      } else {
        #expect(summary.contains("\(key)"), "\(key)")
      }
    }
    return kinds
  }

  @Test func anExportWhileAnotherTaskAppendsIsConsistentAndVerifies() async throws {
    let directory = TemporaryDirectory("audit-concurrent")
    defer { directory.remove() }
    let ledger = try Ledger.open(Ledger.Configuration(path: directory.appending("store")))
    defer { ledger.close() }
    for block in 0..<10 {
      try await AuditStore.appendInventory(ledger.store, (block * 300)..<((block + 1) * 300))
    }
    let initial = try ledger.store.nextPosition()
    let writing = Task {
      var n = 10_000
      while !Task.isCancelled {
        try await AuditStore.appendInventory(ledger.store, n..<(n + 5))
        n += 5
      }
    }
    // The writer is running before the export begins…
    while try ledger.store.nextPosition() < initial + 10 {
      try await Task.sleep(for: .milliseconds(1))
    }
    let store = ledger.store
    let request = AuditExportRequest(
      directory: directory.appending("export"), exportedBy: AuditStore.auditor,
      reason: "Export during appends", eventsPerRead: 10)
    // …and keeps committing while it reads (readers never block the writer): once, midway, the
    // export waits (with a deadline, not a sleep that decides) for a commit past its snapshot.
    let committedWhileReading = Mutex(false)
    let export = try await Task.detached {
      try await AuditExporter(store: store).export(request) { written, expected in
        guard written > 0, written < expected, !committedWhileReading.withLock({ $0 }) else {
          return
        }
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
          if let next = try? store.nextPosition(), next > expected {
            committedWhileReading.withLock { $0 = true }
            return
          }
          usleep(1_000)
        }
      }
    }.value
    writing.cancel()
    try await writing.value
    let snapshot = export.manifest.anchors.store.events
    #expect(snapshot > initial, "appends committed before the export began")
    #expect(committedWhileReading.withLock { $0 }, "appends committed while the export ran")
    #expect(export.manifest.counts.events == snapshot)
    #expect(export.manifest.anchors.last?.globalPosition == snapshot - 1)
    let report = await AuditVerifier().verify(directory: export.stagingDirectory)
    #expect(report.isIntact, "\(String(describing: report.problem))")
    try await AuditExporter.record(export, in: ledger.store)
    #expect(await ledger.verifyAuditExport(at: export.directory).isIntact)
    #expect(try ledger.store.verify().isIntact)
  }

  @Test func csvOnlyAndNDJSONOnlyExportsVerify() async throws {
    let fixture = try await AuditStore.make("formats")
    defer { fixture.close() }
    let csv = try await fixture.export(
      "csv", AuditFilter(from: fixture.t1, to: fixture.t2), formats: [.csv])
    #expect(csv.manifest.files.map(\.name) == ["events.csv"])
    let csvReport = await AuditVerifier().verify(directory: csv.directory)
    #expect(
      csvReport.isIntact && !csvReport.hashesRecomputed, "\(String(describing: csvReport.problem))")
    #expect(!FileManager.default.fileExists(atPath: csv.directory + "/events.ndjson"))
    let ndjson = try await fixture.export(
      "ndjson", AuditFilter(patientId: AuditStore.patientId), formats: [.ndjson])
    let ndjsonReport = await AuditVerifier().verify(directory: ndjson.directory)
    #expect(
      ndjsonReport.isIntact && ndjsonReport.hashesRecomputed,
      "\(String(describing: ndjsonReport.problem))")
  }

  @Test func badRequestsAreRefusedAndAnUnrecordedExportIsRemoved() async throws {
    let fixture = try await AuditStore.make("errors")
    defer { fixture.close() }
    let exporter = AuditExporter(store: fixture.ledger.store)
    let invalid: [(AuditFilter, String)] = [
      (AuditFilter(from: "2026-11-04T10:00:00"), "offset"),
      (AuditFilter(from: fixture.t2, to: fixture.t1), "earlier"),
      (AuditFilter(patientId: "has space"), "stream name"),
      (AuditFilter(patientId: ""), "empty"),
    ]
    for (filter, word) in invalid {
      let error = await #expect(throws: AuditError.self) {
        try await exporter.export(fixture.request("bad", filter))
      }
      guard case .invalidFilter(let reason) = error else {
        Issue.record("unexpected error \(String(describing: error))")
        continue
      }
      #expect(reason.contains(word), "\(reason)")
    }
    #expect(!FileManager.default.fileExists(atPath: fixture.directory.appending("bad")))
    var noReason = fixture.request("bad")
    noReason.reason = "  "
    await #expect(throws: AuditError.self) { try await exporter.export(noReason) }
    var noFormat = fixture.request("bad")
    noFormat.formats = []
    await #expect(throws: AuditError.self) { try await exporter.export(noFormat) }

    // An export never overwrites another.
    _ = try await fixture.export("taken")
    await #expect(throws: AuditError.outputExists(path: fixture.directory.appending("taken"))) {
      try await exporter.export(fixture.request("taken"))
    }

    // A store that cannot record the export: the files do not stay behind.
    fixture.ledger.close()
    let readOnly = try Ledger.open(
      Ledger.Configuration(
        path: fixture.directory.appending("store"), readOnly: true, createIfMissing: false))
    defer { readOnly.close() }
    do {
      _ = try await readOnly.exportAudit(fixture.request("unrecorded"))
      Issue.record("an export was left without its $audit record")
    } catch {
      guard case .notRecorded(.readOnly) = error else {
        Issue.record("unexpected error \(error)")
        return
      }
    }
    #expect(!FileManager.default.fileExists(atPath: fixture.directory.appending("unrecorded")))
    #expect(try readOnly.auditLog().count == 1)
  }
}
