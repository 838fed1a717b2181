import ArgumentParser
import Foundation
import TreatmentLedger

/// `map-growth`: a store opened with a 64 KiB map must grow it on demand, in this process and in
/// a second process appending at the same time, without a single append failing.
struct MapGrowth: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "map-growth",
    abstract: "Import into a store opened with a tiny map; no append may fail.",
    discussion: """
      The store is opened with --initial-map-size (64 KiB) and --events events are imported in \
      batches of --batch-size over 8 streams. Unless --second-process 0, a child process opens \
      the same store, also with the tiny map, and appends that many events at the same time in \
      small batches: each process grows the map itself or adopts the size the other one set \
      (MDB_MAP_RESIZED). Printed: the map size after each growth, the final map and file size.
      """)

  @Option(help: "Events this process imports.") var events: Int = 20_000
  @Option(help: "Events per append.") var batchSize: Int = 1_000
  @Option(help: "Map size the store is opened with, in bytes.") var initialMapSize: Int = 64 << 10
  @Option(help: "Events a second process appends at the same time (0: no second process).")
  var secondProcess: Int = 2_000
  @Option(help: "Keep the store in this folder.") var workDir: String?

  func validate() throws {
    guard events >= 1, batchSize >= 1, secondProcess >= 0 else {
      throw ValidationError("--events and --batch-size must be at least 1, --second-process >= 0")
    }
    guard initialMapSize >= 4_096 else {
      throw ValidationError("--initial-map-size must be >= 4096")
    }
  }

  func run() async throws {
    let work = try WorkFolder(workDir, label: "map")
    let storePath = work.appending("store")
    var tally = Tally()
    var options = EventStore.Options()
    options.initialMapSize = initialMapSize
    let store: EventStore
    do { store = try EventStore.open(at: storePath, options: options) } catch {
      tally.check(false, "open with a \(initialMapSize)-byte map", "\(error)")
      try tally.finish()
      return
    }
    let openedMap = (try? store.statistics().mapBytes) ?? 0
    print(
      "map-growth: \(events) events in batches of \(batchSize), initial map \(initialMapSize) bytes (\(openedMap) after open)"
    )

    var child: ChildProcess?
    if secondProcess > 0 {
      child = try ChildProcess(
        [
          "map-growth-child", "--store", storePath, "--events", String(secondProcess),
          "--initial-map-size", String(initialMapSize),
        ], logPrefix: work.appending("child"))
    }

    let figures = await importEvents(into: store, openedMap: openedMap)
    var childEvents = 0
    if let child {
      let termination = await child.waitForExit(timeout: .seconds(600))
      tally.check(
        termination.map { !$0.bySignal && $0.status == 0 } ?? false,
        "the second process appended without failure",
        "\(termination?.description ?? "hung"): \(child.errorTail)")
      childEvents = Int(child.output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }
    let statistics = try? store.statistics()
    let report = try? store.verify()
    store.close()
    check(figures, childEvents: childEvents, statistics, report, &tally)
    work.finish(tally)
    try tally.finish()
  }

  /// What this process's import saw.
  private struct ImportFigures {
    var failures: [String] = []
    /// The map size after each growth seen here.
    var growths: [Int] = []
    var written = 0
    var failedEvents = 0
    var elapsed = Duration.zero
  }

  /// Imports `events` events in batches over 8 streams, noting every failed append and every
  /// change of the map size.
  private func importEvents(into store: EventStore, openedMap: Int) async -> ImportFigures {
    var figures = ImportFigures()
    var lastMap = openedMap
    let started = ContinuousClock.now
    var sequence = 0
    while figures.written < events {
      let count = min(batchSize, events - figures.written)
      var batches = (0..<8).map {
        StreamAppend(stream: "load-\($0)", expectedVersion: .any, events: [])
      }
      for index in 0..<count {
        sequence += 1
        batches[index % 8].events.append(
          TrialEvents.make(type: "LoadImported", sequence: sequence, padding: 200))
      }
      batches.removeAll { $0.events.isEmpty }
      do {
        let results = try await store.append(batches)
        figures.written += results.reduce(0) { $0 + $1.written }
      } catch {
        figures.failures.append("batch at event \(figures.written): \(error)")
        figures.failedEvents += count
        figures.written += count
      }
      if let map = try? store.statistics().mapBytes, map != lastMap {
        figures.growths.append(map)
        lastMap = map
      }
    }
    figures.elapsed = ContinuousClock.now - started
    return figures
  }

  /// Prints the figures and checks them.
  private func check(
    _ figures: ImportFigures, childEvents: Int, _ statistics: EventStore.Statistics?,
    _ report: VerificationReport?, _ tally: inout Tally
  ) {
    print(
      "map sizes after each growth seen here: \(figures.growths.map(String.init).joined(separator: ", "))"
    )
    print("final map size: \(statistics?.mapBytes ?? 0) bytes")
    print("final file size: \(statistics?.fileBytes ?? 0) bytes")
    print(
      "events: \(statistics?.events ?? 0) (\(figures.written - figures.failedEvents) imported here, \(childEvents) by the second process)"
    )
    print("import time: \(figures.elapsed)")
    tally.check(problems: figures.failures, "no append failed")
    tally.check(
      statistics?.events == UInt64(events + secondProcess) && childEvents == secondProcess,
      "every event stored",
      "\(statistics?.events ?? 0) stored, \(childEvents) of them reported by the second process")
    tally.check(
      (statistics?.mapBytes ?? 0) > initialMapSize, "the map grew",
      "final map \(statistics?.mapBytes ?? 0)")
    tally.check(
      report?.isIntact == true, "verify intact", report?.problem?.description ?? "verify threw")
  }
}
