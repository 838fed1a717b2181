import Foundation
import LedgerTestSupport
import Testing

// End-to-end tests of the example service `Tools/alert-monitor`: each test runs the built
// `AlertMonitor` executable against a store in its own temporary directory, while the built
// `treatment-ledger` appends clinical events to that store from another process.

/// A process started without waiting, its output going to files (no pipe can fill up).
struct AlertMonitorRun {
  static let executable = RepositoryPaths.executable("AlertMonitor")

  let process: Process
  let stdoutPath: String
  let stderrPath: String

  /// Starts `AlertMonitor ARGUMENTS`, writing its output to `NAME.out` and `NAME.err`.
  static func start(
    _ arguments: [String], in directory: TemporaryDirectory, name: String = "monitor"
  ) throws -> AlertMonitorRun {
    let stdoutPath = directory.appending("\(name).out")
    let stderrPath = directory.appending("\(name).err")
    _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
    _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.standardOutput = FileHandle(forWritingAtPath: stdoutPath)
    process.standardError = FileHandle(forWritingAtPath: stderrPath)
    process.standardInput = FileHandle.nullDevice
    try process.run()
    return AlertMonitorRun(process: process, stdoutPath: stdoutPath, stderrPath: stderrPath)
  }

  var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
  var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }
  var stdoutLines: [String] { stdout.split(separator: "\n").map(String.init) }

  /// Polls until `condition` holds, for at most `timeout`; returns whether it held.
  func wait(
    upTo timeout: Duration = .seconds(60), until condition: (AlertMonitorRun) -> Bool
  ) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
      if condition(self) { return true }
      try await Task.sleep(for: .milliseconds(50))
    }
    return condition(self)
  }

  /// Waits until the monitor says it is following the store (it has chosen its start position
  /// and its signal handlers are installed).
  func waitUntilFollowing() async throws {
    let ready = try await wait {
      $0.stderr.contains("following the store for alerts") || !$0.process.isRunning
    }
    try #require(ready && process.isRunning, "the monitor did not start: \(stderr)")
  }

  /// Waits for the process to exit and returns its status; nil when it is still running after
  /// `timeout`.
  func waitForExit(upTo timeout: Duration = .seconds(60)) async throws -> Int32? {
    guard try await wait(upTo: timeout, until: { !$0.process.isRunning }) else { return nil }
    process.waitUntilExit()
    return process.terminationStatus
  }

  /// Sends `signal` to the monitor.
  func send(_ signal: Int32) { kill(process.processIdentifier, signal) }

  /// Ends the process if a failed test left it running.
  func stop() {
    if process.isRunning { process.terminate() }
  }
}

/// Clinical input: the schema examples (one patient, `patient-demo-0001`, in clinical order) with
/// extra readings and side effects of session `session-demo-0001-a1`, some of them alarming.
struct AlertScenario {
  static let patient = "demo-0001"
  static let session = "session-demo-0001-a1"
  /// Free text in data: no alert line or diagnostic may ever contain it.
  static let sentinel = "SENTINEL-ACTION-4417"
  /// Measured values of the extra events (decimals, so an event id can never contain them): no
  /// alert line may contain them either.
  static let measuredValues = ["123.5", "80.5", "91.5", "7.5", "130.5", "72.5"]

  /// One extra event, and the alert line it must produce (nil: none), given its position.
  struct Extra {
    var id = UUID().uuidString.lowercased()
    var line: String
    var alert: ((_ id: String, _ position: Int) -> String)?
  }

  /// The input lines, and each expected alert line in log order.
  var lines: [String]
  var expectedAlerts: [String]

  init() throws {
    let examples = try ProcessResult.run(
      "/usr/bin/env",
      ["python3", RepositoryPaths.root + "/Tools/schema-validate/examples_to_ndjson.py"])
    try #require(examples.status == 0, "examples_to_ndjson.py failed: \(examples.stderr)")
    var lines = examples.stdout.split(separator: "\n").map(String.init)
    // The extra events go right after the examples' (moderate, unflagged) side effect, while
    // session a1 is started and not yet discharged.
    let anchor = try #require(
      lines.firstIndex { $0.contains(#""type":"SideEffectObserved""#) },
      "no SideEffectObserved example")

    let extras = Self.extras()
    lines.insert(contentsOf: extras.map(\.line), at: anchor + 1)
    var expected: [String] = []
    for (offset, extra) in extras.enumerated() {
      if let alert = extra.alert { expected.append(alert(extra.id, anchor + 1 + offset)) }
    }
    self.lines = lines
    self.expectedAlerts = expected
  }

  /// An input line of `patient-demo-0001`.
  static func event(_ id: String, _ type: String, _ occurredAt: String, _ data: [String: Any])
    -> String
  {
    let line: [String: Any] = [
      "eventId": id, "type": type, "streamId": "patient-\(patient)", "schemaVersion": 1,
      "occurredAt": occurredAt, "data": data,
      "recordedBy": ["id": "staff-0107", "name": "Jordan Example, RN", "role": "nurse"],
    ]
    let bytes =
      (try? JSONSerialization.data(withJSONObject: line, options: [.sortedKeys])) ?? Data()
    return String(decoding: bytes, as: UTF8.self)
  }

  static func alert(
    _ occurredAt: String, _ type: String, _ flags: String, session: String = session
  ) -> (String, Int) -> String {
    { id, position in
      "ALERT \(occurredAt) patient \(patient) session \(session) \(type): \(flags) "
        + "[event \(id) at position \(position)]"
    }
  }

  // Over 80 lines, knowingly: a fixture, eleven numbered events each with the alert it expects.
  static func extras() -> [Extra] {
    var extras: [Extra] = []
    func add(
      _ type: String, _ occurredAt: String, _ data: [String: Any],
      alert: ((String, Int) -> String)? = nil
    ) {
      var extra = Extra(line: "", alert: alert)
      extra.line = event(extra.id, type, occurredAt, data)
      extras.append(extra)
    }
    // 1. Heart rate 123.5 during the infusion: vitals.heartRate.high.
    add(
      "VitalsRecorded", "2026-11-04T10:00:00-05:00",
      [
        "sessionId": session, "timepoint": "during", "heartRateBpm": 123.5, "systolicMmHg": 132,
        "diastolicMmHg": 84,
      ],
      alert: alert(
        "2026-11-04T10:00:00-05:00", "VitalsRecorded",
        "vitals.heartRate.high (heart rate at or above 111 bpm)"))
    // 2. An unremarkable reading: no flag, no alert.
    let reading: [String: Any] = [
      "sessionId": session, "timepoint": "during", "heartRateBpm": 80.5, "systolicMmHg": 126,
      "diastolicMmHg": 80, "spo2Percent": 97,
    ]
    add("VitalsRecorded", "2026-11-04T10:15:00-05:00", reading)
    let unflaggedReading = extras[extras.count - 1].id
    // 3. A mild side effect: no flag, no alert.
    add(
      "SideEffectObserved", "2026-11-04T10:20:00-05:00",
      [
        "sessionId": session, "effect": "nausea", "severity": "mild", "serious": false,
        "actionTaken": "\(sentinel) ondansetron offered",
      ])
    // 4. A flagged event that is not a bedside alert (no escort arranged for the next session).
    add(
      "SessionStarted", "2026-11-06T09:30:00-05:00",
      [
        "sessionId": "session-demo-0001-a2", "courseId": "course-demo-0001-a", "weightKg": 70,
        "escortArranged": false, "fasted": true,
      ])
    // 5. A severe, serious side effect: both flags on one line.
    add(
      "SideEffectObserved", "2026-11-04T10:25:00-05:00",
      [
        "sessionId": session, "effect": "hypertension", "severity": "severe", "serious": true,
        "actionTaken": "\(sentinel) infusion stopped",
      ],
      alert: alert(
        "2026-11-04T10:25:00-05:00", "SideEffectObserved",
        "sideEffect.severe (severe side effect); sideEffect.serious (serious adverse event)"))
    // 6. Low SpO2 and a low respiratory rate in recovery: two flags, one line.
    add(
      "VitalsRecorded", "2026-11-04T10:45:00-05:00",
      [
        "sessionId": session, "timepoint": "recovery", "spo2Percent": 91.5,
        "respiratoryRatePerMinute": 7.5,
      ],
      alert: alert(
        "2026-11-04T10:45:00-05:00", "VitalsRecorded",
        "vitals.spo2.low (SpO2 at or below 93%); "
          + "vitals.respiratoryRate.low (respiratory rate at or below 8 a minute)"))
    // 7. Reading 2 corrected to an alarming heart rate: the correction alerts.
    var corrected = reading
    corrected["heartRateBpm"] = 130.5
    add(
      "EntryCorrected", "2026-11-04T10:50:00-05:00",
      [
        "correctedEventId": unflaggedReading, "replacement": corrected,
        "reason": "Heart rate misread; corrected from the monitor printout",
      ],
      alert: alert(
        "2026-11-04T10:50:00-05:00", "EntryCorrected of \(unflaggedReading)",
        "vitals.heartRate.high (heart rate at or above 111 bpm)"))
    // 8. PHQ-9 after the session with item 9 scored 2: suicidal thoughts alert.
    add(
      "AssessmentRecorded", "2026-11-04T10:55:00-05:00",
      [
        "instrument": "phq9", "itemScores": [2, 2, 2, 2, 1, 1, 1, 1, 2], "totalScore": 14,
        "timepoint": "postSession", "courseId": "course-demo-0001-a", "sessionId": session,
      ],
      alert: alert(
        "2026-11-04T10:55:00-05:00", "AssessmentRecorded",
        "assessment.phq9.suicidalThoughts (PHQ-9 item 9 (thoughts of self-harm) scored 1 or more)"))
    // 9. The infusion stopped early.
    add(
      "InfusionAdjusted", "2026-11-04T11:00:00-05:00",
      ["sessionId": session, "action": "stopped", "reason": "\(sentinel) patient asked to stop"],
      alert: alert(
        "2026-11-04T11:00:00-05:00", "InfusionAdjusted",
        "infusion.stoppedEarly (infusion stopped early)"))
    // 10. Session a2 (started without an escort arranged, no alert) discharged without an
    // escort present: alert.
    add(
      "PatientDischarged", "2026-11-06T11:30:00-05:00",
      [
        "sessionId": "session-demo-0001-a2", "minutesObserved": 60, "criteriaMet": true,
        "escortPresent": false, "noDrivingAdviceGiven": true,
      ],
      alert: alert(
        "2026-11-06T11:30:00-05:00", "PatientDischarged",
        "discharge.escort.absent (discharged without an escort present)",
        session: "session-demo-0001-a2"))
    // 11. An unremarkable discharge reading after the last alert.
    add(
      "VitalsRecorded", "2026-11-04T11:30:00-05:00",
      [
        "sessionId": session, "timepoint": "discharge", "heartRateBpm": 72.5,
        "systolicMmHg": 124, "diastolicMmHg": 78,
      ])
    return extras
  }

  /// Checks that no output contains a data value of the extra events.
  static func expectNoDataValues(_ text: String, sourceLocation: SourceLocation = #_sourceLocation)
  {
    #expect(!text.contains(sentinel), sourceLocation: sourceLocation)
    for value in measuredValues {
      #expect(!text.contains(value), "found \(value)", sourceLocation: sourceLocation)
    }
  }
}

@Suite("alert-monitor example service")
struct AlertMonitorTests {
  /// Runs `treatment-ledger ARGUMENTS --store STORE`, which must succeed.
  @discardableResult
  static func ledger(_ arguments: [String], store: String) throws -> ProcessResult {
    let result = try ProcessResult.run(
      RepositoryPaths.executable("treatment-ledger"), arguments + ["--store", store])
    try #require(
      result.status == 0,
      "treatment-ledger \(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr)"
    )
    return result
  }

  @Test func alertsAsAnotherProcessImportsThenExitsAfterMaxAlerts() async throws {
    let directory = TemporaryDirectory("alert-monitor-live")
    defer { directory.remove() }
    let store = directory.appending("store")
    try Self.ledger(["init"], store: store)
    let scenario = try AlertScenario()
    #expect(scenario.expectedAlerts.count == 7)
    let input = directory.appending("clinic.ndjson")
    try Data((scenario.lines.joined(separator: "\n") + "\n").utf8).write(
      to: URL(fileURLWithPath: input))

    let monitor = try AlertMonitorRun.start(
      ["--store", store, "--max-alerts", "\(scenario.expectedAlerts.count)"], in: directory)
    defer { monitor.stop() }
    try await monitor.waitUntilFollowing()

    let imported = try Self.ledger(["import", input], store: store)
    #expect(
      imported.stdout.contains("imported \(scenario.lines.count) events"), "\(imported.stdout)")

    let status = try await monitor.waitForExit()
    #expect(status == 0, "stderr: \(monitor.stderr)")
    #expect(monitor.stdoutLines == scenario.expectedAlerts)
    AlertScenario.expectNoDataValues(monitor.stdout + monitor.stderr)
    #expect(monitor.stderr.contains("stopped"))

    // The positions printed are the store's: each alerting event is where the line says.
    let envelopes = try Self.ledger(["read", "--all", "--json"], store: store).stdout
      .split(separator: "\n").map {
        try JSONDecoder().decode(PositionedEvent.self, from: Data($0.utf8))
      }
    for line in monitor.stdoutLines {
      let stored = try #require(
        envelopes.first { line.contains("[event \($0.eventId) at position \($0.globalPosition)]") })
      #expect(line.hasPrefix("ALERT \(stored.occurredAt) "))
    }
  }

  @Test func catchesUpFromTheStartAndStopsCleanlyOnSIGTERM() async throws {
    let directory = TemporaryDirectory("alert-monitor-catch-up")
    defer { directory.remove() }
    let store = directory.appending("store")
    let scenario = try AlertScenario()
    let input = directory.appending("clinic.ndjson")
    try Data((scenario.lines.joined(separator: "\n") + "\n").utf8).write(
      to: URL(fileURLWithPath: input))
    try Self.ledger(["init"], store: store)
    try Self.ledger(["import", input], store: store)

    // Without --from-start, what is already stored raises no alert.
    let quiet = try AlertMonitorRun.start(["--store", store], in: directory, name: "quiet")
    defer { quiet.stop() }
    try await quiet.waitUntilFollowing()

    let monitor = try AlertMonitorRun.start(["--store", store, "--from-start"], in: directory)
    defer { monitor.stop() }
    try await monitor.waitUntilFollowing()
    let caughtUp = try await monitor.wait { $0.stdoutLines.count >= scenario.expectedAlerts.count }
    #expect(caughtUp, "stdout: \(monitor.stdout) stderr: \(monitor.stderr)")
    // Give it time to read the rest of the log (events after the last alert raise none).
    try await Task.sleep(for: .milliseconds(500))

    monitor.send(SIGTERM)
    quiet.send(SIGINT)
    #expect(try await monitor.waitForExit(upTo: .seconds(10)) == 0, "stderr: \(monitor.stderr)")
    #expect(try await quiet.waitForExit(upTo: .seconds(10)) == 0, "stderr: \(quiet.stderr)")
    #expect(monitor.stdoutLines == scenario.expectedAlerts)
    #expect(monitor.stderr.contains("SIGTERM"))
    #expect(quiet.stdout.isEmpty)
    #expect(quiet.stderr.contains("SIGINT"))
    AlertScenario.expectNoDataValues(monitor.stdout + monitor.stderr + quiet.stderr)

    // A monitor told the clinic's protocol warns that the stored flags were decided under
    // another one, and still alerts.
    let protocolFile = directory.appending("protocol.json")
    try Data(#"{"protocolVersion":"clinic-2026.2"}"#.utf8).write(
      to: URL(fileURLWithPath: protocolFile))
    let checked = try ProcessResult.run(
      AlertMonitorRun.executable,
      ["--store", store, "--from-start", "--max-alerts", "1", "--protocol", protocolFile])
    #expect(checked.status == 0, "\(checked.stderr)")
    #expect(checked.stdout == scenario.expectedAlerts[0] + "\n")
    #expect(checked.stderr.contains("another protocol version"))
    #expect(checked.stderr.contains("flagProtocol=default-1"))
  }

  @Test func aMissingStoreExits66AndBadArgumentsExit64() async throws {
    let directory = TemporaryDirectory("alert-monitor-errors")
    defer { directory.remove() }
    let missing = try ProcessResult.run(
      AlertMonitorRun.executable, ["--store", directory.appending("nothing-here")])
    #expect(missing.status == 66, "\(missing.stderr)")
    #expect(missing.stdout.isEmpty)
    #expect(missing.stderr.contains("no TreatmentLedger store"))
    #expect(!FileManager.default.fileExists(atPath: directory.appending("nothing-here")))

    let store = directory.appending("store")
    try Self.ledger(["init"], store: store)
    let zero = try ProcessResult.run(
      AlertMonitorRun.executable, ["--store", store, "--max-alerts", "0"])
    #expect(zero.status == 64)
    let protocolFile = directory.appending("protocol.json")
    try Data("{not json".utf8).write(to: URL(fileURLWithPath: protocolFile))
    let badProtocol = try ProcessResult.run(
      AlertMonitorRun.executable, ["--store", store, "--protocol", protocolFile])
    #expect(badProtocol.status == 65, "\(badProtocol.stderr)")
    let help = try ProcessResult.run(AlertMonitorRun.executable, ["--help"])
    #expect(help.status == 0)
    #expect(help.stdout.contains("--max-alerts"))
    #expect(help.stdout.contains("Exit codes"))
  }
}

/// The members of a `read --json` line these tests compare.
private struct PositionedEvent: Decodable {
  var eventId: String
  var globalPosition: UInt64
  var occurredAt: String
}
