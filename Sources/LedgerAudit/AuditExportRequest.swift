import Foundation
import LedgerEventStore

/// What to export, where, by whom and why.
public struct AuditExportRequest: Sendable, Hashable {
  /// The directory to write: created when missing (mode 0700); an existing one must be empty.
  /// It appears only once the export is recorded (see ``AuditExporter/record(_:in:)``).
  public var directory: String
  /// Which events.
  public var filter: AuditFilter
  /// Which files besides the manifest. `.ndjson` carries the proof (the hashed bytes); a CSV-only
  /// export can be checked for completeness and links but its hashes cannot be recomputed.
  public var formats: Set<AuditFormat>
  /// Who exports: recorded in the manifest and as `recordedBy` of the `$audit` event.
  public var exportedBy: Recorder
  /// Why, in the exporter's words (required; never put patient data here).
  public var reason: String
  /// The program named in the manifest.
  public var tool: AuditManifest.Tool
  /// Events read per read transaction (1 to 100,000). Each read is a short LMDB snapshot, so an
  /// export never holds one reader for long and a writing service is never held up.
  public var eventsPerRead: Int
  /// The store's signing key: when given, `signature.json` signs the manifest and the store head
  /// (docs/AUDIT.md 2.5).
  public var signer: (any AuditSigner)?
  /// Auditors' X25519 public keys (32 bytes each): when any is given, the export carries the
  /// exported streams' data keys sealed to each of them in `keys.json`, and its format is
  /// `treatment-ledger-audit-3` (docs/AUDIT.md 2.7). Needs `.ndjson` among ``formats``.
  public var auditorKeys: [[UInt8]] = []

  /// Creates a request for both formats.
  public init(
    directory: String, filter: AuditFilter = AuditFilter(),
    formats: Set<AuditFormat> = Set(AuditFormat.allCases), exportedBy: Recorder, reason: String,
    tool: AuditManifest.Tool = AuditManifest.Tool(
      name: "TreatmentLedger", version: AuditManifest.libraryVersion),
    eventsPerRead: Int = 1_000, signer: (any AuditSigner)? = nil, auditorKeys: [[UInt8]] = []
  ) {
    self.directory = directory
    self.filter = filter
    self.formats = formats
    self.exportedBy = exportedBy
    self.reason = reason
    self.tool = tool
    self.eventsPerRead = eventsPerRead
    self.signer = signer
    self.auditorKeys = auditorKeys
  }

  /// Requests are equal when they ask for the same export, signed by the same public key.
  public static func == (lhs: AuditExportRequest, rhs: AuditExportRequest) -> Bool {
    lhs.directory == rhs.directory && lhs.filter == rhs.filter && lhs.formats == rhs.formats
      && lhs.exportedBy == rhs.exportedBy && lhs.reason == rhs.reason && lhs.tool == rhs.tool
      && lhs.eventsPerRead == rhs.eventsPerRead
      && lhs.signer?.publicKey == rhs.signer?.publicKey && lhs.auditorKeys == rhs.auditorKeys
  }

  /// Hashes what ``==(_:_:)`` compares.
  public func hash(into hasher: inout Hasher) {
    hasher.combine(directory)
    hasher.combine(filter)
    hasher.combine(formats)
    hasher.combine(reason)
    hasher.combine(eventsPerRead)
    hasher.combine(signer?.publicKey)
    hasher.combine(auditorKeys)
  }
}
