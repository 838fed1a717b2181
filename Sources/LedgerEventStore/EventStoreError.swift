import Foundation
import LedgerLMDB

/// Every error the event store throws. Descriptions name streams, event ids, positions, types and
/// field names, and never a payload value.
public enum EventStoreError: Error, Sendable, Hashable, CustomStringConvertible {
  /// The stream's current version differs from the version the caller expected. Nothing was
  /// written.
  case wrongExpectedVersion(stream: String, expected: ExpectedVersion, actual: UInt64?)
  /// An event id is already stored with different content (or in another stream). Nothing was
  /// written.
  case eventIdConflict(eventId: UUID, storedAt: UInt64)
  /// An event of a batch is malformed: `index` is its place in the batch (0-based), `field` the
  /// envelope field at fault.
  case invalidEvent(index: Int, eventId: UUID?, field: String, reason: String)
  /// The stream name is not allowed.
  case invalidStreamName(reason: String)
  /// A batch had no events.
  case emptyBatch
  /// The text is not a JSON document (the reason names a position, never the content).
  case malformedJSON(reason: String)
  /// The append was refused by a rule of the layer above (for example clinical validation).
  /// `rule` is a stable code, `limit` the limit in words; neither holds a patient's value.
  case rejected(index: Int, eventId: UUID, type: String, field: String, rule: String, limit: String)
  /// The store's files are not a TreatmentLedger store, or of an unknown format version.
  case incompatibleStore(reason: String)
  /// A stored record could not be read: the store is damaged at `position`.
  case corruptRecord(position: UInt64, reason: String)
  /// The projection's stored state was made by another version of its code; rebuild it.
  case projectionStale(name: String, storedVersion: Int, codeVersion: Int)
  /// No projection of that name is registered with the store.
  case unknownProjection(name: String)
  /// Folding the event at `position` into the projection failed; the live state is untouched.
  case projectionFailed(name: String, position: UInt64, reason: String)
  /// There is no store at the path (and the caller did not ask to create one).
  case storeNotFound(path: String)
  /// The store is open read-only, so it cannot append.
  case readOnly
  /// The store has been closed.
  case closed
  /// The store records that appends to `stream` are judged by the rule set `reviewer`, and this
  /// handle was opened without it (see ``ReviewerRequirement``).
  case reviewerRequired(stream: String, reviewer: String)
  /// Another process (or task) is doing the same maintenance on this store: `reason` says what.
  case maintenanceInProgress(reason: String)
  /// An LMDB or file-system error.
  case storage(LMDBError)
  /// The commit would get a `recordedAt` (`micros` since the epoch) outside
  /// ``Timestamp/recordedAtRange``: the clock is wrong. Nothing was written.
  case recordedAtOutOfRange(micros: Int64)
  /// The key-encryption key is missing, wrong or unreachable; nothing was changed. The reason
  /// names the key file or provider, never key bytes.
  case keyUnavailable(reason: String)
  /// The stream's data keys were erased: its data cannot be read and nothing more is appended.
  case streamErased(stream: String)

  /// A one-line description without payload values.
  public var description: String {
    switch self {
    case .wrongExpectedVersion(let stream, let expected, let actual):
      let actualText = actual.map { "version \($0)" } ?? "no stream"
      return
        "wrong expected version for stream '\(stream)': expected \(expected), found \(actualText)"
    case .eventIdConflict(let eventId, let position):
      return
        "event id \(eventId.lowercasedString) is already stored at position \(position) "
        + "with different content"
    case .invalidEvent(let index, let eventId, let field, let reason):
      let id = eventId.map { " (\($0.lowercasedString))" } ?? ""
      return "event \(index)\(id): field '\(field)' \(reason)"
    case .invalidStreamName(let reason):
      return "invalid stream name: \(reason)"
    case .emptyBatch:
      return "the batch has no events"
    case .malformedJSON(let reason):
      return reason
    case .rejected(let index, let eventId, let type, let field, let rule, let limit):
      return
        "event \(index) (\(eventId.lowercasedString), \(type)) rejected: field '\(field)' "
        + "breaks rule \(rule) (\(limit))"
    case .incompatibleStore(let reason):
      return "not a usable TreatmentLedger store: \(reason)"
    case .corruptRecord(let position, let reason):
      return "stored record at position \(position) is damaged: \(reason)"
    case .projectionStale(let name, let stored, let code):
      return
        "projection '\(name)' holds state of version \(stored) but the code is version \(code): "
        + "rebuild it (treatment-ledger rebuild --projection \(name))"
    case .unknownProjection(let name):
      return "no projection named '\(EchoedName.escaped(name))'"
    case .projectionFailed(let name, let position, let reason):
      return
        "projection '\(name)' failed at position \(position): \(reason); the live state is untouched"
    case .storeNotFound(let path):
      return "no TreatmentLedger store at \(path) (create one with `treatment-ledger init`)"
    case .readOnly:
      return "the store is open read-only"
    case .closed:
      return "the store is closed"
    case .reviewerRequired(let stream, let reviewer):
      return "stream '\(stream)' is governed by the rule set '\(reviewer)', which this handle was "
        + "opened without: open the store through the layer that provides it (Ledger.open)"
    case .maintenanceInProgress(let reason):
      return "maintenance already in progress: \(reason)"
    case .storage(let error):
      return "storage error: \(error)"
    case .recordedAtOutOfRange(let micros):
      let range = Timestamp.recordedAtRange
      return "the clock gives recordedAt \(Timestamp.describe(micros: micros)), outside what the "
        + "format can hold (\(Timestamp.format(micros: range.lowerBound)) to "
        + "\(Timestamp.format(micros: range.upperBound))); nothing was written: set the system clock"
    case .keyUnavailable(let reason):
      return "the store's key is unavailable: \(reason); nothing was changed"
    case .streamErased(let stream):
      return "the data of stream '\(stream)' was erased (its keys were destroyed)"
    }
  }
}

/// The version a caller expects a stream to be at before its append.
public enum ExpectedVersion: Sendable, Hashable, CustomStringConvertible {
  /// Append whatever the stream's version.
  case any
  /// The stream must not exist yet.
  case noStream
  /// The stream's last event must have this version (0-based).
  case exact(UInt64)

  /// `any`, `no-stream` or the number.
  public var description: String {
    switch self {
    case .any: return "any"
    case .noStream: return "no-stream"
    case .exact(let version): return String(version)
    }
  }

  /// Parses `any`, `no-stream` or a non-negative number.
  public init?(_ text: String) {
    switch text {
    case "any": self = .any
    case "no-stream": self = .noStream
    default:
      guard let version = UInt64(text) else { return nil }
      self = .exact(version)
    }
  }
}

extension EventStoreError: CarriesLMDBError {
  /// The LMDB error of a ``storage(_:)`` error, else nil: a full map met while writing derived
  /// state (reported as `storage`) still makes the store grow the map and write again.
  public var carriedLMDBError: LMDBError? {
    if case .storage(let error) = self { return error }
    return nil
  }
}
