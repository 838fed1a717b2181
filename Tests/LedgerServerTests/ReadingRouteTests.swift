import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgerServer
import LedgerTestSupport
import Testing
import TreatmentLedger

@Suite("Reading routes and the record of reads")
struct ReadingRouteTests {
  /// Records `count` patients' registrations through the route.
  static func seed(_ fixture: ServerFixture, _ client: any TestClientProtocol, patients: [String])
    async throws
  {
    for patient in patients {
      try await client.execute(
        uri: "/v1/patients/\(patient)/events", method: .post, headers: fixture.headers("clinician"),
        body: ByteBuffer(string: Bodies.record([Bodies.registration(patient: patient)]))
      ) { response in #expect(response.status == .created) }
    }
  }

  @Test("every read of patient data is in $access, with who, what, why, before the data")
  func readsAreRecorded() async throws {
    let fixture = try ServerFixture("reads")
    defer { fixture.close() }
    try await fixture.test { client in
      try await Self.seed(fixture, client, patients: ["p1", "p2"])
      try await client.execute(
        uri: "/v1/patients/p1/timeline?asOf=2030-01-01T00:00:00Z", method: .get,
        headers: fixture.headers("clinician")
      ) { response in
        #expect(response.status == .ok)
        #expect(response.json["entries"]?.arrayValue?.count == 1)
      }
      try await client.execute(
        uri: "/v1/patients/p1/summary", method: .get, headers: fixture.headers("reader")
      ) { response in #expect(response.status == .ok) }
      try await client.execute(
        uri: "/v1/patients/p1/events?from=0&limit=10", method: .get,
        headers: fixture.headers("auditor")
      ) { response in
        #expect(response.status == .ok)
        #expect(response.json["events"]?.arrayValue?.first?["streamId"] == .string("patient-p1"))
        #expect(response.json["next"] == .null)
      }
      try await client.execute(
        uri: "/v1/log?limit=1", method: .get, headers: fixture.headers("clinician")
      ) { response in
        #expect(response.status == .ok)
        #expect(response.json["next"] == .number(1))
      }
      // The accounting of disclosures, for the auditor.
      try await client.execute(
        uri: "/v1/patients/p1/access", method: .get, headers: fixture.headers("auditor")
      ) { response in
        #expect(response.status == .ok)
        let reads = response.json["reads"]?.arrayValue ?? []
        #expect(
          reads.map { $0["subject"]?.stringValue ?? "" } == [
            "clinician-subject", "reader-subject", "auditor-subject", "clinician-subject",
          ])
        #expect(reads.first?["purpose"] == .string("treatment"))
        #expect(reads.first?["asOf"] == .string("2030-01-01T00:00:00Z"))
        #expect(reads.first?["route"] == .string("GET /v1/patients/{patientId}/timeline"))
        #expect(reads[1]["role"] == .string("service"))
      }
    }
    let p2 = try fixture.accessRecords(patient: "p2")
    #expect(p2.isEmpty)
    // Each record precedes nothing it describes: it is durable in the store's log. The fifth is
    // the auditor's reading of the accounting of disclosures itself.
    let records = try fixture.accessRecords()
    #expect(records.count == 5)
    #expect(records.last?.json["route"] == .string("GET /v1/patients/{patientId}/access"))
    // The records are valid PatientDataRead envelopes of the published schemas.
    let envelopes = try fixture.ledger.store.readStream(StreamNames.access).map {
      String(decoding: $0.envelopeJSON.canonicalBytes, as: UTF8.self)
    }
    let valid = try PublishedSchemas.validateEnvelopes(envelopes)
    #expect(valid.status == 0, "\(valid.stdout)\(valid.stderr)")
    #expect(valid.stdout.contains("5 valid"))
  }

  @Test("the log's pages leave out $access and $audit, and next still follows the log")
  func theLogLeavesOutTheSystemStreams() async throws {
    let fixture = try ServerFixture("log-system")
    defer { fixture.close() }
    try await fixture.test { client in
      try await Self.seed(fixture, client, patients: ["p1"])
      // Position 1 is the $access record of this read of p1's timeline; p2 comes after it.
      try await client.execute(
        uri: "/v1/patients/p1/timeline", method: .get, headers: fixture.headers("clinician")
      ) { response in #expect(response.status == .ok) }
      try await Self.seed(fixture, client, patients: ["p2"])
      try await client.execute(
        uri: "/v1/log?from=1&limit=1", method: .get, headers: fixture.headers("clinician")
      ) { response in
        #expect(response.status == .ok)
        #expect(response.json["events"]?.arrayValue?.isEmpty == true)
        #expect(response.json["next"] == .number(2))
      }
      try await client.execute(
        uri: "/v1/log?limit=100", method: .get, headers: fixture.headers("auditor")
      ) { response in
        let streams = response.json["events"]?.arrayValue?.compactMap {
          $0["streamId"]?.stringValue
        }
        #expect(streams == ["patient-p1", "patient-p2"])
      }
    }
    // The timeline read and the auditor's page; the page of system events only read no patient.
    #expect(try fixture.accessRecords().count == 2)
    #expect(try fixture.accessRecords(patient: "p2").count == 1)
  }

  @Test("an erased patient's record is 410 erased, for reads and for new events")
  func anErasedPatientIsGone() async throws {
    let fixture = try ServerFixture("erased")
    defer { fixture.close() }
    try await fixture.test { client in
      try await Self.seed(fixture, client, patients: ["p1"])
      try await fixture.ledger.erase(
        patient: "p1", by: Recorder(id: "ops-1", name: "Ops", role: "operator"),
        reason: "retention over", now: try ClinicalTime(validating: "2040-01-01T00:00:00Z"))
      try await client.execute(
        uri: "/v1/patients/p1/timeline", method: .get, headers: fixture.headers("clinician")
      ) { response in
        #expect(response.status == .gone)
        #expect(response.json["type"]?.stringValue?.hasSuffix("/erased") == true)
      }
      try await client.execute(
        uri: "/v1/patients/p1/summary", method: .get, headers: fixture.headers("clinician")
      ) { response in #expect(response.status == .gone) }
      try await client.execute(
        uri: "/v1/patients/p1/events", method: .post, headers: fixture.headers("clinician"),
        body: ByteBuffer(string: Bodies.record([Bodies.registration(patient: "p1")]))
      ) { response in #expect(response.status == .gone) }
    }
  }

  @Test("a bad asOf, limit or patient id is a 400 and records nothing")
  func badParameters() async throws {
    let fixture = try ServerFixture("params")
    defer { fixture.close() }
    try await fixture.test { client in
      for uri in [
        "/v1/patients/p1/timeline?asOf=yesterday", "/v1/patients/p1/events?limit=5000",
        "/v1/patients/p1/events?from=-1", "/v1/patients/a%20b/timeline", "/v1/log?from=x",
        "/v1/log?from=9007199254740992",
      ] {
        try await client.execute(uri: uri, method: .get, headers: fixture.headers("clinician")) {
          response in
          #expect(response.status == .badRequest, "\(uri)")
          #expect(response.headers[.contentType] == "application/problem+json")
        }
      }
    }
    #expect(try fixture.accessRecords().isEmpty)
    // A percent-encoded id is decoded: `a%3Ab` is patient `a:b`.
    try await fixture.test { client in
      try await client.execute(
        uri: "/v1/patients/a%3Ab/timeline", method: .get, headers: fixture.headers("clinician")
      ) { response in #expect(response.status == .ok) }
    }
    #expect(try fixture.accessRecords(patient: "a:b").count == 1)
  }

  @Test("the subscription sends patient events with their positions, resumes after Last-Event-ID")
  func subscription() async throws {
    let fixture = try ServerFixture("sse", heartbeat: .milliseconds(100))
    defer { fixture.close() }
    // Stopping ends each stream after its first batch, so the router test can read it whole.
    fixture.server.stopSubscriptions()
    try await fixture.test { client in
      try await Self.seed(fixture, client, patients: ["p1", "p2", "p3"])
      // A read in between puts an $access event in the log; it is not sent.
      try await client.execute(
        uri: "/v1/patients/p1/timeline", method: .get, headers: fixture.headers("clinician")
      ) { response in #expect(response.status == .ok) }
      try await Self.seed(fixture, client, patients: ["p4"])
      try await client.execute(
        uri: "/v1/subscription", method: .get, headers: fixture.headers("auditor")
      ) { response in
        #expect(response.headers[.contentType] == "text/event-stream")
        #expect(Self.ids(response.text) == [0, 1, 2, 4])
        #expect(response.text.contains("event: PatientRegistered"))
      }
      var resume = fixture.headers("auditor")
      resume[HTTPField.Name("Last-Event-ID")!] = "1"
      try await client.execute(uri: "/v1/subscription", method: .get, headers: resume) {
        response in
        #expect(Self.ids(response.text) == [2, 4])
      }
      var huge = fixture.headers("auditor")
      huge[HTTPField.Name("Last-Event-ID")!] = "18446744073709551615"
      try await client.execute(uri: "/v1/subscription", method: .get, headers: huge) {
        response in
        #expect(response.status == .badRequest)
      }
      // Nothing new: a heartbeat.
      resume[HTTPField.Name("Last-Event-ID")!] = "4"
      try await client.execute(uri: "/v1/subscription", method: .get, headers: resume) {
        response in
        #expect(Self.ids(response.text).isEmpty)
        #expect(response.text.contains(": heartbeat"))
      }
    }
    let reads = try fixture.accessRecords().filter { $0.route == "GET /v1/subscription" }
    #expect(reads.map(\.patients) == [["p1", "p2", "p3", "p4"], ["p3", "p4"]])
  }

  static func ids(_ text: String) -> [UInt64] {
    text.split(separator: "\n").compactMap { line in
      line.hasPrefix("id: ") ? UInt64(line.dropFirst(4)) : nil
    }
  }
}
