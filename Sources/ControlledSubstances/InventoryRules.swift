import Foundation
import LedgerEventStore
import LedgerFoundation
import TreatmentRecords

/// The rule codes of the controlled-substance log: every hard limit and soft alert, with the
/// field it concerns and its sentence (docs/DEA.md lists the same).
public enum InventoryRule: String, CaseIterable, Sendable {
  // Hard limits: the event is refused.
  /// `inventory.stream.name`.
  case streamName = "inventory.stream.name"
  /// `registration.site.stream`.
  case registrationSite = "registration.site.stream"
  /// `stock.registration.missing`.
  case registrationMissing = "stock.registration.missing"
  /// `stock.registration.expired`.
  case registrationExpired = "stock.registration.expired"
  /// `inventory.container.duplicate`.
  case containerDuplicate = "inventory.container.duplicate"
  /// `stock.expiresOn.beforeReceivedOn`.
  case expiresBeforeReceived = "stock.expiresOn.beforeReceivedOn"
  /// `inventory.container.unknown`.
  case containerUnknown = "inventory.container.unknown"
  /// `stock.container.expired`.
  case containerExpired = "stock.container.expired"
  /// `inventory.amount.overBalance`.
  case overBalance = "inventory.amount.overBalance"
  /// `stock.volumeMl.mismatch`.
  case volumeMismatch = "stock.volumeMl.mismatch"
  /// `stock.volumeMl.missing`.
  case volumeMissing = "stock.volumeMl.missing"
  /// `stock.volumeMl.notApplicable`.
  case volumeNotApplicable = "stock.volumeMl.notApplicable"
  /// `stock.amount.wholeUnits`.
  case wholeUnits = "stock.amount.wholeUnits"
  /// `stock.dose.unknown`.
  case doseUnknown = "stock.dose.unknown"
  /// `stock.dose.patient`.
  case dosePatient = "stock.dose.patient"
  /// `stock.dose.lot`.
  case doseLot = "stock.dose.lot"
  /// `stock.dose.amount`.
  case doseAmount = "stock.dose.amount"
  /// `stock.dose.accounted`.
  case doseAccounted = "stock.dose.accounted"
  /// `waste.witness.missing`.
  case witnessMissing = "waste.witness.missing"
  /// `waste.witness.recorder`.
  case witnessRecorder = "waste.witness.recorder"
  /// `waste.dose.unknown`.
  case wasteDoseUnknown = "waste.dose.unknown"
  /// `count.line.measure`.
  case countMeasure = "count.line.measure"
  /// `disposal.witnesses.two`.
  case disposalWitnesses = "disposal.witnesses.two"
  /// `disposal.reverseDistributor.missing`.
  case disposalDistributor = "disposal.reverseDistributor.missing"
  // Soft alerts: the event is accepted and flagged.
  /// `registration.expiresSoon`.
  case registrationExpiresSoon = "registration.expiresSoon"
  /// `stock.lot.expiresSoon`.
  case lotExpiresSoon = "stock.lot.expiresSoon"
  /// `stock.container.openTooLong`.
  case openTooLong = "stock.container.openTooLong"
  /// `count.discrepancy`.
  case discrepancy = "count.discrepancy"
  /// `count.overdue`.
  case countOverdue = "count.overdue"
  /// `loss.fieldOffice.late`.
  case fieldOfficeLate = "loss.fieldOffice.late"
  /// `loss.dea106.late`.
  case dea106Late = "loss.dea106.late"

  /// True for a soft alert, false for a hard limit.
  public var isSoftAlert: Bool {
    switch self {
    case .registrationExpiresSoon, .lotExpiresSoon, .openTooLong, .discrepancy, .countOverdue,
      .fieldOfficeLate, .dea106Late:
      true
    default: false
    }
  }

  /// The rule in words, with `settings`' thresholds.
  public func sentence(_ settings: InventoryProtocol = InventoryProtocol()) -> String {
    switch self {
    case .streamName: "inventory-<site> with a site id of " + ContainerId.limit
    case .registrationSite: "must equal the site of the stream inventory-<site>"
    case .registrationMissing: "a RegistrationRecorded before any receipt"
    case .registrationExpired: "a registration not expired on the day of occurredAt"
    case .containerDuplicate: "a container id new at the site and named once"
    case .expiresBeforeReceived: "expiresOn on or after receivedOn"
    case .containerUnknown: "a container received at the site"
    case .containerExpired: "a container whose lot has not expired on the day of occurredAt"
    case .overBalance: "at most what the container(s) hold"
    case .volumeMismatch: "volumeMl within 1% of amountMg ÷ the container's strength"
    case .volumeMissing: "volumeMl for a solution"
    case .volumeNotApplicable: "no volumeMl for a unit form (amounts are whole units)"
    case .wholeUnits: "a whole number of units of the container's mgPerUnit"
    case .doseUnknown: "a stored DoseAdministered"
    case .dosePatient: "the dose of patient-<patientId>"
    case .doseLot: "a dose of the container's lot"
    case .doseAmount: "equal to the dose's doseMg"
    case .doseAccounted: "a dose not accounted by an earlier withdrawal"
    case .witnessMissing: "a witness"
    case .witnessRecorder: "a witness other than the recorder"
    case .wasteDoseUnknown: "a stored DoseAdministered"
    case .countMeasure: "volumeMl (solutions) or units (unit forms), from 0 to 1,000,000"
    case .disposalWitnesses: "two different witnesses for on-site disposal"
    case .disposalDistributor: "the reverse distributor for that method"
    case .registrationExpiresSoon:
      "registration expiring within \(settings.registrationExpiryWarningDays) days"
    case .lotExpiresSoon: "lot expiring within \(settings.lotExpiryWarningDays) days of receipt"
    case .openTooLong: "container opened more than \(settings.openContainerHours) hours before"
    case .discrepancy:
      "count differs from the balance by more than \(settings.measuredTolerancePercent)% "
        + "(\(settings.estimatedTolerancePercent)% when estimated) of the container"
    case .countOverdue: "previous count more than \(settings.countIntervalDays) days before"
    case .fieldOfficeLate: "DEA field office not told within 1 business day of discovery"
    case .dea106Late: "DEA Form 106 submitted more than 45 days after discovery"
    }
  }
}

/// A site's settings for the soft alerts and the witness rule: a versioned part of the clinic's
/// protocol. Every flag records ``protocolVersion``.
public struct InventoryProtocol: Sendable, Hashable {
  /// Recorded in every flag (default `"dea-default-1"`).
  public var protocolVersion: String = "dea-default-1"
  /// Flag a registration expiring within this many days (60).
  public var registrationExpiryWarningDays: Int = 60
  /// Flag a lot expiring within this many days of receipt (30).
  public var lotExpiryWarningDays: Int = 30
  /// Flag a container drawn from this many hours after it was opened (24).
  public var openContainerHours: Int = 24
  /// Refuse waste witnessed by its own recorder (true).
  public var requireIndependentWitness: Bool = true
  /// Flag a count more than this many days after the previous one (730, two years).
  public var countIntervalDays: Int = 730
  /// A measured count line agrees within this percentage of the container (1).
  public var measuredTolerancePercent: Double = 1
  /// An estimated count line agrees within this percentage of the container (10).
  public var estimatedTolerancePercent: Double = 10

  /// The defaults of docs/DEA.md.
  public init() {}
}

/// What an inventory rule knows of the event under review besides its payload.
struct EventMeta {
  var eventId: UUID
  var occurredAt: ClinicalTime
  var recorderId: String
}

/// A refusal while judging: the rule that refused, or the store that could not answer.
enum InventoryRefusal: Error {
  case rule(ClinicalValidationError)
  case store(EventStoreError)
}
