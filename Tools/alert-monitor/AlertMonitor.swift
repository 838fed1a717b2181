import ArgumentParser
import Foundation
import Logging
import TreatmentLedger

/// `alert-monitor`: an example service that embeds TreatmentLedger. It follows a store that
/// other processes append to and prints one line per alarming vital-signs reading or severe side
/// effect, as it is recorded.
///
/// The embedding pattern, step by step (each step says why):
/// 1. The service makes its own `Logger` and hands it to the library in the configuration: a
///    library never configures logging, the service decides where diagnostics go (stderr here).
/// 2. It opens the ledger read-only and never creates a store: a monitor has no business writing,
///    and a typo in `--store` must fail loudly (exit 66), not start watching an empty new store.
/// 3. It takes the start position *before* it announces itself: whatever is appended after
///    that position is seen, whichever process appends it.
/// 4. It follows `Ledger.flaggedEvents(from:)` in one task; SIGINT and SIGTERM cancel that task, the
///    `for try await` loop ends, and the ledger is closed on the normal path.
@main
struct AlertMonitor: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "alert-monitor",
    abstract:
      "Print an alert line for each safety flag (vital signs, suicidal thoughts, severe or serious "
      + "side effects, early stops, unsafe discharges) as it is recorded.",
    discussion: """
      An example service embedding the TreatmentLedger library. It follows the store with \
      Ledger.flaggedEvents(from:), beside any number of processes appending to it (treatment-ledger \
      import, a clinic's own service), and prints one line per alerting event on standard \
      output, flushed line by line. Diagnostics go to standard error. The store is opened \
      read-only.

      Alerts: every vitals.* flag of a VitalsRecorded reading; assessment.phq9.suicidalThoughts \
      (PHQ-9 item 9 scored 1 or more); sideEffect.severe and sideEffect.serious; \
      infusion.stoppedEarly; discharge.escort.absent, discharge.criteria.notMet and \
      discharge.esketamine.shortObservation; the same codes on an EntryCorrected whose \
      replacement is alarming. Other flags are not bedside alerts and are skipped. A line names \
      the patient's pseudonymous id, the session, the event's clinical time, type, id and \
      position, and each flag's code and rule; never a measured value:

        ALERT 2026-11-04T10:00:00-05:00 patient demo-0001 session session-demo-0001-a1 \
      VitalsRecorded: vitals.heartRate.high (heart rate at or above 111 bpm) [event 5f0c… at \
      position 6]

      Flags are decided by the process that appends, under its protocol. With --protocol the \
      monitor warns on standard error when a flag was decided under another protocol version.

      Exit codes:
        0   stopped by SIGINT or SIGTERM, or after --max-alerts alerts
        1   storage or unexpected error
        64  command-line usage error
        65  the protocol file cannot be read or is invalid
        66  no store at the path
      """)

  @Option(
    help: "The store directory (default: $TREATMENT_LEDGER_STORE, else ./treatment-ledger.store).")
  var store: String?

  @Flag(
    help: """
      Alert on the flagged events already stored, then follow new ones (default: only events \
      recorded after the monitor starts).
      """)
  var fromStart = false

  @Option(
    name: .customLong("protocol"),
    help: """
      The clinic protocol file (JSON) the appending processes use; flags decided under another \
      protocol version are reported on standard error.
      """)
  var protocolFile: String?

  @Option(help: "Exit (status 0) after this many alerts.")
  var maxAlerts: Int?

  @Option(
    help:
      "Diagnostics on standard error from this level: trace, debug, info, notice, warning, error.")
  var logLevel: String = "info"

  static let noStore = ExitCode(66)
  static let invalidProtocol = ExitCode(65)

  func validate() throws {
    if let maxAlerts, maxAlerts < 1 {
      throw ValidationError("--max-alerts must be at least 1")
    }
    if Logger.Level(rawValue: logLevel) == nil {
      throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error")
    }
  }

  var storePath: String {
    store ?? ProcessInfo.processInfo.environment["TREATMENT_LEDGER_STORE"]
      ?? "treatment-ledger.store"
  }

  mutating func run() async throws {
    var configured = Logger(label: "alert-monitor") { StreamLogHandler.standardError(label: $0) }
    configured.logLevel = Logger.Level(rawValue: logLevel) ?? .info
    let logger = configured
    let clinicalProtocol = try loadProtocol(logger: logger)
    let path = storePath

    let ledger: Ledger
    let start: UInt64
    do throws(LedgerError) {
      ledger = try Ledger.open(
        Ledger.Configuration(
          path: path, clinicalProtocol: clinicalProtocol, readOnly: true, createIfMissing: false,
          logger: logger))
    } catch {
      throw Self.exitCode(for: error, logger: logger)
    }
    defer { ledger.close() }
    do throws(LedgerError) {
      start = fromStart ? 0 : try ledger.nextPosition()
    } catch {
      throw Self.exitCode(for: error, logger: logger)
    }

    // Only a protocol the operator named is worth a warning when flags disagree with it.
    let expectedProtocol = protocolFile == nil ? nil : clinicalProtocol.protocolVersion
    let follower = Task { [maxAlerts] in
      await Self.follow(
        ledger, from: start, maxAlerts: maxAlerts, expectedProtocol: expectedProtocol,
        logger: logger)
    }
    let signals = SignalWatch([SIGINT, SIGTERM]) { number in
      logger.notice("stopping", metadata: ["signal": "\(SignalWatch.name(number))"])
      follower.cancel()
    }
    defer { signals.cancel() }
    logger.info(
      "following the store for alerts",
      metadata: [
        "store": "\(path)", "from": "\(start)", "protocol": "\(clinicalProtocol.protocolVersion)",
      ])

    switch await follower.value {
    case .success(let alerts):
      logger.info("stopped", metadata: ["alerts": "\(alerts)"])
    case .failure(.store(let error)):
      throw Self.exitCode(for: error, logger: logger)
    case .failure(.output(let description)):
      logger.error("cannot write to standard output", metadata: ["error": "\(description)"])
      throw ExitCode.failure
    }
  }

  /// Why following stopped early.
  enum FollowError: Error {
    case store(LedgerError)
    case output(String)
  }

  /// Prints an alert line for each alerting event from `start` on until the task is cancelled,
  /// the ledger closes, or `maxAlerts` alerts have been printed. Returns the number printed.
  /// With `expectedProtocol`, the first flag of each other protocol version is reported.
  static func follow(
    _ ledger: Ledger, from start: UInt64, maxAlerts: Int?, expectedProtocol: String?,
    logger: Logger
  ) async -> Result<Int, FollowError> {
    var printed = 0
    var reportedVersions: Set<String> = []
    do {
      for try await event in ledger.flaggedEvents(from: start) {
        guard let alert = Alert(event) else {
          logger.debug(
            "flagged event without an alerting flag",
            metadata: ["type": "\(event.type)", "position": "\(event.globalPosition)"])
          continue
        }
        for version in alert.flags.map(\.protocolVersion)
        where expectedProtocol.map({ version != $0 }) ?? false
          && reportedVersions.insert(version).inserted
        {
          logger.warning(
            "a flag was decided under another protocol version",
            metadata: [
              "flagProtocol": "\(version)", "expected": "\(expectedProtocol ?? "")",
              "position": "\(event.globalPosition)",
            ])
        }
        do {
          try FileHandle.standardOutput.write(contentsOf: Data((alert.line + "\n").utf8))
        } catch {
          return .failure(.output("\(error)"))
        }
        printed += 1
        if let maxAlerts, printed >= maxAlerts { break }
      }
    } catch {
      return .failure(.store(error))
    }
    return .success(printed)
  }

  /// The protocol given with `--protocol`, or the defaults.
  func loadProtocol(logger: Logger) throws -> ClinicalProtocol {
    guard let protocolFile else { return ClinicalProtocol() }
    guard let data = FileManager.default.contents(atPath: protocolFile) else {
      logger.error("cannot read the protocol file", metadata: ["file": "\(protocolFile)"])
      throw Self.invalidProtocol
    }
    do {
      return try ClinicalProtocol.load(json: data)
    } catch {
      logger.error(
        "invalid protocol file", metadata: ["file": "\(protocolFile)", "error": "\(error)"])
      throw Self.invalidProtocol
    }
  }

  /// Logs `error` (its description names no patient data) and returns the matching exit code.
  static func exitCode(for error: LedgerError, logger: Logger) -> ExitCode {
    logger.error("\(error.description)")
    if error.code == .storeNotFound { return noStore }
    return .failure
  }
}
