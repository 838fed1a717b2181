import ArgumentParser
import Foundation
import TreatmentLedger

/// The second process of `map-growth`: appends in small batches to its own streams with the same
/// tiny initial map, and prints how many events it wrote.
struct MapGrowthChild: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "map-growth-child", abstract: "Append beside map-growth (spawned by it).",
    shouldDisplay: false)

  @Option(help: "The store directory.") var store: String
  @Option(help: "Events to append.") var events: Int
  @Option(help: "Map size to open with.") var initialMapSize: Int

  func run() async throws {
    var options = EventStore.Options()
    options.initialMapSize = initialMapSize
    do {
      let eventStore = try EventStore.open(at: store, options: options)
      defer { eventStore.close() }
      var written = 0
      while written < events {
        let count = min(50, events - written)
        let batch = (0..<count).map {
          TrialEvents.make(type: "LoadAppended", sequence: written + $0, padding: 200)
        }
        let result = try await eventStore.append(batch, to: "load-side-\(written % 3)")
        written += result.written
      }
      print(written)
    } catch {
      diagnose("map-growth-child: \(error)")
      throw ExitCode(70)
    }
  }
}
