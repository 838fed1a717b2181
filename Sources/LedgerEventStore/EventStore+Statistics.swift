import Foundation
import LedgerLMDB

extension EventStore {
  // MARK: Statistics

  /// Counts and sizes of the store.
  public struct Statistics: Sendable, Equatable, Codable {
    /// Number of events (= the next global position).
    public var events: UInt64
    /// Number of streams.
    public var streams: Int
    /// Hash of the newest event (64 zeros when empty): keep it outside the store to detect
    /// truncation later.
    public var chainHead: String
    /// recordedAt of the newest event, if any.
    public var lastRecordedAt: String?
    /// Size of `data.mdb` in bytes.
    public var fileBytes: Int
    /// LMDB map size in bytes.
    public var mapBytes: Int
    /// The on-disk format name.
    public var format: String
    /// The LMDB library version.
    public var lmdbVersion: String
  }

  /// Counts and sizes of the store, from one snapshot.
  public func statistics() throws(EventStoreError) -> Statistics {
    let (head, streams) = try withRead { txn in
      (try layout.head(txn), try txn.count(layout.streamHeads))
    }
    let info: Environment.Info
    do { info = try environment.info() } catch { throw .storage(error) }
    return Statistics(
      events: head.nextPosition, streams: streams, chainHead: head.lastHash.hex,
      lastRecordedAt: head.nextPosition > 0
        ? Timestamp.format(micros: head.lastRecordedMicros) : nil,
      fileBytes: environment.fileSize(), mapBytes: info.mapSize, format: Layout.formatName,
      lmdbVersion: Environment.libraryVersion)
  }
}
