import Foundation
import LedgerEventStore
import LedgerFoundation
import TreatmentRecords

/// A withdrawal of drug from a container for one patient's dose (21 CFR 1304.22(c)): appended
/// with the patient's `DoseAdministered` in one atomic append, or afterwards naming it.
///
/// Hard limits: the container known, not expired at `occurredAt`, holding at least `amountMg`;
/// `volumeMl` within 1% of `amountMg ÷ strength` (solutions; absent for unit forms, where
/// `amountMg` is a whole number of units); `doseEventId` a stored `DoseAdministered` of
/// `patient-<patientId>` with the container's lot and `doseMg` equal to `amountMg`, and not
/// accounted by an earlier withdrawal. Soft alert: the container was opened more than 24 hours
/// (a protocol setting) before.
public struct StockAdministered: InventoryEventData {
  /// `"StockAdministered"`.
  public static let eventType = "StockAdministered"
  /// The container drawn from.
  public var containerId: String
  /// The amount drawn, in mg.
  public var amountMg: Double
  /// The volume drawn, in mL (solutions only).
  public var volumeMl: Double?
  /// The patient's pseudonymous id.
  public var patientId: String
  /// The `DoseAdministered` event this withdrawal accounts for.
  public var doseEventId: UUID

  /// Creates the payload.
  public init(
    containerId: String, amountMg: Double, volumeMl: Double?, patientId: String, doseEventId: UUID
  ) {
    self.containerId = containerId
    self.amountMg = amountMg
    self.volumeMl = volumeMl
    self.patientId = patientId
    self.doseEventId = doseEventId
  }

  /// Reads a payload strictly.
  public init(json: JSONValue) throws(ClinicalValidationError) {
    let f = try Self.fields(
      json, ["containerId", "amountMg", "volumeMl", "patientId", "doseEventId"])
    containerId = try f.string("containerId")
    amountMg = try Amount.positive(f, "amountMg")
    volumeMl = try f.optionalNumber("volumeMl")
    patientId = try f.text("patientId")
    doseEventId = try f.uuid("doseEventId")
  }

  /// The payload as JSON.
  public var json: JSONValue {
    var members: [String: JSONValue] = [
      "containerId": .string(containerId), "amountMg": .number(amountMg),
      "patientId": .string(patientId),
      "doseEventId": .string(doseEventId.lowercasedString),
    ]
    if let volumeMl { members["volumeMl"] = .number(volumeMl) }
    return .object(members)
  }
}

/// Drug drawn and not given (the rest of a vial, a dose prepared and not used), destroyed before
/// a witness.
///
/// Hard limits: the container known and holding at least `amountMg`; `volumeMl` as for
/// ``StockAdministered``; a witness, who is not the recorder (a protocol setting, on by default);
/// a given `doseEventId` a stored `DoseAdministered`.
public struct WasteRecorded: InventoryEventData {
  /// `"WasteRecorded"`.
  public static let eventType = "WasteRecorded"
  /// The container wasted from.
  public var containerId: String
  /// The amount wasted, in mg.
  public var amountMg: Double
  /// The volume wasted, in mL (solutions only).
  public var volumeMl: Double?
  /// How it was destroyed (e.g. `"drug disposal pouch"`).
  public var method: String
  /// Who witnessed it (required by the rules; optional here so its absence is a rule).
  public var witness: Recorder?
  /// The dose whose preparation left this waste, if any.
  public var doseEventId: UUID?

  /// Creates the payload.
  public init(
    containerId: String, amountMg: Double, volumeMl: Double?, method: String,
    witness: Recorder?, doseEventId: UUID? = nil
  ) {
    self.containerId = containerId
    self.amountMg = amountMg
    self.volumeMl = volumeMl
    self.method = method
    self.witness = witness
    self.doseEventId = doseEventId
  }

  /// Reads a payload strictly.
  public init(json: JSONValue) throws(ClinicalValidationError) {
    let f = try Self.fields(
      json, ["containerId", "amountMg", "volumeMl", "method", "witness", "doseEventId"])
    containerId = try f.string("containerId")
    amountMg = try Amount.positive(f, "amountMg")
    volumeMl = try f.optionalNumber("volumeMl")
    method = try f.text("method")
    witness = try f.recorder("witness", required: false)
    doseEventId = try f.optionalUUID("doseEventId")
  }

  /// The payload as JSON.
  public var json: JSONValue {
    var members: [String: JSONValue] = [
      "containerId": .string(containerId), "amountMg": .number(amountMg),
      "method": .string(method),
    ]
    if let volumeMl { members["volumeMl"] = .number(volumeMl) }
    if let witness { members["witness"] = witness.json }
    if let doseEventId { members["doseEventId"] = .string(doseEventId.lowercasedString) }
    return .object(members)
  }
}

/// Amount fields.
enum Amount {
  /// The largest amount, strength or size an event may state: far above any real stock, and
  /// small enough that every sum of micrograms fits in 64 bits.
  static let maximum: Double = 1_000_000_000

  /// A number above 0 (`stock.amount.positive`) and at most ``maximum`` (`stock.amount.range`).
  static func positive(_ f: JSONFields, _ name: String) throws(ClinicalValidationError) -> Double {
    let amount = try f.number(name)
    guard amount > 0 else { throw f.fail(name, "stock.amount.positive", "above 0 mg") }
    guard amount <= maximum else {
      throw f.fail(name, "stock.amount.range", "at most 1,000,000,000")
    }
    return amount
  }

  /// mg as whole micrograms: the unit balances are kept in, so sums are exact. Saturates far
  /// outside any amount an event can state (a dose of another stream is not range-checked
  /// here), so it never traps.
  static func micrograms(_ mg: Double) -> Int64 {
    let value = (mg * 1000).rounded()
    guard value.isFinite, abs(value) < 4e18 else { return value < 0 ? -(1 << 62) : 1 << 62 }
    return Int64(value)
  }

  /// Micrograms as mg.
  static func mg(_ micrograms: Int64) -> Double { Double(micrograms) / 1000 }
}
