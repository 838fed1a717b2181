import Foundation
import Logging
import NIOCore
import PostgresNIO

/// Where the central copy lives: a PostgreSQL server and database, from a
/// `postgres://user[:password]@host[:port]/database` URL (docs/CENTRAL.md).
///
/// Each forwarder, verifier or report opens its own connection; the connection is closed when
/// the operation ends. TLS is not used (the URL names a server on a trusted network or
/// loopback); ``CentralDatabase/init(configuration:)`` takes any postgres-nio configuration.
public struct CentralDatabase: Sendable {
  /// The connection settings.
  public let configuration: PostgresConnection.Configuration
  /// The server's address as `host:port/database`, for messages (never the password).
  public let displayName: String

  /// The database a URL names. `postgres://` and `postgresql://` are accepted; the port defaults
  /// to 5432, the database to the user's name.
  public init(url text: String) throws(CentralError) {
    guard let components = URLComponents(string: text),
      let scheme = components.scheme, ["postgres", "postgresql"].contains(scheme)
    else {
      throw .invalidURL(reason: "expected postgres://user[:password]@host[:port]/database")
    }
    guard let host = components.host, !host.isEmpty else {
      throw .invalidURL(reason: "no host")
    }
    guard let user = components.user, !user.isEmpty else {
      throw .invalidURL(reason: "no user")
    }
    let port = components.port ?? 5432
    let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : ""
    let database = path.isEmpty ? user : path
    self.configuration = PostgresConnection.Configuration(
      host: host, port: port, username: user, password: components.password, database: database,
      tls: .disable)
    self.displayName = "\(host):\(port)/\(database)"
  }

  /// A database from a postgres-nio configuration (TLS, a socket path, another port).
  public init(configuration: PostgresConnection.Configuration) {
    self.configuration = configuration
    self.displayName =
      "\(configuration.host ?? configuration.unixSocketPath ?? "?"):\(configuration.port ?? 0)"
      + "/\(configuration.database ?? configuration.username)"
  }

  /// A connection, after the schema is created or found current; ``CentralError/unreachable(reason:)``
  /// when that takes longer than `timeout` (a connection opened later is closed: see
  /// ``withDeadline(_:onTimeout:onAbandoned:_:)``).
  func connect(
    logger: Logger, timeout: Duration = .seconds(60)
  ) async throws(CentralError) -> PostgresConnection {
    let configuration = self.configuration
    return try await withDeadline(
      timeout,
      onAbandoned: { connection in Task { try? await connection.close() } },
      { try await Self.connectNow(configuration, logger: logger) })
  }

  /// ``connect(logger:timeout:)`` without its deadline.
  private static func connectNow(
    _ configuration: PostgresConnection.Configuration, logger: Logger
  ) async throws(CentralError) -> PostgresConnection {
    let connection: PostgresConnection
    do {
      connection = try await PostgresConnection.connect(
        configuration: configuration, id: Int.random(in: 1...Int(Int32.max)), logger: logger)
    } catch {
      throw Self.describe(error)
    }
    do {
      try await CentralSchema.prepare(connection, logger: logger)
    } catch {
      try? await connection.close()
      throw Self.describe(error)
    }
    return connection
  }

  /// Runs `body` on a fresh connection and closes it afterwards.
  func withConnection<R: Sendable>(
    logger: Logger, _ body: (PostgresConnection) async throws -> R
  ) async throws(CentralError) -> R {
    let connection = try await connect(logger: logger)
    do {
      let result = try await body(connection)
      try? await connection.close()
      return result
    } catch {
      try? await connection.close()
      throw Self.describe(error)
    }
  }

  /// A ``CentralError`` for any error met while talking to PostgreSQL: the server's SQLSTATE and
  /// message for its own errors (never the statement or its parameters), ``CentralError/unreachable(reason:)``
  /// for lost or refused connections and the server's shutdown and start-up states.
  static func describe(_ error: any Error) -> CentralError {
    if let central = error as? CentralError { return central }
    if let transaction = error as? PostgresTransactionError {
      if let inner = transaction.closureError ?? transaction.beginError ?? transaction.commitError {
        return describe(inner)
      }
      return .database(reason: "transaction failed")
    }
    if let psql = error as? PSQLError {
      if let state = psql.serverInfo?[.sqlState] {
        let message = psql.serverInfo?[.message] ?? ""
        // 08: connection exception; 57P01–57P03: shutdown, crash, not yet accepting.
        if state.hasPrefix("08") || state.hasPrefix("57P") {
          return .unreachable(reason: "\(state) \(message)")
        }
        return .database(reason: "\(state) \(message)")
      }
      switch psql.code {
      case .serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown:
        return .unreachable(reason: "connection lost (\(psql.code))")
      default:
        return .database(reason: "\(psql.code)")
      }
    }
    if error is CancellationError { return .unreachable(reason: "cancelled") }
    // NIO's connection errors (refused, reset, timed out) come as other error types.
    return .unreachable(reason: "\(type(of: error))")
  }
}

/// The central schema (docs/CENTRAL.md, "Schema"): created when missing, in one transaction under
/// an advisory lock so that forwarders starting together do not race, and versioned.
enum CentralSchema {
  /// The version this release writes and reads. Version 2 added `clinics.key_check` and
  /// `stream_keys` (the wrapped data keys); a version 1 copy is upgraded in place, and its
  /// forwarders send the keys of what they forwarded before on their next run.
  static let version = 2
  /// The PostgreSQL schema (namespace) holding the tables.
  static let name = "treatment_ledger"
  /// The advisory lock key taken while the schema is created.
  static let creationLock: Int64 = 0x7472_6561_746d_0001

  static let statements: [String] = [
    "CREATE SCHEMA IF NOT EXISTS treatment_ledger",
    """
    CREATE TABLE IF NOT EXISTS treatment_ledger.schema_version (
      version integer PRIMARY KEY,
      applied_at timestamptz NOT NULL DEFAULT now())
    """,
    """
    CREATE TABLE IF NOT EXISTS treatment_ledger.clinics (
      clinic_id text PRIMARY KEY CHECK (clinic_id ~ '^[a-z0-9-]{1,32}$'),
      first_hash bytea CHECK (octet_length(first_hash) = 32),
      head_position bigint NOT NULL DEFAULT -1 CHECK (head_position >= -1),
      head_hash bytea NOT NULL DEFAULT decode(repeat('00', 32), 'hex')
        CHECK (octet_length(head_hash) = 32),
      head_recorded_at timestamptz,
      checkpoint_at timestamptz,
      clinic_events bigint,
      clinic_recorded_at timestamptz,
      reported_at timestamptz)
    """,
    """
    CREATE TABLE IF NOT EXISTS treatment_ledger.events (
      clinic_id text NOT NULL REFERENCES treatment_ledger.clinics (clinic_id),
      global_position bigint NOT NULL CHECK (global_position >= 0),
      stream_id text NOT NULL,
      stream_version bigint NOT NULL,
      event_type text NOT NULL,
      recorded_at timestamptz NOT NULL,
      previous_hash bytea NOT NULL,
      hash bytea NOT NULL,
      envelope bytea NOT NULL,
      PRIMARY KEY (clinic_id, global_position))
    """,
    """
    CREATE INDEX IF NOT EXISTS events_by_stream
      ON treatment_ledger.events (clinic_id, stream_id, stream_version)
    """,
    """
    CREATE INDEX IF NOT EXISTS events_by_type_time
      ON treatment_ledger.events (event_type, recorded_at)
    """,
    // Version 2: the clinic's key check and its wrapped data keys (docs/CENTRAL.md 5).
    "ALTER TABLE treatment_ledger.clinics ADD COLUMN IF NOT EXISTS key_check bytea",
    """
    CREATE TABLE IF NOT EXISTS treatment_ledger.stream_keys (
      clinic_id text NOT NULL REFERENCES treatment_ledger.clinics (clinic_id),
      stream_id text NOT NULL,
      key_version bigint NOT NULL CHECK (key_version >= 1),
      wrapped bytea NOT NULL,
      PRIMARY KEY (clinic_id, stream_id, key_version))
    """,
  ]

  /// Creates the schema when it is missing; refuses a newer one.
  static func prepare(_ connection: PostgresConnection, logger: Logger) async throws {
    if let found = try await currentVersion(connection, logger: logger) {
      guard found <= version else {
        throw CentralError.schemaTooNew(found: found, known: version)
      }
      if found == version { return }
    }
    try await connection.withTransaction(logger: logger) { connection in
      try await connection.query("SELECT pg_advisory_xact_lock(\(creationLock))", logger: logger)
      for statement in statements {
        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
      }
      try await connection.query(
        """
        INSERT INTO treatment_ledger.schema_version (version) VALUES (\(version))
        ON CONFLICT DO NOTHING
        """, logger: logger)
    }
  }

  /// The newest version recorded, or nil before the schema exists.
  static func currentVersion(_ connection: PostgresConnection, logger: Logger) async throws -> Int?
  {
    let exists = try await connection.query(
      "SELECT to_regclass('treatment_ledger.schema_version') IS NOT NULL", logger: logger)
    for try await (present) in exists.decode(Bool.self) where !present { return nil }
    let rows = try await connection.query(
      "SELECT max(version) FROM treatment_ledger.schema_version", logger: logger)
    for try await (found) in rows.decode(Int?.self) { return found }
    return nil
  }
}
