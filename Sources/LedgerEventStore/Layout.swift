import Foundation
import LedgerLMDB

/// The LMDB databases of a store and their key and value encodings. `docs/FORMAT.md` describes
/// the same layout for readers that are not Swift; keep the two in step.
struct Layout {
  /// `"treatment-ledger-1"`, stored under `meta/format`.
  static let formatName = "treatment-ledger-1"
  /// The first byte of every log value.
  static let recordVersion: UInt8 = 1

  let log: Database
  let streams: Database
  let streamHeads: Database
  let eventIds: Database
  let meta: Database
  let reviewState: Database
  let projectionMeta: Database
  let projectionState: Database

  static let names = [
    "log", "streams", "stream-heads", "event-ids", "meta", "review-state", "projection-meta",
    "projection-state",
  ]

  static func create(in txn: WriteTransaction) throws(LMDBError) -> Layout {
    Layout(
      log: try txn.createDatabase("log"), streams: try txn.createDatabase("streams"),
      streamHeads: try txn.createDatabase("stream-heads"),
      eventIds: try txn.createDatabase("event-ids"), meta: try txn.createDatabase("meta"),
      reviewState: try txn.createDatabase("review-state"),
      projectionMeta: try txn.createDatabase("projection-meta"),
      projectionState: try txn.createDatabase("projection-state"))
  }

  static func open(in txn: Transaction) throws(LMDBError) -> Layout {
    Layout(
      log: try txn.openDatabase("log"), streams: try txn.openDatabase("streams"),
      streamHeads: try txn.openDatabase("stream-heads"),
      eventIds: try txn.openDatabase("event-ids"), meta: try txn.openDatabase("meta"),
      reviewState: try txn.openDatabase("review-state"),
      projectionMeta: try txn.openDatabase("projection-meta"),
      projectionState: try txn.openDatabase("projection-state"))
  }

  // MARK: Keys

  static let formatKey = Array("format".utf8)
  static let headKey = Array("head".utf8)

  /// `streams` key: stream name bytes, a 0x00 separator, big-endian version.
  static func streamKey(_ stream: String, _ version: UInt64) -> [UInt8] {
    Array(stream.utf8) + [0] + version.bigEndianBytes
  }

  static func streamPrefix(_ stream: String) -> [UInt8] { Array(stream.utf8) + [0] }

  static func eventIdKey(_ id: UUID) -> [UInt8] {
    withUnsafeBytes(of: id.uuid) { Array($0) }
  }

  // MARK: Values

  /// `meta/head`: the next global position, the last event's hash, the last recordedAt.
  struct Head: Equatable {
    var nextPosition: UInt64
    var lastHash: ChainHash
    var lastRecordedMicros: Int64

    static let empty = Head(nextPosition: 0, lastHash: .zero, lastRecordedMicros: 0)

    var encoded: [UInt8] {
      nextPosition.bigEndianBytes + lastHash.bytes
        + UInt64(bitPattern: lastRecordedMicros).bigEndianBytes
    }

    init(nextPosition: UInt64, lastHash: ChainHash, lastRecordedMicros: Int64) {
      self.nextPosition = nextPosition
      self.lastHash = lastHash
      self.lastRecordedMicros = lastRecordedMicros
    }

    init?(_ bytes: [UInt8]) {
      guard bytes.count == 48, let next = UInt64(bigEndianBytes: bytes[0..<8]),
        let hash = ChainHash(bytes: bytes[8..<40]),
        let micros = UInt64(bigEndianBytes: bytes[40..<48])
      else { return nil }
      self.init(nextPosition: next, lastHash: hash, lastRecordedMicros: Int64(bitPattern: micros))
    }
  }

  /// `stream-heads` value: the stream's last version and the hash of its last event.
  struct StreamHead: Equatable {
    var version: UInt64
    var hash: ChainHash

    var encoded: [UInt8] { version.bigEndianBytes + hash.bytes }

    init(version: UInt64, hash: ChainHash) {
      self.version = version
      self.hash = hash
    }

    init?(_ bytes: [UInt8]) {
      guard bytes.count == 40, let version = UInt64(bigEndianBytes: bytes[0..<8]),
        let hash = ChainHash(bytes: bytes[8..<40])
      else { return nil }
      self.init(version: version, hash: hash)
    }
  }

  func head(_ txn: Transaction) throws(EventStoreError) -> Head {
    do {
      guard let bytes = try txn.get(meta, Self.headKey) else { return .empty }
      guard let head = Head(bytes) else {
        throw EventStoreError.incompatibleStore(reason: "meta/head has the wrong size")
      }
      return head
    } catch let error as LMDBError {
      throw .storage(error)
    } catch let error as EventStoreError {
      throw error
    } catch {
      throw .storage(LMDBError(.other(-1), operation: "head"))
    }
  }

  func streamHead(_ txn: Transaction, _ stream: String) throws(EventStoreError) -> StreamHead? {
    let bytes: [UInt8]?
    do { bytes = try txn.get(streamHeads, Array(stream.utf8)) } catch { throw .storage(error) }
    guard let bytes else { return nil }
    guard let head = StreamHead(bytes) else {
      throw .incompatibleStore(reason: "a stream-heads value has the wrong size")
    }
    return head
  }
}

/// The log value: a version byte, the 32-byte hash, then the canonical JSON that was hashed.
enum RecordCodec {
  static func encode(hash: ChainHash, canonical: [UInt8]) -> [UInt8] {
    var value = [UInt8]()
    value.reserveCapacity(33 + canonical.count)
    value.append(Layout.recordVersion)
    value.append(contentsOf: hash.bytes)
    value.append(contentsOf: canonical)
    return value
  }

  private struct StoredEnvelope: Decodable {
    var eventId: UUID
    var type: String
    var schemaVersion: Int
    var streamId: String
    var streamVersion: UInt64
    var globalPosition: UInt64
    var occurredAt: String
    var recordedAt: String
    var recordedBy: Recorder
    var correlationId: UUID?
    var causationId: UUID?
    var data: JSONValue
    var flags: [JSONValue]?
    var previousHash: String
    var previousStreamHash: String
  }

  /// Decodes a log value. Throws `.corruptRecord` naming `position` when it is not well formed.
  /// It does not check the hash; verification does.
  static func decode(position: UInt64, _ value: [UInt8]) throws(EventStoreError) -> RecordedEvent {
    guard value.count > 33, value[0] == Layout.recordVersion else {
      throw .corruptRecord(position: position, reason: "unknown record version or truncated value")
    }
    let canonical = Array(value[33...])
    let envelope: StoredEnvelope
    do {
      envelope = try JSONDecoder().decode(StoredEnvelope.self, from: Data(canonical))
    } catch {
      throw .corruptRecord(position: position, reason: "the envelope does not decode")
    }
    guard let hash = ChainHash(bytes: value[1..<33]),
      let previous = ChainHash(hex: envelope.previousHash),
      let previousStream = ChainHash(hex: envelope.previousStreamHash)
    else {
      throw .corruptRecord(position: position, reason: "a hash field is malformed")
    }
    return RecordedEvent(
      eventId: envelope.eventId, type: envelope.type, schemaVersion: envelope.schemaVersion,
      streamId: envelope.streamId, streamVersion: envelope.streamVersion,
      globalPosition: envelope.globalPosition, occurredAt: envelope.occurredAt,
      recordedAt: envelope.recordedAt, recordedBy: envelope.recordedBy,
      correlationId: envelope.correlationId, causationId: envelope.causationId,
      data: envelope.data, flags: envelope.flags ?? [], previousHash: previous,
      previousStreamHash: previousStream, hash: hash, canonicalBytes: canonical)
  }
}
