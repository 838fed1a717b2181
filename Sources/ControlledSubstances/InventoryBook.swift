import Foundation
import LedgerEventStore
import LedgerFoundation

extension SiteInventory {
  /// Folds one stored event of the site's stream (events that are not inventory events, or do
  /// not decode, change nothing).
  public mutating func apply(_ event: RecordedEvent, settings: InventoryProtocol = .init()) {
    guard
      let decoded = try? InventoryEvent.decode(
        type: event.type, schemaVersion: event.schemaVersion, value: event.data),
      let occurredAt = ClinicalTime(event.occurredAt)
    else { return }
    let meta = EventMeta(
      eventId: event.eventId, occurredAt: occurredAt, recorderId: event.recordedBy.id)
    var site = self.site
    try? InventoryJudge(settings: settings) { _ in nil }.apply(
      decoded, meta, site: &site, facts: &self)
    self.site = site
  }

  /// The facts `events` give, folded in order: what a rebuild from the log gives.
  public static func fold(
    _ events: some Sequence<RecordedEvent>, settings: InventoryProtocol = .init()
  ) -> SiteInventory {
    var inventory = SiteInventory()
    for event in events { inventory.apply(event, settings: settings) }
    return inventory
  }

  /// Every fact as the store keeps it: container records and accounted doses, by key.
  var factRecords: [[UInt8]: [UInt8]] {
    var records: [[UInt8]: [UInt8]] = [:]
    for record in containers.values {
      records[FactKey.container(record.containerId)] = record.encoded
    }
    for (dose, withdrawal) in withdrawals {
      records[FactKey.dose(dose)] = withUnsafeBytes(of: withdrawal.uuid) { Array($0) }
    }
    return records
  }

  /// The containers open more than `settings.openContainerHours` at `nowMicros`, by id.
  public func containersOpenTooLong(nowMicros: Int64, settings: InventoryProtocol = .init())
    -> [ContainerRecord]
  {
    containers.values.filter {
      $0.isOpenTooLong(nowMicros: nowMicros, hours: settings.openContainerHours)
    }.sorted { $0.containerId < $1.containerId }
  }
}

/// Where a site's controlled-substance log stands: what an inspector or the clinic asks first.
public struct SiteStatus: Sendable, Hashable {
  /// The site id.
  public var site: String
  /// The site-wide record (registration, last count, open discrepancies).
  public var record: SiteRecord
  /// When the next biennial count is due (two years after the last count), or nil before any.
  public var nextCountDue: CalendarDay?
  /// Containers opened and not emptied by administration and waste within 24 hours.
  public var openTooLong: [ContainerRecord]
}

/// Reads a site's controlled-substance log from a store: balances now (from the keyed
/// per-container facts) or as of a clinical time (folding the stream), the dispensing log of a
/// period, the site's status, and a check of the stored facts against a rebuild.
///
/// ```swift
/// let book = InventoryBook(store: ledger.store)
/// for container in try book.balances(site: "main") { print(container.containerId, container.balanceMg) }
/// ```
public struct InventoryBook: Sendable {
  /// The store read.
  public let store: EventStore
  /// The settings of the alerts (the 24-hour rule, the count interval).
  public let settings: InventoryProtocol

  /// A book over `store`.
  public init(store: EventStore, settings: InventoryProtocol = InventoryProtocol()) {
    self.store = store
    self.settings = settings
  }

  /// The stream of a site: `inventory-<site>`.
  public static func stream(forSite site: String) -> String {
    InventoryReviewer.siteStreamPrefix + site
  }

  /// Every container of the site with its balance, sorted by drug then container id. Without
  /// `asOf`, read from the stored per-container facts (one keyed record each); with `asOf`, the
  /// stream's events that occurred up to that clinical time, folded in clinical order.
  public func balances(site: String, asOf: ClinicalTime? = nil) throws(EventStoreError)
    -> [ContainerRecord]
  {
    let records: [ContainerRecord]
    if let asOf {
      records = Array(try inventory(site: site, occurredUpTo: asOf).containers.values)
    } else if try store.reviewState(stream: Self.stream(forSite: site)) != nil {
      records = try storedContainers(site: site)
    } else {
      records = Array(try inventory(site: site, occurredUpTo: nil).containers.values)
    }
    return records.sorted {
      ($0.drug.rawValue, $0.containerId) < ($1.drug.rawValue, $1.containerId)
    }
  }

  /// The site's status at `now`.
  public func status(site: String, now: Date = Date()) throws(EventStoreError) -> SiteStatus {
    let stream = Self.stream(forSite: site)
    let record: SiteRecord
    let containers: [ContainerRecord]
    if let bytes = try store.reviewState(stream: stream) {
      do { record = try SiteRecord(encoded: bytes) } catch {
        throw .incompatibleStore(reason: "the site record of stream '\(stream)' does not decode")
      }
      containers = try storedContainers(site: site)
    } else {
      let folded = try inventory(site: site, occurredUpTo: nil)
      record = folded.site
      containers = Array(folded.containers.values)
    }
    let nowMicros = Int64(now.timeIntervalSince1970 * 1_000_000)
    return SiteStatus(
      site: site, record: record,
      nextCountDue: record.lastCountedAt.map {
        CalendarDay(of: $0).adding(days: settings.countIntervalDays)
      },
      openTooLong: containers.filter {
        $0.isOpenTooLong(nowMicros: nowMicros, hours: settings.openContainerHours)
      }.sorted { $0.containerId < $1.containerId })
  }

  /// The site's status as of the clinical time `asOf`: from its events that occurred up to then,
  /// with the containers open more than 24 hours at that time.
  public func status(site: String, asOf: ClinicalTime) throws(EventStoreError) -> SiteStatus {
    let folded = try inventory(site: site, occurredUpTo: asOf)
    return SiteStatus(
      site: site, record: folded.site,
      nextCountDue: folded.site.lastCountedAt.map {
        CalendarDay(of: $0).adding(days: settings.countIntervalDays)
      },
      openTooLong: folded.containersOpenTooLong(nowMicros: asOf.micros, settings: settings))
  }

  /// The receipts, administrations and waste of the site that occurred in `[from, to)`, in
  /// clinical order (the dispensing log of 21 CFR 1304.22(c)).
  public func dispensingLog(site: String, from: ClinicalTime, to: ClinicalTime)
    throws(EventStoreError) -> [RecordedEvent]
  {
    let kinds: Set<String> = [
      StockReceived.eventType, StockAdministered.eventType, WasteRecorded.eventType,
    ]
    return try store.readStream(Self.stream(forSite: site)).filter { event in
      guard kinds.contains(event.type), let time = ClinicalTime(event.occurredAt) else {
        return false
      }
      return time.micros >= from.micros && time.micros < to.micros
    }.sorted { ($0.occurredMicros, $0.streamVersion) < ($1.occurredMicros, $1.streamVersion) }
  }

  /// The site's facts folded from its events that occurred up to `asOf` (all when nil), in
  /// clinical order.
  public func inventory(site: String, occurredUpTo asOf: ClinicalTime?) throws(EventStoreError)
    -> SiteInventory
  {
    var events = try store.readStream(Self.stream(forSite: site))
    if let asOf {
      events = events.filter { $0.occurredMicros <= asOf.micros }.sorted {
        ($0.occurredMicros, $0.streamVersion) < ($1.occurredMicros, $1.streamVersion)
      }
    }
    return SiteInventory.fold(events, settings: settings)
  }

  /// True when the stored facts (site record, every container and dose fact) equal a rebuild
  /// from the stream's events: the law that incremental appends and a rebuild agree.
  public func storedFactsMatchRebuild(site: String) throws(EventStoreError) -> Bool {
    let stream = Self.stream(forSite: site)
    let rebuilt = SiteInventory.fold(try store.readStream(stream), settings: settings)
    guard let bytes = try store.reviewState(stream: stream) else {
      return rebuilt == SiteInventory()
    }
    var stored: [[UInt8]: [UInt8]] = [:]
    for fact in try store.reviewFacts(stream: stream) { stored[fact.key] = fact.value }
    return bytes == rebuilt.site.encoded && stored == rebuilt.factRecords
  }

  private func storedContainers(site: String) throws(EventStoreError) -> [ContainerRecord] {
    let stream = Self.stream(forSite: site)
    var records: [ContainerRecord] = []
    for fact in try store.reviewFacts(stream: stream, prefix: FactKey.containerPrefix) {
      do { records.append(try ContainerRecord(encoded: fact.value)) } catch {
        throw .incompatibleStore(reason: "a container fact of stream '\(stream)' does not decode")
      }
    }
    return records
  }
}

extension RecordedEvent {
  /// `occurredAt` in µs since the epoch (0 when it does not parse, which the store prevents).
  var occurredMicros: Int64 { ClinicalTime(occurredAt)?.micros ?? 0 }
}
