import Foundation
import LedgerEventStore
import LedgerFoundation

/// The line format of `events.ndjson`:
///
/// ```text
/// {"hash":"<64 lowercase hex>","event":<the stored canonical bytes, verbatim>}\n
/// ```
///
/// The event's canonical bytes — exactly the bytes the store hashed — sit unchanged between a
/// fixed 83-byte prefix and a final `}`, so SHA-256 can be recomputed over exactly them with
/// common tools (`cut -b 84- | head -c -2 | sha256sum`, or `line[83:-1]` in Python), and the line
/// is still one JSON object with the whole envelope (`event` plus its `hash`).
public enum AuditNDJSONLine {
  /// `{"hash":"`
  static let head = Array(#"{"hash":""#.utf8)
  /// `","event":`
  static let middle = Array(#"","event":"#.utf8)
  /// Byte offset of the hash's first hex digit (0-based): 9.
  public static let hashOffset = 9
  /// Byte offset of the event's first byte (0-based): 83.
  public static let eventOffset = 83

  /// The line for one stored event, with its `\n`.
  public static func encode(_ event: RecordedEvent) -> [UInt8] {
    var line: [UInt8] = []
    line.reserveCapacity(eventOffset + event.canonicalBytes.count + 2)
    encode(event, into: &line)
    return line
  }

  /// Appends the line for one stored event, with its `\n`, to `out`.
  public static func encode(_ event: RecordedEvent, into out: inout [UInt8]) {
    out.append(contentsOf: head)
    out.append(contentsOf: event.hash.hex.utf8)
    out.append(contentsOf: middle)
    out.append(contentsOf: event.canonicalBytes)
    out.append(UInt8(ascii: "}"))
    out.append(0x0A)
  }

  /// Appends the line for a stored record given as its hash bytes and canonical bytes (a log
  /// value split by the store, not decoded), with its `\n`, to `out`.
  static func encode(
    hash: ArraySlice<UInt8>, canonical: ArraySlice<UInt8>, into out: inout [UInt8]
  ) {
    out.append(contentsOf: head)
    for byte in hash {
      out.append(hexDigits[Int(byte >> 4)])
      out.append(hexDigits[Int(byte & 0x0F)])
    }
    out.append(contentsOf: middle)
    out.append(contentsOf: canonical)
    out.append(UInt8(ascii: "}"))
    out.append(0x0A)
  }

  private static let hexDigits = Array("0123456789abcdef".utf8)

  /// Splits a line (without its `\n`) into the stated hash and the event's bytes; nil when the
  /// line does not have the shape above.
  public static func split(_ line: ArraySlice<UInt8>) -> (
    hash: ChainHash, canonical: ArraySlice<UInt8>
  )? {
    let base = line.startIndex
    guard line.count > eventOffset + 2, line.last == UInt8(ascii: "}"),
      line[base..<base + hashOffset].elementsEqual(head),
      line[base + hashOffset + 64..<base + eventOffset].elementsEqual(middle),
      let hash = ChainHash(
        hex: String(decoding: line[base + hashOffset..<base + hashOffset + 64], as: UTF8.self))
    else { return nil }
    return (hash, line[base + eventOffset..<line.endIndex - 1])
  }
}

/// The event fields a CSV row shows, taken from a stored event or from an exported line.
struct AuditEventFields {
  /// Every member an envelope may have (docs/FORMAT.md section 3).
  static let envelopeMembers: Set<String> = [
    "eventId", "type", "schemaVersion", "streamId", "streamVersion", "globalPosition", "occurredAt",
    "recordedAt", "recordedBy", "correlationId", "causationId", "data", "flags", "previousHash",
    "previousStreamHash", "sealed",
  ]

  var globalPosition: UInt64
  var streamId: String
  var streamVersion: UInt64
  var eventId: String
  var type: String
  var schemaVersion: Int
  var occurredAt: String
  var recordedAt: String
  var recordedById: String
  var recordedByName: String
  var recordedByRole: String
  var data: JSONValue
  var flags: [JSONValue]
  var hash: String
  var previousHash: String
  var previousStreamHash: String

  init(_ event: RecordedEvent) {
    globalPosition = event.globalPosition
    streamId = event.streamId
    streamVersion = event.streamVersion
    eventId = event.eventId.lowercasedString
    type = event.type
    schemaVersion = event.schemaVersion
    occurredAt = event.occurredAt
    recordedAt = event.recordedAt
    recordedById = event.recordedBy.id
    recordedByName = event.recordedBy.name
    recordedByRole = event.recordedBy.role
    data = event.data
    flags = event.flags
    hash = event.hash.hex
    previousHash = event.previousHash.hex
    previousStreamHash = event.previousStreamHash.hex
  }

  /// The fields of an exported envelope (`event` member of a line), with its stated hash; nil
  /// when a member is missing or has the wrong type.
  init?(envelope: JSONValue, hash: ChainHash) {
    func string(_ key: String) -> String? { envelope[key]?.stringValue }
    func integer(_ key: String) -> UInt64? {
      guard let number = envelope[key]?.numberValue, number >= 0, number <= 9_007_199_254_740_992,
        number.rounded(.towardZero) == number
      else { return nil }
      return UInt64(number)
    }
    guard let globalPosition = integer("globalPosition"), let streamId = string("streamId"),
      let streamVersion = integer("streamVersion"), let eventId = string("eventId"),
      let type = string("type"), let schemaVersion = integer("schemaVersion"),
      schemaVersion <= 1_000_000, let occurredAt = string("occurredAt"),
      let recordedAt = string("recordedAt"), let recorder = envelope["recordedBy"],
      let recordedById = recorder["id"]?.stringValue,
      let recordedByName = recorder["name"]?.stringValue,
      let recordedByRole = recorder["role"]?.stringValue, let data = envelope["data"],
      let previousHash = string("previousHash"),
      let previousStreamHash = string("previousStreamHash")
    else { return nil }
    var flags: [JSONValue] = []
    if let stored = envelope["flags"] {
      guard case .array(let values) = stored else { return nil }
      flags = values
    }
    self.globalPosition = globalPosition
    self.streamId = streamId
    self.streamVersion = streamVersion
    self.eventId = eventId
    self.type = type
    self.schemaVersion = Int(schemaVersion)
    self.occurredAt = occurredAt
    self.recordedAt = recordedAt
    self.recordedById = recordedById
    self.recordedByName = recordedByName
    self.recordedByRole = recordedByRole
    self.data = data
    self.flags = flags
    self.hash = hash.hex
    self.previousHash = previousHash
    self.previousStreamHash = previousStreamHash
  }
}

/// The layout of `events.csv` (RFC 4180): a UTF-8 byte-order mark, a header row, one row per
/// event, CRLF line ends, fields quoted only when they hold a comma, a quote, CR or LF (quotes
/// doubled). Cells are rendered by ``AuditCSVRules``: the formula guard puts a `'` before a cell
/// that a spreadsheet would run as a formula, and `data` is a readable rendering of the payload.
public enum AuditCSV {
  /// The columns, in order.
  public enum Column: String, Sendable, CaseIterable {
    /// Position in the log.
    case globalPosition
    /// The stream.
    case streamId
    /// The patient of a patient stream (``AuditSemantics/patientId(ofStream:)``, the part after
    /// `patient-` for clinical records); empty for other streams.
    case patientId
    /// Version in the stream.
    case streamVersion
    /// The event's id.
    case eventId
    /// The event type.
    case type
    /// The schema version.
    case schemaVersion
    /// Clinical time, as written.
    case occurredAt
    /// Commit time (UTC).
    case recordedAt
    /// Who entered it: id.
    case recordedById
    /// Who entered it: name.
    case recordedByName
    /// Who entered it: role.
    case recordedByRole
    /// The event a correction corrects (``AuditSemantics/correctedEventId(type:data:)``:
    /// `data.correctedEventId` of an `EntryCorrected`); empty otherwise.
    case correctsEventId
    /// The event a void voids (``AuditSemantics/voidedEventId(type:data:)``: `data.voidedEventId`
    /// of an `EntryVoided`); empty otherwise.
    case voidsEventId
    /// The flags' codes joined by `;`.
    case flags
    /// `true` when the event matches the filter's range, `false` for the chain's other events
    /// (only in `occurredAt` exports).
    case inRange
    /// The event's hash.
    case hash
    /// Hash of the previous event of the log.
    case previousHash
    /// Hash of the previous event of the stream.
    case previousStreamHash
    /// The payload as `path=value` pairs joined by `; ` (see ``AuditCSV/dataSummary(_:rules:)``).
    case data
  }

  /// The UTF-8 byte-order mark that starts the file (so spreadsheets read it as UTF-8).
  public static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]
  /// The longest data summary, in Unicode scalars, before it is cut (spreadsheet cells hold at
  /// most 32,767 characters); the ``truncationMarker`` is not counted.
  public static let maximumSummaryScalars = 16_000
  /// What follows a cut summary.
  public static let truncationMarker = " [truncated]"

  /// The header row's cells.
  public static var header: [String] { Column.allCases.map(\.rawValue) }

  /// The cells of one event's row, before quoting, formula guard applied.
  static func cells(
    _ event: AuditEventFields, inRange: Bool, semantics: some AuditSemantics,
    rules: AuditCSVRules = .current
  ) -> [String] {
    let patientId = semantics.patientId(ofStream: event.streamId) ?? ""
    let corrects = semantics.correctedEventId(type: event.type, data: event.data) ?? ""
    let voids = semantics.voidedEventId(type: event.type, data: event.data) ?? ""
    let codes = event.flags.compactMap { $0["code"]?.stringValue }.joined(separator: ";")
    let raw = [
      String(event.globalPosition), event.streamId, patientId, String(event.streamVersion),
      event.eventId, event.type, String(event.schemaVersion), event.occurredAt, event.recordedAt,
      event.recordedById, event.recordedByName, event.recordedByRole, corrects, voids, codes,
      inRange ? "true" : "false", event.hash, event.previousHash, event.previousStreamHash,
      dataSummary(event.data, rules: rules),
    ]
    return raw.map { guardFormula($0, rules: rules) }
  }

  /// Appends one row (quoted as needed, CRLF-terminated) to `out`.
  static func appendRow(_ cells: [String], to out: inout [UInt8]) {
    for (index, cell) in cells.enumerated() {
      if index > 0 { out.append(UInt8(ascii: ",")) }
      let bytes = cell.utf8
      if bytes.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0D || $0 == 0x0A }) {
        out.append(0x22)
        for byte in bytes {
          if byte == 0x22 { out.append(0x22) }
          out.append(byte)
        }
        out.append(0x22)
      } else {
        out.append(contentsOf: bytes)
      }
    }
    out.append(0x0D)
    out.append(0x0A)
  }
}

/// Reads the records of an export's `events.csv` one at a time, strictly in the documented form
/// (docs/AUDIT.md 2.2): a UTF-8 byte-order mark before the first record, every record ended by
/// CRLF, a field quoted exactly when it holds a comma, a double quote, CR or LF. Each record's
/// bytes must be what ``AuditCSV/appendRow(_:to:)`` writes for its fields.
struct CSVRecordReader {
  /// Not RFC 4180 (a quote inside an unquoted field, text after a closing quote, a quote never
  /// closed), or not the documented form (no byte-order mark, an LF without CR, a needless or
  /// missing quote).
  struct Malformed: Error {
    /// 1-based record number (the header is record 1).
    var record: Int
  }

  let reader: HashingFileReader
  /// Records read so far, the header included.
  private(set) var records = 0

  init(_ reader: HashingFileReader) {
    self.reader = reader
  }

  /// The next record's fields, or nil at the end of the file.
  mutating func next() throws(Malformed) -> [String]? {
    var raw: [UInt8] = []
    guard let fields = try parse(raw: &raw) else { return nil }
    var expected: [UInt8] = records == 1 ? AuditCSV.byteOrderMark : []
    AuditCSV.appendRow(fields, to: &expected)
    guard raw == expected else { throw Malformed(record: records) }
    return fields
  }

  /// Parses the next record, collecting the bytes it spans (line ends included) into `raw`.
  private mutating func parse(raw: inout [UInt8]) throws(Malformed) -> [String]? {
    guard let first = reader.nextLine() else { return nil }
    records += 1
    raw.append(contentsOf: first.bytes)
    if first.terminated { raw.append(0x0A) }
    var line = first.bytes
    if records == 1 && line.starts(with: AuditCSV.byteOrderMark) { line = line.dropFirst(3) }
    var fields: [String] = []
    var field: [UInt8] = []
    var index = line.startIndex
    var inQuotes = false
    var quoted = false
    while true {
      if index == line.endIndex {
        if inQuotes {
          // A quoted field goes on over the line end.
          guard let more = reader.nextLine() else { throw Malformed(record: records) }
          raw.append(contentsOf: more.bytes)
          if more.terminated { raw.append(0x0A) }
          field.append(0x0A)
          line = more.bytes
          index = line.startIndex
          continue
        }
        fields.append(String(decoding: field, as: UTF8.self))
        return fields
      }
      let byte = line[index]
      index += 1
      if inQuotes {
        if byte == 0x22 {
          if index < line.endIndex && line[index] == 0x22 {
            field.append(0x22)
            index += 1
          } else {
            inQuotes = false
            quoted = true
          }
        } else {
          field.append(byte)
        }
        continue
      }
      if field.isEmpty && !quoted && byte != 0x22 && byte != 0x2C && byte != 0x0D {
        // An unquoted field: up to the next comma (or the line's end, or its CR of CRLF).
        var end = index
        while end < line.endIndex && line[end] != 0x2C && line[end] != 0x22 && line[end] != 0x0D {
          end += 1
        }
        if end == line.endIndex || line[end] == 0x2C {
          fields.append(String(decoding: line[(index - 1)..<end], as: UTF8.self))
          if end == line.endIndex { return fields }
          index = end + 1
          if index == line.endIndex {
            fields.append("")
            return fields
          }
          continue
        }
      }
      switch byte {
      case 0x22:
        guard field.isEmpty && !quoted else { throw Malformed(record: records) }
        inQuotes = true
      case 0x2C:
        fields.append(String(decoding: field, as: UTF8.self))
        field.removeAll(keepingCapacity: true)
        quoted = false
      case 0x0D where index == line.endIndex:
        continue  // the CR of CRLF
      default:
        guard !quoted else { throw Malformed(record: records) }
        field.append(byte)
      }
    }
  }
}
