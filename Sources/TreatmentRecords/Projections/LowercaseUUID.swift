import Foundation

/// Encodes a UUID as lowercase text, as envelopes and every other output of the store write it
/// (Foundation's `UUID` encodes upper case), and decodes either case.
///
/// ```swift
/// struct Entry: Codable { @LowercaseUUID var eventId: UUID }
/// ```
@propertyWrapper
public struct LowercaseUUID: Codable, Sendable, Hashable {
  /// The UUID.
  public var wrappedValue: UUID

  /// Wraps `wrappedValue`.
  public init(wrappedValue: UUID) {
    self.wrappedValue = wrappedValue
  }

  /// Decodes a UUID string in either case.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    let text = try container.decode(String.self)
    guard let uuid = UUID(uuidString: text) else {
      throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a UUID")
    }
    wrappedValue = uuid
  }

  /// Encodes the UUID as lowercase text.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(wrappedValue.lowercasedString)
  }
}
