/// Stream naming rules and the reserved system streams, kept in one place.
///
/// A stream name is 1–200 bytes of `A–Z a–z 0–9 . _ : @ -`. Names starting with `$` are reserved
/// for the store itself (audit records and the like): writers cannot append to them.
public enum StreamNames {
  /// The prefix of reserved system streams.
  public static let systemPrefix = "$"
  /// The audit stream: one event per audit export (who, why, what filter, manifest hash).
  public static let audit = "$audit"
  /// The access stream: one event per read of patient data through the HTTP server (who, which
  /// patients, what, why, when; no patient data values), HIPAA's accounting of disclosures.
  public static let access = "$access"
  /// The migration stream: one `StoreMigrated` event per `migrate` that filled the store, naming
  /// the chain it copied (its format, event count and chain head), so an auditor links the two.
  public static let migration = "$migration"
  /// Every reserved stream this version of the store writes.
  public static let reserved: Set<String> = [audit, access, migration]
  /// The longest stream name in UTF-8 bytes (LMDB keys are at most 511 bytes).
  public static let maximumLength = 200

  /// Checks a name a writer wants to append to.
  public static func validate(_ name: String, allowSystem: Bool = false) throws(EventStoreError) {
    var body = Substring(name)
    if name.hasPrefix(systemPrefix) {
      guard allowSystem else {
        throw .invalidStreamName(reason: "names starting with '$' are reserved for the store")
      }
      body = body.dropFirst()
    }
    guard !body.isEmpty else { throw .invalidStreamName(reason: "the name is empty") }
    guard name.utf8.count <= maximumLength else {
      throw .invalidStreamName(reason: "longer than \(maximumLength) bytes")
    }
    for byte in body.utf8 {
      switch byte {
      case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
        UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"),
        UInt8(ascii: ":"), UInt8(ascii: "@"), UInt8(ascii: "-"):
        continue
      default:
        throw .invalidStreamName(reason: "only letters, digits and . _ : @ - are allowed")
      }
    }
  }
}
