import Foundation

/// A clinic's versioned protocol: the thresholds of the soft alerts.
///
/// The file shape is `{"protocolVersion": "...", "thresholds": {...}}`; missing thresholds take
/// the defaults of docs/CLINICAL-RULES.md section 5. Every flag records the `protocolVersion`
/// that produced it.
///
/// ```swift
/// let clinic = try ClinicalProtocol.load(json: Data(contentsOf: url))
/// ```
public struct ClinicalProtocol: Codable, Sendable, Hashable {
  /// The protocol's version, recorded in every flag (default `"default-1"`).
  public var protocolVersion: String
  /// The soft-alert thresholds.
  public var thresholds: ClinicalThresholds

  /// The version name of the built-in defaults.
  public static let defaultVersion = "default-1"

  /// Creates a protocol; with no arguments, the defaults of docs/CLINICAL-RULES.md section 5
  /// as `"default-1"`.
  public init(
    protocolVersion: String = ClinicalProtocol.defaultVersion,
    thresholds: ClinicalThresholds = ClinicalThresholds()
  ) {
    self.protocolVersion = protocolVersion
    self.thresholds = thresholds
  }

  enum CodingKeys: String, CodingKey, CaseIterable {
    case protocolVersion, thresholds
  }

  /// Decodes strictly. `protocolVersion` is required in a file (flags must name the thresholds
  /// that produced them); `thresholds` may be absent or partial.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
    protocolVersion = try c.required(.protocolVersion)
    thresholds = try c.optional(.thresholds) ?? ClinicalThresholds()
  }

  /// Loads and validates a protocol file.
  ///
  /// Rejects unknown keys, wrong types, an empty version, a threshold that is not a finite
  /// number above 0 (`protocol.threshold.positive`), a vital-sign threshold outside the sign's
  /// possible range (`protocol.threshold.range`, e.g. SpO2 above 100) and a low threshold not
  /// below its high one (`protocol.threshold.order`).
  public static func load(json: Data) throws(ClinicalValidationError) -> ClinicalProtocol {
    let loaded = try ClinicalCoding.decode(
      ClinicalProtocol.self, from: json, eventType: errorType)
    try loaded.validate()
    return loaded
  }

  /// Checks the invariants ``load(json:)`` enforces.
  public func validate() throws(ClinicalValidationError) {
    if protocolVersion.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
      throw Self.error(.protocolVersionEmpty, field: "protocolVersion")
    }
    for (key, value) in thresholds.numericValues where !(value.isFinite && value > 0) {
      throw Self.error(.thresholdPositive, field: "thresholds." + key)
    }
    for item in thresholds.vitalRanges where !item.range.contains(item.value) {
      throw Self.error(
        .thresholdRange, field: "thresholds." + item.key,
        limit: "\(number(item.range.lowerBound)) to \(number(item.range.upperBound))")
    }
    for pair in thresholds.orderedPairs where !(pair.lowValue < pair.highValue) {
      throw Self.error(
        .thresholdOrder, field: "thresholds." + pair.low,
        limit: "must be below thresholds.\(pair.high)")
    }
  }

  static let errorType = "ClinicalProtocol"

  private static func error(
    _ rule: HardLimit, field: String, limit: String? = nil
  ) -> ClinicalValidationError {
    ClinicalValidationError(
      eventType: errorType, field: field, rule: rule.rawValue, limit: limit ?? rule.limit)
  }
}
