import ArgumentParser
import Foundation
import TreatmentLedger

struct Stats: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Show counts, the chain head and sizes.",
    discussion: """
      Keep the printed chain head (with the event count) outside the store: \
      `treatment-ledger verify --anchor-events N --anchor-head HASH` then detects \
      removal of the newest events.
      """)

  @OptionGroup var storeOptions: StoreOptions
  @Flag(help: "Print JSON.") var json = false

  func run() async throws {
    let ledger = try storeOptions.open(readOnly: true)
    let store = ledger.store
    defer { ledger.close() }
    let stats: EventStore.Statistics
    do { stats = try store.statistics() } catch { throw Exit.report(error) }
    if json {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys]
      print(String(decoding: try encoder.encode(stats), as: UTF8.self))
      return
    }
    print("events        \(stats.events)")
    print("streams       \(stats.streams)")
    print("chain head    \(stats.chainHead)")
    print("last recorded \(stats.lastRecordedAt ?? "-")")
    print("file size     \(stats.fileBytes) bytes")
    print("map size      \(stats.mapBytes) bytes")
    print("format        \(stats.format) (LMDB \(stats.lmdbVersion))")
  }
}
