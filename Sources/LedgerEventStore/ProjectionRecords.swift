import Foundation
import LedgerFoundation
import LedgerLMDB

/// What every projection states: its name, its version and the streams it folds. Register
/// projections of either kind (``StreamProjection``, ``KeyedStreamProjection``) with
/// ``EventStore/Options/projections``.
public protocol ProjectionDefinition: Sendable {
  /// A stable name, such as `patient-timeline`.
  var name: String { get }
  /// The code's version: change it whenever the stored shape or meaning changes.
  var version: Int { get }
  /// True for the streams this projection folds.
  func includes(stream: String) -> Bool
}

/// A projection whose per-stream state is stored as many small records, so that folding one
/// event reads and writes only the records it touches: the cost of an append does not grow with
/// the stream's history (a ``StreamProjection`` rewrites its whole state instead).
///
/// Records are keyed within the stream (keys sort as bytes; 1–400 bytes; they must never hold
/// patient data values: positions, times, versions and ids are fine). The law of projections
/// holds per record: applying events one append at a time leaves exactly the records a rebuild
/// from the log leaves.
///
/// ```swift
/// struct EventList: KeyedStreamProjection {
///   let name = "event-list"
///   let version = 1
///   func includes(stream: String) -> Bool { true }
///   func apply(_ event: RecordedEvent, to records: ProjectionRecords) throws(EventStoreError) {
///     try records.setRecord(ProjectionRecords.key(event.globalPosition), Array(event.type.utf8))
///   }
///   func state(stream: String, records: [ProjectionRecord]) -> [String] {
///     records.map { String(decoding: $0.value, as: UTF8.self) }
///   }
/// }
/// ```
public protocol KeyedStreamProjection: ProjectionDefinition {
  /// What a read assembles from a stream's records.
  associatedtype State
  /// Folds one event of the stream into its records.
  func apply(_ event: RecordedEvent, to records: ProjectionRecords) throws(EventStoreError)
  /// The state of a stream with at least one record, from its records in key order.
  func state(stream: String, records: [ProjectionRecord]) throws(EventStoreError) -> State
}

/// One stored record of a ``KeyedStreamProjection``: its key within the stream and its value.
public struct ProjectionRecord: Sendable, Hashable {
  /// The key within the stream.
  public var key: [UInt8]
  /// The value.
  public var value: [UInt8]

  /// A record of `value` under `key`.
  public init(key: [UInt8], value: [UInt8]) {
    self.key = key
    self.value = value
  }
}

/// The records of one stream's state of a projection during one fold: read and written in the
/// fold's transaction (an append, a catch-up or rebuild batch), or kept in memory when the state
/// is recomputed for comparison (``EventStore/verifyDerived(stream:)``, a per-stream rebuild, a
/// read-only handle). Valid only during the fold.
public final class ProjectionRecords {
  /// The stream folded.
  public let stream: String
  private let txn: Transaction
  private let store: EventStore
  /// `projection-state` key of the whole-state record: name, 0x00, slot, stream.
  private let base: [UInt8]
  /// Where writes go: the store (in `txn`, a write transaction) or memory.
  private let writable: WriteTransaction?
  private(set) var memory: [[UInt8]: [UInt8]] = [:]
  /// The stream's data keys as read in `txn` (sealed stores), shared with the rest of the batch.
  private let keys: StreamKeys?
  /// Where a rebuild tallies the records written to the slot it builds, if it does.
  private let tally: SlotTally?
  /// The plain values read and written in this fold so far, by key suffix: a record read again
  /// (such as a course's summary, read and rewritten for each of its events) is not opened
  /// again, and an overwrite tallies the value it replaces without opening it. Only this fold
  /// writes the stream's records in this slot while it runs, in this one transaction.
  private var plain: [[UInt8]: [UInt8]] = [:]
  /// While tallying, the records written in this fold, by key suffix, with the value each held
  /// before the fold's first write to it (nil for a new record): ``finishTally()`` digests each
  /// once, however often the fold rewrote it (a course's summary, once per event).
  private var replaced: [[UInt8]: [UInt8]?] = [:]

  /// Records of `stream` in `slot`, stored in `txn`; `keys` is the stream's memo of data keys
  /// in `txn`, if the caller keeps one; `tally`, when given, learns every record written.
  init(
    stream: String, name: String, slot: UInt8, store: EventStore, txn: WriteTransaction,
    keys: StreamKeys? = nil, tally: SlotTally? = nil
  ) {
    self.stream = stream
    self.txn = txn
    self.store = store
    self.writable = txn
    self.keys = keys
    self.tally = tally
    base = Layout.projectionStateKey(name, slot: slot, stream: stream)
  }

  /// Records of `stream` kept in memory, starting empty; `txn` serves event lookups.
  init(inMemory stream: String, name: String, store: EventStore, txn: Transaction) {
    self.stream = stream
    self.txn = txn
    self.store = store
    self.writable = nil
    self.keys = nil
    self.tally = nil
    base = Layout.projectionStateKey(name, slot: 0, stream: stream)
  }

  /// A record key made of big-endian integers (which sort numerically).
  public static func key(_ parts: UInt64...) -> [UInt8] {
    var key: [UInt8] = []
    key.reserveCapacity(parts.count * 8)
    for part in parts { key += part.bigEndianBytes }
    return key
  }

  /// A signed integer as 8 bytes that sort in numeric order (the sign bit flipped, big-endian).
  public static func sortable(_ value: Int64) -> UInt64 {
    UInt64(bitPattern: value) ^ 0x8000_0000_0000_0000
  }

  /// The value of record `key`, or nil.
  public func record(_ key: [UInt8]) throws(EventStoreError) -> [UInt8]? {
    try Self.checked(key)
    return try stored([0] + key)
  }

  /// Sets record `key` to `value`.
  public func setRecord(_ key: [UInt8], _ value: [UInt8]) throws(EventStoreError) {
    try Self.checked(key)
    try store([0] + key, value)
  }

  /// The stored event with id `eventId` (also one written earlier in the same transaction),
  /// found through the store's event-id index, or nil.
  public func storedEvent(_ eventId: UUID) throws(EventStoreError) -> RecordedEvent? {
    try EventStore.mapping("projection lookup") {
      guard let bytes = try txn.get(store.layout.eventIds, Layout.eventIdKey(eventId)),
        let position = UInt64(bigEndianBytes: bytes)
      else { return nil }
      return try store.event(at: position, txn)
    }
  }

  /// Tells the tally (a rebuild's) what this fold changed: each record written, digested once
  /// with its final value, less the value it held before the fold.
  func finishTally() {
    guard let tally else { return }
    for (suffix, previous) in replaced {
      guard let value = plain[suffix] else { continue }
      tally.wrote(
        stream: stream, value: .of(suffix: suffix, value: value),
        previous: previous.map { .of(suffix: suffix, value: $0) })
    }
    replaced = [:]
  }

  /// The whole-state record of a ``StreamProjection``.
  func wholeState() throws(EventStoreError) -> [UInt8]? { try stored([]) }

  /// Sets the whole-state record of a ``StreamProjection``.
  func setWholeState(_ value: [UInt8]) throws(EventStoreError) { try store([], value) }

  private static func checked(_ key: [UInt8]) throws(EventStoreError) {
    guard (1...400).contains(key.count) else {
      throw .incompatibleStore(reason: "a projection record key must be 1 to 400 bytes")
    }
  }

  private func stored(_ suffix: [UInt8]) throws(EventStoreError) -> [UInt8]? {
    guard let writable else { return memory[suffix] }
    if let known = plain[suffix] { return known }
    let key = base + suffix
    let value: [UInt8]? = try EventStore.mapping("projection record") {
      guard let value = try writable.get(store.layout.projectionState, key) else { return nil }
      return try store.derivedSealer.open(
        value, stream: stream, database: "projection-state", key: key, in: writable, keys: keys)
    }
    if let value { plain[suffix] = value }
    return value
  }

  private func store(_ suffix: [UInt8], _ value: [UInt8]) throws(EventStoreError) {
    guard let writable else {
      memory[suffix] = value
      return
    }
    let key = base + suffix
    if tally != nil, replaced[suffix] == nil {
      // The value before this fold: as read in this fold, or opened once.
      replaced[suffix] = .some(try stored(suffix))
    }
    plain[suffix] = value
    try EventStore.mapping("projection record") {
      let sealed = try store.derivedSealer.seal(
        value, stream: stream, database: "projection-state", key: key, in: writable, keys: keys)
      try writable.put(store.layout.projectionState, key, sealed)
    }
  }
}

extension EventStore {
  /// Runs `body`, mapping what it throws to ``EventStoreError``.
  static func mapping<R>(_ operation: String, _ body: () throws -> R) throws(EventStoreError) -> R {
    do { return try body() } catch let error as EventStoreError { throw error } catch let
      error as LMDBError
    {
      throw error.code == .environmentClosed ? .closed : .storage(error)
    } catch {
      throw .storage(LMDBError(.other(-1), operation: operation))
    }
  }

  /// The database keys of `stream`'s records of projection `name` in `slot` (the whole-state
  /// record's and the keyed records'), unopened: what a replacement or an erasure deletes, damaged
  /// or not.
  func storedRecordKeys(
    _ name: String, slot: UInt8, stream: String, _ txn: Transaction
  ) throws -> [[UInt8]] {
    let base = Layout.projectionStateKey(name, slot: slot, stream: stream)
    return try txn.withCursor(layout.projectionState) { cursor in
      var keys: [[UInt8]] = []
      var entry = try cursor.seek(atLeast: base)
      while let current = entry, current.key.starts(with: base) {
        // "patient-1" is a prefix of "patient-10": only the key itself or base + 0x00 + key.
        if current.key.count == base.count || current.key[base.count] == 0 {
          keys.append(current.key)
        }
        entry = try cursor.next()
      }
      return keys
    }
  }

  /// ``storedRecords(_:slot:stream:_:)``, or nil when one of them does not open (a damaged sealed
  /// value): such a stream's state differs from anything its events give.
  func storedRecordsIfIntact(
    _ name: String, slot: UInt8, stream: String, _ txn: Transaction
  ) throws -> [ProjectionRecord]? {
    do {
      return try storedRecords(name, slot: slot, stream: stream, txn)
    } catch EventStoreError.incompatibleStore {
      return nil
    }
  }

  /// The stored records of `stream` of projection `name` in `slot`, opened, in key order: the
  /// whole-state record under the empty key, then the keyed records (their keys without the
  /// 0x00 separator).
  func storedRecords(
    _ name: String, slot: UInt8, stream: String, _ txn: Transaction
  ) throws -> [ProjectionRecord] {
    let base = Layout.projectionStateKey(name, slot: slot, stream: stream)
    return try txn.withCursor(layout.projectionState) { cursor in
      var records: [ProjectionRecord] = []
      var entry = try cursor.seek(atLeast: base)
      while let current = entry, current.key.starts(with: base) {
        // "patient-1" is a prefix of "patient-10": only the key itself or base + 0x00 + key.
        if current.key.count == base.count || current.key[base.count] == 0 {
          let value = try derivedSealer.open(
            current.value, stream: stream, database: "projection-state", key: current.key,
            in: txn)
          let suffix =
            current.key.count == base.count ? [] : Array(current.key[(base.count + 1)...])
          records.append(ProjectionRecord(key: suffix, value: value))
        } else if current.key[base.count] > 0 {
          break
        }
        entry = try cursor.next()
      }
      return records
    }
  }

  /// The records `handle` leaves for `events` (all of `stream`, in log order) folded from
  /// nothing, in memory, in key order (the whole-state record under the empty key).
  func foldedRecords(
    _ handle: ProjectionHandle, stream: String, events: [RecordedEvent], _ txn: Transaction
  ) throws -> [ProjectionRecord] {
    let records = ProjectionRecords(inMemory: stream, name: handle.name, store: self, txn: txn)
    try handle.fold(records, events)
    // Memory holds the key suffixes as stored: empty (whole state) or 0x00 and the record key.
    return records.memory.map { ProjectionRecord(key: Array($0.key.dropFirst()), value: $0.value) }
      .sorted { $0.key.lexicographicallyPrecedes($1.key) }
  }
}
