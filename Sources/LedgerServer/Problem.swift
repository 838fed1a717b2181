import Foundation
import Hummingbird
import LedgerFoundation
import TreatmentLedger

/// An RFC 9457 problem document (`application/problem+json`): what every refused or failed
/// request gets. Details name events, fields, rules, limits and versions, never a patient's value.
public struct Problem: Error, HTTPResponseError, Sendable, Hashable {
  /// The HTTP status.
  public var status: HTTPResponse.Status
  /// The problem type's slug; the `type` member is ``typeBase`` followed by it.
  public var slug: String
  /// A short summary of the problem type.
  public var title: String
  /// This occurrence in words.
  public var detail: String
  /// Members beyond RFC 9457's own (`index`, `field`, `rule`, `limit`, `currentVersion`, …).
  public var extensions: [String: JSONValue]

  /// Where the problem types are described (docs/SERVER.md, "Problem types").
  public static let typeBase = "https://treatmentledger.example/problems/"

  /// Creates a problem document.
  public init(
    _ status: HTTPResponse.Status, slug: String, title: String, detail: String,
    extensions: [String: JSONValue] = [:]
  ) {
    self.status = status
    self.slug = slug
    self.title = title
    self.detail = detail
    self.extensions = extensions
  }

  /// The document as JSON.
  public var json: JSONValue {
    var members = extensions
    members["type"] = .string(Self.typeBase + slug)
    members["title"] = .string(title)
    members["status"] = .number(Double(status.code))
    members["detail"] = .string(detail)
    return .object(members)
  }

  /// The response: the document, with `WWW-Authenticate` on a 401.
  public func response(from request: Request, context: some RequestContext) throws -> Response {
    var headers: HTTPFields = [.contentType: "application/problem+json"]
    if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer realm=\"treatment-ledger\"" }
    if status == .methodNotAllowed, case .array(let methods)? = extensions["allow"] {
      headers[.allow] = methods.compactMap(\.stringValue).joined(separator: ", ")
    }
    return Response(
      status: status, headers: headers,
      body: ResponseBody(byteBuffer: ByteBuffer(bytes: json.canonicalBytes)))
  }

  // MARK: The problem types

  static func unauthorized(_ detail: String) -> Problem {
    Problem(
      .unauthorized, slug: "unauthorized", title: "A valid bearer token is required", detail: detail
    )
  }

  static func forbidden(role: Role, permission: Permission) -> Problem {
    Problem(
      .forbidden, slug: "forbidden", title: "The token's role does not allow this",
      detail: "a \(role.rawValue) token may not \(permission.words)",
      extensions: ["role": .string(role.rawValue), "permission": .string(permission.rawValue)])
  }

  static func malformedJSON(_ detail: String) -> Problem {
    Problem(
      .badRequest, slug: "malformed-json", title: "The body is not the JSON expected",
      detail: detail)
  }

  static func invalidParameter(_ name: String, _ reason: String) -> Problem {
    Problem(
      .badRequest, slug: "invalid-parameter", title: "A parameter is not valid",
      detail: "\(name) \(reason)", extensions: ["parameter": .string(name)])
  }

  /// `auditorKeys` of an export request is not a list of auditors' public keys: 400 naming the
  /// member and, for one key, its index (never the key).
  static func invalidAuditorKey(index: Int?, _ detail: String) -> Problem {
    var members: [String: JSONValue] = ["field": .string("auditorKeys")]
    if let index { members["index"] = .number(Double(index)) }
    return Problem(
      .badRequest, slug: "invalid-auditor-key", title: "An auditor's public key is not valid",
      detail: detail, extensions: members)
  }

  static func tooLarge(limit: Int) -> Problem {
    Problem(
      .contentTooLarge, slug: "payload-too-large", title: "The body is too large",
      detail: "bodies are limited to \(limit) bytes", extensions: ["limit": .number(Double(limit))])
  }

  static func notFound(_ detail: String) -> Problem {
    Problem(.notFound, slug: "not-found", title: "Not found", detail: detail)
  }

  static func unavailable(_ detail: String) -> Problem {
    Problem(
      .serviceUnavailable, slug: "unavailable", title: "The ledger is not available", detail: detail
    )
  }

  static func internalError() -> Problem {
    Problem(
      .internalServerError, slug: "internal", title: "The server failed",
      detail: "the request failed on the server; its log names the cause")
  }

  /// A refusal of one event of the request: 422 naming the event, field, rule and limit.
  static func refused(
    slug: String, title: String, index: Int, eventId: UUID?, type: String?, field: String,
    rule: String, limit: String
  ) -> Problem {
    var members: [String: JSONValue] = [
      "index": .number(Double(index)), "field": .string(field), "rule": .string(rule),
      "limit": .string(limit),
    ]
    if let eventId { members["eventId"] = .string(eventId.lowercasedString) }
    if let type { members["eventType"] = .string(type) }
    return Problem(
      .unprocessableContent, slug: slug, title: title,
      detail: "event \(index): \(field.isEmpty ? "the entry" : field) breaks \(rule) (\(limit))",
      extensions: members)
  }

  /// The problem for a ledger error (its description is not used: it may name a stream);
  /// `index` maps a refusal's index in the ledger call to the event's index in the request.
  static func from(_ error: LedgerError, index: (Int) -> Int = { $0 }) -> Problem {
    switch error.underlying {
    case .wrongExpectedVersion(_, let expected, let actual):
      return Problem(
        .conflict, slug: "wrong-expected-version", title: "The record is at another version",
        detail:
          "expected \(expected), the record is at \(actual.map { "version \($0)" } ?? "no stream")",
        extensions: ["currentVersion": actual.map { .number(Double($0)) } ?? .null])
    case .eventIdConflict(let eventId, let position):
      return Problem(
        .conflict, slug: "event-id-conflict", title: "The event id is stored with other content",
        detail:
          "event \(eventId.lowercasedString) is stored at position \(position) with other content",
        extensions: [
          "eventId": .string(eventId.lowercasedString),
          "storedAt": .number(Double(position)),
        ])
    case .emptyBatch:
      return .malformedJSON("there are no events to record")
    case .invalidStreamName:
      return .invalidParameter(
        "patientId", "is not a valid patient id (letters, digits and . _ : @ -)")
    case .malformedJSON:
      return .malformedJSON("an event's data is not valid JSON")
    default:
      break
    }
    if let refusal = error.refusal {
      let rejected = error.code == .rejected
      return .refused(
        slug: rejected ? "rejected" : "invalid-event",
        title: rejected ? "A rule refused an event" : "An event is not valid",
        index: index(refusal.index), eventId: refusal.eventId, type: refusal.type,
        field: refusal.field,
        rule: refusal.rule, limit: refusal.limit)
    }
    switch error.code {
    case .erased:
      return Problem(
        .gone, slug: "erased", title: "The patient's data was erased",
        detail: "the patient's data keys were destroyed: their events have no data, and nothing "
          + "more is recorded for them")
    case .keyUnavailable:
      return .unavailable("the clinic's key-encryption key is unavailable; see the server log")
    case .readOnly: return .unavailable("the ledger is open read-only")
    case .closed: return .unavailable("the ledger is closed")
    case .needsOperator: return .unavailable("the store needs an operator; see the server log")
    default: return .internalError()
    }
  }
}

extension Permission {
  /// The permission in words, for a 403's detail.
  var words: String {
    switch self {
    case .record: return "record events"
    case .readPatientData: return "read patient data"
    case .audit: return "read audit records or make exports"
    case .operate: return "operate the store"
    }
  }
}
