import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgerServer
import LedgerTestSupport
import Testing
import TreatmentLedger

/// The controlled-substance log over HTTP (docs/DEA.md): a site's events on their own route, and
/// a patient's dose with the site's withdrawal in one atomic `/v1/records` request.
@Suite("Recording a site's controlled-substance log")
struct SiteRecordingTests {
  /// A published example (`Schemas/examples/…`) as one line of JSON.
  static func example(_ name: String) throws -> String {
    let data = try Data(
      contentsOf: URL(fileURLWithPath: RepositoryPaths.root + "/Schemas/examples/" + name))
    let compact = try JSONSerialization.data(
      withJSONObject: try JSONSerialization.jsonObject(with: data), options: [.sortedKeys])
    return String(decoding: compact, as: UTF8.self)
  }

  /// The patient examples in clinical order, up to and without the dose; and the dose.
  static func patientRecordAndDose() throws -> (before: [String], dose: String) {
    let folder = RepositoryPaths.root + "/Schemas/examples"
    let names = try FileManager.default.contentsOfDirectory(atPath: folder)
      .filter {
        $0.hasSuffix(".v1.example.json") && !$0.hasPrefix("envelope") && !$0.hasPrefix("protocol")
      }
    let events = try names.map { try example($0) }.sorted { occurred($0) < occurred($1) }
    let dose = try #require(events.firstIndex { $0.contains(#""type":"DoseAdministered""#) })
    return (Array(events[..<dose]), events[dose])
  }

  static func occurred(_ line: String) -> Int64 {
    (try? JSONValue.parse(Array(line.utf8)))?["occurredAt"]?.stringValue
      .flatMap { try? RFC3339.parseMicros($0) } ?? 0
  }

  /// The example withdrawal with `amountMg` (and the matching volume at 50 mg/mL).
  static func withdrawal(amountMg: Int) throws -> String {
    try example("inventory/StockAdministered.v1.example.json")
      .replacingOccurrences(of: #""amountMg":35"#, with: #""amountMg":\#(amountMg)"#)
      .replacingOccurrences(
        of: #""volumeMl":0.7"#, with: #""volumeMl":\#(Double(amountMg) / 50)"#)
  }

  @Test("a dose and its withdrawal in one request: both or neither, refusals indexed as sent")
  func doseAndWithdrawalTogether() async throws {
    let fixture = try ServerFixture("site-dose")
    defer { fixture.close() }
    let site = try ["RegistrationRecorded", "StockReceived"].map {
      try Self.example("inventory/\($0).v1.example.json")
    }
    let (record, dose) = try Self.patientRecordAndDose()
    @Sendable func both(_ withdrawal: String) -> String {
      #"{"appends":[{"siteId":"main","events":[\#(withdrawal)]},"#
        + #"{"patientId":"demo-0001","events":[\#(dose)]}]}"#
    }
    try await fixture.test { client in
      try await client.execute(
        uri: "/v1/sites/main/events", method: .post, headers: fixture.headers("clinician"),
        body: ByteBuffer(string: Bodies.record(site, expected: "\"noStream\""))
      ) { response in
        #expect(response.status == .created, "\(response.text)")
        #expect(response.json["siteId"] == .string("main"))
        #expect(response.json["written"] == .number(2))
      }
      try await client.execute(
        uri: "/v1/patients/demo-0001/events", method: .post, headers: fixture.headers("clinician"),
        body: ByteBuffer(string: Bodies.record(record))
      ) { response in
        #expect(response.status == .created, "\(response.text)")
      }
      let before = try fixture.position()
      // The withdrawal (first in the request) does not match the dose's amount.
      try await client.execute(
        uri: "/v1/records", method: .post, headers: fixture.headers("clinician"),
        body: ByteBuffer(string: both(try Self.withdrawal(amountMg: 30)))
      ) { response in
        #expect(response.status == .unprocessableContent, "\(response.text)")
        #expect(response.json["index"] == .number(0))
        #expect(response.json["rule"] == .string("stock.dose.amount"))
      }
      #expect(try fixture.position() == before, "the dose was not written either")
      try await client.execute(
        uri: "/v1/records", method: .post, headers: fixture.headers("clinician"),
        body: ByteBuffer(string: both(try Self.withdrawal(amountMg: 35)))
      ) { response in
        #expect(response.status == .created, "\(response.text)")
        let appends = response.json["appends"]?.arrayValue ?? []
        #expect(appends.count == 2)
        #expect(appends.first?["siteId"] == .string("main"))
        #expect(appends.last?["patientId"] == .string("demo-0001"))
      }
      #expect(try fixture.position() == before + 2)
      // A second withdrawal for the same dose is refused on the site's own route.
      try await client.execute(
        uri: "/v1/sites/main/events", method: .post, headers: fixture.headers("clinician"),
        body: ByteBuffer(
          string: Bodies.record([
            try Self.withdrawal(amountMg: 35).replacingOccurrences(
              of: "3e9c6a85-74f7-4db1-8d3a-9c3f4e5a6b74", with: UUID().uuidString.lowercased())
          ]))
      ) { response in
        #expect(response.status == .unprocessableContent, "\(response.text)")
        #expect(response.json["rule"] == .string("stock.dose.accounted"))
      }
    }
    let balance = try fixture.ledger.inventory.balances(site: "main")
    #expect(balance.first { $0.containerId == "KV-0001" }?.balanceMg == 465)
  }

  @Test("an append names a patient or a site, not both; a site id must make a stream name")
  func ownerOfAnAppend() async throws {
    let fixture = try ServerFixture("site-owner")
    defer { fixture.close() }
    let registration = try Self.example("inventory/RegistrationRecorded.v1.example.json")
    try await fixture.test { client in
      for body in [
        #"{"appends":[{"patientId":"a","siteId":"main","events":[\#(registration)]}]}"#,
        #"{"appends":[{"events":[\#(registration)]}]}"#,
      ] {
        try await client.execute(
          uri: "/v1/records", method: .post, headers: fixture.headers("clinician"),
          body: ByteBuffer(string: body)
        ) { response in
          #expect(response.status == .badRequest, "\(response.text)")
        }
      }
      try await client.execute(
        uri: "/v1/sites/a%20b/events", method: .post, headers: fixture.headers("clinician"),
        body: ByteBuffer(string: Bodies.record([registration]))
      ) { response in
        #expect(response.status == .badRequest, "\(response.text)")
      }
      // An auditor never writes.
      try await client.execute(
        uri: "/v1/sites/main/events", method: .post, headers: fixture.headers("auditor"),
        body: ByteBuffer(string: Bodies.record([registration]))
      ) { response in
        #expect(response.status == .forbidden)
      }
    }
    #expect(try fixture.position() == 0)
  }
}
