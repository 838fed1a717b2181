import ArgumentParser
import Foundation
import LedgerDemo
import Logging
import TreatmentLedger

/// How a crash child appends.
enum CrashMode: String, ExpressibleByArgument, CaseIterable, Sendable {
  /// Multi-stream batches of 200–2,000 events through `append([StreamAppend])`.
  case `import`
  /// 8 tasks appending single events: `.exact` to their own stream, `.any` to a shared one.
  case appenders
  /// Demo clinic patients through the clinical ledger: validation, review state and both
  /// projections updated in each append's transaction; two tasks, 1–40 events per append.
  case clinical
  /// Alternate import and appenders, trial by trial (parent only).
  case both
  /// Cycle import, appenders and clinical, trial by trial (parent only).
  case all
}

/// The process `crash-trials` kills: appends until SIGKILL, acknowledging each append that
/// returned in the acknowledgement file (see ``AckFileWriter``).
struct CrashChild: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "crash-child", abstract: "Append until killed (spawned by crash-trials).",
    shouldDisplay: false)

  /// Streams of import mode.
  static let importStreams = (0..<16).map { "load-\($0)" }
  /// Appender `k` appends with `.exact` versions to `trial-<k>`.
  static let appenderCount = 8
  /// Every appender also appends with `.any` to this stream.
  static let sharedStream = "trial-shared"
  /// The clinic of clinical mode: the same on every trial, so a child resumes each patient where
  /// the killed one left it.
  static let clinic = DemoClinic(patients: 1_000_000, seed: 11)

  @Option(help: "The store directory.") var store: String
  @Option(help: "The acknowledgement file.") var acks: String
  @Option(help: "import or appenders.") var mode: CrashMode
  @Option(help: "Seed for batch sizes and streams.") var seed: UInt64

  func run() async throws {
    do {
      if mode == .clinical {
        var logger = Logger(label: "crash-child")
        logger.logLevel = .error
        let ledger = try Ledger.open(Ledger.Configuration(path: store, logger: logger))
        let writer = try AckFileWriter(path: acks)
        try writer.ready()
        try await clinicalForever(ledger.store, writer)
        return
      }
      let eventStore = try EventStore.open(at: store)
      let writer = try AckFileWriter(path: acks)
      try writer.ready()
      switch mode {
      case .import, .both, .all, .clinical:
        try await importForever(eventStore, writer)
      case .appenders:
        try await appendForever(eventStore, writer)
      }
    } catch {
      diagnose("crash-child (\(mode.rawValue)): \(error)")
      throw ExitCode(70)
    }
  }

  /// Two importers, so group commit also merges import batches into one transaction.
  private func importForever(_ store: EventStore, _ writer: AckFileWriter) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
      for importer in 0..<2 {
        var random = SeededGenerator(seed: SeededGenerator.derive(seed, importer))
        group.addTask {
          var sequence = 0
          while true {
            let total = Int.random(in: 200...2_000, using: &random)
            let streamCount = Int.random(in: 1...6, using: &random)
            let streams = Self.importStreams.shuffled(using: &random).prefix(streamCount)
            var batches = streams.map {
              StreamAppend(stream: $0, expectedVersion: .any, events: [])
            }
            for index in 0..<total {
              sequence += 1
              let padding = Int.random(in: 0...300, using: &random)
              batches[index % batches.count].events.append(
                TrialEvents.make(type: "TrialImported", sequence: sequence, padding: padding))
            }
            let results = try await store.append(batches)
            try writer.acknowledge(Acknowledgement.from(batches, results))
          }
        }
      }
      try await group.waitForAll()
    }
  }

  /// Two tasks record demo patients (task k takes patients k, k + 2, …), each resuming a
  /// patient after the events its stream already holds, in appends of 1–40 events with exact
  /// expected versions.
  private func clinicalForever(_ store: EventStore, _ writer: AckFileWriter) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
      for task in 0..<2 {
        var random = SeededGenerator(seed: SeededGenerator.derive(seed, task))
        group.addTask {
          var patient = task
          while true {
            let stream = Ledger.stream(forPatient: Self.clinic.patientId(patient))
            var version = try store.streamVersion(stream)
            let stored = version.map { Int($0) + 1 } ?? 0
            var pending = ArraySlice(Self.clinic.events(ofPatient: patient).dropFirst(stored))
            while !pending.isEmpty {
              let chunk = Array(pending.prefix(Int.random(in: 1...40, using: &random)))
              pending = pending.dropFirst(chunk.count)
              let expected: ExpectedVersion = version.map { .exact($0) } ?? .noStream
              let result = try await store.append(chunk, to: stream, expectedVersion: expected)
              try writer.acknowledge(
                Acknowledgement.from([StreamAppend(stream: stream, events: chunk)], [result]))
              version = result.streamVersion
            }
            patient += 2
          }
        }
      }
      try await group.waitForAll()
    }
  }

  private func appendForever(_ store: EventStore, _ writer: AckFileWriter) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
      for appender in 0..<Self.appenderCount {
        var random = SeededGenerator(seed: SeededGenerator.derive(seed, appender))
        group.addTask {
          let own = "trial-\(appender)"
          // After a crash the stream is wherever the last commit left it, acknowledged or not.
          var version = try store.streamVersion(own)
          var sequence = 0
          while true {
            sequence += 1
            let event = TrialEvents.make(
              type: "TrialAppended", sequence: sequence,
              padding: Int.random(in: 0...300, using: &random))
            let expected: ExpectedVersion = version.map { .exact($0) } ?? .noStream
            let result = try await store.append([event], to: own, expectedVersion: expected)
            try writer.acknowledge(
              Acknowledgement.from([StreamAppend(stream: own, events: [event])], [result]))
            version = result.streamVersion

            let shared = TrialEvents.make(type: "TrialShared", sequence: sequence)
            let sharedResult = try await store.append(
              [shared], to: Self.sharedStream, expectedVersion: .any)
            try writer.acknowledge(
              Acknowledgement.from(
                [StreamAppend(stream: Self.sharedStream, events: [shared])], [sharedResult]))
          }
        }
      }
      try await group.waitForAll()
    }
  }
}
