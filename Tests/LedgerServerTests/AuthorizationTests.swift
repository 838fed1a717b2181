import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgerServer
import Testing
import TreatmentLedger

@Suite("Tokens, roles and refusals")
struct AuthorizationTests {
  @Test("no token, a bad one or a revoked one: 401 with WWW-Authenticate, and nothing changes")
  func unauthorized() async throws {
    let fixture = try ServerFixture("401")
    defer { fixture.close() }
    let body = Bodies.record([Bodies.registration(patient: "p1")])
    try await fixture.test { client in
      var bad = fixture.headers(nil)
      bad[.authorization] = "Bearer tl_not-a-token"
      var basic = fixture.headers(nil)
      basic[.authorization] = "Basic dXNlcjpwYXNz"
      for headers in [fixture.headers(nil), bad, basic, fixture.headers("revoked")] {
        try await client.execute(
          uri: "/v1/patients/p1/events", method: .post, headers: headers,
          body: ByteBuffer(string: body)
        ) { response in
          #expect(response.status == .unauthorized)
          #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
          #expect(response.headers[.contentType] == "application/problem+json")
        }
        try await client.execute(
          uri: "/v1/patients/p1/timeline", method: .get, headers: headers
        ) { response in
          #expect(response.status == .unauthorized)
        }
      }
    }
    #expect(try fixture.position() == 0)
    #expect(try fixture.accessRecords().isEmpty)
  }

  @Test("each role may do only what it is granted: 403 otherwise, and nothing changes")
  func forbidden() async throws {
    let fixture = try ServerFixture("403")
    defer { fixture.close() }
    let body = Bodies.record([Bodies.registration(patient: "p1")])
    let cases: [(token: String, method: HTTPRequest.Method, uri: String)] = [
      ("auditor", .post, "/v1/patients/p1/events"), ("operator", .post, "/v1/patients/p1/events"),
      ("reader", .post, "/v1/patients/p1/events"), ("reader", .post, "/v1/records"),
      ("recorder", .get, "/v1/patients/p1/timeline"), ("recorder", .get, "/v1/patients/p1/events"),
      ("operator", .get, "/v1/patients/p1/summary"), ("operator", .get, "/v1/log"),
      ("operator", .get, "/v1/subscription"), ("operator", .get, "/v1/patients/p1/access"),
      ("clinician", .get, "/v1/patients/p1/access"), ("clinician", .get, "/v1/metrics"),
      ("clinician", .post, "/v1/verify"), ("auditor", .get, "/v1/stats"),
      ("clinician", .get, "/v1/audit/log"), ("reader", .post, "/v1/audit/exports"),
    ]
    try await fixture.test { client in
      for (token, method, uri) in cases {
        try await client.execute(
          uri: uri, method: method, headers: fixture.headers(token),
          body: method == .post ? ByteBuffer(string: body) : nil
        ) { response in
          #expect(response.status == .forbidden, "\(token) \(method) \(uri)")
          #expect(response.json["type"] == .string(Problem.typeBase + "forbidden"))
        }
      }
    }
    #expect(try fixture.position() == 0)
  }

  @Test("a token revoked in the auth file is refused from the next request, without a restart")
  func revocationTakesEffect() async throws {
    let fixture = try ServerFixture("revoke")
    defer { fixture.close() }
    try await fixture.test { client in
      try await client.execute(
        uri: "/v1/stats", method: .get, headers: fixture.headers("operator")
      ) { response in #expect(response.status == .ok) }
      var file = try AuthFile.load(path: fixture.authPath)
      let grant = try #require(file.tokens.first { $0.subject == "operator-subject" })
      let revoked = file.revoke(id: grant.id)
      #expect(revoked)
      try file.save(path: fixture.authPath)
      try await client.execute(
        uri: "/v1/stats", method: .get, headers: fixture.headers("operator")
      ) { response in #expect(response.status == .unauthorized) }
      // An auth file that is gone holds no token.
      try FileManager.default.removeItem(atPath: fixture.authPath)
      try await client.execute(
        uri: "/v1/patients/p1/timeline", method: .get, headers: fixture.headers("clinician")
      ) { response in #expect(response.status == .unauthorized) }
    }
  }

  @Test("the auth file keeps hashes, never tokens; a service token needs its access")
  func authFile() throws {
    var file = AuthFile()
    let (token, grant) = try file.issue(
      subject: "billing", role: .service, purpose: .payment, access: .read)
    #expect(grant.sha256 == AuthFile.hash(token))
    #expect(file.grant(forToken: token) == grant)
    #expect(throws: ServerError.self) {
      try file.issue(subject: "billing", role: .service, purpose: .payment)
    }
    #expect(throws: ServerError.self) {
      try file.issue(subject: "dr", role: .clinician, purpose: .treatment, access: .read)
    }
    let directory = ServerFixtureDirectory.make("authfile")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try file.save(path: directory + "/auth.json")
    let text = try String(contentsOfFile: directory + "/auth.json", encoding: .utf8)
    #expect(!text.contains(token))
    #expect(try AuthFile.load(path: directory + "/auth.json") == file)
    #expect(throws: ServerError.self) { try AuthFile.load(path: directory + "/missing.json") }
  }

  @Test("unknown routes and methods get problem documents too")
  func unknownRoute() async throws {
    let fixture = try ServerFixture("404")
    defer { fixture.close() }
    try await fixture.test { client in
      try await client.execute(uri: "/v1/nothing", method: .get) { response in
        #expect(response.status == .notFound)
        #expect(response.headers[.contentType] == "application/problem+json")
      }
      try await client.execute(uri: "/v1/stats", method: .delete) { response in
        #expect(response.status == .methodNotAllowed)
        #expect(response.headers[.allow] == "GET")
        #expect(response.headers[.contentType] == "application/problem+json")
      }
      try await client.execute(uri: "/v1/patients/p1/events", method: .put) { response in
        #expect(response.status == .methodNotAllowed)
        #expect(response.headers[.allow] == "GET, POST")
      }
      try await client.execute(uri: "/v1/health/live", method: .get) { response in
        #expect(response.status == .ok)
      }
      try await client.execute(uri: "/v1/health/ready", method: .get) { response in
        #expect(response.status == .ok)
        #expect(response.json["status"] == .string("ready"))
      }
    }
  }
}

enum ServerFixtureDirectory {
  static func make(_ label: String) -> String {
    let path = NSTemporaryDirectory() + "/\(label)-\(UUID().uuidString)"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }
}
