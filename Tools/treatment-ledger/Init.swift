import ArgumentParser
import TreatmentLedger

struct Init: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Create a store (harmless if it exists).")

  @OptionGroup var storeOptions: StoreOptions

  func run() async throws {
    let ledger = try storeOptions.open(create: true)
    let store = ledger.store
    defer { ledger.close() }
    let events = (try? store.nextPosition()) ?? 0
    print("store ready at \(store.path) (\(events) events)")
  }
}
