import Foundation

/// A clinic's retention policy: how long a patient's records must be kept before they may be
/// erased (DOMAIN.md 8, docs/RETENTION.md). The file is validated against
/// `Schemas/retention.v1.schema.json`:
///
/// ```json
/// {"policyVersion": "clinic-2027",
///  "adults": {"yearsAfterLastEvent": 12},
///  "minors": {"ageOfMajority": 18, "yearsAfterMajority": 10},
///  "controlledSubstances": {"yearsAfterEvent": 3}}
/// ```
///
/// Every section and field is optional and takes its default; a file may lengthen a period,
/// never shorten it below the defaults (10 years; 18 + 10 years; 2 years).
///
/// ```swift
/// let policy = try RetentionPolicy.load(json: Data(contentsOf: url))
/// ```
public struct RetentionPolicy: Sendable, Hashable {
  /// The version name of the built-in defaults.
  public static let defaultVersion = "default-1"
  /// The defaults of DOMAIN.md 8, the least any file may set.
  public static let defaults = RetentionPolicy()

  /// Identifies the policy (recorded in the `retentionRule` of an erasure).
  public var policyVersion: String = defaultVersion
  /// Adults: years kept after the clinical time (`occurredAt`) of the patient's last event.
  public var adultYearsAfterLastEvent = 10
  /// Minors: the age of majority (birthYear + this is the year the patient comes of age).
  public var ageOfMajority = 18
  /// Minors: kept until 31 December of birthYear + ``ageOfMajority``, plus this many years (when
  /// that is later than the adult rule's end).
  public var minorYearsAfterMajority = 10
  /// Controlled-substance records: years kept after each event that accounts for the patient's
  /// dose at a site (`StockAdministered`, `WasteRecorded` naming the dose).
  public var controlledSubstanceYearsAfterEvent = 2

  /// The defaults of DOMAIN.md 8 as `"default-1"`.
  public init() {}

  /// The highest number any period may hold (a typing error guard).
  public static let maximumYears = 100
  /// The highest age of majority a file may give (21, the highest of US states).
  public static let maximumAgeOfMajority = 21

  /// Loads and validates a policy file.
  ///
  /// - Throws: `ClinicalValidationError` of type `RetentionPolicy` naming the field and the
  ///   limit: `decode.*` for JSON and shape errors, `retention.policyVersion.empty`,
  ///   `retention.period.belowDefault` (e.g. field `adults.yearsAfterLastEvent`, limit
  ///   `at least 10 (the default of DOMAIN.md 8; a policy may lengthen, never shorten)`) and
  ///   `retention.period.range`.
  public static func load(json: Data) throws(ClinicalValidationError) -> RetentionPolicy {
    let value: JSONValue
    do { value = try JSONValue.parse(json) } catch {
      throw failure("", "decode.json.invalid", "a JSON object")
    }
    let root = try members(
      value, path: "", known: ["policyVersion", "adults", "minors", "controlledSubstances"])
    var policy = RetentionPolicy()
    guard let version = root["policyVersion"] else {
      throw failure("policyVersion", "decode.field.missing", "is required")
    }
    guard let text = version.stringValue else {
      throw failure("policyVersion", "decode.field.wrongType", "must be a string")
    }
    guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
      throw failure("policyVersion", "retention.policyVersion.empty", "must not be empty")
    }
    policy.policyVersion = text
    let adults = try section(root, "adults", known: ["yearsAfterLastEvent"])
    let minors = try section(root, "minors", known: ["ageOfMajority", "yearsAfterMajority"])
    let substances = try section(root, "controlledSubstances", known: ["yearsAfterEvent"])
    policy.adultYearsAfterLastEvent = try years(
      adults, "adults", "yearsAfterLastEvent", minimum: defaults.adultYearsAfterLastEvent)
    policy.ageOfMajority = try years(
      minors, "minors", "ageOfMajority", minimum: defaults.ageOfMajority,
      maximum: maximumAgeOfMajority)
    policy.minorYearsAfterMajority = try years(
      minors, "minors", "yearsAfterMajority", minimum: defaults.minorYearsAfterMajority)
    policy.controlledSubstanceYearsAfterEvent = try years(
      substances, "controlledSubstances", "yearsAfterEvent",
      minimum: defaults.controlledSubstanceYearsAfterEvent)
    return policy
  }

  /// Loads and validates the policy file at `path`.
  ///
  /// - Throws: as ``load(json:)``, or `file.unreadable` when the file cannot be read.
  public static func load(path: String) throws(ClinicalValidationError) -> RetentionPolicy {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw failure("", "file.unreadable", "a readable retention policy file")
    }
    return try load(json: data)
  }

  static let errorType = "RetentionPolicy"

  static func failure(_ field: String, _ rule: String, _ limit: String) -> ClinicalValidationError {
    ClinicalValidationError(eventType: errorType, field: field, rule: rule, limit: limit)
  }

  private static func members(
    _ value: JSONValue, path: String, known: Set<String>
  ) throws(ClinicalValidationError) -> [String: JSONValue] {
    guard let object = value.objectValue else {
      throw failure(path, "decode.field.wrongType", "must be a JSON object")
    }
    if let unknown = object.keys.filter({ !known.contains($0) }).min() {
      throw failure(
        path.isEmpty ? EchoedName.escaped(unknown) : path + "." + EchoedName.escaped(unknown),
        "decode.field.unknownKey", "must be one of: " + known.sorted().joined(separator: ", "))
    }
    return object
  }

  private static func section(
    _ root: [String: JSONValue], _ name: String, known: Set<String>
  ) throws(ClinicalValidationError) -> [String: JSONValue] {
    guard let value = root[name] else { return [:] }
    return try members(value, path: name, known: known)
  }

  private static func years(
    _ section: [String: JSONValue], _ sectionName: String, _ name: String, minimum: Int,
    maximum: Int = maximumYears
  ) throws(ClinicalValidationError) -> Int {
    let field = sectionName + "." + name
    guard let value = section[name] else { return minimum }
    guard let number = value.numberValue, number == number.rounded(), abs(number) < 1e6 else {
      throw failure(field, "decode.field.wrongType", "must be an integer")
    }
    let whole = Int(number)
    guard whole >= minimum else {
      throw failure(
        field, "retention.period.belowDefault",
        "at least \(minimum) (the default of DOMAIN.md 8; a policy may lengthen, never shorten)")
    }
    guard whole <= maximum else {
      throw failure(field, "retention.period.range", "at most \(maximum)")
    }
    return whole
  }
}
