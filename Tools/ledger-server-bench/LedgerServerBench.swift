import ArgumentParser
import AsyncHTTPClient
import Foundation
import Hummingbird
import LedgerServer
import Logging
import NIOCore
import ServiceLifecycle
import TreatmentLedger

/// Load figures of the HTTP API against the in-process rate of the same work, in one run, on
/// loopback (docs/SERVER.md, "Load figures"): durable single-event appends from N concurrent
/// connections vs N concurrent in-process tasks, and timeline reads with vs without the `$access`
/// record.
@main
struct LedgerServerBench: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "LedgerServerBench",
    abstract: "HTTP appends and reads against the in-process rate (loopback, bounded).",
    discussion: """
      Makes a store in a temporary directory, serves it on 127.0.0.1 (a free port) from this \
      process, and measures: (1) durable single-event appends from --concurrency in-process \
      tasks, then (2) the same from --concurrency HTTP connections; (3) timeline reads in \
      process, (4) over HTTP with the $access record of each read, (5) over HTTP without it \
      (a package-only switch of the server, for this measurement). Prints a table, or JSON with \
      --json. Use a release build for figures.
      """)

  @Option(help: "Appends per mode.") var appends: Int = 3_000
  @Option(help: "Timeline reads per mode.") var reads: Int = 3_000
  @Option(help: "Concurrent tasks and HTTP connections.") var concurrency: Int = 32
  @Flag(help: "Print JSON.") var json = false

  func validate() throws {
    guard appends >= concurrency, reads >= concurrency, (1...256).contains(concurrency) else {
      throw ValidationError("--appends and --reads must be at least --concurrency (1 to 256)")
    }
  }

  func run() async throws {
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("ledger-server-bench-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let ledger = try Ledger.open(Ledger.Configuration(path: directory + "/store"))
    defer { ledger.close() }
    var file = AuthFile()
    let token = try file.issue(subject: "bench", role: .clinician, purpose: .treatment).token
    try file.save(path: directory + "/auth.json")

    var figures: [(name: String, count: Int, seconds: Double)] = []
    figures.append(("appends, in process", appends, try await inProcessAppends(ledger)))
    let recording = try await withServer(ledger, directory, recordsReads: true) { port in
      let client = Client(port: port, token: token, concurrency: concurrency)
      defer { client.shutdown() }
      let appendSeconds = try await client.appends(appends, concurrency: concurrency)
      let readSeconds = try await client.reads(reads, patients: appends, concurrency: concurrency)
      return (appendSeconds, readSeconds)
    }
    figures.append(("appends, HTTP", appends, recording.0))
    figures.append(("timeline reads, in process", reads, try inProcessReads(ledger)))
    figures.append(("timeline reads, HTTP with $access record", reads, recording.1))
    let bare = try await withServer(ledger, directory, recordsReads: false) { port in
      let client = Client(port: port, token: token, concurrency: concurrency)
      defer { client.shutdown() }
      return try await client.reads(reads, patients: appends, concurrency: concurrency)
    }
    figures.append(("timeline reads, HTTP without the record", reads, bare))
    report(figures)
  }

  /// Registers `appends` new patients from `concurrency` tasks, one durable append each.
  func inProcessAppends(_ ledger: Ledger) async throws -> Double {
    let recorder = Recorder(id: "bench", name: "Bench", role: "coordinator")
    let time = try ClinicalTime(validating: "2026-10-27T08:45:00-04:00")
    let perTask = appends / concurrency
    let start = ContinuousClock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
      for task in 0..<concurrency {
        group.addTask {
          for index in 0..<perTask {
            let event = PatientRegistered(
              patientId: "ip-\(task)-\(index)", birthYear: 1980, sexAtBirth: .female)
            try await ledger.record(
              .patientRegistered(event), patient: "ip-\(task)-\(index)", occurredAt: time,
              by: recorder)
          }
        }
      }
      try await group.waitForAll()
    }
    return Self.seconds(since: start)
  }

  /// Reads the timelines of the HTTP-registered patients in process, one after another.
  func inProcessReads(_ ledger: Ledger) throws -> Double {
    let start = ContinuousClock.now
    let perTask = appends / concurrency
    for index in 0..<reads {
      let timeline = try ledger.timeline(
        of: "h-\(index % concurrency)-\(index / concurrency % perTask)")
      guard timeline.entries.count == 1 else {
        throw ValidationError("a timeline is not as recorded")
      }
    }
    return Self.seconds(since: start)
  }

  /// Serves `ledger` on a free loopback port while `body` runs.
  func withServer<T: Sendable>(
    _ ledger: Ledger, _ directory: String, recordsReads: Bool,
    _ body: @escaping @Sendable (Int) async throws -> T
  ) async throws -> T {
    var configuration = LedgerServer.Configuration(port: 0, authFile: directory + "/auth.json")
    configuration.recordsReads = recordsReads
    var logger = Logger(label: "ledger-server-bench")
    logger.logLevel = .error
    let server = try LedgerServer(ledger: ledger, configuration: configuration, logger: logger)
    let (ports, continuation) = AsyncStream<Int>.makeStream()
    let services = ServiceGroup(
      configuration: ServiceGroupConfiguration(
        services: [server.application { port in continuation.yield(port) }],
        gracefulShutdownSignals: [], logger: logger))
    return try await withThrowingTaskGroup(of: T?.self) { group in
      group.addTask {
        try await services.run()
        return nil
      }
      var iterator = ports.makeAsyncIterator()
      guard let port = await iterator.next() else {
        throw ValidationError("the server did not start")
      }
      let result = try await body(port)
      await services.triggerGracefulShutdown()
      try await group.waitForAll()
      return result
    }
  }

  func report(_ figures: [(name: String, count: Int, seconds: Double)]) {
    let rates = figures.map { Double($0.count) / $0.seconds }
    let appendRatio = rates[1] / rates[0]
    let readRatio = rates[3] / rates[4]
    if json {
      var members: [String: JSONValue] = [
        "concurrency": .number(Double(concurrency)),
        "httpAppendsVsInProcess": .number(appendRatio),
        "readsWithRecordVsWithout": .number(readRatio),
      ]
      for (figure, rate) in zip(figures, rates) {
        members[figure.name] = .object([
          "count": .number(Double(figure.count)), "seconds": .number(figure.seconds),
          "perSecond": .number(rate),
        ])
      }
      print(String(decoding: JSONValue.object(members).canonicalBytes, as: UTF8.self))
      return
    }
    for (figure, rate) in zip(figures, rates) {
      let name = figure.name.padding(toLength: 44, withPad: " ", startingAt: 0)
      print(
        "\(name) \(figure.count) in \(String(format: "%.2f", figure.seconds)) s: \(Int(rate))/s")
    }
    print(
      "HTTP appends / in-process appends (\(concurrency) concurrent): "
        + String(format: "%.2f", appendRatio) + " (target ≥ 0.8)")
    print(
      "HTTP reads with the $access record / without: " + String(format: "%.2f", readRatio)
        + " (target ≥ 0.5)")
  }

  static func seconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
  }
}

/// An HTTP client with `concurrency` connections to the server.
struct Client: Sendable {
  let client: HTTPClient
  let base: String
  let token: String

  init(port: Int, token: String, concurrency: Int) {
    var configuration = HTTPClient.Configuration()
    configuration.connectionPool = .init(
      idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: concurrency)
    client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    base = "http://127.0.0.1:\(port)"
    self.token = token
  }

  func shutdown() { try? client.syncShutdown() }

  /// GETs `path`, or POSTs `body` to it; returns the status once the body is read.
  func send(_ path: String, body: String? = nil) async throws -> Int {
    var request = HTTPClientRequest(url: base + path)
    request.method = body == nil ? .GET : .POST
    request.headers.add(name: "Authorization", value: "Bearer \(token)")
    if let body {
      request.headers.add(name: "Content-Type", value: "application/json")
      request.body = .bytes(ByteBuffer(string: body))
    }
    let response = try await client.execute(request, timeout: .seconds(60))
    _ = try await response.body.collect(upTo: 1 << 24)
    return Int(response.status.code)
  }

  /// Registers `count` patients `h-TASK-INDEX` over HTTP from `concurrency` connections.
  func appends(_ count: Int, concurrency: Int) async throws -> Double {
    let perTask = count / concurrency
    let start = ContinuousClock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
      for task in 0..<concurrency {
        group.addTask {
          for index in 0..<perTask {
            let patient = "h-\(task)-\(index)"
            let body = """
              {"events":[{"eventId":"\(UUID().uuidString)","type":"PatientRegistered",\
              "occurredAt":"2026-10-27T08:45:00-04:00","recordedBy":{"id":"bench","name":"Bench",\
              "role":"coordinator"},"data":{"patientId":"\(patient)","birthYear":1980,\
              "sexAtBirth":"female"}}]}
              """
            let status = try await send("/v1/patients/\(patient)/events", body: body)
            guard status == 201 else { throw ValidationError("an append answered \(status)") }
          }
        }
      }
      try await group.waitForAll()
    }
    return LedgerServerBench.seconds(since: start)
  }

  /// Reads `count` timelines of the registered patients from `concurrency` connections.
  func reads(_ count: Int, patients: Int, concurrency: Int) async throws -> Double {
    let perTask = count / concurrency
    let patientsPerTask = patients / concurrency
    let start = ContinuousClock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
      for task in 0..<concurrency {
        group.addTask {
          for index in 0..<perTask {
            let status = try await send(
              "/v1/patients/h-\(task)-\(index % patientsPerTask)/timeline")
            guard status == 200 else { throw ValidationError("a read answered \(status)") }
          }
        }
      }
      try await group.waitForAll()
    }
    return LedgerServerBench.seconds(since: start)
  }
}
