import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization
import TreatmentLedger

/// The HTTP API over a `Ledger`: the routes of `Schemas/openapi.yaml`, bearer tokens with a
/// role and a purpose, every read of patient data recorded in `$access` before it is sent,
/// RFC 9457 problem documents, server-sent events and Prometheus metrics (docs/SERVER.md).
///
/// ```swift
/// let server = try LedgerServer(
///   ledger: ledger, configuration: LedgerServer.Configuration(authFile: "/etc/clinic/auth.json"),
///   logger: logger)
/// try await server.run()  // until SIGTERM or SIGINT, then a graceful stop
/// ```
public struct LedgerServer: Sendable {
  /// How to serve.
  public struct Configuration: Sendable {
    /// The address to listen on (loopback by default).
    public var host: String
    /// The port to listen on; 0 picks a free one (see `onServerRunning`).
    public var port: Int
    /// The auth file (``AuthFile``), re-read when it changes.
    public var authFile: String
    /// The largest request body accepted, in bytes (larger ones get 413).
    public var maximumBodyBytes: Int = 1 << 20
    /// The most events one read returns.
    public var maximumPageSize: Int = 1_000
    /// How often an idle subscription sends a heartbeat comment.
    public var heartbeatInterval: Duration = .seconds(15)
    /// Where `POST /v1/audit/exports` writes exports (one directory per export id); nil: the
    /// export routes answer 503.
    public var exportDirectory: String?
    /// Whether reads of patient data are recorded in `$access`. Always true for a served store;
    /// `package` so that only this package's benchmark (Tools/ledger-server-bench) can measure
    /// what the record costs.
    package var recordsReads = true

    /// A configuration listening on `host:port` with the tokens of `authFile`.
    public init(host: String = "127.0.0.1", port: Int = 8080, authFile: String) {
      self.host = host
      self.port = port
      self.authFile = authFile
    }

    /// Parses `HOST:PORT` (as `--listen` takes it) into ``host`` and ``port``.
    public mutating func listen(on address: String) throws(ServerError) {
      guard let colon = address.lastIndex(of: ":"),
        let port = Int(address[address.index(after: colon)...]), (0...65_535).contains(port),
        colon != address.startIndex
      else { throw .invalidAddress(address) }
      host = String(address[..<colon])
      self.port = port
    }
  }

  /// The ledger served.
  public let ledger: Ledger
  /// The configuration.
  public let configuration: Configuration
  /// The server's metrics.
  public let metrics: ServerMetrics
  let logger: Logger
  let authenticator: Authenticator
  let stopping: StopSignal

  /// A server for `ledger`; reads the auth file now.
  /// - Throws: ``ServerError/authFile(path:reason:)`` when it cannot be read.
  public init(
    ledger: Ledger, configuration: Configuration, metrics: ServerMetrics = ServerMetrics(),
    logger: Logger
  ) throws(ServerError) {
    self.ledger = ledger
    self.configuration = configuration
    self.metrics = metrics
    self.logger = logger
    authenticator = try Authenticator(path: configuration.authFile)
    stopping = StopSignal()
  }

  /// The router with every route and the middleware that turns errors into problem documents
  /// and counts requests.
  public func router() -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    let table = RouteTable()
    router.add(
      middleware: ProblemAndMetricsMiddleware(metrics: metrics, logger: logger, routes: table))
    addHealthRoutes(to: router)
    addRecordingRoutes(to: router)
    addReadingRoutes(to: router)
    addSubscriptionRoute(to: router)
    addAuditRoutes(to: router)
    addOperatorRoutes(to: router)
    table.set(router.routes.map { ($0.path.description, $0.method.rawValue) })
    return router
  }

  /// The Hummingbird application; `onServerRunning` is told the bound port.
  public func application(
    onServerRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in }
  ) -> some ApplicationProtocol {
    Application(
      router: router(),
      configuration: ApplicationConfiguration(
        address: .hostname(configuration.host, port: configuration.port),
        serverName: "treatment-ledger"),
      onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
      logger: logger)
  }

  /// Serves until SIGTERM or SIGINT, then stops gracefully: open subscriptions end, requests in
  /// flight finish, and the caller closes the ledger.
  public func run(onServerRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in })
    async throws
  {
    let group = ServiceGroup(
      configuration: ServiceGroupConfiguration(
        services: [application(onServerRunning: onServerRunning), StopService(signal: stopping)],
        gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
    try await group.run()
  }

  /// Ends every open subscription (the graceful stop does this; tests call it directly).
  public func stopSubscriptions() { stopping.stop() }
}

/// Set once the server is stopping: subscriptions end at their next wake-up.
final class StopSignal: Sendable {
  private let stopped = Atomic<Bool>(false)
  func stop() { stopped.store(true, ordering: .relaxed) }
  var isStopped: Bool { stopped.load(ordering: .relaxed) }
}

/// Sets the stop signal on graceful shutdown, so that subscriptions end and the server can stop.
struct StopService: Service {
  let signal: StopSignal
  func run() async throws {
    try? await gracefulShutdown()
    signal.stop()
  }
}
