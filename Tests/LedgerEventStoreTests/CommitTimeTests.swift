import Foundation
import LedgerEventStore
import LedgerLMDB
import LedgerTestSupport
import Logging
import Synchronization
import Testing

/// A clock the test sets by hand.
final class ManualClock: Sendable {
  private let micros: Mutex<Int64>

  init(_ text: String) {
    micros = Mutex(Timestamp.parseMicros(text) ?? 0)
  }

  func set(_ value: Int64) { micros.withLock { $0 = value } }
  func set(_ text: String) { set(Timestamp.parseMicros(text) ?? 0) }
  func read() -> Int64 { micros.withLock { $0 } }
}

/// Log records kept for the test to inspect.
final class LogCapture: Sendable {
  struct Entry: Sendable {
    var level: Logger.Level
    var message: String
    var metadata: [String: String]
  }

  private let entries = Mutex<[Entry]>([])

  var logger: Logger { Logger(label: "test") { _ in Handler(capture: self) } }
  var all: [Entry] { entries.withLock { $0 } }
  func append(_ entry: Entry) { entries.withLock { $0.append(entry) } }

  struct Handler: LogHandler {
    let capture: LogCapture
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
      get { metadata[key] }
      set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
      let merged = metadata.merging(event.metadata ?? [:]) { $1 }
      capture.append(
        Entry(
          level: event.level, message: event.message.description,
          metadata: merged.mapValues { "\($0)" }))
    }
  }
}

@Suite struct CommitTimeTests {
  /// A logger that prints nothing (the refusals log errors the tests expect).
  private static var quiet: Logger {
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    return logger
  }

  private func open(
    _ label: String, clock: ManualClock, logger: Logger = quiet
  ) throws -> (EventStore, TemporaryDirectory) {
    let directory = TemporaryDirectory(label)
    var options = EventStore.Options()
    options.initialMapSize = 1 << 20
    options.clock = { clock.read() }
    return (try EventStore.open(at: directory.path, options: options, logger: logger), directory)
  }

  @Test func theRangeIsTheFormatsFourDigitYearsFromTheEpoch() {
    let range = Timestamp.recordedAtRange
    #expect(Timestamp.format(micros: range.lowerBound) == "1970-01-01T00:00:00.000000Z")
    #expect(Timestamp.format(micros: range.upperBound) == "9999-12-31T23:59:59.999999Z")
    #expect(Timestamp.parseMicros("9999-12-31T23:59:59.999999Z") == range.upperBound)
    #expect(Timestamp.format(micros: range.upperBound + 1) == "10000-01-01T00:00:00.000000Z")
    #expect(Timestamp.parseMicros(Timestamp.format(micros: range.upperBound + 1)) == nil)
  }

  @Test func aClockBeyondYear9999IsRefusedAndNothingIsWritten() async throws {
    let clock = ManualClock("2026-11-23T10:00:00Z")
    let (store, directory) = try open("clock-future", clock: clock)
    defer {
      store.close()
      directory.remove()
    }
    _ = try await store.append([event()], to: "ward-1")
    for reading in [
      Timestamp.recordedAtRange.upperBound + 1,
      Timestamp.parseMicros("9999-12-31T23:59:59Z").map { $0 + 2_000_000 } ?? 0, Int64.max,
    ] {
      clock.set(reading)
      let error = await #expect(throws: EventStoreError.self) {
        _ = try await store.append([event()], to: "ward-1")
      }
      #expect(error == .recordedAtOutOfRange(micros: reading))
      let text = error?.description ?? ""
      #expect(text.contains("9999-12-31T23:59:59.999999Z") && text.contains("nothing was written"))
    }
    #expect(try store.nextPosition() == 1)
    // Once the clock is right again the store takes commits, and the log still verifies.
    clock.set("2026-11-23T10:05:00Z")
    _ = try await store.append([event()], to: "ward-1")
    let events = try store.readAll()
    #expect(events.map(\.recordedAt).last == "2026-11-23T10:05:00.000000Z")
    #expect(try store.verify().isIntact)
  }

  @Test func theLastInstantOfYear9999IsAcceptedAndVerifies() async throws {
    let clock = ManualClock("9999-12-31T23:59:59.999999Z")
    let (store, directory) = try open("clock-edge", clock: clock)
    defer {
      store.close()
      directory.remove()
    }
    _ = try await store.append([event()], to: "ward-1")
    #expect(try store.readAll().first?.recordedAt == "9999-12-31T23:59:59.999999Z")
    #expect(try store.verify().isIntact)
  }

  @Test func aClockBeforeTheEpochIsRefused() async throws {
    let clock = ManualClock("2026-11-23T10:00:00Z")
    let (store, directory) = try open("clock-past", clock: clock)
    defer {
      store.close()
      directory.remove()
    }
    for reading in [-1, Int64.min] {
      clock.set(reading)
      let error = await #expect(throws: EventStoreError.self) {
        _ = try await store.append([event()], to: "ward-1")
      }
      #expect(error == .recordedAtOutOfRange(micros: reading))
    }
    #expect(try store.nextPosition() == 0)
  }

  @Test func aClockFarBehindTheNewestCommitLogsAWarning() async throws {
    let capture = LogCapture()
    let clock = ManualClock("2026-11-23T10:00:00Z")
    let (store, directory) = try open("clock-behind", clock: clock, logger: capture.logger)
    defer {
      store.close()
      directory.remove()
    }
    _ = try await store.append([event()], to: "ward-1")
    func warnings() -> [LogCapture.Entry] { capture.all.filter { $0.level == .warning } }

    // Within 5 minutes: ordinary drift, no warning; recordedAt stays at the newest commit's.
    clock.set("2026-11-23T09:55:00Z")
    _ = try await store.append([event()], to: "ward-1")
    #expect(warnings().isEmpty)

    // More than 5 minutes behind (a clock set back a day): committed, pinned, and a warning.
    clock.set("2026-11-22T10:00:00Z")
    _ = try await store.append([event()], to: "ward-1")
    let stamped = try store.readAll().map(\.recordedAt)
    #expect(stamped == Array(repeating: "2026-11-23T10:00:00.000000Z", count: 3))
    let warning = try #require(warnings().first)
    #expect(warnings().count == 1)
    #expect(warning.message.contains("behind"))
    #expect(warning.metadata["behindSeconds"] == "86400")
    #expect(warning.metadata["newestRecordedAt"] == "2026-11-23T10:00:00.000000Z")
    #expect(try store.verify().isIntact)
  }

  /// A store an earlier version stamped at year 10000 (`meta/head` bytes 40–47 written here
  /// directly, as that version did): it takes no commit, and says why.
  @Test func aStoreWhoseNewestCommitIsBeyondYear9999TakesNoCommit() async throws {
    let clock = ManualClock("2026-11-23T10:00:00Z")
    let (first, directory) = try open("clock-legacy", clock: clock)
    defer { directory.remove() }
    _ = try await first.append([event()], to: "ward-1")
    first.close()
    let environment = try Environment(path: directory.path)
    try environment.write { txn in
      let meta = try txn.openDatabase("meta")
      var head = try #require(try txn.get(meta, Array("head".utf8)))
      let future = UInt64(Timestamp.recordedAtRange.upperBound + 1).bigEndianBytes
      head.replaceSubrange(40..<48, with: future)
      try txn.put(meta, Array("head".utf8), head)
    }
    environment.close()
    var options = EventStore.Options()
    options.clock = { clock.read() }
    let store = try EventStore.open(at: directory.path, options: options)
    defer { store.close() }
    let error = await #expect(throws: EventStoreError.self) {
      _ = try await store.append([event()], to: "ward-1")
    }
    guard case .incompatibleStore(let reason) = error else {
      Issue.record("unexpected error \(String(describing: error))")
      return
    }
    #expect(reason.contains("after 9999-12-31") && reason.contains("nothing was written"))
    #expect(try store.nextPosition() == 1)
  }
}
