import Foundation
import LedgerEventStore

/// What ``Ledger/migrate(from:to:by:)`` copied, and the two chain heads an auditor links.
public struct MigrationReport: Sendable, Hashable, Codable {
  /// The format of the store that was copied (`treatment-ledger-1`).
  public var previousFormat: String
  /// Its number of events.
  public var events: UInt64
  /// Its chain head (64 hex digits): recorded in the new store's `StoreMigrated` event.
  public var previousChainHead: String
  /// The global position of the `StoreMigrated` event in the new store (= `events`).
  public var migrationPosition: UInt64
  /// The new store's chain head after the migration.
  public var chainHead: String
}

/// Replays the recorded times of the copied commits (`recordedAt` is kept across a migration).
/// `@unchecked Sendable`: `micros` is only touched while holding `lock`.
private final class ReplayClock: @unchecked Sendable {
  private let lock = NSLock()
  private var micros: Int64 = 0
  func set(_ value: Int64) { lock.withLock { micros = value } }
  func read() -> Int64 { lock.withLock { micros } }
}

extension Ledger {
  /// Copies the `treatment-ledger-1` store at `oldPath` into a new, sealed store described by
  /// `configuration` (which must not exist yet; its key file is created as for any new store).
  ///
  /// Every event keeps its id, stream, positions, `occurredAt`, `recordedAt`, recorder and data;
  /// the clinical rules judge each again in log order (so derived state is rebuilt and a store
  /// the rules would refuse today is reported, never copied half). Patient data is sealed as it
  /// is written. The old chain is checked as it is read (each hash and link). Last, a
  /// `StoreMigrated` event in the `$migration` stream records the old format, event count and
  /// chain head, so an auditor can link both chains; the new store is then verified.
  ///
  /// - Throws: ``LedgerError`` naming the position of an event that does not verify or is refused.
  public static func migrate(
    from oldPath: String, to configuration: Configuration, by operatorRecorder: Recorder
  ) async throws(LedgerError) -> MigrationReport {
    guard !FileManager.default.fileExists(atPath: configuration.path + "/data.mdb") else {
      throw LedgerError(
        .incompatibleStore(reason: "the new store \(configuration.path) exists already"))
    }
    let old: PreviousFormatStore
    do { old = try PreviousFormatStore.open(at: oldPath) } catch { throw LedgerError(error) }
    defer { old.close() }
    let clock = ReplayClock()
    var newConfiguration = configuration
    newConfiguration.clock = { clock.read() }
    newConfiguration.createIfMissing = true
    newConfiguration.readOnly = false
    let ledger = try Ledger.open(newConfiguration)
    defer { ledger.close() }
    do throws(EventStoreError) {
      var link = ChainHash.zero
      var position: UInt64 = 0
      while position < old.events {
        let chunk = try old.events(from: position, limit: 2_000, after: link)
        guard let last = chunk.last else { break }
        try await copy(chunk, into: ledger.store, clock: clock)
        link = last.hash
        position += UInt64(chunk.count)
      }
      guard link == old.chainHead else {
        throw EventStoreError.incompatibleStore(
          reason: "the old store's chain does not end at its recorded head")
      }
      clock.set(max(Timestamp.nowMicros(), clock.read()))
      let record = ProposedEvent(
        type: "StoreMigrated", occurredAt: Timestamp.format(micros: clock.read()),
        recordedBy: operatorRecorder,
        data: .object([
          "previousFormat": .string("treatment-ledger-1"),
          "events": .number(Double(old.events)),
          "previousChainHead": .string(old.chainHead.hex),
        ]))
      let result = try await ledger.store.appendSystem([record], to: StreamNames.migration)
      let report = try ledger.store.verify()
      guard report.problem == nil else {
        throw EventStoreError.incompatibleStore(reason: "the new store does not verify")
      }
      return MigrationReport(
        previousFormat: "treatment-ledger-1", events: old.events,
        previousChainHead: old.chainHead.hex,
        migrationPosition: result.positions.first?.globalPosition ?? old.events,
        chainHead: report.chainHead)
    } catch {
      throw LedgerError(error)
    }
  }

  /// Appends `events` (consecutive, from the old log) with their old commit times: runs of one
  /// recordedAt go in as one commit where they can (system streams are appended on their own).
  private static func copy(
    _ events: [RecordedEvent], into store: EventStore, clock: ReplayClock
  ) async throws(EventStoreError) {
    var start = 0
    while start < events.count {
      var end = start
      while end < events.count && events[end].recordedAt == events[start].recordedAt { end += 1 }
      guard let micros = Timestamp.parseMicros(events[start].recordedAt) else {
        throw .corruptRecord(
          position: events[start].globalPosition, reason: "recordedAt is not a time")
      }
      clock.set(micros)
      var pending: [StreamAppend] = []
      for run in streamRuns(events[start..<end]) {
        let batch = StreamAppend(
          stream: run[run.startIndex].streamId,
          expectedVersion: run[run.startIndex].streamVersion == 0
            ? .noStream : .exact(run[run.startIndex].streamVersion - 1),
          events: run.map(\.proposed))
        if batch.stream.hasPrefix(StreamNames.systemPrefix) {
          if !pending.isEmpty { _ = try await store.append(pending) }
          pending = []
          _ = try await store.appendSystem(batch.events, to: batch.stream)
        } else {
          pending.append(batch)
        }
      }
      if !pending.isEmpty { _ = try await store.append(pending) }
      start = end
    }
  }

  /// `events` cut into runs of consecutive events of one stream.
  private static func streamRuns(_ events: ArraySlice<RecordedEvent>) -> [ArraySlice<RecordedEvent>]
  {
    var runs: [ArraySlice<RecordedEvent>] = []
    var start = events.startIndex
    for index in events.indices.dropFirst()
    where events[index].streamId != events[index - 1].streamId {
      runs.append(events[start..<index])
      start = index
    }
    if start < events.endIndex { runs.append(events[start..<events.endIndex]) }
    return runs
  }
}
