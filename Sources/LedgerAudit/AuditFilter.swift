import Foundation
import LedgerEventStore

/// Which events an audit export is about: one patient, one other stream (such as a site's
/// controlled-substance log), or the whole log, and a time range on recorded time (the default)
/// or clinical time.
///
/// ```swift
/// // Everything the record received in March 2026 (UTC):
/// let march = AuditFilter(from: "2026-03-01T00:00:00Z", to: "2026-04-01T00:00:00Z")
/// // Everything that clinically happened to one patient in March, whenever it was entered:
/// let clinical = AuditFilter(
///   patientId: "7f3a", timeBasis: .occurredAt,
///   from: "2026-03-01T00:00:00-05:00", to: "2026-04-01T00:00:00-04:00")
/// ```
///
/// The range is half-open: `from` is included, `to` is not, so consecutive periods neither
/// overlap nor leave a gap. Either end may be absent (open). Times are RFC 3339 with an explicit
/// offset and are compared as instants, to the microsecond.
///
/// What the export then contains (docs/AUDIT.md, "What an export proves"):
/// - on `recordedAt` (or with no range): exactly the events recorded in the range, which are
///   consecutive in the log and in the patient's stream, so their chain proves none is missing;
/// - on `occurredAt` with a range: every event recorded up to the export (of the patient, or of
///   the log), each marked in or out of the range, because a late entry of any recorded time can
///   carry a clinical time inside it; the whole chain then proves none is missing.
public struct AuditFilter: Sendable, Hashable, Codable {
  /// The time a range applies to.
  public enum TimeBasis: String, Sendable, Hashable, Codable, CaseIterable {
    /// When the store recorded the event (commit time, UTC). The default.
    case recordedAt
    /// When the event happened clinically, as its writer stated it.
    case occurredAt
  }

  /// The patient (whose stream ``AuditSemantics/stream(forPatient:)`` names: `patient-<id>` for
  /// the clinical records), or nil for another stream or the whole log.
  public var patientId: String?
  /// A stream that is not a patient's (such as `inventory-main`, a site's controlled-substance
  /// log), or nil. At most one of ``patientId`` and `streamId` is set.
  public var streamId: String?
  /// The time the range applies to.
  public var time: TimeBasis
  /// Start of the range (inclusive), RFC 3339 with an offset; nil for no lower bound.
  public var from: String?
  /// End of the range (exclusive), RFC 3339 with an offset; nil for no upper bound.
  public var to: String?

  /// Creates a filter. Check it with ``validate(using:)`` (or `validate()` of TreatmentLedger); the
  /// exporter does.
  public init(
    patientId: String? = nil, streamId: String? = nil, timeBasis: TimeBasis = .recordedAt,
    from: String? = nil, to: String? = nil
  ) {
    self.patientId = patientId
    self.streamId = streamId
    self.time = timeBasis
    self.from = from
    self.to = to
  }

  /// The stream named in the manifest's `filter.stream`: set by the exporter from its
  /// ``AuditSemantics`` and read back from a manifest; not part of equality (it follows from
  /// ``patientId`` or ``streamId``).
  var recordedStream: String?

  /// The stream the filter selects under `semantics` (such as `patient-<id>`, or its
  /// ``streamId``), or nil for the whole log.
  public func stream(using semantics: some AuditSemantics) -> String? {
    patientId.map(semantics.stream(forPatient:)) ?? streamId
  }

  /// The filter with its stream name resolved, as a manifest records it.
  func recordingStream(using semantics: some AuditSemantics) -> AuditFilter {
    var filter = self
    filter.recordedStream = stream(using: semantics)
    return filter
  }

  /// True when a time range is set (either end).
  public var hasRange: Bool { from != nil || to != nil }

  /// True when the export carries the whole chain (of the patient or of the log) up to the
  /// export, rather than only the events of a recorded-time range: with no range, or with a
  /// range on `occurredAt`.
  public var coversWholeChain: Bool { !hasRange || time == .occurredAt }

  /// `from` in microseconds since the epoch, when set and valid.
  public var fromMicros: Int64? { from.flatMap(Timestamp.parseMicros) }
  /// `to` in microseconds since the epoch, when set and valid.
  public var toMicros: Int64? { to.flatMap(Timestamp.parseMicros) }

  /// True when `micros` falls in the range (`from` ≤ t < `to`).
  public func contains(micros: Int64) -> Bool {
    if let from = fromMicros, micros < from { return false }
    if let to = toMicros, micros >= to { return false }
    return true
  }

  /// Checks the times and the patient id (that it makes a valid stream name under `semantics`).
  ///
  /// - Throws: ``AuditError/invalidFilter(reason:)`` naming the problem.
  public func validate(using semantics: some AuditSemantics) throws(AuditError) {
    if let from, Timestamp.parseMicros(from) == nil {
      throw .invalidFilter(reason: "from must be an RFC 3339 date-time with an offset")
    }
    if let to, Timestamp.parseMicros(to) == nil {
      throw .invalidFilter(reason: "to must be an RFC 3339 date-time with an offset")
    }
    if let from = fromMicros, let to = toMicros, from >= to {
      throw .invalidFilter(reason: "from must be earlier than to (the range is from ≤ t < to)")
    }
    if let streamId {
      guard patientId == nil else {
        throw .invalidFilter(reason: "a filter names a patient or a stream, not both")
      }
      do { try StreamNames.validate(streamId) } catch {
        throw .invalidFilter(reason: "the stream is not a valid stream name: \(error)")
      }
      guard semantics.patientId(ofStream: streamId) == nil else {
        throw .invalidFilter(reason: "the stream is a patient's: name the patient instead")
      }
    }
    if let patientId {
      guard !patientId.isEmpty, let stream = stream(using: semantics) else {
        throw .invalidFilter(reason: "the patient id is empty")
      }
      do { try StreamNames.validate(stream) } catch {
        throw .invalidFilter(reason: "the patient id does not make a valid stream name: \(error)")
      }
    }
  }

  private enum CodingKeys: String, CodingKey {
    case patientId, stream, time, from, to
  }

  /// Decodes a filter as a manifest holds it.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    patientId = try container.decodeIfPresent(String.self, forKey: .patientId)
    time = try container.decode(TimeBasis.self, forKey: .time)
    from = try container.decodeIfPresent(String.self, forKey: .from)
    to = try container.decodeIfPresent(String.self, forKey: .to)
    recordedStream = try container.decodeIfPresent(String.self, forKey: .stream)
    // A stream named without a patient is the export's stream.
    streamId = patientId == nil ? recordedStream : nil
  }

  /// Encodes the filter with its stream name, absent members left out.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encodeIfPresent(patientId, forKey: .patientId)
    try container.encodeIfPresent(recordedStream, forKey: .stream)
    try container.encode(time, forKey: .time)
    try container.encodeIfPresent(from, forKey: .from)
    try container.encodeIfPresent(to, forKey: .to)
  }

  /// True when both select the same events (the recorded stream name follows from the patient).
  public static func == (lhs: AuditFilter, rhs: AuditFilter) -> Bool {
    lhs.patientId == rhs.patientId && lhs.streamId == rhs.streamId && lhs.time == rhs.time
      && lhs.from == rhs.from && lhs.to == rhs.to
  }

  /// Hashes what `==` compares.
  public func hash(into hasher: inout Hasher) {
    hasher.combine(patientId)
    hasher.combine(streamId)
    hasher.combine(time)
    hasher.combine(from)
    hasher.combine(to)
  }

  /// A short description without patient data: `patient 7f3a, recordedAt from … to …`.
  public var summary: String {
    var parts = [
      patientId.map { "patient \($0)" } ?? streamId.map { "stream \($0)" } ?? "whole log"
    ]
    if hasRange {
      parts.append("\(time.rawValue) from \(from ?? "the start") to \(to ?? "the export")")
    }
    return parts.joined(separator: ", ")
  }
}

/// The data files a request chooses for an audit export (``AuditExportRequest/formats``).
///
/// `keys.json`, which an export carries when a request names auditors' keys, is not a format one
/// chooses: the manifest lists it as an ``AuditFileKind``.
public enum AuditFormat: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
  /// `events.ndjson`: every event with the exact bytes that were hashed (the proof).
  case ndjson
  /// `events.csv`: one row per event for reading in a spreadsheet.
  case csv

  /// The file's name in the export directory.
  public var fileName: String { AuditFileKind(self).fileName }

  /// Orders NDJSON before CSV.
  public static func < (lhs: AuditFormat, rhs: AuditFormat) -> Bool {
    (allCases.firstIndex(of: lhs) ?? 0) < (allCases.firstIndex(of: rhs) ?? 0)
  }
}

/// What one file listed in an export's manifest holds (``AuditManifest/FileEntry/format``): one
/// of the ``AuditFormat``s a request chose, or the auditors' sealed data keys. The manifest
/// writes its raw value (`ndjson`, `csv`, `keys`) as the entry's `format`.
public enum AuditFileKind: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
  /// `events.ndjson` (``AuditFormat/ndjson``).
  case ndjson
  /// `events.csv` (``AuditFormat/csv``).
  case csv
  /// `keys.json`: the exported patients' data keys sealed to auditors' public keys (format
  /// `treatment-ledger-audit-3`), written when a request names auditor keys
  /// (``AuditExportRequest/auditorKeys``).
  case keys

  /// The kind of the file a request's `format` writes.
  public init(_ format: AuditFormat) {
    switch format {
    case .ndjson: self = .ndjson
    case .csv: self = .csv
    }
  }

  /// The data format this file is, or nil for `keys.json`.
  public var dataFormat: AuditFormat? { AuditFormat(rawValue: rawValue) }

  /// The file's name in the export directory.
  public var fileName: String {
    switch self {
    case .ndjson: return AuditManifest.ndjsonFileName
    case .csv: return AuditManifest.csvFileName
    case .keys: return AuditKeysFile.fileName
    }
  }

  /// Orders NDJSON, then CSV, then `keys.json`.
  public static func < (lhs: AuditFileKind, rhs: AuditFileKind) -> Bool {
    (allCases.firstIndex(of: lhs) ?? 0) < (allCases.firstIndex(of: rhs) ?? 0)
  }
}
