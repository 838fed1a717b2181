import Foundation
import LedgerEventStore
import LedgerFoundation
import TreatmentRecords

/// The `data` payload of one controlled-substance event type (docs/DEA.md, DOMAIN.md section 6).
///
/// Each type reads and writes exactly the JSON fields of its schema
/// (`Schemas/events/<Type>.v1.schema.json`); reading refuses unknown keys, nulls and wrong types
/// with the field's path and a `decode.*` rule.
public protocol InventoryEventData: Sendable, Hashable {
  /// The envelope's `type`, e.g. `"StockReceived"`.
  static var eventType: String { get }
  /// The payload's schema version (1).
  static var schemaVersion: Int { get }
  /// Reads a payload.
  init(json: JSONValue) throws(ClinicalValidationError)
  /// The payload as the envelope's `data`.
  var json: JSONValue { get }
}

extension InventoryEventData {
  /// Version 1.
  public static var schemaVersion: Int { 1 }

  static func fields(_ json: JSONValue, _ keys: Set<String>) throws(ClinicalValidationError)
    -> JSONFields
  {
    try JSONFields(json, known: keys, eventType: eventType)
  }
}

/// The site's DEA registration, recorded when the log starts and on every renewal.
///
/// Hard limit: `site` equals the `<site>` of `inventory-<site>`. Soft alert: the registration
/// expires within 60 days (a protocol setting) of `occurredAt`.
public struct RegistrationRecorded: InventoryEventData {
  /// `"RegistrationRecorded"`.
  public static let eventType = "RegistrationRecorded"
  /// The site id (the `<site>` of the stream name).
  public var site: String
  /// The registrant's name as on the registration.
  public var registrantName: String
  /// The registered address.
  public var address: String
  /// The DEA registration number.
  public var deaNumber: String
  /// The last day the registration is valid.
  public var deaExpiresOn: CalendarDay
  /// The state controlled-substance license number.
  public var stateLicense: String

  /// Creates the payload.
  public init(
    site: String, registrantName: String, address: String, deaNumber: String,
    deaExpiresOn: CalendarDay, stateLicense: String
  ) {
    self.site = site
    self.registrantName = registrantName
    self.address = address
    self.deaNumber = deaNumber
    self.deaExpiresOn = deaExpiresOn
    self.stateLicense = stateLicense
  }

  /// Reads a payload strictly.
  public init(json: JSONValue) throws(ClinicalValidationError) {
    let f = try Self.fields(
      json, ["site", "registrantName", "address", "deaNumber", "deaExpiresOn", "stateLicense"])
    site = try f.text("site")
    registrantName = try f.text("registrantName")
    address = try f.text("address")
    deaNumber = try f.string("deaNumber")
    guard DEANumber.isWellFormed(deaNumber) else {
      throw f.fail("deaNumber", "format.deaNumber", DEANumber.limit)
    }
    deaExpiresOn = try f.day("deaExpiresOn")
    stateLicense = try f.text("stateLicense")
  }

  /// The payload as JSON.
  public var json: JSONValue {
    .object([
      "site": .string(site), "registrantName": .string(registrantName),
      "address": .string(address), "deaNumber": .string(deaNumber),
      "deaExpiresOn": .string(deaExpiresOn.text), "stateLicense": .string(stateLicense),
    ])
  }
}

/// How much drug one container holds when it arrives: a solution's strength and volume, or a
/// unit form's strength per unit and unit count.
public enum ContainerContents: Sendable, Hashable {
  /// `strengthMgPerMl` × `containerVolumeMl`.
  case solution(strengthMgPerMl: Double, containerVolumeMl: Double)
  /// `mgPerUnit` × `unitsPerContainer`.
  case units(mgPerUnit: Double, unitsPerContainer: Int)

  /// What one full container holds, in mg.
  public var milligrams: Double {
    switch self {
    case .solution(let strength, let volume): strength * volume
    case .units(let perUnit, let count): perUnit * Double(count)
    }
  }
}

/// Stock received from a supplier: one lot, one or more containers (21 CFR 1304.21(d): recorded
/// on the date actually received).
///
/// Hard limits: a registration recorded and not expired at `occurredAt`; no container id already
/// known at the site or repeated; `expiresOn` not before `receivedOn`; strength and size above 0
/// and given in the fields of the form. Soft alert: the lot expires within 30 days (a protocol
/// setting) of `receivedOn`.
public struct StockReceived: InventoryEventData {
  /// `"StockReceived"`.
  public static let eventType = "StockReceived"
  /// The manufacturer's lot number.
  public var lotNumber: String
  /// The drug.
  public var drug: ControlledDrug
  /// The National Drug Code of the package.
  public var ndc: String
  /// The form.
  public var form: StockForm
  /// Strength and size of each container.
  public var contents: ContainerContents
  /// The site's ids of the containers received (each unique at the site).
  public var containerIds: [String]
  /// The lot's expiry date.
  public var expiresOn: CalendarDay
  /// Who supplied it.
  public var supplier: Registrant
  /// The invoice or packing-slip reference.
  public var invoiceRef: String
  /// The day the stock was actually received.
  public var receivedOn: CalendarDay

  /// Creates the payload.
  public init(
    lotNumber: String, drug: ControlledDrug, ndc: String, form: StockForm,
    contents: ContainerContents, containerIds: [String], expiresOn: CalendarDay,
    supplier: Registrant, invoiceRef: String, receivedOn: CalendarDay
  ) {
    self.lotNumber = lotNumber
    self.drug = drug
    self.ndc = ndc
    self.form = form
    self.contents = contents
    self.containerIds = containerIds
    self.expiresOn = expiresOn
    self.supplier = supplier
    self.invoiceRef = invoiceRef
    self.receivedOn = receivedOn
  }

  /// Reads a payload strictly.
  public init(json: JSONValue) throws(ClinicalValidationError) {
    let f = try Self.fields(
      json,
      [
        "lotNumber", "drug", "ndc", "form", "strengthMgPerMl", "mgPerUnit", "containerVolumeMl",
        "unitsPerContainer", "containerIds", "expiresOn", "supplier", "invoiceRef", "receivedOn",
      ])
    lotNumber = try f.text("lotNumber")
    drug = try f.code("drug", as: ControlledDrug.self)
    ndc = try f.string("ndc")
    guard Self.isNDC(ndc) else {
      throw f.fail("ndc", "format.ndc", "an NDC of 10 or 11 digits in three hyphenated groups")
    }
    form = try f.code("form", as: StockForm.self)
    contents = try Self.contents(f, form: form)
    let ids = try f.array("containerIds") ?? []
    guard !ids.isEmpty else {
      throw f.fail("containerIds", "stock.containerIds.empty", "at least one container")
    }
    containerIds = try ids.enumerated().map { (index, item) throws(ClinicalValidationError) in
      guard case .string(let id) = item, ContainerId.isValid(id) else {
        throw f.fail("containerIds[\(index)]", "format.id", ContainerId.limit)
      }
      return id
    }
    expiresOn = try f.day("expiresOn")
    guard let supplierFields = try f.object("supplier", known: Registrant.keys) else {
      throw f.fail("supplier", "decode.field.missing", "is required")
    }
    supplier = try Registrant(supplierFields)
    invoiceRef = try f.text("invoiceRef")
    receivedOn = try f.day("receivedOn")
  }

  private static func contents(_ f: JSONFields, form: StockForm) throws(ClinicalValidationError)
    -> ContainerContents
  {
    let fields =
      form.isSolution
      ? ("strengthMgPerMl", "containerVolumeMl", "mgPerUnit", "unitsPerContainer")
      : ("mgPerUnit", "unitsPerContainer", "strengthMgPerMl", "containerVolumeMl")
    for other in [fields.2, fields.3] where f.members[other] != nil {
      throw f.fail(other, "stock.form.fields", "not given for the form \(form.rawValue)")
    }
    let strength = try f.number(fields.0)
    guard strength > 0 else { throw f.fail(fields.0, "stock.strength.positive", "above 0") }
    let limit = 1_000_000.0
    guard strength <= limit else {
      throw f.fail(fields.0, "stock.contents.range", "at most 1,000,000")
    }
    if form.isSolution {
      let volume = try f.number(fields.1)
      guard volume > 0 else { throw f.fail(fields.1, "stock.size.positive", "above 0") }
      guard volume <= limit else {
        throw f.fail(fields.1, "stock.contents.range", "at most 1,000,000")
      }
      return .solution(strengthMgPerMl: strength, containerVolumeMl: volume)
    }
    guard let count = try f.optionalInteger(fields.1) else {
      throw f.fail(fields.1, "decode.field.missing", "is required")
    }
    guard count > 0 else { throw f.fail(fields.1, "stock.size.positive", "above 0") }
    guard Double(count) <= limit else {
      throw f.fail(fields.1, "stock.contents.range", "at most 1,000,000")
    }
    return .units(mgPerUnit: strength, unitsPerContainer: count)
  }

  static func isNDC(_ text: String) -> Bool {
    let groups = text.split(separator: "-", omittingEmptySubsequences: false)
    guard groups.count == 3, groups.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) }),
      groups.allSatisfy({ $0.allSatisfy(\.isNumber) })
    else { return false }
    let digits = groups.reduce(0) { $0 + $1.count }
    return digits == 10 || digits == 11
  }

  /// The payload as JSON.
  public var json: JSONValue {
    var members: [String: JSONValue] = [
      "lotNumber": .string(lotNumber), "drug": .string(drug.rawValue), "ndc": .string(ndc),
      "form": .string(form.rawValue), "containerIds": .array(containerIds.map(JSONValue.string)),
      "expiresOn": .string(expiresOn.text), "supplier": supplier.json,
      "invoiceRef": .string(invoiceRef), "receivedOn": .string(receivedOn.text),
    ]
    switch contents {
    case .solution(let strength, let volume):
      members["strengthMgPerMl"] = .number(strength)
      members["containerVolumeMl"] = .number(volume)
    case .units(let perUnit, let count):
      members["mgPerUnit"] = .number(perUnit)
      members["unitsPerContainer"] = .number(Double(count))
    }
    return .object(members)
  }
}

/// The rules of a site's container ids.
public enum ContainerId {
  /// The limit stated when an id is refused.
  public static let limit = "1–64 of A–Z a–z 0–9 . _ : -"

  /// True for 1–64 ASCII letters, digits, `.`, `_`, `:` or `-`.
  public static func isValid(_ id: String) -> Bool {
    (1...64).contains(id.utf8.count)
      && id.utf8.allSatisfy { byte in
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
          || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
          || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
          || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ":")
          || byte == UInt8(ascii: "-")
      }
  }
}
