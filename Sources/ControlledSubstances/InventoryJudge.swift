import Foundation
import LedgerEventStore
import LedgerFoundation
import TreatmentRecords

/// A stored dose, as the withdrawal rules see it.
struct StoredDose {
  var streamId: String
  var lotNumber: String?
  var doseMicrograms: Int64?

  init?(_ event: RecordedEvent) {
    guard event.type == DoseAdministered.eventType,
      event.streamId.hasPrefix(ClinicalReviewer.patientStreamPrefix)
    else { return nil }
    streamId = event.streamId
    lotNumber = event.data["lotNumber"]?.stringValue
    doseMicrograms = event.data["doseMg"]?.numberValue.map(Amount.micrograms)
  }
}

/// The hard limits and soft alerts of docs/DEA.md: ``check`` judges an event against the site's
/// facts without changing them; ``apply`` folds an accepted (or already stored) event into them.
struct InventoryJudge {
  let settings: InventoryProtocol
  let doses: (UUID) throws -> StoredDose?

  typealias Flags = [ClinicalFlag]

  func refuse(_ event: InventoryEvent, _ field: String, _ rule: InventoryRule) -> InventoryRefusal {
    .rule(
      ClinicalValidationError(
        eventType: event.eventType, field: field, rule: rule.rawValue,
        limit: rule.sentence(settings)))
  }

  func flag(_ field: String, _ rule: InventoryRule) -> ClinicalFlag {
    ClinicalFlag(
      code: rule.rawValue, field: field, rule: rule.sentence(settings),
      protocolVersion: settings.protocolVersion)
  }

  /// Judges `event`; returns its flags or throws ``InventoryRefusal``.
  func check(
    _ event: InventoryEvent, _ meta: EventMeta, site: SiteRecord, siteId: String,
    facts: some InventoryFacts
  ) throws -> Flags {
    let today = CalendarDay(of: meta.occurredAt)
    switch event {
    case .registrationRecorded(let data):
      guard data.site == siteId else { throw refuse(event, "site", .registrationSite) }
      let warn = today.adding(days: settings.registrationExpiryWarningDays)
      return data.deaExpiresOn <= warn ? [flag("deaExpiresOn", .registrationExpiresSoon)] : []
    case .stockReceived(let data):
      return try checkReceipt(event, data, today: today, site: site, facts: facts)
    case .stockAdministered(let data):
      let container = try known(event, data.containerId, "containerId", facts)
      guard container.expiresOn >= today else {
        throw refuse(event, "containerId", .containerExpired)
      }
      try checkDraw(event, container, amountMg: data.amountMg, volumeMl: data.volumeMl)
      try checkDose(event, data, container: container, facts: facts)
      return openFlags(container, meta)
    case .wasteRecorded(let data):
      let container = try known(event, data.containerId, "containerId", facts)
      try checkDraw(event, container, amountMg: data.amountMg, volumeMl: data.volumeMl)
      guard let witness = data.witness else { throw refuse(event, "witness", .witnessMissing) }
      if settings.requireIndependentWitness && witness.id == meta.recorderId {
        throw refuse(event, "witness.id", .witnessRecorder)
      }
      if let dose = data.doseEventId, try doses(dose) == nil {
        throw refuse(event, "doseEventId", .wasteDoseUnknown)
      }
      return openFlags(container, meta)
    case .inventoryCounted(let data):
      return try checkCount(event, data, site: site, facts: facts)
    case .lossReported(let data):
      try checkTaking(event, data.containerIds, amountMg: data.amountMg, facts: facts)
      return lossFlags(data)
    case .stockDisposed(let data):
      try checkTaking(event, data.containerIds, amountMg: data.amountMg, facts: facts)
      switch data.method {
      case .onSiteDea41:
        let ids = Set((data.witnesses ?? []).map(\.id))
        guard ids.count >= 2 else { throw refuse(event, "witnesses", .disposalWitnesses) }
      case .reverseDistributor:
        guard data.reverseDistributor != nil else {
          throw refuse(event, "reverseDistributor", .disposalDistributor)
        }
      }
      return []
    }
  }

  private func known(
    _ event: InventoryEvent, _ id: String, _ field: String, _ facts: some InventoryFacts
  ) throws -> ContainerRecord {
    guard let container = try facts.container(id) else {
      throw refuse(event, field, .containerUnknown)
    }
    return container
  }

  private func checkReceipt(
    _ event: InventoryEvent, _ data: StockReceived, today: CalendarDay, site: SiteRecord,
    facts: some InventoryFacts
  ) throws -> Flags {
    guard let expires = site.deaExpiresOn else { throw refuse(event, "", .registrationMissing) }
    guard expires >= today else { throw refuse(event, "", .registrationExpired) }
    var seen: Set<String> = []
    for (index, id) in data.containerIds.enumerated() {
      guard seen.insert(id).inserted, try facts.container(id) == nil else {
        throw refuse(event, "containerIds[\(index)]", .containerDuplicate)
      }
    }
    guard data.expiresOn >= data.receivedOn else {
      throw refuse(event, "expiresOn", .expiresBeforeReceived)
    }
    let warn = data.receivedOn.adding(days: settings.lotExpiryWarningDays)
    return data.expiresOn <= warn ? [flag("expiresOn", .lotExpiresSoon)] : []
  }

  /// Amount within the balance; volume (solutions) or whole units (unit forms) consistent.
  private func checkDraw(
    _ event: InventoryEvent, _ container: ContainerRecord, amountMg: Double, volumeMl: Double?
  ) throws {
    guard Amount.micrograms(amountMg) <= container.balanceMicrograms else {
      throw refuse(event, "amountMg", .overBalance)
    }
    if container.form.isSolution {
      guard let volumeMl else { throw refuse(event, "volumeMl", .volumeMissing) }
      let expected = amountMg / container.strength
      guard abs(volumeMl - expected) <= expected * 0.01 else {
        throw refuse(event, "volumeMl", .volumeMismatch)
      }
    } else {
      guard volumeMl == nil else { throw refuse(event, "volumeMl", .volumeNotApplicable) }
      let units = amountMg / container.strength
      guard abs(units - units.rounded()) < 1e-6 else {
        throw refuse(event, "amountMg", .wholeUnits)
      }
    }
  }

  private func checkDose(
    _ event: InventoryEvent, _ data: StockAdministered, container: ContainerRecord,
    facts: some InventoryFacts
  ) throws {
    guard let dose = try doses(data.doseEventId) else {
      throw refuse(event, "doseEventId", .doseUnknown)
    }
    guard dose.streamId == ClinicalReviewer.patientStreamPrefix + data.patientId else {
      throw refuse(event, "patientId", .dosePatient)
    }
    guard dose.lotNumber == container.lotNumber else {
      throw refuse(event, "doseEventId", .doseLot)
    }
    guard dose.doseMicrograms == Amount.micrograms(data.amountMg) else {
      throw refuse(event, "amountMg", .doseAmount)
    }
    guard try facts.withdrawal(forDose: data.doseEventId) == nil else {
      throw refuse(event, "doseEventId", .doseAccounted)
    }
  }

  private func openFlags(_ container: ContainerRecord, _ meta: EventMeta) -> Flags {
    container.isOpenTooLong(nowMicros: meta.occurredAt.micros, hours: settings.openContainerHours)
      ? [flag("containerId", .openTooLong)] : []
  }

  /// Loss and disposal: known containers, each named once, the amount within what they hold.
  private func checkTaking(
    _ event: InventoryEvent, _ ids: [String], amountMg: Double, facts: some InventoryFacts
  ) throws {
    var total: Int64 = 0
    var seen: Set<String> = []
    for (index, id) in ids.enumerated() {
      guard seen.insert(id).inserted else {
        throw refuse(event, "containerIds[\(index)]", .containerDuplicate)
      }
      total += try known(event, id, "containerIds[\(index)]", facts).balanceMicrograms
    }
    guard Amount.micrograms(amountMg) <= total else {
      throw refuse(event, "amountMg", .overBalance)
    }
  }

  private func lossFlags(_ data: LossReported) -> Flags {
    var flags: Flags = []
    let discovered = CalendarDay(of: data.discoveredAt)
    if data.fieldOfficeNotifiedAt.map({ CalendarDay(of: $0) > Self.nextBusinessDay(discovered) })
      ?? true
    {
      flags.append(flag("fieldOfficeNotifiedAt", .fieldOfficeLate))
    }
    if let submitted = data.dea106SubmittedAt,
      CalendarDay(of: submitted) > discovered.adding(days: 45)
    {
      flags.append(flag("dea106SubmittedAt", .dea106Late))
    }
    return flags
  }

  /// The first Monday-to-Friday day after `day`.
  static func nextBusinessDay(_ day: CalendarDay) -> CalendarDay {
    var next = day.adding(days: 1)
    while next.weekday >= 5 { next = next.adding(days: 1) }
    return next
  }
}
