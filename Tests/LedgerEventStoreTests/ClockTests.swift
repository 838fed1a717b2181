import Foundation
import LedgerEventStore
import LedgerLMDB
import LedgerTestSupport
import Logging
import Synchronization
import Testing

/// A store clock that returns the times it is given, in turn (the last one again once they run
/// out).
final class ScriptedClock: Sendable {
  private let times: Mutex<[Int64]>

  init(_ times: [Int64]) { self.times = Mutex(times) }

  /// Replaces the times still to come.
  func set(_ next: [Int64]) { times.withLock { $0 = next } }

  func now() -> Int64 {
    times.withLock { times in
      times.count > 1 ? times.removeFirst() : (times.first ?? 0)
    }
  }
}

/// recordedAt when the clock goes backwards (EventStore.Options.clock), and verify's check
/// that recordedAt never decreases along the log.
@Suite struct ClockTests {
  /// 2026-11-02T10:00:00Z in microseconds.
  static let t0: Int64 = 1_793_613_600_000_000
  static let hour: Int64 = 3_600_000_000

  func open(_ dir: TemporaryDirectory, _ clock: ScriptedClock) throws -> EventStore {
    var options = EventStore.Options()
    options.initialMapSize = 1 << 20
    options.clock = { clock.now() }
    return try EventStore.open(at: dir.path, options: options)
  }

  @Test func aClockGoingBackwardsNeverMakesRecordedAtDecrease() async throws {
    let dir = TemporaryDirectory("clock-backwards")
    defer { dir.remove() }
    let clock = ScriptedClock([
      Self.t0, Self.t0 - Self.hour, Self.t0 - 2 * Self.hour, Self.t0 + Self.hour,
    ])
    let store = try open(dir, clock)
    for index in 0..<4 {
      _ = try await store.append(
        [event(data: ["n": .number(Double(index))])], to: "ward-\(index % 2)")
    }
    let stamps = try store.readAll().map(\.recordedAt)
    #expect(
      stamps
        == [Self.t0, Self.t0, Self.t0, Self.t0 + Self.hour].map { Timestamp.format(micros: $0) })
    #expect(try store.verify().isIntact)
    store.close()

    // Reopened with the clock a day behind: the store still never stamps earlier.
    clock.set([Self.t0 - 24 * Self.hour])
    let reopened = try open(dir, clock)
    defer { reopened.close() }
    _ = try await reopened.append([event()], to: "ward-0")
    let last = try #require(try reopened.readAll().last)
    #expect(last.recordedAt == Timestamp.format(micros: Self.t0 + Self.hour))
    #expect(try reopened.verify().isIntact)
  }

  @Test func backDatedEventsKeepTheirOccurredAtAndRecordedAtStillIncreases() async throws {
    let dir = TemporaryDirectory("clock-backdated")
    defer { dir.remove() }
    let clock = ScriptedClock([Self.t0, Self.t0 + 1, Self.t0 + 2])
    let store = try open(dir, clock)
    defer { store.close() }
    let times = [
      "2026-11-02T09:00:00Z", "2026-11-01T08:00:00+01:00", "2026-10-30T23:59:59.5-05:00",
    ]
    for time in times {
      _ = try await store.append([event(occurredAt: time)], to: "ward-1")
    }
    let stored = try store.readAll()
    #expect(stored.map(\.occurredAt) == times)
    #expect(
      stored.map(\.recordedAt)
        == [Self.t0, Self.t0 + 1, Self.t0 + 2].map { Timestamp.format(micros: $0) })
    // "What the record showed at T": the back-dated events were not there before they were recorded.
    #expect(try store.eventCount(recordedAtOrBefore: Self.t0) == 1)
    #expect(try store.eventCount(recordedAtOrBefore: Self.t0 + 2) == 3)
  }

  @Test func verifyReportsAStoredRecordedAtThatDecreases() async throws {
    let dir = TemporaryDirectory("clock-verify")
    defer { dir.remove() }
    let store = try open(dir, ScriptedClock([Self.t0, Self.t0 + Self.hour]))
    _ = try await store.append([event()], to: "ward-1")
    _ = try await store.append([event()], to: "ward-1")
    let last = try #require(try store.readAll().last)
    store.close()

    // Rewrite the newest event as recorded an hour before the first one, with its hash and both
    // heads recomputed: only the order of recordedAt is wrong.
    let earlier = Self.t0 - Self.hour
    try rewriteNewestEvent(
      in: dir, last, replacing: "\"recordedAt\":\"\(last.recordedAt)\"",
      with: "\"recordedAt\":\"\(Timestamp.format(micros: earlier))\"", recordedAtMicros: earlier)

    let reopened = try open(dir, ScriptedClock([Self.t0]))
    defer { reopened.close() }
    let problem = try #require(try reopened.verify().problem)
    #expect(problem.kind == .recordedAtDecreased)
    #expect(problem.position == last.globalPosition)
  }

  @Test func aClockBehindIsWarnedAboutOncePerIntervalNotOnEveryCommit() async throws {
    let dir = TemporaryDirectory("clock-warnings")
    defer { dir.remove() }
    let clock = ScriptedClock([Self.t0])
    let log = MessageLog()
    var options = EventStore.Options()
    options.initialMapSize = 1 << 20
    options.clock = { clock.now() }
    // The interval is measured on a frozen monotonic clock: 40 durable commits on a loaded
    // machine may take longer than the interval itself.
    let frozen = ContinuousClock.now
    options.warningClock = { frozen }
    let store = try EventStore.open(
      at: dir.path, options: options, logger: CollectingLogHandler.logger(log, level: .warning))
    defer { store.close() }
    _ = try await store.append([event()], to: "ward-0")
    // An hour behind for 40 commits, within one interval: one warning, naming no data.
    clock.set([Self.t0 - Self.hour])
    for index in 0..<40 {
      _ = try await store.append([event(data: ["n": .number(Double(index))])], to: "ward-0")
    }
    let warnings = log.all.filter { $0.message.contains("the clock is behind") }
    #expect(warnings.count == 1)
    #expect(warnings.first?.metadata["behindSeconds"] == "3600")
    #expect(warnings.first?.metadata["warningsSuppressedSinceLast"] == "0")
    #expect(try store.verify().isIntact)
  }

  @Test func theWarningLimiterCountsWhatItHoldsBack() {
    let start = ContinuousClock.now
    let elapsed = Mutex<Duration>(.zero)
    let limiter = WarningLimiter(interval: .seconds(60)) { start + elapsed.withLock { $0 } }
    #expect(limiter.admit() == 0)
    for _ in 0..<3 { #expect(limiter.admit() == nil) }
    elapsed.withLock { $0 = .seconds(59) }
    #expect(limiter.admit() == nil)
    elapsed.withLock { $0 = .seconds(60) }
    #expect(limiter.admit() == 4)
    #expect(limiter.admit() == nil)
    elapsed.withLock { $0 = .seconds(200) }
    #expect(limiter.admit() == 1)
  }
}
