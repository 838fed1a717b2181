import Foundation
import LedgerFoundation
import LedgerLMDB

/// The LMDB databases of a store and their key and value encodings. `docs/FORMAT.md` describes
/// the same layout for readers that are not Swift; keep the two in step.
struct Layout {
  /// `"treatment-ledger-2"`, stored under `meta/format`.
  static let formatName = "treatment-ledger-2"
  /// The format of stores written before sealing; opening one asks for `migrate`.
  static let previousFormatName = "treatment-ledger-1"
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
  /// Wrapped per-stream data keys and erasure records (docs/FORMAT.md 2.7).
  let keys: Database

  /// The names of the derived databases, as ``DerivedSealer`` binds sealed values to them.
  static let reviewStateName = "review-state"
  static let projectionStateName = "projection-state"

  static let names = [
    "log", "streams", "stream-heads", "event-ids", "meta", "review-state", "projection-meta",
    "projection-state", "keys",
  ]

  static func create(in txn: WriteTransaction) throws(LMDBError) -> Layout {
    Layout(
      log: try txn.createDatabase("log"), streams: try txn.createDatabase("streams"),
      streamHeads: try txn.createDatabase("stream-heads"),
      eventIds: try txn.createDatabase("event-ids"), meta: try txn.createDatabase("meta"),
      reviewState: try txn.createDatabase("review-state"),
      projectionMeta: try txn.createDatabase("projection-meta"),
      projectionState: try txn.createDatabase("projection-state"),
      keys: try txn.createDatabase("keys"))
  }

  static func open(in txn: Transaction) throws(LMDBError) -> Layout {
    Layout(
      log: try txn.openDatabase("log"), streams: try txn.openDatabase("streams"),
      streamHeads: try txn.openDatabase("stream-heads"),
      eventIds: try txn.openDatabase("event-ids"), meta: try txn.openDatabase("meta"),
      reviewState: try txn.openDatabase("review-state"),
      projectionMeta: try txn.openDatabase("projection-meta"),
      projectionState: try txn.openDatabase("projection-state"),
      keys: try txn.openDatabase("keys"))
  }

  // MARK: Keys

  static let formatKey = Array("format".utf8)
  static let headKey = Array("head".utf8)
  /// `meta` key of the rule set the store requires (``ReviewerRequirement``), when one is recorded.
  static let reviewerKey = Array("required-reviewer".utf8)
  /// `meta` key of the sealed stream prefixes, one per line, when the store seals streams.
  static let sealedStreamsKey = Array("sealed-streams".utf8)
  /// `meta` key of a known value wrapped by the key-encryption key: checks the key on open.
  static let keyCheckKey = Array("key-check".utf8)
  /// `meta` key of the chain a migration copied (docs/FORMAT.md 2.5).
  static let migratedFromKey = Array("migrated-from".utf8)

  /// `keys` key of a stream's erasure record: stream name, `0x01`.
  static func erasureKey(_ stream: String) -> [UInt8] { Array(stream.utf8) + [1] }

  /// The stream prefixes the store seals (`meta/sealed-streams`), empty when it seals none.
  func sealedPrefixes(_ txn: Transaction) throws -> [String] {
    guard let bytes = try txn.get(meta, Self.sealedStreamsKey) else { return [] }
    return String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
  }

  /// The erasure record of `stream` (canonical JSON), or nil when its keys were never erased.
  func erasure(_ txn: Transaction, _ stream: String) throws -> [UInt8]? {
    try txn.get(keys, Self.erasureKey(stream))
  }

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

  /// The rule set the store requires for some streams, or nil when none is recorded.
  func requiredReviewer(_ txn: Transaction) throws(LMDBError) -> ReviewerRequirement? {
    try txn.get(meta, Self.reviewerKey).flatMap { ReviewerRequirement(encoded: $0) }
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
///
/// `package` so that this package's fuzz target (`Tools/ledger-fuzz`, target `record`) can feed it
/// arbitrary bytes, as a damaged or tampered store would; it is not part of the library's API.
package enum RecordCodec {
  /// The format name of the stores whose log values this codec reads (`meta/format`).
  package static let formatName = Layout.formatName

  /// The log value of an event: version byte, `hash`, `canonical`.
  package static func encode(hash: ChainHash, canonical: [UInt8]) -> [UInt8] {
    var value = [UInt8]()
    value.reserveCapacity(33 + canonical.count)
    value.append(Layout.recordVersion)
    value.append(contentsOf: hash.bytes)
    value.append(contentsOf: canonical)
    return value
  }

  /// The hash and canonical bytes of a log value without decoding the envelope, or nil when the
  /// value is not a record of this version (too short, or another version byte).
  package static func split(_ value: [UInt8]) -> (
    hash: ArraySlice<UInt8>, canonical: ArraySlice<UInt8>
  )? {
    guard value.count > 33, value[0] == Layout.recordVersion else { return nil }
    return (value[1..<33], value[33...])
  }

  /// Decodes a log value. Throws `.corruptRecord` naming `position` when it is not well formed:
  /// not strict JSON, not an object, or a field of the envelope missing or of the wrong type.
  /// It does not check the hash; verification does.
  package static func decode(position: UInt64, _ value: [UInt8]) throws(EventStoreError)
    -> RecordedEvent
  {
    guard value.count > 33, value[0] == Layout.recordVersion else {
      throw .corruptRecord(position: position, reason: "unknown record version or truncated value")
    }
    let canonical = Array(value[33...])
    let parsed: JSONValue
    do { parsed = try JSONValue.parse(canonical) } catch {
      throw .corruptRecord(position: position, reason: "the envelope does not decode: \(error)")
    }
    guard case .object(let members) = parsed else {
      throw .corruptRecord(position: position, reason: "the envelope is not a JSON object")
    }
    let fields = EnvelopeFields(position: position, members: members)
    let recorder = try fields.object("recordedBy")
    let recorderFields = EnvelopeFields(position: position, members: recorder, path: "recordedBy.")
    guard let hash = ChainHash(bytes: value[1..<33]),
      let previous = ChainHash(hex: try fields.string("previousHash")),
      let previousStream = ChainHash(hex: try fields.string("previousStreamHash"))
    else {
      throw .corruptRecord(position: position, reason: "a hash field is malformed")
    }
    guard let data = members["data"] else { throw fields.problem("data", "is missing") }
    let dataForm: RecordedEvent.DataForm
    switch members["sealed"] {
    case nil: dataForm = .plain
    case .object(let sealed)?:
      let sealedFields = EnvelopeFields(position: position, members: sealed, path: "sealed.")
      guard try sealedFields.string("alg") == "A256GCM", case .string = data else {
        throw fields.problem("sealed", "names an unknown algorithm or data is not sealed text")
      }
      dataForm = .sealed(
        keyVersion: UInt64(try sealedFields.integer("keyVersion", below: 0x1p64, minimum: 1)))
    default: throw fields.problem("sealed", "must be an object")
    }
    let flags: [JSONValue]
    switch members["flags"] {
    case nil, .null?: flags = []
    case .array(let values)?: flags = values
    default: throw fields.problem("flags", "must be an array")
    }
    var event = RecordedEvent(
      eventId: try fields.uuid("eventId"), type: try fields.string("type"),
      schemaVersion: Int(try fields.integer("schemaVersion", below: 0x1p63, minimum: -0x1p63)),
      streamId: try fields.string("streamId"),
      streamVersion: UInt64(try fields.integer("streamVersion", below: 0x1p64, minimum: 0)),
      globalPosition: UInt64(try fields.integer("globalPosition", below: 0x1p64, minimum: 0)),
      occurredAt: try fields.string("occurredAt"), recordedAt: try fields.string("recordedAt"),
      recordedBy: Recorder(
        id: try recorderFields.string("id"), name: try recorderFields.string("name"),
        role: try recorderFields.string("role")),
      correlationId: try fields.optionalUUID("correlationId"),
      causationId: try fields.optionalUUID("causationId"),
      data: data, flags: flags, previousHash: previous, previousStreamHash: previousStream,
      hash: hash, canonicalBytes: canonical)
    event.dataForm = dataForm
    return event
  }

  /// Typed access to the members of a stored envelope; problems name the field, never a value.
  private struct EnvelopeFields {
    var position: UInt64
    var members: [String: JSONValue]
    var path = ""

    func problem(_ field: String, _ reason: String) -> EventStoreError {
      .corruptRecord(position: position, reason: "field '\(path)\(field)' \(reason)")
    }

    func string(_ field: String) throws(EventStoreError) -> String {
      guard let member = members[field] else { throw problem(field, "is missing") }
      guard case .string(let text) = member else { throw problem(field, "must be a string") }
      return text
    }

    func object(_ field: String) throws(EventStoreError) -> [String: JSONValue] {
      guard let member = members[field] else { throw problem(field, "is missing") }
      guard case .object(let object) = member else { throw problem(field, "must be an object") }
      return object
    }

    /// An integral number in `minimum..<limit`, returned as a double that converts exactly.
    func integer(_ field: String, below limit: Double, minimum: Double) throws(EventStoreError)
      -> Double
    {
      guard let member = members[field] else { throw problem(field, "is missing") }
      guard case .number(let number) = member, number >= minimum, number < limit,
        number.rounded(.towardZero) == number
      else { throw problem(field, "must be an integer in range") }
      return number
    }

    func uuid(_ field: String) throws(EventStoreError) -> UUID {
      guard let id = Self.parseUUID(try string(field)) else {
        throw problem(field, "must be a UUID")
      }
      return id
    }

    /// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` in hex digits of either case, as
    /// `UUID(uuidString:)` reads it, without its `sscanf`.
    static func parseUUID(_ text: String) -> UUID? {
      var text = text
      return text.withUTF8 { bytes -> UUID? in
        guard bytes.count == 36 else { return nil }
        var value: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let parsed = withUnsafeMutableBytes(of: &value) { out -> Bool in
          var position = 0
          for index in 0..<16 {
            if position == 8 || position == 13 || position == 18 || position == 23 {
              guard bytes[position] == UInt8(ascii: "-") else { return false }
              position += 1
            }
            guard let high = hexValue(bytes[position]), let low = hexValue(bytes[position + 1])
            else {
              return false
            }
            out[index] = high << 4 | low
            position += 2
          }
          return true
        }
        return parsed ? UUID(uuid: value) : nil
      }
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
      switch byte {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
      case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
      case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
      default: return nil
      }
    }

    /// Absent and `null` both mean no value, as they did for the Codable envelope.
    func optionalUUID(_ field: String) throws(EventStoreError) -> UUID? {
      switch members[field] {
      case nil, .null?: return nil
      default: return try uuid(field)
      }
    }
  }
}
