import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgerServer
import Testing
import TreatmentLedger

@Suite("Recording routes")
struct RecordingRouteTests {
  @Test("records one event, then the same again is not stored twice")
  func recordsIdempotently() async throws {
    let fixture = try ServerFixture("record")
    defer { fixture.close() }
    let body = Bodies.record([Bodies.registration(patient: "p1", eventId: Bodies.registered)])
    try await fixture.test { client in
      try await client.execute(
        uri: "/v1/patients/p1/events", method: .post, headers: fixture.headers("clinician"),
        body: ByteBuffer(string: body)
      ) { response in
        #expect(response.status == .created)
        #expect(response.json["written"] == .number(1))
        #expect(response.json["streamVersion"] == .number(0))
        #expect(
          response.json["events"]?.arrayValue?.first?["eventId"] == .string(Bodies.registered))
      }
      try await client.execute(
        uri: "/v1/patients/p1/events", method: .post, headers: fixture.headers("recorder"),
        body: ByteBuffer(string: body)
      ) { response in
        #expect(response.status == .ok)
        #expect(response.json["alreadyStored"] == .bool(true))
      }
    }
    #expect(try fixture.position() == 1)
  }

  @Test("a soft alert's flags come back in the response")
  func flagsInResponse() async throws {
    let fixture = try ServerFixture("flags")
    defer { fixture.close() }
    let body = Bodies.record([Bodies.registration(patient: "minor", birthYear: 2016)])
    try await fixture.test { client in
      try await client.execute(
        uri: "/v1/patients/minor/events", method: .post, headers: fixture.headers("clinician"),
        body: ByteBuffer(string: body)
      ) { response in
        #expect(response.status == .created)
        let flags = response.json["events"]?.arrayValue?.first?["flags"]?.arrayValue ?? []
        #expect(flags.first?["code"] == .string("patient.age.minor"))
      }
    }
  }

  @Test("409 names the current version and writes nothing")
  func conflict() async throws {
    let fixture = try ServerFixture("conflict")
    defer { fixture.close() }
    try await fixture.test { client in
      for (attempt, expected) in ["\"noStream\"", "\"noStream\"", "5"].enumerated() {
        let body = Bodies.record([Bodies.registration(patient: "p1")], expected: expected)
        try await client.execute(
          uri: "/v1/patients/p1/events", method: .post, headers: fixture.headers("clinician"),
          body: ByteBuffer(string: body)
        ) { response in
          if attempt == 0 {
            #expect(response.status == .created)
          } else {
            #expect(response.status == .conflict)
            #expect(response.headers[.contentType] == "application/problem+json")
            #expect(response.json["currentVersion"] == .number(0))
            #expect(response.json["type"] == .string(Problem.typeBase + "wrong-expected-version"))
          }
        }
      }
    }
    #expect(try fixture.position() == 1)
  }

  @Test("422 names the event, field, rule and limit, never the value, and writes nothing")
  func rejected() async throws {
    let fixture = try ServerFixture("reject")
    defer { fixture.close() }
    let good = Bodies.registration(patient: "p1")
    let bad = Bodies.registration(patient: "p1", birthYear: 1789)
    try await fixture.test { client in
      try await client.execute(
        uri: "/v1/patients/p1/events", method: .post, headers: fixture.headers("clinician"),
        body: ByteBuffer(string: Bodies.record([bad]))
      ) { response in
        #expect(response.status == .unprocessableContent)
        #expect(response.json["index"] == .number(0))
        #expect(response.json["eventType"] == .string("PatientRegistered"))
        #expect(response.json["field"] == .string("birthYear"))
        #expect(response.json["rule"] == .string("patient.birthYear.min"))
        #expect(response.json["limit"]?.stringValue?.contains("1900") == true)
        #expect(!response.text.contains("1789"))
      }
      // The second event of a request refused: its index, and the first is not written either.
      try await client.execute(
        uri: "/v1/patients/p1/events", method: .post, headers: fixture.headers("clinician"),
        body: ByteBuffer(string: Bodies.record([good, Bodies.registration(patient: "p1")]))
      ) { response in
        #expect(response.status == .unprocessableContent)
        #expect(response.json["index"] == .number(1))
        #expect(response.json["rule"] == .string("patient.alreadyRegistered"))
      }
    }
    #expect(try fixture.position() == 0)
  }

  @Test("400 for malformed JSON and for a body that is not a record request; 413 when too large")
  func malformedAndTooLarge() async throws {
    let fixture = try ServerFixture("malformed", maximumBodyBytes: 2_000)
    defer { fixture.close() }
    let oversized = Bodies.record(
      Array(repeating: Bodies.registration(patient: "p1"), count: 20))
    try await fixture.test { client in
      for (body, status) in [
        ("{\"events\": [", HTTPResponse.Status.badRequest), ("[]", .badRequest),
        ("{\"events\": []}", .badRequest), ("{\"events\": [{}], \"x\": 1}", .badRequest),
        ("{\"expectedVersion\": -1, \"events\": [{}]}", .badRequest),
        (oversized, .contentTooLarge),
      ] {
        try await client.execute(
          uri: "/v1/patients/p1/events", method: .post, headers: fixture.headers("clinician"),
          body: ByteBuffer(string: body)
        ) { response in
          #expect(response.status == status)
          #expect(response.headers[.contentType] == "application/problem+json")
          #expect(response.json["status"] == .number(Double(status.code)))
        }
      }
      // An event that is not a valid envelope: 422 naming the field.
      try await client.execute(
        uri: "/v1/patients/p1/events", method: .post, headers: fixture.headers("clinician"),
        body: ByteBuffer(string: "{\"events\": [{\"type\": \"PatientRegistered\"}]}")
      ) { response in
        #expect(response.status == .unprocessableContent)
        #expect(response.json["field"] == .string("eventId"))
      }
    }
    #expect(try fixture.position() == 0)
  }

  @Test("several patients in one request: all or nothing")
  func severalPatientsAtomically() async throws {
    let fixture = try ServerFixture("multi")
    defer { fixture.close() }
    let good = Bodies.registration(patient: "a")
    let bad = Bodies.registration(patient: "b", birthYear: 1789)
    let refused =
      "{\"appends\":[{\"patientId\":\"a\",\"events\":[\(good)]},{\"patientId\":\"b\",\"events\":[\(bad)]}]}"
    let accepted =
      "{\"appends\":[{\"patientId\":\"a\",\"events\":[\(good)]},{\"patientId\":\"b\",\"expectedVersion\":\"noStream\",\"events\":[\(Bodies.registration(patient: "b"))]}]}"
    try await fixture.test { client in
      try await client.execute(
        uri: "/v1/records", method: .post, headers: fixture.headers("recorder"),
        body: ByteBuffer(string: refused)
      ) { response in
        #expect(response.status == .unprocessableContent)
        #expect(response.json["index"] == .number(1))
      }
      #expect(try fixture.position() == 0)
      try await client.execute(
        uri: "/v1/records", method: .post, headers: fixture.headers("recorder"),
        body: ByteBuffer(string: accepted)
      ) { response in
        #expect(response.status == .created)
        #expect(response.json["appends"]?.arrayValue?.count == 2)
      }
    }
    #expect(try fixture.position() == 2)
  }
}

extension JSONValue {
  var arrayValue: [JSONValue]? {
    if case .array(let items) = self { return items }
    return nil
  }
}
