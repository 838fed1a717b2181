import Foundation
import Hummingbird
import TreatmentLedger

extension LedgerServer {
  /// `GET /v1/patients/{patientId}/access`: the patient's accounting of disclosures, itself
  /// recorded in `$access` once the records are read.
  func readAccessLog(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
    let grant = try authenticator.authorize(request, .audit)
    let patientId = try pathPatientId(context)
    let records: [AccessRecord]
    do throws(LedgerError) {
      records = try AccessLog.records(in: ledger.store, patient: patientId)
    } catch {
      throw problem(error)
    }
    try await recordAccess(
      grant, patients: [patientId], route: "GET /v1/patients/{patientId}/access")
    return json(.object(["patientId": .string(patientId), "reads": .array(records.map(\.json))]))
  }

  /// The files an export directory holds that may be downloaded.
  static let exportFiles = [
    "manifest.json", "events.ndjson", "events.csv", "signature.json", "keys.json",
  ]

  /// The most auditor keys one export request may name (each adds an X25519 agreement and a
  /// sealing of every exported data key).
  static let maximumAuditorKeys = 16

  func addAuditRoutes(to router: Router<BasicRequestContext>) {
    router.get("/v1/audit/log") { request, _ in
      _ = try authenticator.authorize(request, .audit)
      let from = try integer(request, "from", fallback: 0)
      let limit = try integer(
        request, "limit", fallback: 100, maximum: UInt64(configuration.maximumPageSize))
      let entries: [AuditLogEntry]
      do { entries = try ledger.auditLog(from: from, limit: Int(limit)) } catch {
        throw Problem.unavailable("the audit log cannot be read")
      }
      return json(.object(["entries": .array(entries.map(\.event.envelopeJSON))]))
    }
    // The accounting of disclosures: who read the patient's record, when, through what, why.
    // Reading it is itself a read about the patient, recorded like the others (after the records
    // are read, so the answer holds the reads before this one).
    router.get("/v1/patients/:patientId/access") { request, context in
      try await readAccessLog(request, context)
    }
    router.post("/v1/audit/exports") { request, _ in
      let grant = try authenticator.authorize(request, .audit)
      let root = try exportRoot()
      let body = try await body(of: request)
      return try await createExport(body, grant: grant, root: root)
    }
    router.get("/v1/audit/exports") { request, _ in
      _ = try authenticator.authorize(request, .audit)
      let root = try exportRoot()
      let entries: [AuditLogEntry]
      do { entries = try ledger.auditLog(limit: Int.max) } catch {
        throw Problem.unavailable("the audit log cannot be read")
      }
      let exports: [JSONValue] = entries.compactMap { entry in
        guard let id = entry.exportId,
          FileManager.default.fileExists(atPath: root + "/" + id + "/manifest.json")
        else { return nil }
        return Self.describe(entry, id: id, root: root)
      }
      return json(.object(["exports": .array(exports)]))
    }
    router.get("/v1/audit/exports/:exportId/files/:name") { request, context in
      let grant = try authenticator.authorize(request, .audit)
      let root = try exportRoot()
      guard let id = context.parameters.get("exportId"), let uuid = UUID(uuidString: id),
        let name = context.parameters.get("name")?.removingPercentEncoding,
        Self.exportFiles.contains(name)
      else { throw Problem.notFound("no such export file") }
      let directory = root + "/" + uuid.lowercasedString
      let entry: AuditLogEntry?
      do {
        entry = try AuditLog.entry(exportId: uuid.lowercasedString, in: ledger.store)
      } catch {
        throw Problem.unavailable("the audit log cannot be read")
      }
      guard let entry, let data = FileManager.default.contents(atPath: directory + "/" + name)
      else {
        throw Problem.notFound("no such export file")
      }
      if name != "manifest.json" && name != "signature.json" {
        let patient = entry.filter?.patientId
        try await recordAccess(
          grant, patients: patient.map { [$0] } ?? [], allPatients: patient == nil,
          route: "GET /v1/audit/exports/{exportId}/files/{name}")
      }
      let type =
        name.hasSuffix(".csv")
        ? "text/csv" : name.hasSuffix(".ndjson") ? "application/x-ndjson" : "application/json"
      return Response(
        status: .ok, headers: [.contentType: type],
        body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
  }

  func exportRoot() throws(Problem) -> String {
    guard let root = configuration.exportDirectory else {
      throw .unavailable("this server was started without an export directory")
    }
    return root
  }

  /// `POST /v1/audit/exports`: `{"reason", "patientId"?, "from"?, "to"?, "time"?,
  /// "auditorKeys"?}`.
  func createExport(_ body: JSONValue, grant: TokenGrant, root: String) async throws(Problem)
    -> Response
  {
    guard case .object(let members) = body else {
      throw .malformedJSON("the body must be an object")
    }
    let known: Set<String> = ["reason", "patientId", "from", "to", "time", "auditorKeys"]
    if let unknown = members.keys.sorted().first(where: { !known.contains($0) }) {
      throw .malformedJSON("\(EchoedName.escaped(unknown)) is not a member of an export request")
    }
    for (name, value) in members.sorted(by: { $0.key < $1.key })
    where name != "auditorKeys" && value.stringValue == nil {
      throw .malformedJSON("\(name) must be a string")
    }
    let auditorKeys = try Self.auditorKeys(members["auditorKeys"])
    guard let reason = members["reason"]?.stringValue else {
      throw .malformedJSON("reason is required")
    }
    guard let basis = AuditFilter.TimeBasis(rawValue: members["time"]?.stringValue ?? "recordedAt")
    else { throw .malformedJSON("time must be recordedAt or occurredAt") }
    let filter = AuditFilter(
      patientId: members["patientId"]?.stringValue, timeBasis: basis,
      from: members["from"]?.stringValue, to: members["to"]?.stringValue)
    let staging = root + "/" + UUID().lowercasedString
    let request = AuditExportRequest(
      directory: staging, filter: filter,
      exportedBy: Recorder(id: grant.subject, name: grant.subject, role: grant.role.rawValue),
      reason: reason,
      tool: AuditManifest.Tool(
        name: "treatment-ledger serve", version: AuditManifest.libraryVersion),
      auditorKeys: auditorKeys)
    let entry: AuditLogEntry?
    do {
      try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
      let export = try await ledger.exportAudit(request)
      try FileManager.default.moveItem(
        atPath: staging, toPath: root + "/" + export.manifest.exportId)
      entry = try AuditLog.entry(exportId: export.manifest.exportId, in: ledger.store)
    } catch let error as AuditError {
      switch error {
      case .invalidFilter, .invalidRequest:
        throw Problem(
          .unprocessableContent, slug: "invalid-export", title: "The export request is not valid",
          detail: error.description)
      default:
        logger.error("audit export failed", metadata: ["error": "\(error.description)"])
        throw .internalError()
      }
    } catch {
      logger.error("audit export failed", metadata: ["error": "\(type(of: error))"])
      throw .internalError()
    }
    guard let entry, let id = entry.exportId else { throw .internalError() }
    return json(Self.describe(entry, id: id, root: root), status: .created)
  }

  /// The `auditorKeys` of an export request: an array of at most ``maximumAuditorKeys`` X25519
  /// public keys of 64 hex digits, duplicates dropped. A refusal names the member and the index,
  /// never the value.
  static func auditorKeys(_ value: JSONValue?) throws(Problem) -> [[UInt8]] {
    guard let value else { return [] }
    guard case .array(let items) = value else {
      throw .invalidAuditorKey(index: nil, "auditorKeys must be an array of public keys")
    }
    guard items.count <= maximumAuditorKeys else {
      throw .invalidAuditorKey(
        index: nil, "auditorKeys names \(items.count) keys; at most \(maximumAuditorKeys)")
    }
    var keys: [[UInt8]] = []
    for (index, item) in items.enumerated() {
      guard let text = item.stringValue, let key = AuditorKeyPair.publicKey(hex: text) else {
        throw .invalidAuditorKey(
          index: index,
          "auditorKeys[\(index)] is not an auditor's X25519 public key (64 hex digits)")
      }
      if !keys.contains(key) { keys.append(key) }
    }
    return keys
  }

  static func describe(_ entry: AuditLogEntry, id: String, root: String) -> JSONValue {
    var members: [String: JSONValue] = [
      "exportId": .string(id), "recordedAt": .string(entry.recordedAt),
      "exportedBy": .string(entry.exportedBy.id),
      "files": .array(
        exportFiles.filter { FileManager.default.fileExists(atPath: root + "/" + id + "/" + $0) }
          .map(JSONValue.string)),
    ]
    members["reason"] = entry.reason.map(JSONValue.string)
    members["events"] = entry.events.map { .number(Double($0)) }
    members["manifestSha256"] = entry.manifestSHA256.map(JSONValue.string)
    members["patientId"] = entry.filter?.patientId.map(JSONValue.string)
    return .object(members)
  }
}
