import Foundation
import LedgerFoundation

/// A legal hold was placed: the records it covers (one patient's, or every patient's) may not be
/// erased until it is released (DOMAIN.md 8, docs/RETENTION.md).
///
/// Recorded in the clinic stream `legal-holds` (``LegalHoldReviewer/stream``), never in a
/// patient's stream: a hold may cover every patient. Who placed it is the envelope's
/// `recordedBy`. Hard limits: `holdId` an id never placed before; `scope` `"all"` or a patient
/// id (1–128 of `A-Za-z0-9._:-`); `reason` not empty.
public struct LegalHoldPlaced: Codable, Sendable, Hashable {
  /// `"LegalHoldPlaced"`.
  public static let eventType = "LegalHoldPlaced"
  /// Version 1.
  public static let schemaVersion = 1
  /// The scope that covers every patient.
  public static let allPatients = "all"

  /// The hold's identifier, chosen by the clinic (e.g. a matter number); unique in the clinic.
  public var holdId: String
  /// `"all"` for every patient, or one patient's pseudonymous id.
  public var scope: String
  /// Why (e.g. the litigation or investigation); free text, not empty.
  public var reason: String

  /// Creates the payload.
  public init(holdId: String, scope: String, reason: String) {
    self.holdId = holdId
    self.scope = scope
    self.reason = reason
  }

  /// True when the hold covers `patientId` (scope `"all"` or that id).
  public func covers(patient patientId: String) -> Bool {
    scope == Self.allPatients || scope == patientId
  }

  enum CodingKeys: String, CodingKey, CaseIterable {
    case holdId, scope, reason
  }

  /// Decodes strictly: unknown keys, nulls and wrong types are rejected.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
    holdId = try c.required(.holdId)
    scope = try c.required(.scope)
    reason = try c.required(.reason)
  }
}

/// A legal hold was released: erasure of what it covered is no longer blocked by it.
///
/// Hard limits: `holdId` names a hold placed earlier and not yet released; `reason` not empty.
public struct LegalHoldReleased: Codable, Sendable, Hashable {
  /// `"LegalHoldReleased"`.
  public static let eventType = "LegalHoldReleased"
  /// Version 1.
  public static let schemaVersion = 1

  /// The hold released.
  public var holdId: String
  /// Why it is released (e.g. the matter closed); free text, not empty.
  public var reason: String

  /// Creates the payload.
  public init(holdId: String, reason: String) {
    self.holdId = holdId
    self.reason = reason
  }

  enum CodingKeys: String, CodingKey, CaseIterable {
    case holdId, reason
  }

  /// Decodes strictly: unknown keys, nulls and wrong types are rejected.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
    holdId = try c.required(.holdId)
    reason = try c.required(.reason)
  }
}

/// One event of the clinic's `legal-holds` stream, tagged by type.
///
/// ```swift
/// let event = try LegalHoldEvent.decode(type: "LegalHoldPlaced", schemaVersion: 1, value: data)
/// let data = event.json
/// ```
public enum LegalHoldEvent: Sendable, Hashable {
  /// ``LegalHoldPlaced``.
  case placed(LegalHoldPlaced)
  /// ``LegalHoldReleased``.
  case released(LegalHoldReleased)

  /// Every type name with its schema version, in catalogue order.
  public static let allTypes: [(type: String, schemaVersion: Int)] = [
    (LegalHoldPlaced.eventType, LegalHoldPlaced.schemaVersion),
    (LegalHoldReleased.eventType, LegalHoldReleased.schemaVersion),
  ]

  /// The envelope's `type`.
  public var eventType: String {
    switch self {
    case .placed: LegalHoldPlaced.eventType
    case .released: LegalHoldReleased.eventType
    }
  }

  /// The payload's schema version.
  public var schemaVersion: Int { 1 }

  /// The hold the event concerns.
  public var holdId: String {
    switch self {
    case .placed(let data): data.holdId
    case .released(let data): data.holdId
    }
  }

  /// The payload as the envelope's `data`.
  public var json: JSONValue {
    switch self {
    case .placed(let data):
      .object([
        "holdId": .string(data.holdId), "scope": .string(data.scope),
        "reason": .string(data.reason),
      ])
    case .released(let data):
      .object(["holdId": .string(data.holdId), "reason": .string(data.reason)])
    }
  }

  /// Reads a `data` payload of the given type and version, strictly.
  ///
  /// - Throws: `decode.type.unknown`, `decode.schemaVersion.unsupported`, or the payload's own
  ///   `decode.*` refusal, naming the field and never its value.
  public static func decode(
    type: String, schemaVersion: Int, value: JSONValue
  ) throws(ClinicalValidationError) -> LegalHoldEvent {
    guard let known = allTypes.first(where: { $0.type == type }) else {
      throw ClinicalValidationError(
        eventType: "(unknown)", field: "type", rule: HardLimit.unknownType.rawValue,
        limit: "one of the legal-hold event types")
    }
    guard schemaVersion == known.schemaVersion else {
      throw ClinicalValidationError(
        eventType: type, field: "schemaVersion", rule: HardLimit.unsupportedVersion.rawValue,
        limit: "must be \(known.schemaVersion)")
    }
    let bytes = Data(value.canonicalBytes)
    if type == LegalHoldPlaced.eventType {
      return .placed(try ClinicalCoding.decode(LegalHoldPlaced.self, from: bytes, eventType: type))
    }
    return .released(
      try ClinicalCoding.decode(LegalHoldReleased.self, from: bytes, eventType: type))
  }
}
