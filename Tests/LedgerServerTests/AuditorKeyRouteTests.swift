import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgerServer
import Testing
import TreatmentLedger

/// `auditorKeys` of `POST /v1/audit/exports` over a live loopback server: the export's
/// `keys.json` is downloaded like its other files, recorded in `$access`, and opened with the
/// auditor's private key by the library's verifier; a bad key is refused naming its index.
@Suite("Audit exports for auditors over HTTP")
struct AuditorKeyRouteTests {
  static let files = [
    "manifest.json", "events.ndjson", "events.csv", "signature.json", "keys.json",
  ]

  /// An export request's body with `keys` as `auditorKeys`.
  static func body(patient: String, keys: String) -> ByteBuffer {
    ByteBuffer(
      string:
        "{\"reason\": \"auditor review\", \"patientId\": \"\(patient)\", \"auditorKeys\": \(keys)}"
    )
  }

  @Test("an export with an auditor key: keys.json downloaded, recorded and opened")
  func exportOpenedByTheAuditor() async throws {
    let fixture = try ServerFixture("auditor-keys")
    defer { fixture.close() }
    let auditor = AuditorKeyPair()
    let download = fixture.directory.appending("downloaded")
    try FileManager.default.createDirectory(atPath: download, withIntermediateDirectories: true)
    try await fixture.server.application().test(.live) { client in
      try await ReadingRouteTests.seed(fixture, client, patients: ["p1", "p2"])
      let keys =
        "[\"\(Hex.encode(AuditorKeyPair().publicKey))\", "
        + "\"\(Hex.encode(auditor.publicKey).uppercased())\"]"
      let id: String = try await client.execute(
        uri: "/v1/audit/exports", method: .post, headers: fixture.headers("auditor"),
        body: Self.body(patient: "p1", keys: keys)
      ) { response in
        #expect(response.status == .created)
        #expect(
          response.json["files"]?.arrayValue?.compactMap(\.stringValue).sorted()
            == Self.files.sorted())
        return response.json["exportId"]?.stringValue ?? ""
      }
      for name in Self.files {
        try await client.execute(
          uri: "/v1/audit/exports/\(id)/files/\(name)", method: .get,
          headers: fixture.headers("auditor")
        ) { response in
          #expect(response.status == .ok, "\(name)")
          let contentType = name.hasSuffix(".json") ? "application/json" : nil
          if let contentType { #expect(response.headers[.contentType] == contentType) }
          try Data(response.body.readableBytesView).write(
            to: URL(fileURLWithPath: download + "/" + name))
        }
      }
    }
    // What was downloaded is the whole export: intact, and its data opens with the private key
    // only (two keys were named, the other one's pair is gone).
    let keysFile = try JSONDecoder().decode(
      AuditKeysFile.self, from: Data(contentsOf: URL(fileURLWithPath: download + "/keys.json")))
    #expect(keysFile.streams.map(\.stream) == ["patient-p1"])
    #expect(keysFile.recipients.map(\.publicKey).contains(Hex.encode(auditor.publicKey)))
    #expect(keysFile.recipients.count == 2)
    var verifier = AuditVerifier()
    verifier.auditor = auditor
    verifier.decryptTo = fixture.directory.appending("opened")
    let report = await verifier.verify(directory: download)
    #expect(report.isIntact, "\(String(describing: report.problem))")
    #expect(report.opened?.eventsOpened == 1)
    let opened = try String(
      contentsOfFile: fixture.directory.appending("opened/events.ndjson"), encoding: .utf8)
    let event = try JSONValue.parse(Data(opened.utf8))
    #expect(event["data"]?["patientId"] == .string("p1"))
    #expect(event["data"]?["birthYear"] == .number(1984))
    // Without the private key, the data is sealed: no plaintext of the registration.
    let ndjson = try String(contentsOfFile: download + "/events.ndjson", encoding: .utf8)
    #expect(!ndjson.contains("sexAtBirth"))
    var stranger = AuditVerifier()
    stranger.auditor = AuditorKeyPair()
    #expect(await stranger.verify(directory: download).problem?.kind == .auditorKeyUnknown)
    // The downloads of events.ndjson, events.csv and keys.json are recorded; manifest and
    // signature are not.
    let reads = try fixture.accessRecords(patient: "p1")
    #expect(reads.count == 3)
    #expect(Set(reads.map(\.route)) == ["GET /v1/audit/exports/{exportId}/files/{name}"])
    #expect(try fixture.accessRecords(patient: "p2").isEmpty)
  }

  @Test("a bad auditor key is refused with 400 naming auditorKeys and its index, not the key")
  func badKeysRefused() async throws {
    let fixture = try ServerFixture("auditor-keys-bad")
    defer { fixture.close() }
    let good = Hex.encode(AuditorKeyPair().publicKey)
    let lowOrder = String(repeating: "0", count: 64)
    let notHex = String(repeating: "zq", count: 32)
    let cases: [(keys: String, index: Int?, echoed: String?)] = [
      ("[\"\(good)\", \"\(notHex)\"]", 1, notHex),
      ("[\"\(lowOrder)\"]", 0, lowOrder),
      ("[\"\(good)\", \"\(good)\", \"abcd\"]", 2, "abcd"),
      ("[\"\(good)\", 7]", 1, nil),
      ("\"\(good)\"", nil, good),
      ("[" + Array(repeating: "\"\(good)\"", count: 17).joined(separator: ",") + "]", nil, good),
    ]
    try await fixture.server.application().test(.live) { client in
      try await ReadingRouteTests.seed(fixture, client, patients: ["p1"])
      let before = try fixture.position()
      for (keys, index, echoed) in cases {
        try await client.execute(
          uri: "/v1/audit/exports", method: .post, headers: fixture.headers("auditor"),
          body: Self.body(patient: "p1", keys: keys)
        ) { response in
          #expect(response.status == .badRequest, "\(keys)")
          #expect(response.headers[.contentType] == "application/problem+json")
          let problem = response.json
          #expect(problem["type"]?.stringValue?.hasSuffix("/invalid-auditor-key") == true)
          #expect(problem["field"] == .string("auditorKeys"))
          #expect(problem["index"] == index.map { .number(Double($0)) }, "\(keys)")
          if let echoed { #expect(!response.text.contains(echoed), "\(keys)") }
        }
      }
      #expect(try fixture.position() == before)
      try await client.execute(
        uri: "/v1/audit/exports", method: .get, headers: fixture.headers("auditor")
      ) { response in #expect(response.json["exports"]?.arrayValue?.isEmpty == true) }
    }
    #expect(try fixture.ledger.auditLog().isEmpty)
  }
}
