import Foundation
import LedgerCentral
import LedgerEventStore
import LedgerTestSupport
import Testing

/// A PostgreSQL cluster of the test's own (`.ci/postgres.sh` on a port of its own), so that
/// stopping and starting it disturbs no other test running in parallel on the shared cluster.
struct PrivateCluster {
  let directory: String
  let port: Int
  let url: String
  static let scriptPath = RepositoryPaths.root + "/.ci/postgres.sh"

  /// Runs `.ci/postgres.sh ARGUMENTS` with every descriptor above 2 closed first: the server it
  /// starts would otherwise keep inherited pipe ends open (ours or another test's), and a
  /// reader waiting for their end of file would wait forever.
  static func script(_ arguments: [String]) throws -> ProcessResult {
    try ProcessResult.run(
      "/bin/bash",
      [
        "-c",
        #"for fd in $(ls /proc/$$/fd); do [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null; done; "#
          + #"exec "$0" "$@" </dev/null"#,
        scriptPath,
      ] + arguments)
  }

  /// Starts a new cluster on the first free port from a random one in 56100–56899.
  static func start() throws -> PrivateCluster {
    let directory = "/tmp/tl-pg-restart-" + UUID().uuidString.prefix(8).lowercased()
    var port = Int.random(in: 56_100...56_899)
    for _ in 0..<5 {
      let started = try script(["start", directory, String(port)])
      if started.status == 0 {
        return PrivateCluster(
          directory: directory, port: port,
          url: started.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
      }
      port += 1
    }
    throw CLIFailureText("no private PostgreSQL cluster could be started")
  }

  /// `pg_ctl stop -m fast`, then a start on the same port.
  func restart(downFor pause: Duration) async throws {
    let stopped = try Self.script(["stop", directory])
    guard stopped.status == 0 else { throw CLIFailureText("stop: \(stopped.stderr)") }
    try await Task.sleep(for: pause)
    let started = try Self.script(["start", directory, String(port)])
    guard started.status == 0 else { throw CLIFailureText("start: \(started.stderr)") }
  }

  func remove() {
    _ = try? Self.script(["stop", directory])
    try? FileManager.default.removeItem(atPath: directory)
  }
}

struct CLIFailureText: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}

@Suite(
  .enabled(if: CentralTestDatabase.configured, "needs TREATMENT_LEDGER_POSTGRES_URL"),
  .timeLimit(.minutes(3)))
struct CentralRestartTests {
  /// PostgreSQL stopped (`pg_ctl stop -m fast`) and started again, twice, while the long-lived
  /// forwarder runs and the clinic appends: afterwards every event is central exactly once and
  /// central verify passes.
  @Test func aServerRestartedMidStreamLosesAndDuplicatesNothing() async throws {
    let cluster = try PrivateCluster.start()
    defer { cluster.remove() }
    let database = try CentralDatabase(url: cluster.url)
    let store = try TestClinicStore("restart")
    defer { store.remove() }
    var options = ClinicForwarder.Options()
    options.eventsPerBatch = 10
    options.initialRetryDelay = .milliseconds(50)
    options.maximumRetryDelay = .milliseconds(500)
    options.statementTimeout = .seconds(3)
    let logs = MessageLog()
    let forwarder = ClinicForwarder(
      store: store.store, database: database, clinic: try #require(ClinicID("restart")),
      options: options, logger: CollectingLogHandler.logger(logs))
    let running = Task { try await forwarder.run() }
    defer { running.cancel() }
    let appending = Task {
      for round in 0..<30 {
        try await store.append(10, perCommit: 5, tag: "round-\(round)")
        try await Task.sleep(for: .milliseconds(60))
      }
    }
    try await Task.sleep(for: .milliseconds(400))
    try await cluster.restart(downFor: .milliseconds(700))
    try await Task.sleep(for: .milliseconds(500))
    try await cluster.restart(downFor: .milliseconds(300))
    try await appending.value
    let total = try store.store.nextPosition()
    #expect(total == 300)
    let central = CentralTestDatabase(name: "postgres", url: cluster.url, database: database)
    try await waitUntil(seconds: 60) {
      (try? await central.integer("SELECT count(*) FROM treatment_ledger.events")) == 300
    }
    running.cancel()
    #expect(
      try await central.integer(
        "SELECT count(DISTINCT global_position) FROM treatment_ledger.events") == 300)
    #expect(
      try await central.integer("SELECT max(head_position) FROM treatment_ledger.clinics") == 299)
    #expect(try await CentralVerifier(database: database).verify().allSatisfy { $0.isIntact })
    #expect(logs.all.contains { $0.message.contains("unreachable") })
  }
}
