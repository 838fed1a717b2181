@_exported import ControlledSubstances
import Foundation
@_exported import LedgerAudit
@_exported import LedgerEventStore
@_exported import LedgerFoundation
import LedgerLMDB
import Logging
@_exported import TreatmentRecords

/// A treatment record store: the event store with the clinical rules switched on.
///
/// ```swift
/// let ledger = try Ledger.open(Ledger.Configuration(path: "/var/lib/clinic/ledger"))
/// let vitals = VitalsRecorded(sessionId: "s-1", timepoint: .during, heartRateBpm: 72)
/// try await ledger.record(
///   .vitalsRecorded(vitals), patient: "7f3a",
///   occurredAt: try ClinicalTime(validating: "2026-11-04T10:15:00-05:00"), by: nurse)
/// ```
///
/// Every append to a `patient-<id>` stream, through this type or through ``store``, is validated
/// by `ClinicalReviewer` in the append's own transaction, and every append to an
/// `inventory-<site>` stream (the controlled-substance log, docs/DEA.md) by `InventoryReviewer`
/// (both through ``LedgerReviewer``).
public final class Ledger: Sendable {
  /// How to open a ledger.
  ///
  /// ```swift
  /// var configuration = Ledger.Configuration(path: "/var/lib/clinic/ledger", logger: logger)
  /// configuration.clinicalProtocol = try ClinicalProtocol.load(from: protocolFile)
  /// configuration.initialMapSize = 1 << 30
  /// let ledger = try Ledger.open(configuration)
  /// ```
  public struct Configuration: Sendable {
    /// The store's directory.
    public var path: String
    /// The clinic's soft-alert thresholds (docs/CLINICAL-RULES.md defaults unless set).
    public var clinicalProtocol: ClinicalProtocol
    /// The controlled-substance log's settings (docs/DEA.md defaults unless set).
    public var inventoryProtocol = InventoryProtocol()
    /// Open without the right to append.
    public var readOnly: Bool
    /// Create the store when the path holds none.
    public var createIfMissing: Bool
    /// The caller's logger. When nil, the ledger logs through swift-log's task-local
    /// `Logger.current` of the task that opens it; the library never configures logging.
    public var logger: Logger?
    /// Where to keep the chain anchor after every commit (see `EventStore.Options.anchorFile`).
    public var anchorFile: String?
    /// Commit durability. Leave at `.durable` for clinical data: every append is on disk when it
    /// returns. The other settings are for tests and benchmarks only.
    public var durability: Environment.Durability = .durable
    /// The LMDB map size to start with, in bytes; the map grows on demand (default 64 MiB).
    public var initialMapSize: Int = 64 << 20
    /// Most events one group commit writes (default 20,000).
    public var maximumEventsPerCommit: Int = 20_000
    /// Projections of the service's own, kept beside the ledger's `patient-timeline` and
    /// `course-summary` (names must differ from those).
    public var extraProjections: [any ProjectionDefinition] = []
    /// The clinic's key-encryption key, which wraps every patient's data key (a KMS or HSM
    /// implements `KeyProvider`). When nil, the key file ``keyFile`` is used.
    public var keyProvider: (any KeyProvider)?
    /// The key file used when ``keyProvider`` is nil; nil means `<path>.kek`, beside the store's
    /// directory (`KeyFile.defaultPath(forStore:)`). Opening creates it (mode 0600) together
    /// with a new store; for an existing store it must exist, except for a read-only handle,
    /// which then verifies and exports but cannot read patient data.
    public var keyFile: String?
    /// The clock that stamps `recordedAt`, in microseconds since the epoch (see
    /// `EventStore.Options.clock`); nil for the system clock. For tests that need the same
    /// recorded times on every run; `migrate` replays the old commit times through it.
    public var clock: (@Sendable () -> Int64)?
    /// False only to make stores of the format before sealing for migration tests.
    package var sealsPatientData = true

    /// Creates a configuration with default protocol, read-write, creating the store if missing.
    public init(
      path: String, clinicalProtocol: ClinicalProtocol = ClinicalProtocol(), readOnly: Bool = false,
      createIfMissing: Bool = true, logger: Logger? = nil, anchorFile: String? = nil
    ) {
      self.anchorFile = anchorFile
      self.path = path
      self.clinicalProtocol = clinicalProtocol
      self.readOnly = readOnly
      self.createIfMissing = createIfMissing
      self.logger = logger
    }
  }

  /// The underlying event store (reads, subscriptions, verification, raw appends).
  public let store: EventStore
  /// The protocol in force for this ledger's appends.
  public let clinicalProtocol: ClinicalProtocol
  /// The controlled-substance settings in force for this ledger's appends.
  public let inventoryProtocol: InventoryProtocol

  private init(
    store: EventStore, clinicalProtocol: ClinicalProtocol, inventoryProtocol: InventoryProtocol
  ) {
    self.store = store
    self.clinicalProtocol = clinicalProtocol
    self.inventoryProtocol = inventoryProtocol
  }

  /// Opens the ledger described by `configuration`.
  ///
  /// - Throws: ``LedgerError`` (`.storeNotFound` when there is no store and none may be created,
  ///   `.needsOperator` for damaged or foreign files, `.storage` for the disk).
  public static func open(_ configuration: Configuration) throws(LedgerError) -> Ledger {
    var options = EventStore.Options()
    options.readOnly = configuration.readOnly
    options.createIfMissing = configuration.createIfMissing
    options.reviewer = LedgerReviewer(
      clinical: ClinicalReviewer(protocol: configuration.clinicalProtocol),
      inventory: InventoryReviewer(settings: configuration.inventoryProtocol))
    options.projections =
      [PatientTimelineProjection(), CourseSummaryProjection()] + configuration.extraProjections
    options.anchorFile = configuration.anchorFile
    options.durability = configuration.durability
    options.initialMapSize = configuration.initialMapSize
    options.maximumEventsPerCommit = configuration.maximumEventsPerCommit
    if let clock = configuration.clock { options.clock = clock }
    do {
      if configuration.sealsPatientData {
        options.sealing = try keyProvider(configuration).map {
          Sealing(streamPrefixes: [ClinicalReviewer.patientStreamPrefix], keyProvider: $0)
        }
      }
      var store = try EventStore.open(
        at: configuration.path, options: options, logger: configuration.logger)
      if options.sealing == nil && !configuration.readOnly && configuration.sealsPatientData {
        // An existing store and no key file: refused when the store seals; a store written
        // before sealing (or by a plain EventStore) gets a new key file and is sealed from now on.
        options.sealing = try sealingForUnsealedStore(store, configuration)
        store = try EventStore.open(
          at: configuration.path, options: options, logger: configuration.logger)
      }
      return Ledger(
        store: store, clinicalProtocol: configuration.clinicalProtocol,
        inventoryProtocol: configuration.inventoryProtocol)
    } catch {
      throw LedgerError(error)
    }
  }

  /// Closes `store` (opened without a key) and gives the sealing to reopen it with: throws
  /// `.keyUnavailable` when the store seals (a writable ledger never runs without the key of a
  /// store that seals; read-only handles still verify and export), else creates the key file.
  private static func sealingForUnsealedStore(
    _ store: EventStore, _ configuration: Configuration
  ) throws(EventStoreError) -> Sealing {
    let prefixes: [String]
    do { prefixes = try store.sealedStreamPrefixes() } catch {
      store.close()
      throw error
    }
    store.close()
    let path = configuration.keyFile ?? KeyFile.defaultPath(forStore: configuration.path)
    do {
      let keyFile = prefixes.isEmpty ? try KeyFile.openOrCreate(at: path) : try KeyFile(path: path)
      return Sealing(streamPrefixes: [ClinicalReviewer.patientStreamPrefix], keyProvider: keyFile)
    } catch {
      throw .keyUnavailable(reason: error.reason)
    }
  }

  /// The configured key provider, or the key file: read when it exists, created with a new store;
  /// nil (no sealing) when there is none for an existing store: the caller then refuses a
  /// writable handle of a store that seals, and a read-only one verifies and exports.
  private static func keyProvider(
    _ configuration: Configuration
  ) throws(EventStoreError) -> (any KeyProvider)? {
    if let provider = configuration.keyProvider { return provider }
    let path = configuration.keyFile ?? KeyFile.defaultPath(forStore: configuration.path)
    do {
      if FileManager.default.fileExists(atPath: path) { return try KeyFile(path: path) }
      let storeExists = FileManager.default.fileExists(atPath: configuration.path + "/data.mdb")
      if storeExists || configuration.readOnly || !configuration.createIfMissing { return nil }
      return try KeyFile.openOrCreate(at: path)
    } catch {
      throw .keyUnavailable(reason: error.reason)
    }
  }

  /// Closes the store; pending appends finish first.
  public func close() { store.close() }

  /// The stream name of a patient: `patient-<id>`.
  public static func stream(forPatient patientId: String) -> String {
    ClinicalReviewer.patientStreamPrefix + patientId
  }

  /// Records one clinical event in the patient's stream, validated and durable when it returns.
  ///
  /// - Throws: `.rejected` for a hard limit (naming the field, rule and limit), or any other
  ///   `EventStoreError` of an append.
  @available(
    *, deprecated, message: "use record(_:patient:occurredAt:by:), which takes a ClinicalTime"
  )
  @discardableResult
  public func record(
    _ event: ClinicalEvent, patientId: String, occurredAt: String, recordedBy: Recorder,
    eventId: UUID = UUID(), expectedVersion: ExpectedVersion = .any, correlationId: UUID? = nil,
    causationId: UUID? = nil
  ) async throws(EventStoreError) -> AppendResult {
    let proposed = try Self.proposed(
      event, occurredAt: occurredAt, recordedBy: recordedBy, eventId: eventId,
      correlationId: correlationId, causationId: causationId)
    return try await store.append(
      [proposed], to: Self.stream(forPatient: patientId), expectedVersion: expectedVersion)
  }

  // MARK: Reading and following

  /// Every event from global position `position` on, then each new one as it is committed (by
  /// this process or another). Ends when the task is cancelled or the ledger closes.
  public func events(from position: UInt64 = 0) -> EventSubscription {
    store.subscribe(from: position)
  }

  /// Flagged events (soft alerts) from `position` on, then live. Each element is the stored
  /// event; its `flags` are JSON objects (`code`, `field`, `rule`, `protocolVersion`) that
  /// `ClinicalFlag(json:)` turns into typed flags. For alerting services (see
  /// `Tools/alert-monitor`).
  @available(*, deprecated, renamed: "flaggedEvents(from:until:)")
  public func flags(from position: UInt64 = 0) -> AsyncFilterSequence<EventSubscription> {
    store.subscribe(from: position).filter { !$0.flags.isEmpty }
  }

  /// The position the next event will get: subscribe from here to follow only new events.
  public func nextPosition() throws(LedgerError) -> UInt64 {
    do { return try store.nextPosition() } catch { throw LedgerError(error) }
  }

  /// Verifies the whole log (hashes, both chains, indexes), and the anchor when given.
  public func verify(anchor: ChainAnchor? = nil) throws(LedgerError) -> VerificationReport {
    do { return try store.verify(anchor: anchor) } catch { throw LedgerError(error) }
  }

  // MARK: Projections

  /// The projections this ledger keeps: `patient-timeline` and `course-summary`.
  public var projectionNames: [String] { store.projectionNames }

  /// The patient's timeline in clinical order, optionally as the record showed it at recorded
  /// time `asOf` (RFC 3339 with an offset). An unknown patient has an empty timeline.
  @available(*, deprecated, message: "use timeline(of:asOf:), which takes a ClinicalTime")
  public func timeline(patientId: String, asOf: String? = nil) throws(EventStoreError)
    -> PatientTimeline
  {
    let projection = PatientTimelineProjection()
    let stream = Self.stream(forPatient: patientId)
    let timeline =
      try store.projectionState(projection, stream: stream)
      ?? projection.initialState(stream: stream)
    guard let asOf else { return timeline }
    guard let micros = Timestamp.parseMicros(asOf) else {
      throw .invalidEvent(
        index: 0, eventId: nil, field: "asOf",
        reason: "must be an RFC 3339 date-time with an offset")
    }
    return timeline.asOf(Timestamp.format(micros: micros))
  }

  /// The patient's course summaries and follow-ups; `now` decides which follow-ups are overdue.
  @available(*, deprecated, renamed: "summary(of:now:)")
  public func summary(patientId: String, now: Date = Date()) throws(EventStoreError)
    -> PatientSummary
  {
    let projection = CourseSummaryProjection()
    let stream = Self.stream(forPatient: patientId)
    let state =
      try store.projectionState(projection, stream: stream)
      ?? projection.initialState(stream: stream)
    return state.summary(now: now)
  }

  /// The store-level event for a typed clinical event.
  public static func proposed(
    _ event: ClinicalEvent, occurredAt: String, recordedBy: Recorder, eventId: UUID = UUID(),
    correlationId: UUID? = nil, causationId: UUID? = nil
  ) throws(EventStoreError) -> ProposedEvent {
    let data: JSONValue
    do {
      data = try JSONValue.parse(try event.jsonData())
    } catch let error as ClinicalValidationError {
      throw .rejected(
        index: 0, eventId: eventId, type: event.eventType, field: error.field, rule: error.rule,
        limit: error.limit)
    } catch let error as EventStoreError {
      throw error
    } catch {
      throw .malformedJSON(reason: "the event could not be encoded")
    }
    return ProposedEvent(
      eventId: eventId, type: event.eventType, schemaVersion: event.schemaVersion,
      occurredAt: occurredAt, recordedBy: recordedBy, data: data, correlationId: correlationId,
      causationId: causationId)
  }
}
