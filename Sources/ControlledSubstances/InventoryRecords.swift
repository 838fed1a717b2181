import Foundation
import LedgerEventStore
import LedgerFoundation

/// One container of a site as the log has it: lot, strength, what it held on receipt, what has
/// gone out of it and what is left, and its state. The derived record the rules keep per
/// container (one small keyed value each, see docs/DEA.md "Derived state").
public struct ContainerRecord: Sendable, Hashable {
  /// The site's container id.
  public var containerId: String
  /// The lot it came in.
  public var lotNumber: String
  /// The drug.
  public var drug: ControlledDrug
  /// The form.
  public var form: StockForm
  /// mg per mL (solutions) or mg per unit (unit forms).
  public var strength: Double
  /// The lot's expiry date.
  public var expiresOn: CalendarDay
  /// The day it was received.
  public var receivedOn: CalendarDay
  /// What it held when received, in µg.
  public var receivedMicrograms: Int64
  /// Administered from it, in µg.
  public var administeredMicrograms: Int64 = 0
  /// Wasted from it, in µg.
  public var wastedMicrograms: Int64 = 0
  /// Reported lost from it, in µg.
  public var lostMicrograms: Int64 = 0
  /// Disposed of from it, in µg.
  public var disposedMicrograms: Int64 = 0
  /// Its state.
  public var state: ContainerState = .sealed
  /// When it was first drawn from (clinical time, µs since the epoch).
  public var openedAtMicros: Int64?

  /// What is left, in µg: received − administered − wasted − lost − disposed.
  public var balanceMicrograms: Int64 {
    receivedMicrograms - administeredMicrograms - wastedMicrograms - lostMicrograms
      - disposedMicrograms
  }

  /// What is left, in mg.
  public var balanceMg: Double { Amount.mg(balanceMicrograms) }

  /// What is left, in mL (solutions), or nil for a unit form.
  public var balanceMl: Double? { form.isSolution ? balanceMg / strength : nil }

  /// What is left in units (unit forms), or nil for a solution.
  public var balanceUnits: Double? { form.isSolution ? nil : balanceMg / strength }

  /// True when it is open and was first drawn from more than `hours` before `nowMicros`.
  public func isOpenTooLong(nowMicros: Int64, hours: Int) -> Bool {
    guard state == .open, let openedAtMicros else { return false }
    return nowMicros - openedAtMicros > Int64(hours) * 3_600_000_000
  }

  init(
    containerId: String, lotNumber: String, drug: ControlledDrug, form: StockForm,
    strength: Double, expiresOn: CalendarDay, receivedOn: CalendarDay, receivedMicrograms: Int64
  ) {
    self.containerId = containerId
    self.lotNumber = lotNumber
    self.drug = drug
    self.form = form
    self.strength = strength
    self.expiresOn = expiresOn
    self.receivedOn = receivedOn
    self.receivedMicrograms = receivedMicrograms
  }

  /// The compact binary form (first byte 1).
  var encoded: [UInt8] {
    var w = StateWriter(capacity: 96)
    w.write(byte: 1)
    w.write(string: containerId)
    w.write(string: lotNumber)
    w.write(string: drug.rawValue)
    w.write(string: form.rawValue)
    w.write(double: strength)
    w.write(int: Int64(expiresOn.ordinal))
    w.write(int: Int64(receivedOn.ordinal))
    for value in [
      receivedMicrograms, administeredMicrograms, wastedMicrograms, lostMicrograms,
      disposedMicrograms,
    ] {
      w.write(int: value)
    }
    w.write(string: state.rawValue)
    w.write(bool: openedAtMicros != nil)
    if let openedAtMicros { w.write(int: openedAtMicros) }
    return w.bytes
  }

  init(encoded bytes: [UInt8]) throws(StateReader.Failure) {
    var r = StateReader(bytes)
    guard try r.readByte() == 1 else { throw r.failure("unknown container record version") }
    containerId = try r.readString()
    lotNumber = try r.readString()
    guard let drug = ControlledDrug(rawValue: try r.readString()),
      let form = StockForm(rawValue: try r.readString())
    else { throw r.failure("unknown drug or form") }
    self.drug = drug
    self.form = form
    strength = try r.readDouble()
    expiresOn = CalendarDay(ordinal: Int(try r.readInt()))
    receivedOn = CalendarDay(ordinal: Int(try r.readInt()))
    receivedMicrograms = try r.readInt()
    administeredMicrograms = try r.readInt()
    wastedMicrograms = try r.readInt()
    lostMicrograms = try r.readInt()
    disposedMicrograms = try r.readInt()
    guard let state = ContainerState(rawValue: try r.readString()) else {
      throw r.failure("unknown container state")
    }
    self.state = state
    openedAtMicros = try r.readBool() ? try r.readInt() : nil
    try r.expectEnd()
  }
}

/// A count line that disagreed with the balance and is not yet explained.
public struct Discrepancy: Sendable, Hashable {
  /// The container.
  public var containerId: String
  /// The count that found it.
  public var countEventId: UUID
  /// When the count was taken (µs since the epoch).
  public var countedAtMicros: Int64
  /// Balance minus counted amount, in µg (positive: less found than the log says), less what
  /// late entries dated before the count have since explained.
  public var unexplainedMicrograms: Int64
  /// How far apart count and balance may be, in µg.
  public var toleranceMicrograms: Int64
  /// True when the count found the container sealed and the log has it drawn from.
  public var sealedMismatch: Bool
}

/// The site-wide facts the rules keep in the stream's review state: small, whatever the site's
/// history (registration, last count, open discrepancies).
public struct SiteRecord: Sendable, Hashable {
  /// The registration's DEA number, once recorded.
  public var deaNumber: String?
  /// The registration's last valid day, once recorded.
  public var deaExpiresOn: CalendarDay?
  /// The last count's event id.
  public var lastCountEventId: UUID?
  /// When the last count was taken.
  public var lastCountedAt: ClinicalTime?
  /// The last count's kind.
  public var lastCountKind: CountKind?
  /// Open discrepancies, sorted by container id.
  public var discrepancies: [Discrepancy] = []
  /// Containers received at the site.
  public var containerCount: Int = 0

  /// An empty site.
  public init() {}

  var encoded: [UInt8] {
    var w = StateWriter(capacity: 128)
    w.write(byte: 1)
    w.write(string: deaNumber ?? "")
    w.write(int: Int64(deaExpiresOn?.ordinal ?? Int(Int32.min)))
    w.write(bool: lastCountEventId != nil)
    if let lastCountEventId, let lastCountedAt, let lastCountKind {
      w.write(uuid: lastCountEventId)
      w.write(string: lastCountedAt.text)
      w.write(string: lastCountKind.rawValue)
    }
    w.write(count: discrepancies.count)
    for item in discrepancies {
      w.write(string: item.containerId)
      w.write(uuid: item.countEventId)
      w.write(int: item.countedAtMicros)
      w.write(int: item.unexplainedMicrograms)
      w.write(int: item.toleranceMicrograms)
      w.write(bool: item.sealedMismatch)
    }
    w.write(int: Int64(containerCount))
    return w.bytes
  }

  init(encoded bytes: [UInt8]) throws(StateReader.Failure) {
    var r = StateReader(bytes)
    guard try r.readByte() == 1 else { throw r.failure("unknown site record version") }
    let number = try r.readString()
    deaNumber = number.isEmpty ? nil : number
    let expires = try r.readInt()
    deaExpiresOn = expires == Int64(Int32.min) ? nil : CalendarDay(ordinal: Int(expires))
    if try r.readBool() {
      lastCountEventId = try r.readUUID()
      guard let time = ClinicalTime(try r.readString()),
        let kind = CountKind(rawValue: try r.readString())
      else { throw r.failure("bad last count") }
      lastCountedAt = time
      lastCountKind = kind
    }
    let count = try r.readCount()
    for _ in 0..<count {
      discrepancies.append(
        Discrepancy(
          containerId: try r.readString(), countEventId: try r.readUUID(),
          countedAtMicros: try r.readInt(), unexplainedMicrograms: try r.readInt(),
          toleranceMicrograms: try r.readInt(), sealedMismatch: try r.readBool()))
    }
    containerCount = Int(try r.readInt())
    try r.expectEnd()
  }
}

/// Where the rules keep per-container and per-dose facts: the store's keyed review facts during
/// an append, a dictionary when folding events in memory.
protocol InventoryFacts {
  func container(_ id: String) throws -> ContainerRecord?
  mutating func put(_ record: ContainerRecord)
  func withdrawal(forDose id: UUID) throws -> UUID?
  mutating func putWithdrawal(_ withdrawal: UUID, forDose id: UUID)
}

/// Every fact of a site in memory: what a rebuild from the log gives, and what queries as of a
/// date fold.
public struct SiteInventory: Sendable, Hashable, InventoryFacts {
  /// The site-wide record.
  public var site = SiteRecord()
  /// Every container, by id.
  public var containers: [String: ContainerRecord] = [:]
  /// The withdrawal that accounts for each dose, by dose event id.
  public var withdrawals: [UUID: UUID] = [:]

  /// An empty site.
  public init() {}

  func container(_ id: String) -> ContainerRecord? { containers[id] }
  mutating func put(_ record: ContainerRecord) { containers[record.containerId] = record }
  func withdrawal(forDose id: UUID) -> UUID? { withdrawals[id] }
  mutating func putWithdrawal(_ withdrawal: UUID, forDose id: UUID) { withdrawals[id] = withdrawal }
}

/// The keys of the facts in the store: `c` 0x00 container id, `d` 0x00 dose event id (16 bytes).
enum FactKey {
  static let containerPrefix: [UInt8] = [UInt8(ascii: "c"), 0]
  static let dosePrefix: [UInt8] = [UInt8(ascii: "d"), 0]
  static func container(_ id: String) -> [UInt8] { containerPrefix + Array(id.utf8) }
  static func dose(_ id: UUID) -> [UInt8] {
    dosePrefix + withUnsafeBytes(of: id.uuid) { Array($0) }
  }
}

/// The store's keyed facts of the stream under review, through its `ReviewContext`.
struct ContextFacts: InventoryFacts {
  let context: ReviewContext

  func container(_ id: String) throws -> ContainerRecord? {
    try context.fact(FactKey.container(id)).map { try ContainerRecord(encoded: $0) }
  }
  func put(_ record: ContainerRecord) {
    context.setFact(FactKey.container(record.containerId), record.encoded)
  }
  func withdrawal(forDose id: UUID) throws -> UUID? {
    try context.fact(FactKey.dose(id)).flatMap { bytes in
      bytes.count == 16 ? UUID(uuid: Self.tuple(bytes)) : nil
    }
  }
  func putWithdrawal(_ withdrawal: UUID, forDose id: UUID) {
    context.setFact(FactKey.dose(id), withUnsafeBytes(of: withdrawal.uuid) { Array($0) })
  }

  static func tuple(_ b: [UInt8]) -> uuid_t {
    (
      b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
      b[14], b[15]
    )
  }
}
