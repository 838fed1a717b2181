import Foundation
import LedgerEventStore
import LedgerFoundation

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

  /// Decodes a flag as the store keeps it with an event (a JSON object with the four members);
  /// nil when `json` is not such an object.
  public init?(json: JSONValue) {
    guard let code = json["code"]?.stringValue, let field = json["field"]?.stringValue,
      let rule = json["rule"]?.stringValue, let version = json["protocolVersion"]?.stringValue
    else { return nil }
    self.init(code: code, field: field, rule: rule, protocolVersion: version)
  }

  /// Creates a flag.
  public init(code: String, field: String, rule: String, protocolVersion: String) {
    self.code = code
    self.field = field
    self.rule = rule
    self.protocolVersion = protocolVersion
  }
}
