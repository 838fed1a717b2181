import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgerServer
import LedgerTestSupport
import Logging
import TreatmentLedger

/// A ledger in a temporary directory, an auth file with one token per role, and a server.
struct ServerFixture {
  let directory: TemporaryDirectory
  let ledger: Ledger
  let server: LedgerServer
  let authPath: String
  /// Tokens by name: clinician, recorder (service/record), reader (service/read), auditor,
  /// operator, revoked.
  let tokens: [String: String]
  let log: MessageLog

  init(_ label: String, heartbeat: Duration = .seconds(15), maximumBodyBytes: Int = 1 << 20)
    throws
  {
    directory = TemporaryDirectory("server-\(label)")
    let configuration = Ledger.Configuration(path: directory.appending("store"))
    ledger = try Ledger.open(configuration)
    authPath = directory.appending("auth.json")
    var file = AuthFile()
    var tokens: [String: String] = [:]
    let grants: [(String, Role, Purpose, ServiceAccess?)] = [
      ("clinician", .clinician, .treatment, nil), ("recorder", .service, .operations, .record),
      ("reader", .service, .payment, .read), ("auditor", .auditor, .audit, nil),
      ("operator", .operator, .operations, nil), ("revoked", .clinician, .treatment, nil),
    ]
    for (name, role, purpose, access) in grants {
      let issued = try file.issue(
        subject: "\(name)-subject", role: role, purpose: purpose, access: access)
      tokens[name] = issued.token
      if name == "revoked" { _ = file.revoke(id: issued.grant.id) }
    }
    try file.save(path: authPath)
    self.tokens = tokens
    log = MessageLog()
    var server = LedgerServer.Configuration(port: 0, authFile: authPath)
    server.heartbeatInterval = heartbeat
    server.maximumBodyBytes = maximumBodyBytes
    server.exportDirectory = directory.appending("exports")
    self.server = try LedgerServer(
      ledger: ledger, configuration: server, logger: CollectingLogHandler.logger(log))
  }

  func close() {
    ledger.close()
    directory.remove()
  }

  /// Headers with the named token (none for nil).
  func headers(_ token: String?, json: Bool = true) -> HTTPFields {
    var fields: HTTPFields = [:]
    if let token, let value = tokens[token] { fields[.authorization] = "Bearer \(value)" }
    if json { fields[.contentType] = "application/json" }
    return fields
  }

  /// Runs `body` against the router (no network).
  func test<T: Sendable>(_ body: @Sendable (any TestClientProtocol) async throws -> T) async throws
    -> T
  {
    let app = Application(router: server.router(), logger: Logger(label: "test"))
    return try await app.test(.router, body)
  }

  /// The store's next position (to prove a refusal changed nothing).
  func position() throws -> UInt64 { try ledger.nextPosition() }

  /// The `$access` records.
  func accessRecords(patient: String? = nil) throws -> [AccessRecord] {
    try AccessLog.records(in: ledger.store, patient: patient)
  }
}

/// Request bodies.
enum Bodies {
  static let registered = "052d78b7-9761-42b3-bfaf-ad485eeda1d8"

  static func registration(
    patient: String, eventId: String = UUID().uuidString, birthYear: Int = 1984
  ) -> String {
    """
    {"eventId":"\(eventId)","type":"PatientRegistered","occurredAt":"2026-10-27T08:45:00-04:00",\
    "recordedBy":{"id":"staff-0215","name":"Sam Example","role":"coordinator"},\
    "data":{"patientId":"\(patient)","birthYear":\(birthYear),"sexAtBirth":"female"}}
    """
  }

  static func record(_ events: [String], expected: String? = nil) -> String {
    let version = expected.map { "\"expectedVersion\":\($0)," } ?? ""
    return "{\(version)\"events\":[\(events.joined(separator: ","))]}"
  }
}

extension TestResponse {
  /// The body parsed as JSON.
  var json: JSONValue { (try? JSONValue.parse(body.readableBytesView)) ?? .null }
  /// The body as text.
  var text: String { String(buffer: body) }
}
