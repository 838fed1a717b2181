import ControlledSubstances
import Foundation
import LedgerTestSupport
import Testing
import TreatmentLedger

/// The Swift types and the JSON Schemas agree: what Swift writes validates against
/// `Schemas/events/<Type>.v1.schema.json` (checked by Tools/schema-validate, an independent
/// validator), and every published example reads into the types and writes back unchanged.
@Suite("Controlled-substance schemas")
struct SchemaAgreementTests {
  typealias F = InventoryFixture

  /// Payloads covering every optional field and both container kinds.
  static let payloads: [InventoryEvent] = [
    F.registration(),
    F.receipt(["V-1", "V-2"]),
    .stockReceived(
      StockReceived(
        lotNumber: "EK1", drug: .esketamine, ndc: "50458-028-03", form: .nasalSpray,
        contents: .units(mgPerUnit: 28, unitsPerContainer: 3), containerIds: ["EK-1"],
        expiresOn: F.day("2027-01-31"), supplier: F.supplier, invoiceRef: "INV-2",
        receivedOn: F.day("2026-11-02"))),
    .stockAdministered(
      StockAdministered(
        containerId: "V-1", amountMg: 35, volumeMl: 0.7, patientId: "p1", doseEventId: UUID())),
    .stockAdministered(
      StockAdministered(
        containerId: "EK-1", amountMg: 56, volumeMl: nil, patientId: "p1", doseEventId: UUID())),
    .wasteRecorded(
      WasteRecorded(
        containerId: "V-1", amountMg: 15, volumeMl: 0.3, method: "pouch", witness: F.witness,
        doseEventId: UUID())),
    .wasteRecorded(
      WasteRecorded(
        containerId: "EK-1", amountMg: 28, volumeMl: nil, method: "discarded", witness: nil)),
    .inventoryCounted(
      InventoryCounted(
        kind: .biennial, countedAt: F.time("2026-11-03T18:00:00-05:00"), openingOrClose: .close,
        lines: [
          CountLine(containerId: "V-1", sealed: false, volumeMl: 9.2, estimated: true),
          CountLine(containerId: "EK-1", sealed: false, units: 1),
        ], witness: F.witness)),
    .lossReported(
      LossReported(
        containerIds: ["V-2"], amountMg: 500, kind: .theft,
        discoveredAt: F.time("2026-11-03T08:00:00-05:00"),
        fieldOfficeNotifiedAt: F.time("2026-11-03T10:00:00-05:00"),
        dea106SubmittedAt: F.time("2026-11-20T10:00:00-05:00"))),
    .stockDisposed(
      StockDisposed(
        containerIds: ["V-1"], amountMg: 450, method: .reverseDistributor,
        reverseDistributor: F.supplier)),
    .stockDisposed(
      StockDisposed(
        containerIds: ["V-1"], amountMg: 450, method: .onSiteDea41,
        witnesses: [F.witness, F.pharmacist])),
  ]

  @Test(
    "What Swift writes validates against Schemas/events",
    arguments: InventoryEvent.allTypes.map(\.type))
  func swiftOutputValidates(_ type: String) throws {
    let lines = Self.payloads.filter { $0.eventType == type }.map {
      String(decoding: $0.json.canonicalBytes, as: UTF8.self)
    }
    #expect(!lines.isEmpty)
    let directory = TemporaryDirectory("dea-schema")
    defer { directory.remove() }
    let file = directory.appending("\(type).ndjson")
    try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: file))
    let result = try ProcessResult.run(
      "/usr/bin/env",
      [
        "python3", RepositoryPaths.root + "/Tools/schema-validate/validate_events.py", "--kind",
        "data", "--type", type, file,
      ])
    #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
  }

  @Test("Every example reads into the types and writes back the same data")
  func examplesRoundTrip() throws {
    let folder = RepositoryPaths.root + "/Schemas/examples/inventory"
    let names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
    #expect(names.count == InventoryEvent.allTypes.count)
    for name in names {
      let value = try JSONValue.parse(
        try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name)))
      let type = try #require(value["type"]?.stringValue)
      let data = try #require(value["data"])
      let event = try InventoryEvent.decode(type: type, schemaVersion: 1, value: data)
      #expect(event.json.canonicalBytes == data.canonicalBytes, "\(name)")
    }
  }

  @Test("Every rule code is unique and dotted, and has a sentence")
  func ruleCatalogue() {
    let codes = InventoryRule.allCases.map(\.rawValue)
    #expect(Set(codes).count == codes.count)
    #expect(codes.allSatisfy { $0.contains(".") && !$0.contains(" ") })
    #expect(InventoryRule.allCases.allSatisfy { !$0.sentence().isEmpty })
    #expect(InventoryRule.allCases.filter(\.isSoftAlert).count == 7)
  }
}
