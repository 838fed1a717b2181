import Foundation

/// How long one patient's records must be kept under a ``RetentionPolicy``, and what blocks
/// their erasure, as of a given day (docs/RETENTION.md).
public struct RetentionStatus: Sendable, Hashable {
  /// A retention rule of DOMAIN.md 8.
  public enum Rule: String, Sendable, Hashable, CaseIterable {
    /// Years after the clinical time of the patient's last event.
    case adult
    /// Until 31 December of birthYear + the age of majority, plus years.
    case minor
    /// Years after the last event that accounts for one of the patient's doses at a site.
    case controlledSubstances
  }

  /// One rule that applies to the patient, and the last day it keeps the records.
  public struct Period: Sendable, Hashable {
    /// The rule.
    public var rule: Rule
    /// The last day of retention under this rule (the clinic's calendar day); the records may
    /// be erased from the day after.
    public var endsOn: CalendarDay
    /// The rule in words, with the policy's numbers and version and no patient data, e.g.
    /// `adult: 10 years after the last event (policy default-1)`.
    public var description: String
  }

  /// The patient.
  public var patientId: String
  /// The day the status is judged at (the `asOf` time's own calendar day).
  public var asOf: CalendarDay
  /// Every rule that applies (adult always; minor when the patient was under the age of majority
  /// in the year of the first event; controlled substances when doses were accounted at a site).
  public var periods: [Period]
  /// The rule that ends last: the one that governs.
  public var governing: Period
  /// The legal holds in force that cover the patient.
  public var holds: [LegalHold]
  /// True when the patient's data has already been erased (a `PatientDataErased` event).
  public var erased: Bool

  /// True when the governing rule has ended by ``asOf``.
  public var retentionEnded: Bool { asOf > governing.endsOn }

  /// True when the records may be erased: retention ended, no hold in force, not yet erased.
  public var isDue: Bool { retentionEnded && holds.isEmpty && !erased }

  /// What an erasure records as `retentionRule`: the governing rule in words (no dates, no
  /// patient data), e.g. `adult: 10 years after the last event (policy default-1)`.
  public var retentionRule: String { governing.description }
}

/// What the retention rules need of one patient, gathered by one scan of the log.
struct RetentionFacts {
  var birthYear: Int?
  var registrationId: UUID?
  var firstEvent: ClinicalTime?
  var lastEvent: ClinicalTime?
  var lastControlledSubstanceEvent: ClinicalTime?
  var erased = false

  static let erasureType = "PatientDataErased"

  /// The periods of `policy` for these facts; nil when the patient has no events.
  func periods(_ policy: RetentionPolicy) -> [RetentionStatus.Period]? {
    guard let firstEvent, let lastEvent else { return nil }
    let version = "(policy \(policy.policyVersion))"
    var periods = [
      RetentionStatus.Period(
        rule: .adult,
        endsOn: CalendarDay(of: lastEvent).addingYears(policy.adultYearsAfterLastEvent),
        description:
          "adult: \(policy.adultYearsAfterLastEvent) years after the last event \(version)")
    ]
    if let birthYear,
      Int(CalendarDay(of: firstEvent).text.prefix(4)).map({ $0 - birthYear })
        .map({ $0 < policy.ageOfMajority }) ?? false,
      let end = CalendarDay(
        String(
          format: "%04d-12-31", birthYear + policy.ageOfMajority + policy.minorYearsAfterMajority))
    {
      periods.append(
        RetentionStatus.Period(
          rule: .minor, endsOn: end,
          description:
            "minor: until 31 December of the year of majority (\(policy.ageOfMajority)), plus "
            + "\(policy.minorYearsAfterMajority) years \(version)"))
    }
    if let last = lastControlledSubstanceEvent {
      periods.append(
        RetentionStatus.Period(
          rule: .controlledSubstances,
          endsOn: CalendarDay(of: last).addingYears(policy.controlledSubstanceYearsAfterEvent),
          description:
            "controlledSubstances: \(policy.controlledSubstanceYearsAfterEvent) years after the "
            + "last dose accounted at a site \(version)"))
    }
    return periods
  }
}

extension CalendarDay {
  /// The same month and day `years` later; 29 February becomes 1 March in a common year (the
  /// later of the two candidates, so retention never ends early).
  func addingYears(_ years: Int) -> CalendarDay {
    let year = (Int(text.prefix(4)) ?? 1970) + years
    let monthDay = String(text.dropFirst(4))
    return CalendarDay(String(format: "%04d", year) + monthDay)
      ?? CalendarDay(String(format: "%04d-03-01", year)) ?? self
  }
}

/// One pass over the whole log that gathers ``RetentionFacts`` for every patient.
struct RetentionScan {
  static let pageSize = 10_000

  static func facts(of store: EventStore) throws(EventStoreError) -> [String: RetentionFacts] {
    var facts: [String: RetentionFacts] = [:]
    var doses: [UUID: String] = [:]
    var position: UInt64 = 0
    while true {
      let page = try store.readAll(from: position, limit: pageSize)
      for event in page { absorb(event, into: &facts, doses: &doses) }
      guard let last = page.last, page.count == pageSize else { break }
      position = last.globalPosition + 1
    }
    return facts
  }

  private static func absorb(
    _ event: RecordedEvent, into facts: inout [String: RetentionFacts], doses: inout [UUID: String]
  ) {
    guard let time = ClinicalTime(event.occurredAt) else { return }
    if let patientId = PatientDecisionState.patientId(fromStream: event.streamId) {
      var patient = facts[patientId] ?? RetentionFacts()
      defer { facts[patientId] = patient }
      if event.type == RetentionFacts.erasureType {
        patient.erased = true
        return
      }
      if patient.firstEvent.map({ time.micros < $0.micros }) ?? true { patient.firstEvent = time }
      if patient.lastEvent.map({ time.micros > $0.micros }) ?? true { patient.lastEvent = time }
      switch event.type {
      case PatientRegistered.eventType:
        patient.registrationId = event.eventId
        patient.birthYear = event.data["birthYear"]?.numberValue.map { Int($0) }
      case EntryCorrected.eventType
      where event.data["correctedEventId"]?.stringValue?.lowercased()
        == patient.registrationId?.lowercasedString:
        if let year = event.data["replacement"]?["birthYear"]?.numberValue {
          patient.birthYear = Int(year)
        }
      case DoseAdministered.eventType:
        doses[event.eventId] = patientId
      default:
        break
      }
      return
    }
    guard event.streamId.hasPrefix(InventoryReviewer.siteStreamPrefix) else { return }
    let patientId: String?
    switch event.type {
    case StockAdministered.eventType:
      patientId = event.data["patientId"]?.stringValue
    case WasteRecorded.eventType:
      patientId = event.data["doseEventId"]?.stringValue.flatMap(UUID.init).flatMap { doses[$0] }
    default:
      patientId = nil
    }
    guard let patientId, var patient = facts[patientId] else { return }
    if patient.lastControlledSubstanceEvent.map({ time.micros > $0.micros }) ?? true {
      patient.lastControlledSubstanceEvent = time
    }
    facts[patientId] = patient
  }
}

extension Ledger {
  /// The retention status of one patient under `policy` as of `asOf` (default now, UTC), with
  /// the holds in force that cover them; nil for a patient with no events.
  ///
  /// Cost: one read of the whole log (the controlled-substance records that name the patient
  /// live in the sites' streams) and of the `legal-holds` stream.
  public func retentionStatus(
    patient patientId: String, policy: RetentionPolicy = .defaults,
    asOf: ClinicalTime = ClinicalTime(Date())
  ) throws(LedgerError) -> RetentionStatus? {
    try retentionStatuses(policy: policy, asOf: asOf, only: patientId).first
  }

  /// The patients whose retention has ended by `asOf` under `policy`, who carry no legal hold in
  /// force and whose data is not yet erased, sorted by patient id.
  ///
  /// Cost: one read of the whole log and of the `legal-holds` stream (docs/RETENTION.md).
  public func retentionDue(
    policy: RetentionPolicy = .defaults, asOf: ClinicalTime = ClinicalTime(Date())
  ) throws(LedgerError) -> [RetentionStatus] {
    try retentionStatuses(policy: policy, asOf: asOf, only: nil).filter(\.isDue)
  }

  func retentionStatuses(
    policy: RetentionPolicy, asOf: ClinicalTime, only: String?
  ) throws(LedgerError) -> [RetentionStatus] {
    let facts: [String: RetentionFacts]
    do { facts = try RetentionScan.facts(of: store) } catch { throw LedgerError(error) }
    let holds = try legalHolds().filter(\.isInForce)
    let day = CalendarDay(of: asOf)
    var statuses: [RetentionStatus] = []
    for patientId in facts.keys.sorted() where only == nil || only == patientId {
      guard let patient = facts[patientId], let periods = patient.periods(policy),
        let governing = periods.max(by: { $0.endsOn < $1.endsOn })
      else { continue }
      statuses.append(
        RetentionStatus(
          patientId: patientId, asOf: day, periods: periods, governing: governing,
          holds: holds.filter { $0.covers(patient: patientId) }, erased: patient.erased))
    }
    return statuses
  }
}
