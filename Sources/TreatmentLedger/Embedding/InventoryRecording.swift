import ControlledSubstances
import Foundation

/// One controlled-substance event to record in a site's log (`inventory-<site>`): the typed
/// event, the site, when it happened and who entered it.
///
/// ```swift
/// let receipt = InventoryEntry(.stockReceived(stock), site: "main", occurredAt: now, by: pharmacist)
/// try await ledger.record(clinical: [], inventory: [receipt])
/// ```
public struct InventoryEntry: Sendable, Hashable {
  /// The typed event.
  public var event: InventoryEvent
  /// The site id (the stream is `inventory-<site>`).
  public var site: String
  /// When it happened, with the clinic's offset from UTC.
  public var occurredAt: ClinicalTime
  /// Who entered it.
  public var recordedBy: Recorder
  /// The event's id: keep it to retry safely.
  public var eventId: UUID
  /// Groups events of one workflow (optional).
  public var correlationId: UUID?
  /// The event that caused this one (optional), such as the dose a withdrawal accounts for.
  public var causationId: UUID?

  /// An entry with a new event id.
  public init(
    _ event: InventoryEvent, site: String, occurredAt: ClinicalTime, by recordedBy: Recorder,
    eventId: UUID = UUID(), correlationId: UUID? = nil, causationId: UUID? = nil
  ) {
    self.event = event
    self.site = site
    self.occurredAt = occurredAt
    self.recordedBy = recordedBy
    self.eventId = eventId
    self.correlationId = correlationId
    self.causationId = causationId
  }

  /// The store-level event.
  var proposed: ProposedEvent {
    ProposedEvent(
      eventId: eventId, type: event.eventType, schemaVersion: event.schemaVersion,
      occurredAt: occurredAt.text, recordedBy: recordedBy, data: event.json,
      correlationId: correlationId, causationId: causationId)
  }
}

extension Ledger {
  /// The stream name of a site's controlled-substance log: `inventory-<site>`.
  public static func stream(forSite site: String) -> String {
    InventoryReviewer.siteStreamPrefix + site
  }

  /// The controlled-substance log of this ledger: balances, site status, dispensing log.
  public var inventory: InventoryBook { InventoryBook(store: store, settings: inventoryProtocol) }

  /// Records one controlled-substance event in the site's log, validated and durable when it
  /// returns.
  ///
  /// - Throws: ``LedgerError`` — ``LedgerError/Code/rejected`` with the field, rule and limit
  ///   when a rule refuses the event; nothing is written then.
  @discardableResult
  public func record(
    _ event: InventoryEvent, site: String, occurredAt: ClinicalTime, by recordedBy: Recorder,
    eventId: UUID = UUID(), expectedVersion: ExpectedVersion = .any
  ) async throws(LedgerError) -> AppendResult {
    let entry = InventoryEntry(
      event, site: site, occurredAt: occurredAt, by: recordedBy, eventId: eventId)
    let results = try await record(
      clinical: [], inventory: [entry],
      expectedVersions: [Self.stream(forSite: site): expectedVersion])
    guard let result = results.first else { throw LedgerError(.emptyBatch) }
    return result
  }

  /// Records a patient's dose and the withdrawal from stock that accounts for it in one atomic
  /// append over the two streams: both or neither. The withdrawal must name the dose
  /// (`doseEventId`), its lot and its amount; `patientVersion` and `siteVersion` are the
  /// versions the two streams must be at (default `.any`, no check).
  ///
  /// ```swift
  /// let dose = ClinicalEntry(.doseAdministered(given), patient: "7f3a", occurredAt: t, by: nurse)
  /// let draw = StockAdministered(
  ///   containerId: "V-0001", amountMg: 35, volumeMl: 0.7, patientId: "7f3a",
  ///   doseEventId: dose.eventId)
  /// try await ledger.recordDose(
  ///   dose, withdrawal: InventoryEntry(.stockAdministered(draw), site: "main", occurredAt: t, by: nurse))
  /// ```
  /// - Throws: ``LedgerError``; a refusal's index is 0 for the dose, 1 for the withdrawal.
  @discardableResult
  public func recordDose(
    _ dose: ClinicalEntry, withdrawal: InventoryEntry, patientVersion: ExpectedVersion = .any,
    siteVersion: ExpectedVersion = .any
  ) async throws(LedgerError) -> (dose: AppendResult, withdrawal: AppendResult) {
    let results = try await record(
      clinical: [dose], inventory: [withdrawal],
      expectedVersions: [
        Self.stream(forPatient: dose.patientId): patientVersion,
        Self.stream(forSite: withdrawal.site): siteVersion,
      ])
    guard results.count == 2 else { throw LedgerError(.emptyBatch) }
    return (results[0], results[1])
  }

  /// Records clinical and controlled-substance events, of any patients and sites, in one atomic
  /// and durable transaction: all of them or none. Patients' streams are written before sites'
  /// streams, so a withdrawal may name a dose of the same call; each stream keeps the order
  /// given.
  ///
  /// `expectedVersions` gives, per stream name (``stream(forPatient:)``,
  /// ``stream(forSite:)``), the version it must be at; streams not named are not checked.
  /// - Returns: one result per stream: patients in order of first appearance, then sites.
  /// - Throws: ``LedgerError``; a refusal's index counts `clinical` first, then `inventory`.
  @discardableResult
  public func record(
    clinical: [ClinicalEntry], inventory: [InventoryEntry],
    expectedVersions: [String: ExpectedVersion] = [:]
  ) async throws(LedgerError) -> [AppendResult] {
    guard !clinical.isEmpty || !inventory.isEmpty else { throw LedgerError(.emptyBatch) }
    var order: [String] = []
    var members: [String: [(index: Int, event: ProposedEvent)]] = [:]
    func add(_ stream: String, _ index: Int, _ event: ProposedEvent) {
      if members[stream] == nil { order.append(stream) }
      members[stream, default: []].append((index, event))
    }
    for (index, entry) in clinical.enumerated() {
      let proposed: ProposedEvent
      do { proposed = try entry.proposed() } catch { throw error.atIndex(index) }
      add(Self.stream(forPatient: entry.patientId), index, proposed)
    }
    for (offset, entry) in inventory.enumerated() {
      add(Self.stream(forSite: entry.site), clinical.count + offset, entry.proposed)
    }
    let batches = order.map { stream in
      StreamAppend(
        stream: stream, expectedVersion: expectedVersions[stream] ?? .any,
        events: (members[stream] ?? []).map(\.event))
    }
    do {
      return try await store.append(batches)
    } catch {
      let wrapped = LedgerError(error)
      guard let refusal = wrapped.refusal,
        let batch = batches.firstIndex(where: { batch in
          batch.events.indices.contains(refusal.index)
            && batch.events[refusal.index].eventId == refusal.eventId
        }),
        let indices = members[order[batch]]
      else { throw wrapped }
      throw wrapped.atIndex(indices[refusal.index].index)
    }
  }
}

extension Ledger {
  /// Writes an inspector's report of `site` for `[from, to)` into `directory` (docs/DEA.md
  /// section 10) and records it in `$audit` (who, why, the period, the manifest's SHA-256);
  /// returns the manifest. When it cannot be recorded, its files are removed. Beside it, in
  /// `directory/audit`, an audit export of the site's whole stream (docs/AUDIT.md), recorded in
  /// `$audit` too, which `audit verify` and `verify_export.py` check like any export.
  @discardableResult
  public func writeDEAReport(
    site: String, from: ClinicalTime, to: ClinicalTime, directory: String, by generatedBy: Recorder,
    reason: String
  ) async throws(DEAReportError) -> JSONValue {
    let writer = DEAReportWriter(store: store)
    let manifest = try writer.write(
      site: site, from: from, to: to, directory: directory, generatedBy: generatedBy)
    try await writer.record(
      manifest: manifest, directory: directory, reason: reason, generatedBy: generatedBy)
    let request = AuditExportRequest(
      directory: directory + "/audit", filter: AuditFilter(streamId: Self.stream(forSite: site)),
      exportedBy: generatedBy, reason: reason)
    do { _ = try await exportAudit(request) } catch {
      throw .auditExport(reason: error.description)
    }
    return manifest
  }
}
