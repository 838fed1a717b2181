import Foundation
import LedgerDemo
import LedgerTestSupport
import Synchronization
import Testing
import TreatmentLedger

/// The answers of the projections for the demo clinic, compared byte for byte with
/// `Tests/Fixtures/derived-answers.txt`, which was written by the build before derived state was
/// stored at the grain it changes (issue 13). A change of the stored layout must not change one
/// byte of what `timeline --json` and `summary --json` print for the same log.
///
/// To write the fixture again (only when an answer is meant to change), run this suite with
/// `TREATMENT_LEDGER_WRITE_FIXTURES=1`.
@Suite struct DerivedAnswersTests {
  static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fixtures/derived-answers.txt")

  /// Events per commit: small, so that `--as-of` views fall between commits of one patient.
  static let chunk = 4

  /// A clock that starts at 2026-12-01T00:00:00Z and moves one second per reading.
  static func steppingClock() -> @Sendable () -> Int64 {
    let next = Mutex<Int64>(1_764_547_200_000_000)
    return {
      next.withLock { value in
        defer { value += 1_000_000 }
        return value
      }
    }
  }

  /// Fills a store with the demo clinic (`patients`, `seed`), a few events per commit, and
  /// returns every answer as lines of text: `<patient> <view> <json>`.
  static func answers(patients: Int, seed: UInt64, in dir: TemporaryDirectory) async throws
    -> [String]
  {
    var configuration = Ledger.Configuration(path: dir.path)
    configuration.clock = steppingClock()
    configuration.durability = .unsafeNoSyncMayLoseRecentCommits
    let ledger = try Ledger.open(configuration)
    defer { ledger.close() }
    let clinic = DemoClinic(patients: patients, seed: seed)
    for (stream, events) in clinic.allEvents() {
      var start = 0
      while start < events.count {
        let end = min(events.count, start + chunk)
        let result = try await ledger.store.append(
          [StreamAppend(stream: stream, events: Array(events[start..<end]))])
        #expect(result.allSatisfy { $0.rejections.isEmpty })
        start = end
      }
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    func json<T: Encodable>(_ value: T) throws -> String {
      String(decoding: try encoder.encode(value), as: UTF8.self)
    }
    let now = Date(timeIntervalSince1970: 1_785_000_000)
    var lines: [String] = []
    for index in 0..<patients {
      let patient = clinic.patientId(index)
      let timeline = try ledger.timeline(of: patient)
      lines.append("\(patient) timeline \(try json(timeline))")
      let recorded = timeline.entries.map(\.recordedAt).sorted()
      for fraction in [1, 2, 3] {
        let text = recorded[recorded.count * fraction / 4]
        guard let asOf = ClinicalTime(text) else {
          Issue.record("a stored recordedAt does not parse")
          continue
        }
        let view = try ledger.timeline(of: patient, asOf: asOf)
        lines.append("\(patient) timeline-as-of-\(text) \(try json(view))")
      }
      lines.append("\(patient) summary \(try json(try ledger.summary(of: patient, now: now)))")
    }
    return lines
  }

  @Test func demoClinicAnswersAreByteForByteThoseOfTheWholeStateLayout() async throws {
    let dir = TemporaryDirectory("derived-answers")
    defer { dir.remove() }
    let lines = try await Self.answers(patients: 12, seed: 2026, in: dir)
    let text = lines.joined(separator: "\n") + "\n"
    if ProcessInfo.processInfo.environment["TREATMENT_LEDGER_WRITE_FIXTURES"] == "1" {
      try Data(text.utf8).write(to: Self.fixture)
    }
    let expected = try String(contentsOf: Self.fixture, encoding: .utf8)
    let expectedLines = expected.split(separator: "\n").map(String.init)
    #expect(lines.count == expectedLines.count)
    for (line, wanted) in zip(lines, expectedLines) where line != wanted {
      Issue.record("differs: \(line.prefix(40))…")
    }
  }
}
