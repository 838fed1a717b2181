import LedgerEventStore
import LedgerFoundation

/// What an audit export needs to know about the records it exports, and nothing more: which
/// stream holds a patient, and which events correct or void another one.
///
/// LedgerAudit knows streams, positions and hashes, not clinics. The module that defines the
/// records implements this protocol (TreatmentLedger's `ClinicalAuditSemantics` for the clinical
/// records), and the exporter and the verifier take it:
///
/// ```swift
/// let exporter = AuditExporter(store: store, semantics: ClinicalAuditSemantics())
/// let verifier = AuditVerifier(semantics: ClinicalAuditSemantics())
/// ```
///
/// The answers must be pure functions of their arguments: an export and its verification, on
/// other machines and years apart, must render the same CSV cells.
public protocol AuditSemantics: Sendable {
  /// The stream that holds the events of patient `patientId` (the filter's stream, and the
  /// manifest's `filter.stream`).
  func stream(forPatient patientId: String) -> String

  /// The patient whose stream `streamId` is (the CSV column `patientId`), or nil for a stream
  /// that belongs to no patient.
  func patientId(ofStream streamId: String) -> String?

  /// The id of the event that an event of type `type` with payload `data` corrects (the CSV
  /// column `correctsEventId`), or nil when it corrects none.
  func correctedEventId(type: String, data: JSONValue) -> String?

  /// The id of the event that an event of type `type` with payload `data` voids (the CSV column
  /// `voidsEventId`), or nil when it voids none.
  func voidedEventId(type: String, data: JSONValue) -> String?
}
