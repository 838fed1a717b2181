import Foundation
import LedgerEventStore

/// `manifest.json` of an audit export: what was exported, by whom and why, and everything needed
/// to verify the files with the manifest alone (docs/AUDIT.md describes each member).
///
/// The manifest is written last, as sorted, indented JSON. Its SHA-256 is recorded in the store's
/// `$audit` stream, so an edit to any member — including the purely descriptive ones such as
/// ``reason`` — is detected by comparing the two (``AuditVerifier/verify(directory:against:)``,
/// or `--manifest-sha256` of the Python verifier).
public struct AuditManifest: Sendable, Hashable, Codable {
  /// The export format this build writes. It also reads `treatment-ledger-audit-1`, whose CSV
  /// cells follow ``AuditCSVRules/audit1``.
  public static let formatName = AuditCSVRules.current.format
  /// The format of an export that carries `keys.json` (auditors' sealed data keys): the
  /// ``formatName`` format plus that file (docs/AUDIT.md 2.7).
  public static let formatWithKeys = "treatment-ledger-audit-3"
  /// Every format the verifier reads, oldest first.
  public static let readableFormats = [
    AuditCSVRules.audit1.format, AuditCSVRules.audit2.format, formatWithKeys,
  ]
  /// The manifest's file name.
  public static let fileName = "manifest.json"
  /// The NDJSON file's name.
  public static let ndjsonFileName = "events.ndjson"
  /// The CSV file's name.
  public static let csvFileName = "events.csv"
  /// The version of this library's audit code, written into ``tool`` by default.
  public static let libraryVersion = "0.1.0-unreleased"

  /// The program that wrote the export.
  public struct Tool: Sendable, Hashable, Codable {
    /// Its name, such as `treatment-ledger`.
    public var name: String
    /// Its version.
    public var version: String

    /// Creates a tool description.
    public init(name: String, version: String) {
      self.name = name
      self.version = version
    }
  }

  /// How many events the files hold.
  public struct Counts: Sendable, Hashable, Codable {
    /// Events (lines of `events.ndjson`, data rows of `events.csv`).
    public var events: UInt64
    /// Of those, the events inside the filter's range. Equal to ``events`` unless the range is on
    /// `occurredAt`, where the files also carry the rest of the chain.
    public var eventsInRange: UInt64

    /// Creates counts.
    public init(events: UInt64, eventsInRange: UInt64) {
      self.events = events
      self.eventsInRange = eventsInRange
    }
  }

  /// The chain fields of one event, without its payload: used for the first and last exported
  /// events and for the events just outside the range.
  public struct EventAnchor: Sendable, Hashable, Codable {
    /// Position in the log.
    public var globalPosition: UInt64
    /// Version in its stream.
    public var streamVersion: UInt64
    /// Commit time.
    public var recordedAt: String
    /// Hash of the previous event of the log.
    public var previousHash: String
    /// Hash of the previous event of its stream.
    public var previousStreamHash: String
    /// The event's own hash.
    public var hash: String

    /// Creates an anchor.
    public init(
      globalPosition: UInt64, streamVersion: UInt64, recordedAt: String, previousHash: String,
      previousStreamHash: String, hash: String
    ) {
      self.globalPosition = globalPosition
      self.streamVersion = streamVersion
      self.recordedAt = recordedAt
      self.previousHash = previousHash
      self.previousStreamHash = previousStreamHash
      self.hash = hash
    }

    /// The anchor of a stored event.
    public init(_ event: RecordedEvent) {
      self.init(
        globalPosition: event.globalPosition, streamVersion: event.streamVersion,
        recordedAt: event.recordedAt, previousHash: event.previousHash.hex,
        previousStreamHash: event.previousStreamHash.hex, hash: event.hash.hex)
    }
  }

  /// The store's head when the export began: the log the export was taken from.
  public struct StoreHead: Sendable, Hashable, Codable {
    /// Number of events in the store (the export includes none at or after this position).
    public var events: UInt64
    /// Hash of event `events − 1` (64 zeros when empty).
    public var chainHead: String
    /// recordedAt of the newest event, if any.
    public var lastRecordedAt: String?

    /// Creates a store head.
    public init(events: UInt64, chainHead: String, lastRecordedAt: String?) {
      self.events = events
      self.chainHead = chainHead
      self.lastRecordedAt = lastRecordedAt
    }
  }

  /// The patient stream's last event when the export began (patient exports only).
  public struct StreamHead: Sendable, Hashable, Codable {
    /// Its version.
    public var streamVersion: UInt64
    /// Its position in the log.
    public var globalPosition: UInt64
    /// Its hash.
    public var hash: String

    /// Creates a stream head.
    public init(streamVersion: UInt64, globalPosition: UInt64, hash: String) {
      self.streamVersion = streamVersion
      self.globalPosition = globalPosition
      self.hash = hash
    }
  }

  /// The chain the export is verified along, and where it starts and ends.
  public struct Anchors: Sendable, Hashable, Codable {
    /// Which chain links the exported events: the log chain (`previousHash`, global positions)
    /// for a whole-log export, the stream chain (`previousStreamHash`, stream versions) for a
    /// patient export.
    public enum Chain: String, Sendable, Hashable, Codable {
      /// Global positions and `previousHash`.
      case log
      /// Stream versions and `previousStreamHash`.
      case stream
    }

    /// The chain the export follows.
    public var chain: Chain
    /// The first exported event, or nil when the export is empty.
    public var first: EventAnchor?
    /// The last exported event, or nil when the export is empty.
    public var last: EventAnchor?
    /// The event of the chain just before the first exported one: nil when the export starts
    /// at the beginning of the chain. Its `recordedAt` is before the range.
    public var before: EventAnchor?
    /// The event of the chain just after the last exported one, when the store held one at
    /// export time: nil when the export ends at the head. Its `recordedAt` is at or after `to`.
    public var after: EventAnchor?
    /// The store's head when the export began.
    public var store: StoreHead
    /// The patient stream's head when the export began (nil for whole-log exports and for a
    /// patient without events).
    public var streamHead: StreamHead?

    private enum CodingKeys: String, CodingKey {
      case chain, first, last, before, after, store, streamHead
    }

    /// Encodes the anchors, writing `null` for the absent ones so that a reader sees them.
    public func encode(to encoder: any Encoder) throws {
      var container = encoder.container(keyedBy: CodingKeys.self)
      try container.encode(chain, forKey: .chain)
      try container.encode(first, forKey: .first)
      try container.encode(last, forKey: .last)
      try container.encode(before, forKey: .before)
      try container.encode(after, forKey: .after)
      try container.encode(store, forKey: .store)
      try container.encode(streamHead, forKey: .streamHead)
    }

    /// Creates anchors.
    public init(
      chain: Chain, first: EventAnchor?, last: EventAnchor?, before: EventAnchor?,
      after: EventAnchor?, store: StoreHead, streamHead: StreamHead?
    ) {
      self.chain = chain
      self.first = first
      self.last = last
      self.before = before
      self.after = after
      self.store = store
      self.streamHead = streamHead
    }
  }

  /// One file of the export.
  public struct FileEntry: Sendable, Hashable, Codable {
    /// File name in the export directory.
    public var name: String
    /// What it holds: a data format of the request, or `keys` for `keys.json`.
    public var format: AuditFileKind
    /// SHA-256 of the whole file, 64 lowercase hex digits (as `sha256sum` prints it).
    public var sha256: String
    /// Its size in bytes.
    public var bytes: UInt64
    /// Events it holds (lines, or data rows after the header).
    public var records: UInt64

    /// Creates a file entry.
    public init(name: String, format: AuditFileKind, sha256: String, bytes: UInt64, records: UInt64)
    {
      self.name = name
      self.format = format
      self.sha256 = sha256
      self.bytes = bytes
      self.records = records
    }
  }

  /// What the files contain, derived from the filter.
  public enum Contents: String, Sendable, Hashable, Codable {
    /// Exactly the events recorded in the range (a recorded-time range).
    case recordedRange
    /// The whole chain up to the export (no range, or an `occurredAt` range with events marked).
    case wholeChain

    /// The contents a filter gives.
    public init(_ filter: AuditFilter) {
      self = filter.coversWholeChain ? .wholeChain : .recordedRange
    }
  }

  /// ``formatName``.
  public var format: String
  /// Id of this export; also the `eventId` of its `$audit` event.
  public var exportId: String
  /// The program that wrote it.
  public var tool: Tool
  /// The store's on-disk format.
  public var storeFormat: String
  /// When the export began (UTC), RFC 3339.
  public var generatedAt: String
  /// Who exported.
  public var generatedBy: Recorder
  /// Why, in the exporter's words.
  public var reason: String
  /// The filter.
  public var filter: AuditFilter
  /// What the files contain.
  public var contents: Contents
  /// Event counts.
  public var counts: Counts
  /// The chain anchors that tie the slice to the store.
  public var anchors: Anchors
  /// The files, each with its SHA-256.
  public var files: [FileEntry]
  /// Where the format and the procedure are described.
  public var documentation: String

  /// Creates a manifest.
  public init(
    exportId: String, tool: Tool, storeFormat: String, generatedAt: String, generatedBy: Recorder,
    reason: String, filter: AuditFilter, counts: Counts, anchors: Anchors, files: [FileEntry]
  ) {
    self.format = Self.formatName
    self.exportId = exportId
    self.tool = tool
    self.storeFormat = storeFormat
    self.generatedAt = generatedAt
    self.generatedBy = generatedBy
    self.reason = reason
    self.filter = filter
    self.contents = Contents(filter)
    self.counts = counts
    self.anchors = anchors
    self.files = files
    self.documentation =
      "docs/AUDIT.md (TreatmentLedger); verify with Tools/audit-verify/verify_export.py"
  }

  /// The manifest file's bytes: sorted, indented JSON ending with a newline.
  public func encoded() -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    // Every member is a string, integer, bool or nested struct: encoding cannot fail.
    let data = (try? encoder.encode(self)) ?? Data("{}".utf8)
    return Array(data) + [0x0A]
  }

  /// Decodes a manifest file.
  public static func decode(_ bytes: [UInt8]) throws(AuditError) -> AuditManifest {
    do {
      return try JSONDecoder().decode(AuditManifest.self, from: Data(bytes))
    } catch {
      throw .unreadableManifest(reason: "manifest.json is not a manifest of this format")
    }
  }
}
