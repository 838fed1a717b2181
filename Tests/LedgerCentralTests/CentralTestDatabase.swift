import Foundation
import LedgerCentral
import LedgerEventStore
import LedgerFoundation
import LedgerTestSupport
import Logging
import NIOCore
import PostgresNIO
import Testing

/// A PostgreSQL database of its own for one test, on the server `.ci/run` starts
/// (`TREATMENT_LEDGER_POSTGRES_URL`); dropped by ``drop()``. No mock stands in for the server:
/// without the URL these tests are disabled, and in CI (`CI=true`) ``CentralServerGuardTests``
/// fails instead.
struct CentralTestDatabase {
  static let adminURL = ProcessInfo.processInfo.environment["TREATMENT_LEDGER_POSTGRES_URL"]
  static var configured: Bool { adminURL != nil }
  static let logger = Logger(label: "central-tests")

  let name: String
  let url: String
  let database: CentralDatabase

  /// Creates a fresh, empty database on the server.
  static func create() async throws -> CentralTestDatabase {
    let admin = try #require(adminURL)
    let name =
      "tl_test_"
      + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(
        of: "-", with: "")
    try await execute(url: admin, "CREATE DATABASE \(name)")
    var components = try #require(URLComponents(string: admin))
    components.path = "/" + name
    let url = try #require(components.string)
    return CentralTestDatabase(name: name, url: url, database: try CentralDatabase(url: url))
  }

  /// Drops the database (after terminating what is still connected to it).
  func drop() async {
    guard let admin = Self.adminURL else { return }
    try? await Self.execute(
      url: admin,
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(name)'")
    try? await Self.execute(url: admin, "DROP DATABASE IF EXISTS \(name)")
  }

  /// Runs one statement on its own connection to `url`.
  static func execute(url: String, _ sql: String) async throws {
    let connection = try await PostgresConnection.connect(
      configuration: try CentralDatabase(url: url).configuration, id: 1, logger: logger)
    defer { Task { try? await connection.close() } }
    try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
  }

  /// Runs `sql` in this database.
  func execute(_ sql: String) async throws {
    try await Self.execute(url: url, sql)
  }

  /// The first column of the first row of `sql`, as an integer.
  func integer(_ sql: String) async throws -> Int64 {
    let connection = try await PostgresConnection.connect(
      configuration: database.configuration, id: 2, logger: Self.logger)
    do {
      let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: Self.logger)
      var value: Int64 = -1
      for try await (found) in rows.decode(Int64.self) { value = found }
      try await connection.close()
      return value
    } catch {
      try? await connection.close()
      throw error
    }
  }

  /// The stored envelopes of `clinic`, in position order.
  func envelopes(_ clinic: String) async throws -> [(Int64, [UInt8], [UInt8])] {
    let connection = try await PostgresConnection.connect(
      configuration: database.configuration, id: 3, logger: Self.logger)
    do {
      let rows = try await connection.query(
        """
        SELECT global_position, hash, envelope FROM treatment_ledger.events
        WHERE clinic_id = \(clinic) ORDER BY global_position
        """, logger: Self.logger)
      var found: [(Int64, [UInt8], [UInt8])] = []
      for try await (position, hash, envelope) in rows.decode((Int64, ByteBuffer, ByteBuffer).self)
      {
        found.append((position, Array(buffer: hash), Array(buffer: envelope)))
      }
      try await connection.close()
      return found
    } catch {
      try? await connection.close()
      throw error
    }
  }
}

/// A clinic store of plain events in a few streams (no clinical rules: the subject is the
/// forwarding, not the catalogue).
struct TestClinicStore {
  let directory: TemporaryDirectory
  let store: EventStore

  init(_ label: String, directory: TemporaryDirectory? = nil) throws {
    self.directory = directory ?? TemporaryDirectory("central-\(label)")
    var options = EventStore.Options()
    options.initialMapSize = 8 << 20
    options.durability = .unsafeNoSyncMayLoseRecentCommits
    store = try EventStore.open(at: self.directory.appending("store"), options: options)
  }

  /// Appends `count` events spread over `streams` streams, in commits of `perCommit`.
  func append(
    _ count: Int, streams: Int = 3, perCommit: Int = 10, tag: String = "a",
    prefix: String = "cli-stream-"
  ) async throws {
    var left = count
    var index = 0
    while left > 0 {
      let take = min(perCommit, left)
      let events = (0..<take).map { offset in
        ProposedEvent(
          eventId: UUID(), type: "TestRecorded", occurredAt: "2026-11-02T10:15:00-05:00",
          recordedBy: Recorder(id: "u-1", name: "Tester", role: "nurse"),
          data: .object(["n": .number(Double(index + offset)), "tag": .string(tag)]))
      }
      _ = try await store.append(events, to: "\(prefix)\(index % streams)")
      left -= take
      index += take
    }
  }

  func close() { store.close() }
  func remove() {
    store.close()
    directory.remove()
  }
}
