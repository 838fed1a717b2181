import Foundation

/// The `data` payload of one clinical event type (docs/CLINICAL-RULES.md sections 1-5).
///
/// Each conforming type encodes to and decodes from exactly the JSON field names of its schema
/// (`Schemas/events/<Type>.v<schemaVersion>.schema.json`); decoding rejects unknown keys.
public protocol ClinicalEventData: Codable, Sendable, Hashable {
  /// The event type name used in the envelope's `type` field, e.g. `"DoseAdministered"`.
  static var eventType: String { get }
  /// The schema version of this payload shape.
  static var schemaVersion: Int { get }
}
