/// The first problem an export verification found.
public struct AuditProblem: Sendable, Hashable, Codable, CustomStringConvertible {
  /// What is wrong. The Python verifier (`Tools/audit-verify/verify_export.py`) uses the same
  /// names.
  public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
    /// `manifest.json` is missing or is not a manifest.
    case unreadableManifest
    /// The manifest names an export format this build does not read.
    case unsupportedFormat
    /// The manifest contradicts itself (its contents, chain or files do not fit its filter).
    case manifestInconsistent
    /// `manifest.json` is not the manifest recorded in `$audit` (or the one the auditor was
    /// given): it was edited.
    case manifestMismatch
    /// The store holds no `$audit` record of this export.
    case notRecorded
    /// A file the manifest lists is missing.
    case missingFile
    /// An NDJSON line is not `{"hash":…,"event":…}` with a canonical envelope.
    case malformedLine
    /// A line's event bytes do not hash to its hash: a byte was changed.
    case hashMismatch
    /// A line's event bytes hash correctly but are not the canonical form of an envelope (other
    /// serialization, or members an envelope does not have): not bytes the store wrote.
    case notCanonical
    /// A position or version is skipped: a line was removed (or lines were moved).
    case missingEvent
    /// A position or version repeats or goes back: a line was added (or lines were moved).
    case unexpectedEvent
    /// An event's previous hash is not the hash of the event before it.
    case brokenChain
    /// An event the filter excludes: another stream, or a recorded time outside the range.
    case outsideFilter
    /// The files hold another number of events than the manifest says.
    case countMismatch
    /// The first or last event, the events around the range or the heads disagree with the
    /// manifest.
    case anchorMismatch
    /// `events.csv` is not valid RFC 4180.
    case csvMalformed
    /// A CSV row disagrees with the NDJSON line of the same event.
    case csvMismatch
    /// A file's SHA-256 or size differs from the manifest.
    case fileHashMismatch
    /// Public keys were given, and the export has no `signature.json`.
    case signatureMissing
    /// `signature.json` is not a signature of its format, or its manifest or head signature does
    /// not check (the manifest was edited, or the signed head is not the manifest's).
    case signatureInvalid
    /// The export is signed by a key that is not among those given.
    case signatureKeyUnknown
    /// `keys.json` is not of its format, belongs to another export, lacks a key an event uses, or
    /// a sealed key does not open (docs/AUDIT.md 2.7).
    case keysInvalid
    /// The auditor's private key given is not one the export's keys are sealed to.
    case auditorKeyUnknown
    /// A sealed event's `data` does not open under its data key, or does not hold the canonical
    /// JSON of an object.
    case dataNotOpened
    /// The opened events could not be written where the auditor asked (`--decrypt-to`).
    case outputFailed
  }

  /// What is wrong.
  public var kind: Kind
  /// The file concerned, when there is one.
  public var file: String?
  /// 1-based line of `events.ndjson`, or 1-based record of `events.csv` (the header is 1).
  public var line: UInt64?
  /// A sentence about the problem (positions, columns, hashes; never payload values).
  public var detail: String

  /// Creates a problem.
  public init(kind: Kind, file: String? = nil, line: UInt64? = nil, detail: String) {
    self.kind = kind
    self.file = file
    self.line = line
    self.detail = detail
  }

  /// `kind in FILE line N: detail`.
  public var description: String {
    var text = kind.rawValue
    if let file { text += " in \(file)" }
    if let line { text += file == AuditManifest.csvFileName ? " record \(line)" : " line \(line)" }
    return text + ": " + detail
  }
}

/// The outcome of ``AuditVerifier/verify(directory:expectedManifestSHA256:)``.
public struct AuditVerificationReport: Sendable, Hashable, Codable {
  /// The export's id, when the manifest could be read.
  public var exportId: String?
  /// Intact events: those, in file order, whose line (or CSV row when there is no NDJSON), place
  /// in the chain and CSV row all passed, before the first problem if there is one (the `N` of
  /// "FAILED after N intact events", counted as verify_export.py counts it).
  public var eventsChecked: UInt64
  /// Of those, the events inside the filter's range.
  public var eventsInRange: UInt64
  /// True when the hashes were recomputed from the NDJSON (false for a CSV-only export).
  public var hashesRecomputed: Bool
  /// SHA-256 of `manifest.json`.
  public var manifestSHA256: String?
  /// True when the manifest was compared with its `$audit` record or an expected hash.
  public var manifestChecked: Bool
  /// The first problem, or nil.
  public var problem: AuditProblem?
  /// The public key (hex) whose signature of the manifest and head was checked, or nil when no
  /// public key was given.
  public var signedBy: String? = nil
  /// With an auditor's private key: what was opened (nil without one).
  public var opened: AuditOpenedCounts? = nil
  /// True when no problem was found.
  public var isIntact: Bool { problem == nil }
}
