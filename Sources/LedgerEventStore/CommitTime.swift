import Logging
import Synchronization

extension Timestamp {
  /// The instants a `recordedAt` can hold: 1970-01-01T00:00:00.000000Z through
  /// 9999-12-31T23:59:59.999999Z, in microseconds since the epoch (docs/FORMAT.md section 6).
  ///
  /// The text form has a four-digit year, so nothing after year 9999 can be written; and no
  /// commit can be earlier than the Unix epoch, which `meta/head` stores the instant from.
  public static let recordedAtRange: ClosedRange<Int64> = 0...253_402_300_799_999_999

  /// The UTC text of `micros` from year 1 on (later than year 9999 with a longer year), else the
  /// plain number of microseconds (for messages about a clock that reads nonsense).
  static func describe(micros: Int64) -> String {
    guard micros >= -62_135_596_800_000_000 else { return "\(micros) µs since 1970" }
    return format(micros: micros)
  }
}

extension EventStore {
  /// How far behind the newest commit the clock may read before a commit logs a warning (at most
  /// one per ``clockWarningInterval``): 5 minutes, in microseconds. Less is ordinary drift between the processes and machines that
  /// write to one store; more means the clock was set back (docs/FORMAT.md section 6).
  public static let clockBehindWarningMicros: Int64 = 5 * 60 * 1_000_000

  /// The least time between two warnings about a clock behind the newest commit: one minute. A
  /// clock set back by hours would otherwise log on every commit until it caught up; each warning
  /// says how many commits were not warned about since the last one.
  public static let clockWarningInterval: Duration = .seconds(60)

  /// The `recordedAt` of a commit after one stamped `lastRecorded`: the clock's reading, but
  /// never earlier than `lastRecorded`. Logs a warning when the clock is more than
  /// ``clockBehindWarningMicros`` behind. Runs on the writer thread.
  ///
  /// - Throws: ``EventStoreError/recordedAtOutOfRange(micros:)`` when the clock is outside
  ///   ``Timestamp/recordedAtRange``, `.incompatibleStore` when the newest commit is after it (a
  ///   store an earlier version stamped under a wrong clock): nothing is written.
  func commitMicros(after lastRecorded: Int64) throws(EventStoreError) -> Int64 {
    let reading = clock()
    guard Timestamp.recordedAtRange.contains(reading) else {
      logger.error(
        "refusing to commit: the clock is outside the range of recordedAt",
        metadata: ["clock": "\(Timestamp.describe(micros: reading))"])
      throw .recordedAtOutOfRange(micros: reading)
    }
    guard lastRecorded <= Timestamp.recordedAtRange.upperBound else {
      // Only a store written by an earlier version under a wrong clock gets here: no later
      // commit can be stamped in a form that verifies.
      throw .incompatibleStore(
        reason: "the newest commit's recordedAt (\(Timestamp.describe(micros: lastRecorded))) is "
          + "after 9999-12-31, so no later commit can be stamped; nothing was written")
    }
    if lastRecorded > reading, lastRecorded - reading > Self.clockBehindWarningMicros,
      let suppressed = clockWarnings.admit()
    {
      logger.warning(
        "the clock is behind the newest commit; recordedAt stays at the newest commit's time",
        metadata: [
          "clock": "\(Timestamp.format(micros: reading))",
          "newestRecordedAt": "\(Timestamp.describe(micros: lastRecorded))",
          "behindSeconds": "\((lastRecorded - reading) / 1_000_000)",
          "warningsSuppressedSinceLast": "\(suppressed)",
        ])
    }
    return max(reading, lastRecorded)
  }
}

/// Lets a repeated warning through at most once per interval and counts the ones it holds back.
package final class WarningLimiter: Sendable {
  private let interval: Duration
  private let now: @Sendable () -> ContinuousClock.Instant
  private let state = Mutex<(last: ContinuousClock.Instant?, suppressed: Int)>((nil, 0))

  /// A limiter letting one warning through per `interval` of `now`'s clock.
  package init(
    interval: Duration, now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }
  ) {
    self.interval = interval
    self.now = now
  }

  /// The number of warnings held back since the last one let through, when this one may be
  /// logged; nil (and counted) when the last one was less than the interval ago.
  package func admit() -> Int? {
    let instant = now()
    return state.withLock { state in
      if let last = state.last, instant - last < interval {
        state.suppressed += 1
        return nil
      }
      let suppressed = state.suppressed
      state = (instant, 0)
      return suppressed
    }
  }
}
