import ArgumentParser
import Foundation
import Logging
import TreatmentLedger

@main
struct TreatmentLedgerCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "treatment-ledger",
    abstract: "An append-only, hash-chained record store for ketamine-therapy clinics.",
    discussion: """
      The store is a directory (--store, else $TREATMENT_LEDGER_STORE, else \
      ./treatment-ledger.store). --store may come before the command or after it: \
      `treatment-ledger --store PATH stats` and `treatment-ledger stats --store PATH` are the \
      same. Events are never updated or deleted.

      Exit codes:
        0   success
        1   storage or unexpected error
        3   conflict: wrong expected version, or an event id stored with other content
        4   verification found a problem (the first bad position is printed)
        64  command-line usage error
        65  invalid input: a malformed or rejected line (nothing of its batch was written)
        66  no store at the path (run `treatment-ledger init`)
      """,
    subcommands: [
      Demo.self, Init.self, Append.self, Import.self, Validate.self, Read.self, Verify.self,
      Stats.self,
      Timeline.self, Summary.self, Report.self, Rebuild.self, SchemasCommand.self,
      AuditCommand.self, DEACommand.self, HoldCommand.self, RetentionCommand.self, Serve.self,
      TokenCommand.self, Migrate.self, KeysCommand.self, Erase.self, Forward.self,
      CentralCommand.self,
    ]
  )

  /// Parses the command line (a `--store` before the command moved behind it, see
  /// ``LeadingStore``) and runs the command.
  static func main() async {
    do {
      let arguments = try LeadingStore.rewrite(Array(CommandLine.arguments.dropFirst()))
      var command = try parseAsRoot(arguments)
      if var asynchronous = command as? AsyncParsableCommand {
        try await asynchronous.run()
      } else {
        try command.run()
      }
    } catch {
      exit(withError: error)
    }
  }
}

/// The exit codes documented in `treatment-ledger --help`.
enum Exit {
  static let failure = ExitCode(1)
  static let conflict = ExitCode(3)
  static let verificationFailed = ExitCode(4)
  static let invalidInput = ExitCode(65)
  static let noStore = ExitCode(66)

  /// Prints a ledger error to standard error and returns its exit code (that of the store error
  /// it wraps).
  static func report(_ error: LedgerError) -> ExitCode { report(error.underlying) }

  /// Prints `error` to standard error and returns the exit code that matches it.
  static func report(_ error: EventStoreError) -> ExitCode {
    printError(error.description)
    switch error {
    case .wrongExpectedVersion, .eventIdConflict: return conflict
    case .invalidEvent, .invalidStreamName, .emptyBatch, .malformedJSON, .rejected:
      return invalidInput
    case .storeNotFound: return noStore
    default: return failure
    }
  }
}

func printError(_ message: String) {
  FileHandle.standardError.write(Data(("treatment-ledger: " + message + "\n").utf8))
}

/// The `--store` option shared by every subcommand.
struct StoreOptions: ParsableArguments {
  @Option(
    name: .long,
    help: "The store directory (default: $TREATMENT_LEDGER_STORE, else ./treatment-ledger.store).")
  var store: String?

  var path: String {
    store ?? ProcessInfo.processInfo.environment["TREATMENT_LEDGER_STORE"]
      ?? "treatment-ledger.store"
  }

  @Option(
    name: .customLong("protocol"),
    help: "A clinic protocol file (JSON) of soft-alert thresholds; default: docs/CLINICAL-RULES.md."
  )
  var protocolFile: String?

  @Option(
    help: "Write the chain anchor (event count and chain head) to this file after every commit.")
  var anchorFile: String?

  @Option(
    help: ArgumentHelp(
      "The clinic's key file (default: STORE.kek beside the store; created by init).",
      valueName: "file"))
  var keyFile: String?

  /// The protocol in force: the file given with --protocol, validated, or the defaults.
  func clinicalProtocol() throws -> ClinicalProtocol {
    guard let protocolFile else { return ClinicalProtocol() }
    guard let data = FileManager.default.contents(atPath: protocolFile) else {
      printError("cannot read the protocol file \(protocolFile)")
      throw Exit.invalidInput
    }
    do {
      return try ClinicalProtocol.load(json: data)
    } catch {
      printError("protocol file \(protocolFile): \(error)")
      throw Exit.invalidInput
    }
  }

  func open(readOnly: Bool = false, create: Bool = false) throws -> Ledger {
    // The tool decides how much the library logs: warnings and errors only, on standard error.
    var logger = Logger(label: "treatment-ledger")
    logger.logLevel = .warning
    var configuration = Ledger.Configuration(
      path: path, clinicalProtocol: try clinicalProtocol(), readOnly: readOnly,
      createIfMissing: create, logger: logger, anchorFile: anchorFile)
    configuration.keyFile = keyFile
    do {
      return try Ledger.open(configuration)
    } catch {
      throw Exit.report(error)
    }
  }
}
