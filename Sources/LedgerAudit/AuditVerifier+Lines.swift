import LedgerEventStore
import LedgerFoundation

/// The chain fields of one exported event, from an NDJSON line or a CSV row.
struct ChainView: Sendable {
  var globalPosition: UInt64
  var streamVersion: UInt64
  var streamId: String
  var recordedAt: String
  var occurredAt: String
  var previousHash: ChainHash
  var previousStreamHash: ChainHash
  var hash: ChainHash

  /// The view of chain fields given as text; nil when a hash is not 64 lowercase hex digits.
  init?(
    globalPosition: UInt64, streamVersion: UInt64, streamId: String, recordedAt: String,
    occurredAt: String, previousHash: String, previousStreamHash: String, hash: String
  ) {
    guard let previous = ChainHash(hex: previousHash),
      let previousStream = ChainHash(hex: previousStreamHash), let own = ChainHash(hex: hash)
    else { return nil }
    self.globalPosition = globalPosition
    self.streamVersion = streamVersion
    self.streamId = streamId
    self.recordedAt = recordedAt
    self.occurredAt = occurredAt
    self.previousHash = previous
    self.previousStreamHash = previousStream
    self.hash = own
  }

  /// The manifest's form of these fields.
  var anchor: AuditManifest.EventAnchor {
    AuditManifest.EventAnchor(
      globalPosition: globalPosition, streamVersion: streamVersion, recordedAt: recordedAt,
      previousHash: previousHash.hex, previousStreamHash: previousStreamHash.hex, hash: hash.hex)
  }

  /// What the chain follower checks, with `recordedAt` already parsed.
  func link(recordedAtMicros: Int64) -> ChainLink {
    ChainLink(
      globalPosition: globalPosition, streamId: streamId, streamVersion: streamVersion,
      recordedAtMicros: recordedAtMicros, previousHash: previousHash,
      previousStreamHash: previousStreamHash, hash: hash)
  }

  /// The chain fields of a CSV row (for an export without NDJSON); nil when the row does not
  /// have the documented columns. `rules` are the export format's (for the formula guard).
  init?(row: [String], rules: AuditCSVRules) {
    let columns = AuditCSV.Column.allCases
    guard row.count == columns.count else { return nil }
    func cell(_ column: AuditCSV.Column) -> String {
      AuditCSV.unguard(row[columns.firstIndex(of: column) ?? 0], rules: rules)
    }
    guard let position = UInt64(cell(.globalPosition)), let version = UInt64(cell(.streamVersion))
    else { return nil }
    self.init(
      globalPosition: position, streamVersion: version, streamId: cell(.streamId),
      recordedAt: cell(.recordedAt), occurredAt: cell(.occurredAt),
      previousHash: cell(.previousHash), previousStreamHash: cell(.previousStreamHash),
      hash: cell(.hash))
  }
}

/// What the lines of a batch are checked against while they are parsed.
struct LineContext: Sendable {
  var filter: AuditFilter
  var markRange: Bool
  var renderCSV: Bool
  var semantics: any AuditSemantics
  /// The CSV rendering rules of the export's format.
  var rules: AuditCSVRules
}

/// One NDJSON line as read: its bytes without the line end, and whether it had one.
struct RawLine: Sendable {
  var bytes: [UInt8]
  var terminated: Bool
}

/// One NDJSON line after the checks that need nothing but the line itself.
enum PreparedLine: Sendable {
  case failed(AuditProblem.Kind, String)
  case parsed(ChainView, matches: Bool, cells: [String]?)

  init(_ line: RawLine, context: LineContext) {
    guard line.terminated else {
      self = .failed(.malformedLine, "the last line has no line end")
      return
    }
    guard
      let (stated, canonical) = AuditNDJSONLine.split(line.bytes[...]).map({
        ($0.hash, $0.canonical)
      })
    else {
      self = .failed(.malformedLine, "the line is not {\"hash\":\"<64 hex>\",\"event\":<envelope>}")
      return
    }
    // The store's definition of an event's hash: SHA-256 of its stored canonical bytes.
    let computed = ChainHash.sha256(canonical)
    guard computed == stated else {
      self = .failed(
        .hashMismatch,
        "the event's bytes hash to \(computed.hex), the line states \(stated.hex): the line was changed"
      )
      return
    }
    guard let envelope = try? JSONValue.parse(canonical) else {
      self = .failed(.malformedLine, "the event is not JSON")
      return
    }
    // As the store's verification requires: the bytes are exactly the canonical form of an
    // envelope, with no member an envelope does not have.
    guard envelope.canonicalBytes.elementsEqual(canonical),
      let members = envelope.objectValue?.keys,
      members.allSatisfy(AuditEventFields.envelopeMembers.contains)
    else {
      self = .failed(.notCanonical, "the event's bytes are not the canonical form of an envelope")
      return
    }
    guard let fields = AuditEventFields(envelope: envelope, hash: stated),
      let view = ChainView(
        globalPosition: fields.globalPosition, streamVersion: fields.streamVersion,
        streamId: fields.streamId, recordedAt: fields.recordedAt, occurredAt: fields.occurredAt,
        previousHash: fields.previousHash, previousStreamHash: fields.previousStreamHash,
        hash: fields.hash)
    else {
      self = .failed(
        .malformedLine, "the event lacks an envelope member or has one of the wrong type")
      return
    }
    let matches =
      context.markRange
      ? Timestamp.parseMicros(fields.occurredAt).map { context.filter.contains(micros: $0) }
        ?? false : true
    self = .parsed(
      view, matches: matches,
      cells: context.renderCSV
        ? AuditCSV.cells(
          fields, inRange: matches, semantics: context.semantics, rules: context.rules) : nil)
  }
}
