import Foundation
import LedgerEventStore
import LedgerFoundation
import TreatmentRecords

/// The controlled-substance rules as the event store's `AppendReviewer`: every append to an
/// `inventory-<site>` stream is read into ``InventoryEvent`` and judged against the hard limits
/// and soft alerts of docs/DEA.md inside the append's own write transaction.
///
/// - A hard limit refuses the event (`EventStoreError.rejected`, naming the field, rule and
///   limit); the whole append, every stream of it, is then refused.
/// - A soft alert accepts the event and stores its flags with it.
/// - Derived state is kept at the grain it changes: the stream's review state holds only the
///   small ``SiteRecord``; each container and each accounted dose is one keyed review fact
///   (``ContainerRecord``), read and written only when an event names it.
/// - A withdrawal reads the dose it names from the store (`ReviewContext.storedRecord(_:)`, the
///   event-id index), including a dose written earlier in the same transaction.
public struct InventoryReviewer: AppendReviewer {
  /// The prefix of the streams this reviewer governs.
  public static let siteStreamPrefix = "inventory-"

  /// The settings of the soft alerts and the witness rule.
  public let settings: InventoryProtocol

  /// Creates a reviewer with `settings` (docs/DEA.md defaults unless given).
  public init(settings: InventoryProtocol = InventoryProtocol()) {
    self.settings = settings
  }

  /// The site id of `inventory-<site>`, or nil when `stream` is not a valid site stream.
  public static func siteId(fromStream stream: String) -> String? {
    guard stream.hasPrefix(siteStreamPrefix) else { return nil }
    let site = String(stream.dropFirst(siteStreamPrefix.count))
    return ContainerId.isValid(site) ? site : nil
  }

  /// The review state of a site stream: the site record, and while the stream's state is being
  /// rebuilt from its events, every fact in memory (written to the store with the next event).
  public struct State: Sendable {
    /// The site-wide record.
    public var site: SiteRecord
    var rebuilt: SiteInventory?
  }

  /// True for `inventory-*` streams.
  public func reviews(stream: String) -> Bool { stream.hasPrefix(Self.siteStreamPrefix) }

  /// True: `review` changes the state only after every check has passed.
  public var leavesStateUnchangedWhenRefusing: Bool { true }

  /// Decodes the stored site record; a new (or rebuilt) stream starts with every fact in memory.
  public func decodeState(_ bytes: [UInt8]?, stream: String) throws(EventStoreError) -> State {
    guard let bytes else { return State(site: SiteRecord(), rebuilt: SiteInventory()) }
    do {
      return State(site: try SiteRecord(encoded: bytes), rebuilt: nil)
    } catch {
      throw .incompatibleStore(reason: "the site record of stream '\(stream)' does not decode")
    }
  }

  /// The site record's compact binary form.
  public func encodeState(_ state: State) -> [UInt8] { state.site.encoded }

  /// The container and dose facts that the stream's events give (what
  /// `EventStore.verifyDerived(stream:)` compares with the stored ones).
  public func facts(of events: [RecordedEvent], stream: String) -> [[UInt8]: [UInt8]]? {
    SiteInventory.fold(events, settings: settings).factRecords
  }

  /// Folds a stored event into the state without judging it.
  public func absorb(_ event: RecordedEvent, stream: String, state: inout State) {
    guard
      let decoded = try? InventoryEvent.decode(
        type: event.type, schemaVersion: event.schemaVersion, value: event.data),
      let occurredAt = ClinicalTime(event.occurredAt)
    else { return }
    var memory = state.rebuilt ?? SiteInventory()
    memory.site = state.site
    let meta = EventMeta(
      eventId: event.eventId, occurredAt: occurredAt, recorderId: event.recordedBy.id)
    let judge = InventoryJudge(settings: settings) { _ in nil }
    var site = memory.site
    try? judge.apply(decoded, meta, site: &site, facts: &memory)
    memory.site = site
    state.site = site
    state.rebuilt = memory
  }

  /// Judges one event against the site's facts and returns its flags as JSON objects.
  public func review(
    _ event: ProposedEvent, index: Int, stream: String, state: inout State,
    context: ReviewContext
  ) throws(EventStoreError) -> [JSONValue] {
    func reject(_ field: String, _ rule: String, _ limit: String) -> EventStoreError {
      .rejected(
        index: index, eventId: event.eventId, type: event.type, field: field, rule: rule,
        limit: limit)
    }
    guard let siteId = Self.siteId(fromStream: stream) else {
      throw reject(
        "streamId", InventoryRule.streamName.rawValue, InventoryRule.streamName.sentence(settings))
    }
    guard let occurredAt = ClinicalTime(event.occurredAt) else {
      throw reject(
        "occurredAt", "decode.field.invalidFormat", "an RFC 3339 date-time with an offset")
    }
    let meta = EventMeta(
      eventId: event.eventId, occurredAt: occurredAt, recorderId: event.recordedBy.id)
    let judge = InventoryJudge(settings: settings) { id in
      try context.storedRecord(id).flatMap(StoredDose.init)
    }
    do {
      let decoded = try InventoryEvent.decode(
        type: event.type, schemaVersion: event.schemaVersion, value: event.data)
      var facts = ContextFacts(context: context)
      if let rebuilt = state.rebuilt {
        // The stream's state was rebuilt from its events: its facts go with this event.
        for record in rebuilt.containers.values { facts.put(record) }
        for (dose, withdrawal) in rebuilt.withdrawals {
          facts.putWithdrawal(withdrawal, forDose: dose)
        }
      }
      let flags = try judge.check(decoded, meta, site: state.site, siteId: siteId, facts: facts)
      var site = state.site
      try judge.apply(decoded, meta, site: &site, facts: &facts)
      state.site = site
      state.rebuilt = nil
      return flags.map { flag in
        .object([
          "code": .string(flag.code), "field": .string(flag.field), "rule": .string(flag.rule),
          "protocolVersion": .string(flag.protocolVersion),
        ])
      }
    } catch let error as ClinicalValidationError {
      throw reject(error.field, error.rule, error.limit)
    } catch InventoryRefusal.rule(let error) {
      throw reject(error.field, error.rule, error.limit)
    } catch InventoryRefusal.store(let error) {
      throw error
    } catch let error as EventStoreError {
      throw error
    } catch {
      throw .incompatibleStore(reason: "a container fact of stream '\(stream)' does not decode")
    }
  }
}
