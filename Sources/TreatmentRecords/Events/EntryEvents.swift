import Foundation
import LedgerFoundation

/// A correction of an earlier entry of the same patient. The original is never changed or
/// hidden: it stays in the timeline, marked as superseded, and counts with `replacement` instead
/// of its own data wherever the record is read.
///
/// Hard limits: non-empty `reason`; the target is an entry of this stream, not voided, and not
/// itself a correction or void; `replacement` decodes as and passes every rule of the target's
/// type (errors then name `replacement.<field>` and the inner rule code).
public struct EntryCorrected: ClinicalEventData {
  /// `"EntryCorrected"`.
  public static let eventType = "EntryCorrected"
  /// Version 1.
  public static let schemaVersion = 1

  /// The event corrected (a UUID; written in lowercase).
  public var correctedEventId: UUID
  /// Why (non-empty after trimming).
  public var reason: String
  /// A full `data` object of the corrected event's type.
  public var replacement: [String: JSONValue]

  /// Creates the payload from a replacement given as JSON data.
  public init(correctedEventId: UUID, reason: String, replacement: [String: JSONValue]) {
    self.correctedEventId = correctedEventId
    self.reason = reason
    self.replacement = replacement
  }

  /// Creates the payload from a typed replacement.
  ///
  /// Throws `encode.number.notFinite` when the replacement holds a number JSON cannot carry.
  public init<Replacement: ClinicalEventData>(
    correctedEventId: UUID, reason: String, replacement: Replacement
  ) throws(ClinicalValidationError) {
    let data = try ClinicalCoding.encode(replacement, eventType: Replacement.eventType)
    let value: JSONValue
    do {
      value = try JSONDecoder().decode(JSONValue.self, from: data)
    } catch {
      throw ClinicalValidationError(
        eventType: Replacement.eventType, field: "", rule: HardLimit.invalidJSON.rawValue,
        limit: HardLimit.invalidJSON.limit)
    }
    guard case .object(let object) = value else {
      throw ClinicalValidationError(
        eventType: Replacement.eventType, field: "", rule: HardLimit.wrongType.rawValue,
        limit: "must be an object")
    }
    self.init(correctedEventId: correctedEventId, reason: reason, replacement: object)
  }

  enum CodingKeys: String, CodingKey, CaseIterable {
    case correctedEventId, reason, replacement
  }

  /// Decodes strictly: unknown keys, nulls and wrong types are rejected; `replacement` must be
  /// an object (its fields are checked at validation time).
  public init(from decoder: any Decoder) throws {
    let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
    correctedEventId = try c.requiredUUID(.correctedEventId)
    reason = try c.required(.reason)
    replacement = try c.required(.replacement)
  }

  /// Encodes with the UUID in lowercase.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encodeUUID(correctedEventId, forKey: .correctedEventId)
    try c.encode(reason, forKey: .reason)
    try c.encode(replacement, forKey: .replacement)
  }
}

/// A void: the target entry stays in the timeline, marked, but counts for nothing.
///
/// Hard limits: non-empty `reason`; the target is an entry of this stream, not already voided,
/// and not itself a void.
public struct EntryVoided: ClinicalEventData {
  /// `"EntryVoided"`.
  public static let eventType = "EntryVoided"
  /// Version 1.
  public static let schemaVersion = 1

  /// The event voided (a UUID; written in lowercase).
  public var voidedEventId: UUID
  /// Why (non-empty after trimming).
  public var reason: String

  /// Creates the payload.
  public init(voidedEventId: UUID, reason: String) {
    self.voidedEventId = voidedEventId
    self.reason = reason
  }

  enum CodingKeys: String, CodingKey, CaseIterable {
    case voidedEventId, reason
  }

  /// Decodes strictly: unknown keys, nulls and wrong types are rejected.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
    voidedEventId = try c.requiredUUID(.voidedEventId)
    reason = try c.required(.reason)
  }

  /// Encodes with the UUID in lowercase.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encodeUUID(voidedEventId, forKey: .voidedEventId)
    try c.encode(reason, forKey: .reason)
  }
}
