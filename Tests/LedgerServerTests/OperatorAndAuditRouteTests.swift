import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgerServer
import Testing
import TreatmentLedger

@Suite("Operator and audit routes")
struct OperatorAndAuditRouteTests {
  @Test("the operator verifies, rebuilds, reads statistics and metrics, and sees no patient data")
  func operatorRoutes() async throws {
    let fixture = try ServerFixture("operator")
    defer { fixture.close() }
    try await fixture.test { client in
      try await ReadingRouteTests.seed(fixture, client, patients: ["p1"])
      try await client.execute(
        uri: "/v1/verify", method: .post, headers: fixture.headers("operator")
      ) { response in
        #expect(response.status == .ok)
        #expect(response.json["eventsChecked"] == .number(1))
      }
      try await client.execute(
        uri: "/v1/projections/patient-timeline/rebuild", method: .post,
        headers: fixture.headers("operator")
      ) { response in
        #expect(response.status == .ok)
        #expect(response.json["differingStreams"] == .number(0))
      }
      try await client.execute(
        uri: "/v1/projections/nothing/rebuild", method: .post, headers: fixture.headers("operator")
      ) { response in #expect(response.status == .notFound) }
      try await client.execute(uri: "/v1/stats", method: .get, headers: fixture.headers("operator"))
      { response in
        #expect(response.status == .ok)
        #expect(response.json["events"] == .number(1))
      }
      try await client.execute(
        uri: "/v1/metrics", method: .get, headers: fixture.headers("operator")
      ) { response in
        #expect(response.status == .ok)
        let text = response.text
        #expect(text.contains("ledger_http_requests_total"))
        #expect(text.contains("route=\"/v1/patients/{patientId}/events\""))
        #expect(text.contains("ledger_events_recorded_total 1"))
        #expect(text.contains("ledger_append_duration_seconds"))
        #expect(!text.contains("p1"))
      }
    }
  }

  @Test("an auditor exports, lists and downloads; the download of events is recorded in $access")
  func exports() async throws {
    let fixture = try ServerFixture("exports")
    defer { fixture.close() }
    try await fixture.test { client in
      try await ReadingRouteTests.seed(fixture, client, patients: ["p1", "p2"])
      let id: String = try await client.execute(
        uri: "/v1/audit/exports", method: .post, headers: fixture.headers("auditor"),
        body: ByteBuffer(string: "{\"reason\": \"quarterly review\", \"patientId\": \"p1\"}")
      ) { response in
        #expect(response.status == .created)
        #expect(response.json["events"] == .number(1))
        return response.json["exportId"]?.stringValue ?? ""
      }
      try await client.execute(
        uri: "/v1/audit/exports", method: .post, headers: fixture.headers("auditor"),
        body: ByteBuffer(string: "{\"reason\": \"\"}")
      ) { response in #expect(response.status == .unprocessableContent) }
      try await client.execute(
        uri: "/v1/audit/exports", method: .get, headers: fixture.headers("auditor")
      ) { response in
        #expect(
          response.json["exports"]?.arrayValue?.compactMap { $0["exportId"]?.stringValue } == [id])
      }
      try await client.execute(
        uri: "/v1/audit/log", method: .get, headers: fixture.headers("auditor")
      ) { response in #expect(response.json["entries"]?.arrayValue?.count == 1) }
      try await client.execute(
        uri: "/v1/audit/exports/\(id)/files/events.ndjson", method: .get,
        headers: fixture.headers("auditor")
      ) { response in
        #expect(response.status == .ok)
        #expect(response.text.contains("patient-p1"))
        #expect(!response.text.contains("patient-p2"))
      }
      try await client.execute(
        uri: "/v1/audit/exports/\(id)/files/..%2Fauth.json", method: .get,
        headers: fixture.headers("auditor")
      ) { response in #expect(response.status == .notFound) }
    }
    let reads = try fixture.accessRecords(patient: "p1")
    #expect(reads.map(\.route) == ["GET /v1/audit/exports/{exportId}/files/{name}"])
    #expect(try fixture.accessRecords(patient: "p2").isEmpty)
  }
}
