import Foundation
import LedgerTestSupport
import Testing

/// `treatment-ledger serve` as a process on a free loopback port.
final class RunningServer: @unchecked Sendable {
  let process = Process()
  let output = Pipe()
  let errors = Pipe()
  private(set) var port = 0

  /// Starts the server and waits for its `listening on HOST:PORT` line.
  init(store: String, auth: String, extra: [String] = []) throws {
    process.executableURL = URL(fileURLWithPath: LedgerCLI.executable)
    process.arguments =
      [
        "serve", "--store", store, "--listen", "127.0.0.1:0", "--auth", auth, "--log-level",
        "warning",
      ]
      + extra
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    var text = ""
    while !text.contains("\n") {
      let data = output.fileHandleForReading.availableData
      if data.isEmpty { break }
      text += String(decoding: data, as: UTF8.self)
    }
    guard let line = text.split(separator: "\n").first, line.hasPrefix("listening on 127.0.0.1:"),
      let port = Int(line.split(separator: ":").last ?? "")
    else {
      process.terminate()
      throw CLIFailure(
        description:
          "serve did not start: \(text) \(String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))"
      )
    }
    self.port = port
  }

  var url: String { "http://127.0.0.1:\(port)" }

  /// Sends SIGTERM and waits for the exit; returns the exit status and the seconds it took.
  func stop() -> (status: Int32, seconds: Double) {
    let start = ContinuousClock.now
    process.terminate()
    process.waitUntilExit()
    let elapsed = ContinuousClock.now - start
    return (
      process.terminationStatus,
      Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    )
  }
}

@Suite("serve, token and audit access")
struct ServeCommandTests {
  static let client = RepositoryPaths.root + "/Tools/ledger-client/ledger_client.py"

  /// Issues a token and returns it.
  static func issue(_ cli: LedgerCLI, _ auth: String, _ arguments: [String]) throws -> String {
    let result = try ProcessResult.run(
      LedgerCLI.executable, ["token", "issue", "--auth", auth] + arguments)
    #expect(result.status == 0, "\(result.stderr)")
    let words = result.stdout.split(separator: " ")
    #expect(words.count == 2)
    return words.last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
  }

  @Test("token issue, list and revoke; the file holds no token")
  func tokens() throws {
    let cli = LedgerCLI("token")
    defer { cli.directory.remove() }
    let auth = cli.directory.appending("auth.json")
    let token = try Self.issue(
      cli, auth,
      ["--subject", "billing", "--role", "service", "--purpose", "payment", "--access", "read"])
    #expect(token.hasPrefix("tl_"))
    let text = try String(contentsOfFile: auth, encoding: .utf8)
    #expect(!text.contains(token))
    let list = try ProcessResult.run(LedgerCLI.executable, ["token", "list", "--auth", auth])
    #expect(list.status == 0)
    #expect(list.stdout.contains("billing"))
    let id = String(list.stdout.split(separator: "\n")[1].split(separator: " ")[0])
    let revoke = try ProcessResult.run(
      LedgerCLI.executable, ["token", "revoke", "--auth", auth, id])
    #expect(revoke.status == 0)
    let again = try ProcessResult.run(
      LedgerCLI.executable, ["token", "revoke", "--auth", auth, id])
    #expect(again.status == 64)
    let bad = try ProcessResult.run(
      LedgerCLI.executable,
      [
        "token", "issue", "--auth", auth, "--subject", "x", "--role", "service", "--purpose",
        "payment",
      ])
    #expect(bad.status == 64)
    let unknownRole = try ProcessResult.run(
      LedgerCLI.executable,
      [
        "token", "issue", "--auth", auth, "--subject", "x", "--role", "admin", "--purpose",
        "payment",
      ])
    #expect(unknownRole.status == 64)
  }

  @Test("a Python client records a session and follows the subscription, resuming mid-stream")
  func pythonClient() throws {
    let cli = LedgerCLI("serve")
    defer { cli.directory.remove() }
    try cli.succeed(["init"])
    let auth = cli.directory.appending("auth.json")
    let clinician = try Self.issue(
      cli, auth, ["--subject", "dr-lind", "--role", "clinician", "--purpose", "treatment"])
    let server = try RunningServer(store: cli.store, auth: auth)
    var stopped = false
    defer { if !stopped { _ = server.stop() } }

    let record = try ProcessResult.run(
      "/usr/bin/env",
      ["python3", Self.client, "--url", server.url, "--token", clinician, "record-examples"])
    #expect(record.status == 0, "\(record.stderr)")
    #expect(record.stdout.contains("recorded 16 events"))
    #expect(record.stdout.contains("timeline has"))

    let follow = try ProcessResult.run(
      "/usr/bin/env",
      [
        "python3", Self.client, "--url", server.url, "--token", clinician, "follow", "--count",
        "16", "--drop-after", "5",
      ])
    #expect(follow.status == 0, "\(follow.stderr)")
    let positions = follow.stdout.split(separator: "\n").compactMap {
      UInt64($0.split(separator: " ")[0])
    }
    #expect(positions == Array(0..<16))
    #expect(follow.stdout.contains("dropped the connection after 4; resuming"))

    // A client process that ends mid-stream (here after 5 events), and a new one that resumes
    // with Last-Event-ID: together they see every event once.
    let first = try ProcessResult.run(
      "/usr/bin/env",
      ["python3", Self.client, "--url", server.url, "--token", clinician, "follow", "--count", "5"])
    let second = try ProcessResult.run(
      "/usr/bin/env",
      [
        "python3", Self.client, "--url", server.url, "--token", clinician, "follow", "--count",
        "11", "--last-event-id", "4",
      ])
    #expect(first.status == 0 && second.status == 0, "\(first.stderr) \(second.stderr)")
    let resumed = (first.stdout + second.stdout).split(separator: "\n").compactMap {
      UInt64($0.split(separator: " ")[0])
    }
    #expect(resumed == Array(0..<16))

    let refused = try ProcessResult.run(
      "/usr/bin/env",
      [
        "python3", Self.client, "--url", server.url, "--token", "tl_wrong", "follow", "--count",
        "1",
      ])
    #expect(refused.status == 1)
    #expect(refused.stderr.contains("unauthorized"))

    let stop = server.stop()
    stopped = true
    #expect(stop.status == 0)
    #expect(stop.seconds < 10)

    let access = try cli.succeed(["audit", "access", "--patient", "demo-0001"])
    #expect(access.stdout.contains("dr-lind (clinician)"))
    #expect(access.stdout.contains("GET /v1/patients/{patientId}/timeline"))
    #expect(access.stdout.contains("GET /v1/subscription"))
    let json = try cli.succeed(["audit", "access", "--patient", "nobody", "--json"])
    #expect(json.stdout.isEmpty)
  }

  @Test("SIGTERM ends open subscriptions and stops the server")
  func gracefulStop() throws {
    let cli = LedgerCLI("serve-stop")
    defer { cli.directory.remove() }
    try cli.succeed(["init"])
    let auth = cli.directory.appending("auth.json")
    let auditor = try Self.issue(
      cli, auth, ["--subject", "auditor-1", "--role", "auditor", "--purpose", "audit"])
    let server = try RunningServer(store: cli.store, auth: auth, extra: ["--heartbeat", "1"])
    let follower = Process()
    follower.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    follower.arguments = [
      "python3", Self.client, "--url", server.url, "--token", auditor, "follow", "--count", "1",
    ]
    follower.standardOutput = FileHandle.nullDevice
    follower.standardError = FileHandle.nullDevice
    try follower.run()
    defer {
      if follower.isRunning { follower.terminate() }
    }
    Thread.sleep(forTimeInterval: 1.5)
    let stop = server.stop()
    #expect(stop.status == 0)
    #expect(stop.seconds < 10)
  }

  @Test("serve refuses a bad address or a missing auth file")
  func refusals() throws {
    let cli = LedgerCLI("serve-bad")
    defer { cli.directory.remove() }
    try cli.succeed(["init"])
    let missing = try cli.run(["serve", "--auth", cli.directory.appending("none.json")])
    #expect(missing.status == 64)
    #expect(missing.stderr.contains("auth file"))
    let address = try cli.run(["serve", "--auth", "x", "--listen", "nowhere"])
    #expect(address.status == 64)
  }
}
