import ArgumentParser
import Foundation
import TreatmentLedger

/// What a `multi-process-child` prints on standard output, as JSON.
struct MultiProcessReport: Codable, Sendable {
  /// Every event whose append returned, with where it landed.
  var acknowledged: [Acknowledgement]
  /// How many appends were refused with `.wrongExpectedVersion` (and retried).
  var conflicts: Int
  /// The most attempts one event needed.
  var mostAttempts: Int
}

/// One of the processes of `multi-process`: appends single events to shared streams with
/// read-version-then-append and `.exact` expected versions, retrying on conflicts.
struct MultiProcessChild: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "multi-process-child",
    abstract: "Append with optimistic concurrency (spawned by multi-process).",
    shouldDisplay: false)

  @Option(help: "The store directory.") var store: String
  @Option(help: "Events to append.") var events: Int
  @Option(help: "Number of shared streams load-0 ... load-<n-1>.") var streams: Int
  @Option(help: "Seed for the choice of streams.") var seed: UInt64
  @Option(help: "Created once the store is open.") var readyFile: String
  @Option(help: "Appending starts when this file exists.") var goFile: String

  func run() async throws {
    do {
      let eventStore = try EventStore.open(at: store)
      defer { eventStore.close() }
      guard FileManager.default.createFile(atPath: readyFile, contents: nil) else {
        throw ChildError("cannot create \(readyFile)")
      }
      let deadline = ContinuousClock.now + .seconds(300)
      while !FileManager.default.fileExists(atPath: goFile) {
        guard ContinuousClock.now < deadline else { throw ChildError("no go signal within 300 s") }
        try await Task.sleep(for: .milliseconds(1))
      }
      let report = try await append(eventStore)
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys]
      FileHandle.standardOutput.write(try encoder.encode(report))
    } catch {
      diagnose("multi-process-child: \(error)")
      throw ExitCode(70)
    }
  }

  private func append(_ store: EventStore) async throws -> MultiProcessReport {
    var random = SeededGenerator(seed: seed)
    var report = MultiProcessReport(acknowledged: [], conflicts: 0, mostAttempts: 0)
    report.acknowledged.reserveCapacity(events)
    for sequence in 0..<events {
      let stream = "load-\(Int.random(in: 0..<streams, using: &random))"
      let event = TrialEvents.make(type: "LoadRecorded", sequence: sequence, padding: 64)
      var attempts = 0
      while true {
        attempts += 1
        let version = try store.streamVersion(stream)
        do {
          let result = try await store.append(
            [event], to: stream, expectedVersion: version.map { .exact($0) } ?? .noStream)
          report.acknowledged += Acknowledgement.from(
            [StreamAppend(stream: stream, events: [event])], [result])
          break
        } catch {
          guard case .wrongExpectedVersion = error else { throw error }
          report.conflicts += 1
        }
      }
      report.mostAttempts = max(report.mostAttempts, attempts)
    }
    return report
  }
}
