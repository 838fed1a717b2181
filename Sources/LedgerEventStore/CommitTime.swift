import Logging

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
  /// How far behind the newest commit the clock may read before each commit logs a warning:
  /// 5 minutes, in microseconds. Less is ordinary drift between the processes and machines that
  /// write to one store; more means the clock was set back (docs/FORMAT.md section 6).
  public static let clockBehindWarningMicros: Int64 = 5 * 60 * 1_000_000

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
    if lastRecorded > reading, lastRecorded - reading > Self.clockBehindWarningMicros {
      logger.warning(
        "the clock is behind the newest commit; recordedAt stays at the newest commit's time",
        metadata: [
          "clock": "\(Timestamp.format(micros: reading))",
          "newestRecordedAt": "\(Timestamp.describe(micros: lastRecorded))",
          "behindSeconds": "\((lastRecorded - reading) / 1_000_000)",
        ])
    }
    return max(reading, lastRecorded)
  }
}
