import Foundation
import LedgerFoundation

/// Times as the store handles them: microseconds since the Unix epoch, and RFC 3339 text.
///
/// `recordedAt` is always UTC with six fractional digits (`2026-11-23T19:22:44.123456Z`), so its
/// text sorts in time order. Clinical times (`occurredAt`) keep the writer's text and offset.
/// Parsing is `RFC3339`'s (LedgerFoundation), the same for every layer, leap seconds included.
public enum Timestamp {
  /// Microseconds since 1970-01-01T00:00:00Z from the system clock.
  public static func nowMicros() -> Int64 {
    var spec = timespec()
    clock_gettime(CLOCK_REALTIME, &spec)
    return Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1_000
  }

  /// The UTC text of `micros`, e.g. `2026-11-23T19:22:44.123456Z`.
  public static func format(micros: Int64) -> String {
    let parts = CivilCalendar.split(micros: micros)
    return CivilCalendar.dateTimeText(parts) + "." + CivilCalendar.pad(parts.micros, 6) + "Z"
  }

  /// Parses RFC 3339 date-time text with an explicit offset (`Z` or `±hh:mm`) into microseconds
  /// since the epoch (fractions beyond microseconds are truncated). Nil when the text is not such
  /// a time or names an impossible date. The same as `RFC3339.micros(_:)` (LedgerFoundation).
  public static func parseMicros(_ text: String) -> Int64? {
    RFC3339.micros(text)
  }
}
