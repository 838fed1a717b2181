import Foundation
import LedgerAudit
import LedgerEventStore
import LedgerFoundation
import LedgerLMDB
import LedgerTestSupport
import Testing

/// An NDJSON export is the log's stored bytes, line for line: written from the stored records
/// without decoding each one (only each chunk's first and last, for the anchors), in any chunk
/// size. A record the store cannot read fails the export, naming its position.
@Suite struct AuditExportBytesTests {
  static let clerk = Recorder(id: "clerk-1", name: "Sam Clerk", role: "clerk")

  /// A closed store of 25 events over three streams.
  static func makeStore(_ directory: TemporaryDirectory) async throws -> [RecordedEvent] {
    let store = try EventStore.open(at: directory.appending("store"))
    defer { store.close() }
    for index in 0..<25 {
      let event = ProposedEvent(
        type: "Noted", occurredAt: "2026-11-04T10:00:00Z", recordedBy: clerk,
        data: .object(["n": .number(Double(index)), "text": .string("é\u{2028}\"\\")]))
      _ = try await store.append([event], to: "ward-\(index % 3)")
    }
    return try store.readAll(limit: 100)
  }

  static func export(
    _ directory: TemporaryDirectory, _ name: String, eventsPerRead: Int
  ) async throws(AuditError) -> AuditExport {
    let store: EventStore
    do { store = try EventStore.open(at: directory.appending("store")) } catch {
      throw .store(error)
    }
    defer { store.close() }
    let request = AuditExportRequest(
      directory: directory.appending(name), formats: [.ndjson], exportedBy: clerk,
      reason: "Bytes check", eventsPerRead: eventsPerRead)
    return try await AuditExporter(store: store, semantics: NoPatients()).export(request)
  }

  struct NoPatients: AuditSemantics {
    func stream(forPatient patientId: String) -> String { "ward-" + patientId }
    func patientId(ofStream streamId: String) -> String? { nil }
    func correctedEventId(type: String, data: JSONValue) -> String? { nil }
    func voidedEventId(type: String, data: JSONValue) -> String? { nil }
  }

  @Test(arguments: [1, 7, 1_000])
  func theLinesAreTheStoredBytesInAnyChunkSize(eventsPerRead: Int) async throws {
    let directory = TemporaryDirectory("audit-bytes")
    defer { directory.remove() }
    let events = try await Self.makeStore(directory)
    let export = try await Self.export(directory, "out", eventsPerRead: eventsPerRead)
    let written = try Data(
      contentsOf: URL(fileURLWithPath: export.stagingDirectory + "/events.ndjson"))
    #expect(Array(written) == events.flatMap { AuditNDJSONLine.encode($0) })
    #expect(export.manifest.counts.events == 25)
    #expect(export.manifest.anchors.first == AuditManifest.EventAnchor(events[0]))
    #expect(export.manifest.anchors.last == AuditManifest.EventAnchor(events[24]))
    let report = await AuditVerifier(semantics: NoPatients()).verify(
      directory: export.stagingDirectory)
    #expect(report.problem == nil, "\(String(describing: report.problem))")
  }

  @Test(arguments: [[9] + [UInt8](repeating: 0, count: 40), [1, 2, 3]])
  func aRecordTheStoreCannotReadFailsTheExport(value: [UInt8]) async throws {
    let directory = TemporaryDirectory("audit-bytes-damaged")
    defer { directory.remove() }
    _ = try await Self.makeStore(directory)
    // Below the store, as an attacker with file access would.
    let env = try Environment(path: directory.appending("store"))
    try env.write { txn in
      try txn.put(try txn.openDatabase("log"), UInt64(11).bigEndianBytes, value)
    }
    env.close()
    await #expect(
      throws: AuditError.store(
        .corruptRecord(
          position: 11, reason: "unknown record version or truncated value"))
    ) {
      _ = try await Self.export(directory, "out", eventsPerRead: 4)
    }
  }
}
