import ArgumentParser
import Foundation
import TreatmentLedger

struct Migrate: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Copy a treatment-ledger-1 store into a new, sealed treatment-ledger-2 store.",
    discussion: """
      Reads the old store (--from) read-only, checking every hash and chain link, and writes \
      each event into a new store (--to, which must not exist) with its id, positions, \
      recordedAt, recorder and data; patient data is sealed as it goes, under a new key file \
      (--key-file, default NEW.kek beside the new store: back it up separately). The clinical \
      rules judge every event again, so the derived state is rebuilt. Last, a StoreMigrated \
      event in the $migration stream records the old format, event count and chain head, so \
      an auditor links both chains; the new store is verified. The old store is left as it was.
      """)

  @Option(help: "The store of the earlier format to copy.") var from: String
  @Option(help: "The new store's directory (must not exist).") var to: String
  @Option(help: "The new store's key file (default: NEW.kek).") var keyFile: String?
  @Option(help: "Who runs the migration (recorded in the StoreMigrated event).") var by =
    "operator"
  @Option(
    name: .customLong("protocol"),
    help: "The clinic protocol file the old store was written under (default: the defaults).")
  var protocolFile: String?
  @Flag(help: "Print the report as JSON.") var json = false

  func run() async throws {
    var options = StoreOptions()
    options.store = to
    options.protocolFile = protocolFile
    var configuration = Ledger.Configuration(
      path: to, clinicalProtocol: try options.clinicalProtocol())
    configuration.keyFile = keyFile
    let recorder = Recorder(id: by, name: by, role: "operator")
    let report: MigrationReport
    do {
      report = try await Ledger.migrate(from: from, to: configuration, by: recorder)
    } catch {
      throw Exit.report(error)
    }
    if json {
      try printJSON(report)
    } else {
      print("migrated    \(report.events) events from \(report.previousFormat)")
      print("old head    \(report.previousChainHead)")
      print("recorded    StoreMigrated at position \(report.migrationPosition) in $migration")
      print("new head    \(report.chainHead)")
      print("key file    \(keyFile ?? KeyFile.defaultPath(forStore: to)) (back it up separately)")
    }
  }
}
