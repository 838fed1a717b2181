import Foundation
import LedgerEventStore
import LedgerFoundation
import TreatmentRecords

/// A closed set of string codes of the controlled-substance records (docs/DEA.md).
public protocol InventoryCode: RawRepresentable<String>, CaseIterable, Sendable, Hashable {}

/// The drugs the log keeps: ketamine and esketamine, both Schedule III.
public enum ControlledDrug: String, InventoryCode {
  /// Racemic ketamine.
  case ketamine
  /// Esketamine.
  case esketamine
}

/// How a drug is supplied.
public enum StockForm: String, InventoryCode {
  /// A solution for injection or infusion, in vials of a volume (`strengthMgPerMl`,
  /// `containerVolumeMl`).
  case injectionSolution
  /// A nasal spray device (`mgPerUnit`, `unitsPerContainer`).
  case nasalSpray
  /// Tablets (`mgPerUnit`, `unitsPerContainer`).
  case tablet
  /// Troches or lozenges (`mgPerUnit`, `unitsPerContainer`).
  case troche

  /// True when amounts are measured in mL (a solution), false when counted in units.
  public var isSolution: Bool { self == .injectionSolution }
}

/// Why a count was taken.
public enum CountKind: String, InventoryCode {
  /// The inventory taken on the registration's first day.
  case initial
  /// The inventory required at least every two years.
  case biennial
  /// Any other count (a change of staff, a routine check, after a loss).
  case other
}

/// Whether a count was taken at the opening or the close of business (21 CFR 1304.11(a)).
public enum CountMoment: String, InventoryCode {
  /// Before the day's first dispensing.
  case opening
  /// After the day's last dispensing.
  case close
}

/// What happened to stock reported lost.
public enum LossKind: String, InventoryCode {
  /// Theft.
  case theft
  /// Lost without a known cause.
  case loss
  /// A broken container.
  case breakage
  /// A spill.
  case spill
}

/// How stock was disposed of.
public enum DisposalMethod: String, InventoryCode {
  /// Sent to a DEA-registered reverse distributor.
  case reverseDistributor
  /// Destroyed on site and recorded on DEA Form 41, before two witnesses.
  case onSiteDea41
}

/// A container's state in the log.
public enum ContainerState: String, InventoryCode, Codable {
  /// Received and not yet drawn from.
  case sealed
  /// Drawn from, with some left.
  case open
  /// Nothing left after administration and waste.
  case empty
  /// Handed to a reverse distributor or destroyed on site.
  case disposed
  /// Lost, stolen, broken or spilled.
  case lost
}

/// A registrant named in a receipt or disposal: a supplier or a reverse distributor.
public struct Registrant: Sendable, Hashable {
  /// The registrant's name.
  public var name: String
  /// Its registered address.
  public var address: String
  /// Its DEA registration number.
  public var deaNumber: String

  /// Creates a registrant.
  public init(name: String, address: String, deaNumber: String) {
    self.name = name
    self.address = address
    self.deaNumber = deaNumber
  }

  var json: JSONValue {
    .object(["name": .string(name), "address": .string(address), "deaNumber": .string(deaNumber)])
  }

  static let keys: Set<String> = ["name", "address", "deaNumber"]

  init(_ fields: JSONFields) throws(ClinicalValidationError) {
    name = try fields.text("name")
    address = try fields.text("address")
    deaNumber = try fields.string("deaNumber")
    guard DEANumber.isWellFormed(deaNumber) else {
      throw fields.fail("deaNumber", "format.deaNumber", DEANumber.limit)
    }
  }
}

/// The shape of a DEA registration number: two letters (the second may be 9) and seven digits,
/// the last a check digit.
public enum DEANumber {
  /// The limit stated when a number is refused.
  public static let limit = "two letters and seven digits whose last is the check digit"

  /// True for two letters (the second may be `9`), six digits and the right check digit:
  /// (d1 + d3 + d5) + 2 × (d2 + d4 + d6), last digit.
  public static func isWellFormed(_ number: String) -> Bool {
    let bytes = Array(number.utf8)
    guard bytes.count == 9 else { return false }
    let upper = UInt8(ascii: "A")...UInt8(ascii: "Z")
    let digit = UInt8(ascii: "0")...UInt8(ascii: "9")
    guard upper.contains(bytes[0]), upper.contains(bytes[1]) || bytes[1] == UInt8(ascii: "9"),
      bytes[2...].allSatisfy({ digit.contains($0) })
    else { return false }
    let d = bytes[2...].map { Int($0 - UInt8(ascii: "0")) }
    let sum = d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])
    return sum % 10 == d[6]
  }
}
