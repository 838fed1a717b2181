import Foundation
import LedgerEventStore
import LedgerFoundation
import TreatmentRecords

/// One line of a count: what was found of one container.
public struct CountLine: Sendable, Hashable {
  /// The container counted.
  public var containerId: String
  /// True when the container was found sealed.
  public var sealed: Bool
  /// The volume found, in mL (solutions).
  public var volumeMl: Double?
  /// The units found (unit forms).
  public var units: Int?
  /// True when the volume of an opened container was estimated (21 CFR 1304.11(e)(3)).
  public var estimated: Bool

  /// Creates a line; give `volumeMl` for a solution, `units` for a unit form.
  public init(
    containerId: String, sealed: Bool, volumeMl: Double? = nil, units: Int? = nil,
    estimated: Bool = false
  ) {
    self.containerId = containerId
    self.sealed = sealed
    self.volumeMl = volumeMl
    self.units = units
    self.estimated = estimated
  }

  var json: JSONValue {
    var members: [String: JSONValue] = [
      "containerId": .string(containerId), "sealed": .bool(sealed), "estimated": .bool(estimated),
    ]
    if let volumeMl { members["volumeMl"] = .number(volumeMl) }
    if let units { members["units"] = .number(Double(units)) }
    return .object(members)
  }
}

/// A physical count of the site's stock (21 CFR 1304.11): initial, biennial or other.
///
/// Hard limits: every line names a known container, once, with `volumeMl` (solutions) or `units`
/// (unit forms) of at least 0. Soft alerts: a line differs from the container's balance (a
/// discrepancy, flagged on the count and open until explained); the previous count is more than
/// two years older than `countedAt`.
public struct InventoryCounted: InventoryEventData {
  /// `"InventoryCounted"`.
  public static let eventType = "InventoryCounted"
  /// Why the count was taken.
  public var kind: CountKind
  /// When it was taken.
  public var countedAt: ClinicalTime
  /// At the opening or the close of business.
  public var openingOrClose: CountMoment
  /// What was found.
  public var lines: [CountLine]
  /// A second person present, if any.
  public var witness: Recorder?

  /// Creates the payload.
  public init(
    kind: CountKind, countedAt: ClinicalTime, openingOrClose: CountMoment, lines: [CountLine],
    witness: Recorder? = nil
  ) {
    self.kind = kind
    self.countedAt = countedAt
    self.openingOrClose = openingOrClose
    self.lines = lines
    self.witness = witness
  }

  /// Reads a payload strictly.
  public init(json: JSONValue) throws(ClinicalValidationError) {
    let f = try Self.fields(json, ["kind", "countedAt", "openingOrClose", "lines", "witness"])
    kind = try f.code("kind", as: CountKind.self)
    countedAt = try f.time("countedAt")
    openingOrClose = try f.code("openingOrClose", as: CountMoment.self)
    var lines: [CountLine] = []
    for (index, item) in (try f.array("lines") ?? []).enumerated() {
      let line = try JSONFields(
        item, known: ["containerId", "sealed", "volumeMl", "units", "estimated"],
        path: "lines[\(index)]", eventType: Self.eventType)
      lines.append(
        CountLine(
          containerId: try line.string("containerId"), sealed: try line.bool("sealed"),
          volumeMl: try line.optionalNumber("volumeMl"), units: try line.optionalInteger("units"),
          estimated: try line.bool("estimated")))
    }
    self.lines = lines
    witness = try f.recorder("witness", required: false)
  }

  /// The payload as JSON.
  public var json: JSONValue {
    var members: [String: JSONValue] = [
      "kind": .string(kind.rawValue), "countedAt": .string(countedAt.text),
      "openingOrClose": .string(openingOrClose.rawValue), "lines": .array(lines.map(\.json)),
    ]
    if let witness { members["witness"] = witness.json }
    return .object(members)
  }
}

/// A theft or significant loss (DEA Form 106: the field office told within one business day,
/// the form within 45 days), a breakage or a spill.
///
/// Hard limits (beyond DOMAIN.md 6, see docs/DEA.md): the containers known, at least one, and
/// `amountMg` above 0 and at most what they hold. Soft alerts: no field-office notice within one
/// business day of `discoveredAt`; DEA-106 submitted more than 45 days after it.
public struct LossReported: InventoryEventData {
  /// `"LossReported"`.
  public static let eventType = "LossReported"
  /// The containers concerned; the amount is taken from them in this order.
  public var containerIds: [String]
  /// The amount lost, in mg.
  public var amountMg: Double
  /// What happened.
  public var kind: LossKind
  /// When the loss was discovered.
  public var discoveredAt: ClinicalTime
  /// When the DEA field office was told.
  public var fieldOfficeNotifiedAt: ClinicalTime?
  /// When DEA Form 106 was submitted.
  public var dea106SubmittedAt: ClinicalTime?

  /// Creates the payload.
  public init(
    containerIds: [String], amountMg: Double, kind: LossKind, discoveredAt: ClinicalTime,
    fieldOfficeNotifiedAt: ClinicalTime? = nil, dea106SubmittedAt: ClinicalTime? = nil
  ) {
    self.containerIds = containerIds
    self.amountMg = amountMg
    self.kind = kind
    self.discoveredAt = discoveredAt
    self.fieldOfficeNotifiedAt = fieldOfficeNotifiedAt
    self.dea106SubmittedAt = dea106SubmittedAt
  }

  /// Reads a payload strictly.
  public init(json: JSONValue) throws(ClinicalValidationError) {
    let f = try Self.fields(
      json,
      [
        "containerIds", "amountMg", "kind", "discoveredAt", "fieldOfficeNotifiedAt",
        "dea106SubmittedAt",
      ])
    containerIds = try ContainerList.read(f, "containerIds")
    amountMg = try Amount.positive(f, "amountMg")
    kind = try f.code("kind", as: LossKind.self)
    discoveredAt = try f.time("discoveredAt")
    fieldOfficeNotifiedAt = try f.optionalTime("fieldOfficeNotifiedAt")
    dea106SubmittedAt = try f.optionalTime("dea106SubmittedAt")
  }

  /// The payload as JSON.
  public var json: JSONValue {
    var members: [String: JSONValue] = [
      "containerIds": .array(containerIds.map(JSONValue.string)), "amountMg": .number(amountMg),
      "kind": .string(kind.rawValue), "discoveredAt": .string(discoveredAt.text),
    ]
    if let fieldOfficeNotifiedAt {
      members["fieldOfficeNotifiedAt"] = .string(fieldOfficeNotifiedAt.text)
    }
    if let dea106SubmittedAt { members["dea106SubmittedAt"] = .string(dea106SubmittedAt.text) }
    return .object(members)
  }
}

/// Stock disposed of: handed to a reverse distributor, or destroyed on site (DEA Form 41).
///
/// Hard limits: the containers known, at least one; `amountMg` above 0 and at most what they
/// hold; on-site disposal before two witnesses (different people); a reverse distributor named
/// for that method.
public struct StockDisposed: InventoryEventData {
  /// `"StockDisposed"`.
  public static let eventType = "StockDisposed"
  /// The containers disposed of; the amount is taken from them in this order.
  public var containerIds: [String]
  /// The amount disposed of, in mg.
  public var amountMg: Double
  /// How.
  public var method: DisposalMethod
  /// The reverse distributor (method `reverseDistributor`).
  public var reverseDistributor: Registrant?
  /// The two witnesses (method `onSiteDea41`).
  public var witnesses: [Recorder]?

  /// Creates the payload.
  public init(
    containerIds: [String], amountMg: Double, method: DisposalMethod,
    reverseDistributor: Registrant? = nil, witnesses: [Recorder]? = nil
  ) {
    self.containerIds = containerIds
    self.amountMg = amountMg
    self.method = method
    self.reverseDistributor = reverseDistributor
    self.witnesses = witnesses
  }

  /// Reads a payload strictly.
  public init(json: JSONValue) throws(ClinicalValidationError) {
    let f = try Self.fields(
      json, ["containerIds", "amountMg", "method", "reverseDistributor", "witnesses"])
    containerIds = try ContainerList.read(f, "containerIds")
    amountMg = try Amount.positive(f, "amountMg")
    method = try f.code("method", as: DisposalMethod.self)
    reverseDistributor = try f.object("reverseDistributor", known: Registrant.keys, required: false)
      .map { (fields) throws(ClinicalValidationError) in try Registrant(fields) }
    witnesses = try f.array("witnesses", required: false).map {
      (items) throws(ClinicalValidationError) in
      try items.enumerated().map { (index, item) throws(ClinicalValidationError) in
        try JSONFields(
          item, known: ["id", "name", "role"], path: "witnesses[\(index)]",
          eventType: Self.eventType
        ).recorder()
      }
    }
  }

  /// The payload as JSON.
  public var json: JSONValue {
    var members: [String: JSONValue] = [
      "containerIds": .array(containerIds.map(JSONValue.string)), "amountMg": .number(amountMg),
      "method": .string(method.rawValue),
    ]
    if let reverseDistributor { members["reverseDistributor"] = reverseDistributor.json }
    if let witnesses { members["witnesses"] = .array(witnesses.map(\.json)) }
    return .object(members)
  }
}

enum ContainerList {
  static func read(_ f: JSONFields, _ name: String) throws(ClinicalValidationError) -> [String] {
    let items = try f.array(name) ?? []
    guard !items.isEmpty else {
      throw f.fail(name, "stock.containerIds.empty", "at least one container")
    }
    return try items.enumerated().map { (index, item) throws(ClinicalValidationError) in
      guard case .string(let id) = item else {
        throw f.fail("\(name)[\(index)]", "decode.field.wrongType", "must be a string")
      }
      return id
    }
  }
}
