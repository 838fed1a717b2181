/// A clinic's id in the central copy: a slug of 1–32 of `a–z`, `0–9` and `-` (DOMAIN.md 9).
public struct ClinicID: Sendable, Hashable, CustomStringConvertible {
  /// The slug.
  public let rawValue: String

  /// The id `rawValue`, or nil when it is not a slug.
  public init?(_ rawValue: String) {
    guard (1...32).contains(rawValue.utf8.count),
      rawValue.utf8.allSatisfy({
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0)
          || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "-")
      })
    else { return nil }
    self.rawValue = rawValue
  }

  /// The slug.
  public var description: String { rawValue }
}
