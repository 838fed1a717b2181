import Foundation
import LedgerAudit
import LedgerEventStore
import TreatmentRecords

/// The clinical records' answers to what an audit export asks of them: patients' streams are
/// `patient-<id>`, an `EntryCorrected` corrects `data.correctedEventId` and an `EntryVoided` voids
/// `data.voidedEventId`.
///
/// The ledger's audit entry points use it; give it to LedgerAudit's types when building them
/// yourself:
///
/// ```swift
/// let verifier = AuditVerifier(semantics: ClinicalAuditSemantics())
/// ```
public struct ClinicalAuditSemantics: AuditSemantics {
  /// The clinical semantics.
  public init() {}

  /// `patient-<id>`.
  public func stream(forPatient patientId: String) -> String {
    ClinicalReviewer.patientStreamPrefix + patientId
  }

  /// The part after `patient-`, or nil for a stream that is not a patient's.
  public func patientId(ofStream streamId: String) -> String? {
    let prefix = ClinicalReviewer.patientStreamPrefix
    return streamId.hasPrefix(prefix) ? String(streamId.dropFirst(prefix.count)) : nil
  }

  /// `data.correctedEventId` of an `EntryCorrected`.
  public func correctedEventId(type: String, data: JSONValue) -> String? {
    type == EntryCorrected.eventType ? data["correctedEventId"]?.stringValue : nil
  }

  /// `data.voidedEventId` of an `EntryVoided`.
  public func voidedEventId(type: String, data: JSONValue) -> String? {
    type == EntryVoided.eventType ? data["voidedEventId"]?.stringValue : nil
  }
}

extension AuditExporter {
  /// An exporter of the clinical records of `store` (``ClinicalAuditSemantics``).
  public init(store: EventStore) {
    self.init(store: store, semantics: ClinicalAuditSemantics())
  }
}

extension AuditVerifier {
  /// A verifier of exports of clinical records (``ClinicalAuditSemantics``), optionally reporting
  /// progress.
  public init(
    trustedKeys: [[UInt8]] = [],
    progress: (@Sendable (_ eventsChecked: UInt64, _ expected: UInt64) -> Void)? = nil
  ) {
    self.init(semantics: ClinicalAuditSemantics(), trustedKeys: trustedKeys, progress: progress)
  }
}

extension AuditFilter {
  /// The stream the filter selects: `patient-<id>`, or nil for the whole log.
  public var stream: String? { stream(using: ClinicalAuditSemantics()) }

  /// Checks the times and the patient id (that `patient-<id>` is a valid stream name).
  ///
  /// - Throws: `AuditError.invalidFilter(reason:)` naming the problem.
  public func validate() throws(AuditError) {
    try validate(using: ClinicalAuditSemantics())
  }
}

extension Ledger {
  /// Exports the events `request` selects and records the export in `$audit`, on this ledger's
  /// own (read-write) store: the way a service embedding the ledger exports.
  ///
  /// ```swift
  /// let export = try await ledger.exportAudit(
  ///   AuditExportRequest(directory: "/mnt/audit/7f3a", filter: AuditFilter(patientId: "7f3a"),
  ///                      exportedBy: officer, reason: "Patient access request #88"))
  /// print(export.manifest.counts.events, export.manifestSHA256)
  /// ```
  ///
  /// Appends by this or other processes continue while it reads. When the export cannot be
  /// recorded its files are removed and `AuditError.notRecorded(_:)` is thrown. Unless the
  /// request names a signer, the export is signed with the store's signing key
  /// (``auditSigner()``, docs/AUDIT.md 2.5); a ledger opened without sealing exports unsigned.
  public func exportAudit(
    _ request: AuditExportRequest,
    progress: (@Sendable (_ written: UInt64, _ expected: UInt64) -> Void)? = nil
  ) async throws(AuditError) -> AuditExport {
    var export = try await AuditExporter(store: store).export(request, progress: progress)
    if request.signer == nil && store.keepsKeys {
      // Signed once the export succeeded: a refused export publishes no signing key. (A ledger
      // opened without sealing has no keys, and exports unsigned.)
      export = try await sign(export)
    }
    try await AuditExporter.record(export, in: store)
    return export
  }

  /// The `$audit` entries from `version` on (see `AuditLog.entries(in:from:limit:)`).
  public func auditLog(from version: UInt64 = 0, limit: Int = 1_000) throws(AuditError)
    -> [AuditLogEntry]
  {
    try AuditLog.entries(in: store, from: version, limit: limit)
  }

  /// Verifies the export in `directory` and checks its manifest against this ledger's `$audit`
  /// record of it.
  public func verifyAuditExport(at directory: String) async -> AuditVerificationReport {
    await AuditVerifier().verify(directory: directory, against: store)
  }
}
