import ArgumentParser
import Foundation
import LedgerServer
import Logging
import Metrics
import TreatmentLedger

/// `treatment-ledger serve`: the HTTP API (docs/SERVER.md).
struct Serve: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Serve the HTTP API (Schemas/openapi.yaml) until SIGTERM or SIGINT.",
    discussion: """
      Listens on --listen (default 127.0.0.1:8080, loopback only; port 0 picks a free port). \
      Requests carry `Authorization: Bearer TOKEN`; tokens are issued and revoked with \
      `treatment-ledger token` in the --auth file, which the server re-reads when it changes. \
      Every read of patient data is recorded in $access before it is sent (see `audit access`). \
      The first line on standard output is `listening on HOST:PORT`; the log goes to standard \
      error. On SIGTERM or SIGINT open subscriptions end, requests in flight finish, and the \
      store is closed. See docs/SERVER.md.
      """)

  @OptionGroup var storeOptions: StoreOptions
  @Option(help: "HOST:PORT to listen on.") var listen: String = "127.0.0.1:8080"
  @Option(help: "The auth file of hashed tokens (see `token issue`).") var auth: String
  @Option(help: "Where POST /v1/audit/exports writes exports (default: no export routes).")
  var exports: String?
  @Option(help: "Seconds between heartbeats on an idle subscription.") var heartbeat: Int = 15
  @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
  var logLevel: String = "info"

  func validate() throws {
    guard Logger.Level(rawValue: logLevel) != nil else {
      throw ValidationError(
        "--log-level must be one of trace, debug, info, notice, warning, error, critical")
    }
    guard (1...3_600).contains(heartbeat) else {
      throw ValidationError("--heartbeat must be from 1 to 3600 seconds")
    }
  }

  func run() async throws {
    var logger = Logger(label: "treatment-ledger.serve")
    logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
    var configuration = LedgerServer.Configuration(authFile: auth)
    configuration.heartbeatInterval = .seconds(heartbeat)
    configuration.exportDirectory = exports
    do { try configuration.listen(on: listen) } catch {
      printError(error.description)
      throw Exit.usage
    }
    let ledger = try storeOptions.open(create: false)
    defer { ledger.close() }
    let server: LedgerServer
    do {
      server = try LedgerServer(ledger: ledger, configuration: configuration, logger: logger)
    } catch {
      printError(error.description)
      throw Exit.usage
    }
    MetricsSystem.bootstrap(server.metrics.factory)
    let host = configuration.host
    try await server.run { port in
      // Written unbuffered: a supervisor or a test waits for this line to know the port.
      FileHandle.standardOutput.write(Data("listening on \(host):\(port)\n".utf8))
    }
  }
}
