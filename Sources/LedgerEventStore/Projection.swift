import Foundation
import LedgerFoundation
import LedgerLMDB

/// A projection: derived, per-stream state folded from the log, kept in LMDB beside the events.
///
/// - **Inline**: while a projection is current, every append updates its state in the append's
///   own write transaction, together with its checkpoint, so a reader sees its own writes and
///   state and checkpoint can never disagree.
/// - **Catch-up**: a projection added to a store that already has events, or one that fell
///   behind, follows the log from its checkpoint in bounded transactions
///   (``EventStore/catchUp(projection:)``) until it reaches the head, then goes inline.
/// - **Versioned**: ``version`` is the code's version. When the stored state was made by another
///   version it is *stale*: it is not updated and reads of it throw
///   ``EventStoreError/projectionStale(name:storedVersion:codeVersion:)`` until it is rebuilt
///   (``EventStore/rebuild(projection:replaceDiffering:progress:)``). Stale state is never served silently.
///
/// The law every projection must keep: applying events one append at a time gives byte for byte
/// the same state as a rebuild from the log.
public protocol StreamProjection: ProjectionDefinition {
  /// The per-stream state. It must have value semantics (a struct or enum of values): the store
  /// keeps recently folded states in memory and hands out copies.
  associatedtype State

  /// A stable name, such as `patient-timeline`.
  var name: String { get }
  /// The code's version: change it whenever the state's shape or meaning changes.
  var version: Int { get }

  /// True for the streams this projection folds.
  func includes(stream: String) -> Bool
  /// The state of a stream before its first event.
  func initialState(stream: String) -> State
  /// Folds one event of the stream into the state.
  func apply(_ event: RecordedEvent, to state: inout State) throws(EventStoreError)
  /// Encodes the state for storage; equal states must give equal bytes.
  func encode(_ state: State) -> [UInt8]
  /// Decodes stored state.
  func decode(_ bytes: [UInt8], stream: String) throws(EventStoreError) -> State
}

/// Where a projection stands.
public struct ProjectionStatus: Sendable, Hashable, Codable {
  /// The projection's name.
  public var name: String
  /// The version of the stored state (nil before the projection first ran).
  public var storedVersion: Int?
  /// The version of the code.
  public var codeVersion: Int
  /// The global position up to which (exclusive) the state has folded the log.
  public var checkpoint: UInt64
  /// The log's next position when the status was read.
  public var head: UInt64
  /// True when the stored state was made by another version of the code.
  public var isStale: Bool { storedVersion != nil && storedVersion != codeVersion }
  /// True when the state has folded every event.
  public var isCurrent: Bool { !isStale && storedVersion != nil && checkpoint == head }
}

/// The outcome of a rebuild.
public struct RebuildReport: Sendable, Hashable, Codable {
  /// The projection rebuilt.
  public var projection: String
  /// Events read from the log.
  public var eventsRead: UInt64
  /// Streams whose state was rebuilt.
  public var streams: Int
  /// Streams whose rebuilt state differs from the live state it replaced (a non-empty list after
  /// a rebuild of the same version means the live state had drifted).
  public var differingStreams: [String]
  /// Streams present on one side only.
  public var missingStreams: [String]
  /// The version of the replaced live state (nil when there was none).
  public var replacedVersion: Int?
  /// Wall-clock seconds.
  public var seconds: Double
  /// True when the rebuilt state was made live. False when it differed from a live state of the
  /// same version and the caller did not ask to replace differing state: the live state was
  /// kept, and ``differingStreams`` and ``missingStreams`` say where they differ.
  public var replaced: Bool = true
}

/// Stored bookkeeping of one projection (`projection-meta`, JSON).
struct ProjectionMeta: Codable, Equatable {
  /// Version of the live state.
  var version: Int
  /// Slot (0 or 1) holding the live state.
  var slot: UInt8
  /// Next global position the live state has not folded.
  var checkpoint: UInt64

  /// The stored JSON, byte for byte what `JSONEncoder` with sorted keys writes:
  /// `{"checkpoint":N,"slot":S,"version":V}`. Read and written in every append, so without
  /// Foundation's coders.
  var json: [UInt8] {
    Array("{\"checkpoint\":\(checkpoint),\"slot\":\(slot),\"version\":\(version)}".utf8)
  }

  init(version: Int, slot: UInt8, checkpoint: UInt64) {
    self.version = version
    self.slot = slot
    self.checkpoint = checkpoint
  }

  /// Reads the stored JSON with the store's own parser when every member is an integer a double
  /// holds exactly; nil otherwise (the caller then uses `JSONDecoder`).
  init?(quickJSON bytes: [UInt8]) {
    guard case .object(let members)? = try? JSONValue.parse(bytes),
      let checkpoint = Self.integer(members["checkpoint"]), checkpoint >= 0,
      let slot = Self.integer(members["slot"]), (0...255).contains(slot),
      let version = Self.integer(members["version"])
    else { return nil }
    self.init(version: Int(version), slot: UInt8(slot), checkpoint: UInt64(checkpoint))
  }

  private static func integer(_ value: JSONValue?) -> Int64? {
    guard let number = value?.numberValue, number == number.rounded(),
      number.magnitude < 9_007_199_254_740_992
    else { return nil }
    return Int64(number)
  }
}

/// A registered projection, type-erased for storage in the store.
struct ProjectionHandle: Sendable {
  let name: String
  let version: Int
  let includes: @Sendable (String) -> Bool
  /// Folds `events` (all of the records' stream, in log order) into the stream's records.
  let fold: @Sendable (ProjectionRecords, [RecordedEvent]) throws -> Void
  /// The type of the registered projection.
  let projectionType: Any.Type
  /// True for a ``KeyedStreamProjection`` (many records per stream), false for a
  /// ``StreamProjection`` (one whole-state record).
  let isKeyed: Bool
  /// Its ``DecodedStateCache`` (of `projectionType.State`): for a ``StreamProjection`` shared by
  /// folds and reads, for a ``KeyedStreamProjection`` of the states reads assembled.
  let cache: (AnyObject & Sendable)?

  /// The handle of `definition`, or nil when it is neither kind of projection.
  static func make(_ definition: any ProjectionDefinition) -> ProjectionHandle? {
    if let whole = definition as? any StreamProjection { return ProjectionHandle(whole) }
    if let keyed = definition as? any KeyedStreamProjection {
      return ProjectionHandle(keyed: keyed)
    }
    return nil
  }

  /// The handles of `definitions`; throws `.incompatibleStore` for a definition of neither kind,
  /// or names that are empty, hold a 0x00 byte or are given twice.
  static func handles(
    of definitions: [any ProjectionDefinition]
  ) throws(EventStoreError) -> [ProjectionHandle] {
    var handles: [ProjectionHandle] = []
    for definition in definitions {
      guard let handle = make(definition) else {
        throw .incompatibleStore(
          reason: "a projection must be a StreamProjection or a KeyedStreamProjection")
      }
      handles.append(handle)
    }
    let names = handles.map(\.name)
    guard Set(names).count == names.count, names.allSatisfy({ !$0.isEmpty && !$0.utf8.contains(0) })
    else {
      throw .incompatibleStore(reason: "projection names must be unique and non-empty")
    }
    return handles
  }

  init<P: StreamProjection>(_ projection: P) {
    name = projection.name
    version = projection.version
    includes = { projection.includes(stream: $0) }
    projectionType = P.self
    isKeyed = false
    let cache = DecodedStateCache<P.State>()
    self.cache = cache
    fold = { records, events in
      let stream = records.stream
      var state: P.State
      if let bytes = try records.wholeState() {
        state =
          try cache.take(stream: stream, storedBytes: bytes)
          ?? projection.decode(bytes, stream: stream)
      } else {
        state = projection.initialState(stream: stream)
      }
      for event in events {
        do { try projection.apply(event, to: &state) } catch {
          throw EventStoreError.projectionFailed(
            name: projection.name, position: event.globalPosition, reason: "\(error)")
        }
      }
      let encoded = projection.encode(state)
      try records.setWholeState(encoded)
      cache.store(stream: stream, bytes: encoded, state: state)
    }
  }

  init<P: KeyedStreamProjection>(keyed projection: P) {
    name = projection.name
    version = projection.version
    includes = { projection.includes(stream: $0) }
    projectionType = P.self
    isKeyed = true
    cache = DecodedStateCache<P.State>()
    fold = { records, events in
      for event in events {
        do { try projection.apply(event, to: records) } catch let error
          where LMDBError.isMapFull(error)
        {
          throw error  // the transaction's, not the projection's: the map grows and it runs again
        } catch {
          throw EventStoreError.projectionFailed(
            name: projection.name, position: event.globalPosition, reason: "\(error)")
        }
      }
    }
  }
}

extension Layout {
  static func projectionMetaKey(_ name: String) -> [UInt8] { Array(name.utf8) }

  /// `projection-state` key: name, 0x00, slot byte, stream name.
  static func projectionStateKey(_ name: String, slot: UInt8, stream: String) -> [UInt8] {
    Array(name.utf8) + [0, slot] + Array(stream.utf8)
  }

  static func projectionSlotPrefix(_ name: String, slot: UInt8) -> [UInt8] {
    Array(name.utf8) + [0, slot]
  }

  func projectionMeta(_ txn: Transaction, _ name: String) throws -> ProjectionMeta? {
    guard let bytes = try txn.get(projectionMeta, Self.projectionMetaKey(name)) else { return nil }
    if let meta = ProjectionMeta(quickJSON: bytes) { return meta }
    do {
      return try JSONDecoder().decode(ProjectionMeta.self, from: Data(bytes))
    } catch {
      throw EventStoreError.incompatibleStore(
        reason: "projection-meta of '\(name)' does not decode")
    }
  }

  func putProjectionMeta(_ txn: WriteTransaction, _ name: String, _ meta: ProjectionMeta) throws {
    try txn.put(projectionMeta, Self.projectionMetaKey(name), meta.json)
  }
}
