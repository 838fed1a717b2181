import Foundation
import LedgerEventStore
import LedgerFoundation
import TreatmentRecords

extension InventoryJudge {
  func checkCount(
    _ event: InventoryEvent, _ data: InventoryCounted, site: SiteRecord,
    facts: some InventoryFacts
  ) throws -> Flags {
    var flags: Flags = []
    var seen: Set<String> = []
    for (index, line) in data.lines.enumerated() {
      let field = "lines[\(index)]"
      guard seen.insert(line.containerId).inserted else {
        throw refuse(event, field + ".containerId", .containerDuplicate)
      }
      guard let container = try facts.container(line.containerId) else {
        throw refuse(event, field + ".containerId", .containerUnknown)
      }
      guard let counted = Self.counted(line, container) else {
        throw refuse(event, field, .countMeasure)
      }
      if discrepancy(line, container, counted: counted, countEventId: UUID(), countedAt: 0) != nil {
        flags.append(flag(field, .discrepancy))
      }
    }
    if let last = site.lastCountedAt,
      data.countedAt.micros - last.micros > Int64(settings.countIntervalDays) * 86_400_000_000
    {
      flags.append(flag("countedAt", .countOverdue))
    }
    return flags
  }

  /// The amount a line found, in µg; nil when the line gives no measure of the container's kind.
  static func counted(_ line: CountLine, _ container: ContainerRecord) -> Int64? {
    if container.form.isSolution {
      guard line.units == nil, let volume = line.volumeMl, volume >= 0, volume <= 1_000_000 else {
        return nil
      }
      return Amount.micrograms(volume * container.strength)
    }
    guard line.volumeMl == nil, let units = line.units, units >= 0, units <= 1_000_000 else {
      return nil
    }
    return Amount.micrograms(Double(units) * container.strength)
  }

  /// The discrepancy a line shows, or nil when it agrees with the balance.
  func discrepancy(
    _ line: CountLine, _ container: ContainerRecord, counted: Int64, countEventId: UUID,
    countedAt: Int64
  ) -> Discrepancy? {
    let percent =
      container.form.isSolution
      ? (line.estimated ? settings.estimatedTolerancePercent : settings.measuredTolerancePercent)
      : 0
    let tolerance = Int64((Double(container.receivedMicrograms) * percent / 100).rounded())
    let difference = container.balanceMicrograms - counted
    let sealedMismatch = line.sealed && container.state != .sealed
    guard abs(difference) > tolerance || sealedMismatch else { return nil }
    return Discrepancy(
      containerId: container.containerId, countEventId: countEventId, countedAtMicros: countedAt,
      unexplainedMicrograms: difference, toleranceMicrograms: tolerance,
      sealedMismatch: sealedMismatch)
  }

  /// Folds an accepted or stored event into the site's facts.
  func apply(
    _ event: InventoryEvent, _ meta: EventMeta, site: inout SiteRecord,
    facts: inout some InventoryFacts
  ) throws {
    switch event {
    case .registrationRecorded(let data):
      site.deaNumber = data.deaNumber
      site.deaExpiresOn = data.deaExpiresOn
    case .stockReceived(let data):
      let micrograms = Amount.micrograms(data.contents.milligrams)
      let strength: Double =
        switch data.contents {
        case .solution(let strength, _): strength
        case .units(let perUnit, _): perUnit
        }
      for id in data.containerIds {
        facts.put(
          ContainerRecord(
            containerId: id, lotNumber: data.lotNumber, drug: data.drug, form: data.form,
            strength: strength, expiresOn: data.expiresOn, receivedOn: data.receivedOn,
            receivedMicrograms: micrograms))
      }
      site.containerCount += data.containerIds.count
    case .stockAdministered(let data):
      try draw(data.containerId, Amount.micrograms(data.amountMg), meta, &site, &facts) {
        $0.administeredMicrograms += $1
      }
      facts.putWithdrawal(meta.eventId, forDose: data.doseEventId)
    case .wasteRecorded(let data):
      try draw(data.containerId, Amount.micrograms(data.amountMg), meta, &site, &facts) {
        $0.wastedMicrograms += $1
      }
    case .inventoryCounted(let data):
      try applyCount(data, meta, &site, facts)
    case .lossReported(let data):
      try take(data.containerIds, Amount.micrograms(data.amountMg), .lost, meta, &site, &facts)
      site.discrepancies.removeAll { data.containerIds.contains($0.containerId) }
    case .stockDisposed(let data):
      try take(data.containerIds, Amount.micrograms(data.amountMg), .disposed, meta, &site, &facts)
    }
  }

  /// An administration or waste: the container opens, empties at 0, and a late entry dated
  /// before an open discrepancy's count explains that much of it.
  private func draw(
    _ id: String, _ amount: Int64, _ meta: EventMeta, _ site: inout SiteRecord,
    _ facts: inout some InventoryFacts, _ book: (inout ContainerRecord, Int64) -> Void
  ) throws {
    guard var container = try facts.container(id) else { return }
    book(&container, amount)
    container.openedAtMicros = container.openedAtMicros ?? meta.occurredAt.micros
    container.state = container.balanceMicrograms > 0 ? .open : .empty
    facts.put(container)
    explain(id, amount, meta, &site)
  }

  /// A loss or disposal of `amount` taken from `ids` in order, each up to its balance.
  private func take(
    _ ids: [String], _ amount: Int64, _ end: ContainerState, _ meta: EventMeta,
    _ site: inout SiteRecord, _ facts: inout some InventoryFacts
  ) throws {
    var remaining = amount
    for id in ids where remaining > 0 {
      guard var container = try facts.container(id) else { continue }
      let part = min(remaining, container.balanceMicrograms)
      remaining -= part
      if end == .lost {
        container.lostMicrograms += part
      } else {
        container.disposedMicrograms += part
      }
      if container.balanceMicrograms == 0 {
        container.state = end
      } else if part > 0 {
        container.state = .open
        container.openedAtMicros = container.openedAtMicros ?? meta.occurredAt.micros
      }
      facts.put(container)
      explain(id, part, meta, &site)
    }
  }

  private func explain(_ id: String, _ amount: Int64, _ meta: EventMeta, _ site: inout SiteRecord) {
    guard let index = site.discrepancies.firstIndex(where: { $0.containerId == id }),
      meta.occurredAt.micros <= site.discrepancies[index].countedAtMicros
    else { return }
    site.discrepancies[index].unexplainedMicrograms -= amount
    let item = site.discrepancies[index]
    if abs(item.unexplainedMicrograms) <= item.toleranceMicrograms && !item.sealedMismatch {
      site.discrepancies.remove(at: index)
    }
  }

  private func applyCount(
    _ data: InventoryCounted, _ meta: EventMeta, _ site: inout SiteRecord,
    _ facts: some InventoryFacts
  ) throws {
    site.lastCountEventId = meta.eventId
    site.lastCountedAt = data.countedAt
    site.lastCountKind = data.kind
    for line in data.lines {
      site.discrepancies.removeAll { $0.containerId == line.containerId }
      guard let container = try facts.container(line.containerId),
        let counted = Self.counted(line, container),
        let found = discrepancy(
          line, container, counted: counted, countEventId: meta.eventId,
          countedAt: data.countedAt.micros)
      else { continue }
      site.discrepancies.append(found)
    }
    site.discrepancies.sort { $0.containerId < $1.containerId }
  }
}
