import LedgerEventStore

/// Why a central operation failed. Descriptions name clinics, positions and PostgreSQL's error
/// codes, never an event's data (docs/CENTRAL.md, "Faults").
public enum CentralError: Error, Sendable, Hashable, CustomStringConvertible {
  /// The PostgreSQL URL is not `postgres://user[:password]@host[:port]/database`.
  case invalidURL(reason: String)
  /// A clinic id that is not a slug of 1–32 of `a–z`, `0–9` and `-`.
  case invalidClinicId
  /// PostgreSQL could not be reached or refused the connection: worth retrying.
  case unreachable(reason: String)
  /// PostgreSQL answered with an error (its SQLSTATE and message, without the statement).
  case database(reason: String)
  /// The central schema is newer than this release knows.
  case schemaTooNew(found: Int, known: Int)
  /// Another forwarder holds this clinic's lock: two forwarders of one clinic never both write.
  case anotherForwarder(clinic: String)
  /// The store does not continue the clinic's central chain: a forked, restored or foreign store.
  /// Nothing was written.
  case chainMismatch(clinic: String, position: UInt64, reason: String)
  /// The store holds fewer events than the central copy of the clinic: restored from an older
  /// backup, or another clinic's store. Nothing was written.
  case storeBehind(clinic: String, storeEvents: UInt64, centralEvents: UInt64)
  /// The clinic has no row in the central copy.
  case unknownClinic(String)
  /// Reading the clinic's store failed.
  case store(EventStoreError)
  /// An audit export from the central copy failed (the exporter's reason).
  case export(reason: String)
  /// A report that opens patient data was not given the key-encryption key of these clinics.
  case clinicKeyMissing(clinics: [String])
  /// The key given for a clinic is not its key-encryption key (it does not unwrap the clinic's
  /// key check or data keys).
  case clinicKeyRefused(clinic: String, reason: String)

  /// True for faults a forwarder waits out (connection lost, server restarting or refusing).
  public var isTransient: Bool {
    switch self {
    case .unreachable: return true
    default: return false
    }
  }

  /// A one-line description without event data.
  public var description: String {
    switch self {
    case .invalidURL(let reason): return "invalid PostgreSQL URL: \(reason)"
    case .invalidClinicId: return "a clinic id is 1–32 of a–z, 0–9 and '-'"
    case .unreachable(let reason): return "PostgreSQL unreachable: \(reason)"
    case .database(let reason): return "PostgreSQL error: \(reason)"
    case .schemaTooNew(let found, let known):
      return "the central schema is version \(found); this release knows up to \(known)"
    case .anotherForwarder(let clinic):
      return "another forwarder holds clinic '\(clinic)': refused (one forwarder per clinic)"
    case .chainMismatch(let clinic, let position, let reason):
      return "clinic '\(clinic)': the store does not continue the central chain at position "
        + "\(position) (\(reason)); forked, restored or foreign store: nothing written"
    case .storeBehind(let clinic, let storeEvents, let centralEvents):
      return "clinic '\(clinic)': the store holds \(storeEvents) events, the central copy "
        + "\(centralEvents): restored from an older backup? nothing written"
    case .unknownClinic(let clinic): return "no clinic '\(clinic)' in the central copy"
    case .store(let error): return "store: \(error)"
    case .export(let reason): return "audit export: \(reason)"
    case .clinicKeyMissing(let clinics):
      return "no key-encryption key for clinic "
        + clinics.map { "'\($0)'" }.joined(separator: ", ")
        + ": give --clinic-key ID=PATH (the clinic's key file) for each; nothing is read without it"
    case .clinicKeyRefused(let clinic, let reason):
      return "the key given for clinic '\(clinic)' does not open its data keys: \(reason)"
    }
  }
}
