import Foundation

/// A soft alert stored with an accepted event: `{"code", "field", "rule", "protocolVersion"}`.
///
/// A flag never blocks an append. Its `rule` names the threshold, never the patient's value.
public struct ClinicalFlag: Codable, Sendable, Hashable {
  /// The stable dotted code, e.g. `"vitals.heartRate.low"` (see ``ClinicalRuleCatalogue``).
  public var code: String
  /// The data field path, e.g. `"heartRateBpm"`.
  public var field: String
  /// The rule in words with the protocol's threshold, e.g. `"heart rate at or below 50 bpm"`.
  public var rule: String
  /// The ``ClinicalProtocol/protocolVersion`` whose thresholds applied.
  public var protocolVersion: String

  /// Creates a flag.
  public init(code: String, field: String, rule: String, protocolVersion: String) {
    self.code = code
    self.field = field
    self.rule = rule
    self.protocolVersion = protocolVersion
  }
}
