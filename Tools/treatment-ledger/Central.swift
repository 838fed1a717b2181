import ArgumentParser
import Foundation
import LedgerCentral
import Logging
import TreatmentLedger

/// The PostgreSQL URL and clinic options of `forward` and `central`.
struct CentralOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "The central PostgreSQL (default: $TREATMENT_LEDGER_POSTGRES_URL).",
      valueName: "postgres://user@host:port/database"))
  var postgres: String?

  func database() throws -> CentralDatabase {
    guard let url = postgres ?? ProcessInfo.processInfo.environment["TREATMENT_LEDGER_POSTGRES_URL"]
    else {
      throw ValidationError("give --postgres URL or set TREATMENT_LEDGER_POSTGRES_URL")
    }
    do { return try CentralDatabase(url: url) } catch { throw ValidationError(error.description) }
  }
}

/// Parses a clinic id for ArgumentParser.
extension ClinicID: ExpressibleByArgument {
  public init?(argument: String) { self.init(argument) }
}

extension Exit {
  /// Prints a central error and returns its exit code: 3 for a refusal (another forwarder, a
  /// store that does not continue the central chain), 1 otherwise.
  static func report(_ error: CentralError) -> ExitCode {
    printError(error.description)
    switch error {
    case .anotherForwarder, .chainMismatch, .storeBehind: return conflict
    case .unknownClinic, .invalidClinicId, .invalidURL, .clinicKeyMissing: return ExitCode(64)
    default: return failure
    }
  }
}

/// The tool's logger for the central commands: warnings (retries) on standard error.
func centralLogger() -> Logger {
  var logger = Logger(label: "treatment-ledger.central")
  logger.logLevel = .warning
  return logger
}

struct Forward: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Forward the store's log to the chain's central PostgreSQL, exactly once.",
    discussion: """
      Each batch is read in one short read transaction and written in one PostgreSQL \
      transaction that checks it continues the clinic's central head, inserts the rows (the \
      stored bytes and hashes, keyed by clinic and global position) and advances the head. \
      Without --once it follows new events until stopped, retrying lost connections with \
      backoff. A second forwarder of the clinic, and a store that does not continue the \
      central chain (forked, restored from an older backup, another clinic's), are refused \
      (exit 3) and nothing is written. No key is needed: sealed data stays sealed. \
      docs/CENTRAL.md describes the schema and the guarantees.
      """)

  @OptionGroup var storeOptions: StoreOptions
  @OptionGroup var central: CentralOptions
  @Option(help: "The clinic's id in the central copy (1–32 of a–z, 0–9, '-').")
  var clinic: ClinicID
  @Flag(help: "Forward what is stored now, then exit.") var once = false
  @Option(help: "Events per batch (one read transaction, one PostgreSQL transaction).")
  var batch: Int = 2_000

  func validate() throws {
    guard (1...100_000).contains(batch) else {
      throw ValidationError("--batch must be from 1 to 100000")
    }
  }

  func run() async throws {
    let database = try central.database()
    let ledger = try storeOptions.open(readOnly: true)
    defer { ledger.close() }
    var options = ClinicForwarder.Options()
    options.eventsPerBatch = batch
    let forwarder = ClinicForwarder(
      store: ledger.store, database: database, clinic: clinic, options: options,
      logger: centralLogger())
    do {
      if once {
        let progress = try await forwarder.forwardOnce()
        print(
          "forwarded \(progress.forwarded) events of clinic \(clinic) to \(database.displayName)"
            + " (\(progress.batches) batches)")
      } else {
        print("forwarding clinic \(clinic) to \(database.displayName); following new events")
        try await forwarder.run()
      }
    } catch {
      throw Exit.report(error)
    }
  }
}

struct CentralCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "central",
    abstract: "The chain's central copy: verify it, show each clinic's lag, report outcomes.",
    discussion: """
      The central copy is the PostgreSQL database the clinics' forwarders write \
      (`treatment-ledger forward`). `central verify` recomputes every clinic's chains from the \
      central rows alone; `central status` shows how far each clinic's copy is behind. \
      docs/CENTRAL.md describes the schema.
      """,
    subcommands: [
      CentralVerify.self, CentralStatusCommand.self, CentralAuditCommand.self,
      CentralReportCommand.self,
    ])
}

struct CentralVerify: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "verify",
    abstract: "Recompute each clinic's chains from the central rows; exit 4 at the first problem.")

  @OptionGroup var central: CentralOptions
  @Option(help: "Verify only this clinic.") var clinic: ClinicID?
  @Flag(help: "Print the report as JSON.") var json = false

  func run() async throws {
    let database = try central.database()
    let results: [ClinicVerification]
    do {
      results = try await CentralVerifier(database: database, logger: centralLogger())
        .verify(clinic: clinic)
    } catch {
      throw Exit.report(error)
    }
    if json {
      try printJSON(results)
    } else {
      for result in results {
        if let problem = result.problem {
          print(
            "clinic \(result.clinic): FAILED after \(result.eventsChecked) intact events: \(problem)"
          )
          if let position = problem.position { print("first bad position: \(position)") }
        } else {
          print(
            "clinic \(result.clinic): OK, \(result.eventsChecked) events, chain head \(result.chainHead)"
          )
        }
      }
    }
    if results.contains(where: { !$0.isIntact }) { throw Exit.verificationFailed }
  }
}

struct CentralStatusCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "status",
    abstract: "Show each clinic's central head and how far it is behind the clinic.")

  @OptionGroup var central: CentralOptions
  @Option(help: "Show only this clinic.") var clinic: ClinicID?
  @Flag(help: "Print the status as JSON.") var json = false

  func run() async throws {
    let database = try central.database()
    let status: CentralStatus
    do {
      status = try await CentralStatus.read(database, clinic: clinic, logger: centralLogger())
    } catch {
      throw Exit.report(error)
    }
    if json { return try printJSON(status) }
    print("clinic  central-events  clinic-events  events-behind  seconds-behind  last-report")
    for row in status.clinics {
      let behind = row.eventsBehind.map(String.init) ?? "?"
      let seconds = row.secondsBehind.map { String(format: "%.1f", $0) } ?? "?"
      let report = row.secondsSinceReport.map { String(format: "%.0f s ago", $0) } ?? "never"
      print(
        "\(row.clinic)  \(row.centralEvents)  \(row.clinicEvents.map(String.init) ?? "?")  "
          + "\(behind)  \(seconds)  \(report)")
    }
  }
}

struct CentralAuditCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "audit",
    abstract: "Audit exports of one clinic from the central copy.",
    subcommands: [CentralAuditExport.self])
}

struct CentralAuditExport: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export",
    abstract: "Export one clinic's events from the central copy, in the clinic tool's format.",
    discussion: """
      The files are those `treatment-ledger audit export` writes from the clinic's store \
      (docs/AUDIT.md), read from the central rows up to the clinic's central head, so \
      `audit verify` and verify_export.py check them. The range options are those of \
      `audit export`. The export is not recorded in the clinic's $audit (the central copy has \
      none of its own to write) and is not signed: the central copy holds no signing key.
      """)

  @OptionGroup var central: CentralOptions
  @Option(help: "The clinic.") var clinic: ClinicID
  @Option(help: "The export directory (created; must be new or empty).") var out: String
  @Option(help: "Who exports: the user's id (recorded in the manifest).") var by: String
  @Option(help: "The exporter's name (default: the id).") var byName: String?
  @Option(help: "The exporter's role.") var byRole: String = "auditor"
  @Option(help: "Why the export is made (no patient data).") var reason: String
  @Option(help: "Start of the range (inclusive), RFC 3339 with an offset.") var from: String?
  @Option(help: "End of the range (exclusive), RFC 3339 with an offset.") var to: String?
  @Option(help: "Export one patient's stream (patient-<ID>) only.") var patient: String?
  @Flag(help: "Apply --from/--to to occurredAt (clinical time) instead of recordedAt.")
  var occurred = false

  var filter: AuditFilter {
    AuditFilter(
      patientId: patient, timeBasis: occurred ? .occurredAt : .recordedAt, from: from, to: to)
  }

  func validate() throws {
    if occurred && from == nil && to == nil {
      throw ValidationError("--occurred needs --from and/or --to")
    }
    do { try filter.validate() } catch { throw ValidationError(error.description) }
    if reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
      throw ValidationError("--reason must not be empty")
    }
  }

  func run() async throws {
    let database = try central.database()
    let request = AuditExportRequest(
      directory: out, filter: filter,
      exportedBy: Recorder(id: by, name: byName ?? by, role: byRole), reason: reason,
      tool: AuditManifest.Tool(name: "treatment-ledger", version: AuditManifest.libraryVersion))
    let export: AuditExport
    do {
      export = try await CentralAuditExporter(
        database: database, semantics: ClinicalAuditSemantics(), logger: centralLogger()
      ).export(clinic: clinic, request) { staging in
        AuditExportCommand.copyVerifier(into: staging)
      }
    } catch {
      throw Exit.report(error)
    }
    let counts = export.manifest.counts
    print(
      "manifest   \(export.directory)/\(AuditManifest.fileName) sha256 \(export.manifestSHA256)")
    print(
      "exported \(counts.events) events of clinic \(clinic) from \(database.displayName) to "
        + "\(export.directory)")
  }
}
