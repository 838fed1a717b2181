import Foundation
import LedgerEventStore

/// Every error of audit export and of reading the audit log. Descriptions name files, positions,
/// ids and field names, never a patient's data.
///
/// A verification does not throw for a damaged export: it returns an ``AuditVerificationReport``
/// whose ``AuditProblem`` names the first problem.
public enum AuditError: Error, Sendable, Hashable, CustomStringConvertible {
  /// The filter is not usable (a time without an offset, `from` not before `to`, a patient id
  /// that makes no valid stream name).
  case invalidFilter(reason: String)
  /// The request is not usable (no format, an empty reason, an invalid exporter).
  case invalidRequest(reason: String)
  /// The output directory already holds files: an export never overwrites another.
  case outputExists(path: String)
  /// A file could not be written or read.
  case output(path: String, reason: String)
  /// The manifest cannot be read as a manifest of a known format.
  case unreadableManifest(reason: String)
  /// The store failed while reading or recording.
  case store(EventStoreError)
  /// The export was written but could not be recorded in `$audit`; its files were removed.
  case notRecorded(EventStoreError)

  /// One line without patient data.
  public var description: String {
    switch self {
    case .invalidFilter(let reason): return "invalid filter: \(reason)"
    case .invalidRequest(let reason): return "invalid export request: \(reason)"
    case .outputExists(let path):
      return "\(path) already holds files; an audit export is written to a new or empty directory"
    case .output(let path, let reason): return "cannot write \(path): \(reason)"
    case .unreadableManifest(let reason): return reason
    case .store(let error): return error.description
    case .notRecorded(let error):
      return
        "the export could not be recorded in \(StreamNames.audit) (\(error)); its files were removed"
    }
  }
}
