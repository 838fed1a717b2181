import Foundation
import LedgerAudit
import LedgerEventStore
import LedgerFoundation
import LedgerTestSupport
import Testing

/// LedgerAudit on a store of non-clinical records: what an export says about patients,
/// corrections and voids comes from the semantics it is given, and a verifier with other
/// semantics refuses the export.
@Suite struct AuditSemanticsTests {
  /// Wards instead of patients: `ward-<id>` streams, `Amended` corrects `data.amends`, `Struck`
  /// voids `data.strikes`.
  struct WardSemantics: AuditSemantics {
    func stream(forPatient patientId: String) -> String { "ward-" + patientId }
    func patientId(ofStream streamId: String) -> String? {
      streamId.hasPrefix("ward-") ? String(streamId.dropFirst(5)) : nil
    }
    func correctedEventId(type: String, data: JSONValue) -> String? {
      type == "Amended" ? data["amends"]?.stringValue : nil
    }
    func voidedEventId(type: String, data: JSONValue) -> String? {
      type == "Struck" ? data["strikes"]?.stringValue : nil
    }
  }

  static let clerk = Recorder(id: "clerk-1", name: "Sam Clerk", role: "clerk")

  static func note(_ type: String, _ data: [String: JSONValue]) -> ProposedEvent {
    ProposedEvent(
      type: type, occurredAt: "2026-11-04T10:00:00Z", recordedBy: clerk, data: .object(data))
  }

  /// A store with two wards and a stock stream; ward 7 has an amendment and a struck entry.
  static func makeStore(_ directory: TemporaryDirectory) async throws -> (EventStore, [UUID]) {
    let store = try EventStore.open(at: directory.appending("store"))
    let first = note("Noted", ["text": .string("round")])
    let second = note("Noted", ["text": .string("meds")])
    _ = try await store.append([first, second], to: "ward-7")
    _ = try await store.append([note("Counted", ["vials": .number(4)])], to: "stock")
    _ = try await store.append([note("Noted", ["text": .string("night")])], to: "ward-8")
    _ = try await store.append(
      [
        note("Amended", ["amends": .string(first.eventId.uuidString.lowercased())]),
        note("Struck", ["strikes": .string(second.eventId.uuidString.lowercased())]),
      ], to: "ward-7")
    return (store, [first.eventId, second.eventId])
  }

  func request(_ directory: TemporaryDirectory, _ name: String, _ filter: AuditFilter)
    -> AuditExportRequest
  {
    AuditExportRequest(
      directory: directory.appending(name), filter: filter, exportedBy: Self.clerk,
      reason: "Ward review")
  }

  @Test func theCSVAndTheManifestFollowTheGivenSemantics() async throws {
    let directory = TemporaryDirectory("audit-semantics")
    defer { directory.remove() }
    let (store, ids) = try await Self.makeStore(directory)
    defer { store.close() }
    let exporter = AuditExporter(store: store, semantics: WardSemantics())

    let ward = try await exporter.export(request(directory, "ward", AuditFilter(patientId: "7")))
    #expect(ward.manifest.counts.events == 4)
    #expect(ward.manifest.anchors.chain == .stream)
    let manifest = try JSONValue.parse(
      Array(try Data(contentsOf: URL(fileURLWithPath: ward.stagingDirectory + "/manifest.json"))))
    #expect(manifest["filter"]?["stream"]?.stringValue == "ward-7")

    let whole = try await exporter.export(request(directory, "whole", AuditFilter()))
    let rows = try readCSV(whole.stagingDirectory + "/events.csv")
    let header = try #require(rows.first)
    func column(_ name: AuditCSV.Column) throws -> [String] {
      let index = try #require(header.firstIndex(of: name.rawValue))
      return rows.dropFirst().map { $0[index] }
    }
    #expect(try column(.patientId) == ["7", "7", "", "8", "7", "7"])
    let lowercased = ids.map { $0.uuidString.lowercased() }
    #expect(try column(.correctsEventId) == ["", "", "", "", lowercased[0], ""])
    #expect(try column(.voidsEventId) == ["", "", "", "", "", lowercased[1]])

    for export in [ward, whole] {
      let report = await AuditVerifier(semantics: WardSemantics())
        .verify(directory: export.stagingDirectory)
      #expect(report.isIntact, "\(String(describing: report.problem))")
    }
  }

  @Test func aVerifierWithOtherSemanticsRefusesTheExport() async throws {
    let directory = TemporaryDirectory("audit-semantics-other")
    defer { directory.remove() }
    let (store, _) = try await Self.makeStore(directory)
    defer { store.close() }
    let exporter = AuditExporter(store: store, semantics: WardSemantics())
    let ward = try await exporter.export(request(directory, "ward", AuditFilter(patientId: "7")))
    let whole = try await exporter.export(request(directory, "whole", AuditFilter()))

    /// Patients are `bed-<id>` and nothing corrects or voids.
    struct BedSemantics: AuditSemantics {
      func stream(forPatient patientId: String) -> String { "bed-" + patientId }
      func patientId(ofStream streamId: String) -> String? {
        streamId.hasPrefix("bed-") ? String(streamId.dropFirst(4)) : nil
      }
      func correctedEventId(type: String, data: JSONValue) -> String? { nil }
      func voidedEventId(type: String, data: JSONValue) -> String? { nil }
    }
    let verifier = AuditVerifier(semantics: BedSemantics())
    let wardProblem = await verifier.verify(directory: ward.stagingDirectory).problem
    #expect(wardProblem?.kind == .manifestInconsistent)
    let wholeProblem = try #require(
      await verifier.verify(directory: whole.stagingDirectory).problem)
    #expect(wholeProblem.kind == .csvMismatch)
    #expect(wholeProblem.detail.contains("column patientId"))
    #expect(wholeProblem.line == 2)
  }

  @Test func theFilterChecksThePatientAsAStreamOfTheSemantics() throws {
    #expect(AuditFilter(patientId: "7").stream(using: WardSemantics()) == "ward-7")
    #expect(AuditFilter().stream(using: WardSemantics()) == nil)
    #expect(throws: Never.self) { try AuditFilter(patientId: "7").validate(using: WardSemantics()) }
    let error = #expect(throws: AuditError.self) {
      try AuditFilter(patientId: "has space").validate(using: WardSemantics())
    }
    guard case .invalidFilter(let reason)? = error else {
      Issue.record("unexpected error \(String(describing: error))")
      return
    }
    #expect(reason.contains("stream name"))
  }

  /// One stream that is not a patient's (here the `stock` stream): exported along its chain,
  /// verified; a filter naming a patient's stream, a system stream, or a patient and a stream
  /// is refused.
  @Test func oneStreamThatIsNotAPatientsIsExportedAlongItsChain() async throws {
    for filter in [
      AuditFilter(patientId: "7", streamId: "stock"), AuditFilter(streamId: "ward-7"),
      AuditFilter(streamId: "$audit"), AuditFilter(streamId: ""),
    ] {
      #expect(throws: AuditError.self) { try filter.validate(using: WardSemantics()) }
    }
    let directory = TemporaryDirectory("audit-semantics-stream")
    defer { directory.remove() }
    let (store, _) = try await Self.makeStore(directory)
    defer { store.close() }
    let exporter = AuditExporter(store: store, semantics: WardSemantics())
    let stock = try await exporter.export(
      request(directory, "stock", AuditFilter(streamId: "stock")))
    #expect(stock.manifest.counts.events == 1)
    #expect(stock.manifest.anchors.chain == .stream)
    #expect(stock.manifest.filter.stream(using: WardSemantics()) == "stock")
    let report = await AuditVerifier(semantics: WardSemantics()).verify(
      directory: stock.stagingDirectory)
    #expect(report.problem == nil, "\(String(describing: report.problem))")
  }
}
