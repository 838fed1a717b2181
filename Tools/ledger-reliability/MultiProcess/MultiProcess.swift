import ArgumentParser
import Foundation
import TreatmentLedger

/// `multi-process`: several processes append to the same streams of one store with optimistic
/// concurrency; nothing may be lost, duplicated or out of order.
struct MultiProcess: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "multi-process",
    abstract: "Several processes append to overlapping streams with .exact expected versions.",
    discussion: """
      Each child reads a stream's version, appends one event with .exact(version) (.noStream \
      for a new stream) and, on wrongExpectedVersion, reads again and retries. The children \
      start together once all have the store open. Checked afterwards: every acknowledged \
      event is stored once, where its append said; every stream's versions run 0..n-1 with \
      nothing else in them; the acknowledged events add up to processes x events; conflicts \
      reached the callers; the store verifies.
      """)

  @Option(help: "Number of child processes.") var processes: Int = 4
  @Option(help: "Events each child appends.") var eventsPerProcess: Int = 150
  @Option(help: "Shared streams the children choose from.") var streams: Int = 5
  @Option(help: "Seed for the children's choice of streams (default: random, printed).") var seed:
    UInt64?
  @Option(help: "Keep the store and logs in this folder.") var workDir: String?
  @Option(help: "Kill children still running after this many seconds.") var timeoutSeconds: Int =
    600

  func validate() throws {
    guard processes >= 2 else { throw ValidationError("--processes must be at least 2") }
    guard eventsPerProcess >= 1, streams >= 1 else {
      throw ValidationError("--events-per-process and --streams must be at least 1")
    }
  }

  func run() async throws {
    let seed = self.seed ?? UInt64.random(in: 0...UInt64.max)
    let work = try WorkFolder(workDir, label: "multi")
    let storePath = work.appending("store")
    let goFile = work.appending("go")
    var tally = Tally()
    print(
      "multi-process: \(processes) processes x \(eventsPerProcess) events on \(streams) shared streams, seed \(seed)"
    )
    do { try EventStore.open(at: storePath).close() } catch {
      tally.check(false, "create the store", "\(error)")
      try tally.finish()
    }

    var children: [ChildProcess] = []
    for index in 0..<processes {
      children.append(
        try ChildProcess(
          [
            "multi-process-child", "--store", storePath, "--events", String(eventsPerProcess),
            "--streams", String(streams), "--seed", String(SeededGenerator.derive(seed, index)),
            "--ready-file", work.appending("ready-\(index)"), "--go-file", goFile,
          ], logPrefix: work.appending("child-\(index)")))
    }
    let readyDeadline = ContinuousClock.now + .seconds(120)
    while ContinuousClock.now < readyDeadline,
      !(0..<processes).allSatisfy({
        FileManager.default.fileExists(atPath: work.appending("ready-\($0)"))
      }),
      !children.contains(where: \.hasExited)
    {
      try await Task.sleep(for: .milliseconds(5))
    }
    let started = ContinuousClock.now
    guard FileManager.default.createFile(atPath: goFile, contents: nil) else {
      throw ChildError("cannot create \(goFile)")
    }

    var reports: [MultiProcessReport] = []
    for (index, child) in children.enumerated() {
      let termination = await child.waitForExit(timeout: .seconds(timeoutSeconds))
      guard let termination, !termination.bySignal, termination.status == 0 else {
        tally.check(
          false, "child \(index) finished",
          "\(termination?.description ?? "hung"): \(child.errorTail)")
        continue
      }
      do {
        reports.append(
          try JSONDecoder().decode(MultiProcessReport.self, from: Data(child.output.utf8)))
      } catch {
        tally.check(false, "child \(index) report", "does not decode: \(error)")
      }
    }
    let elapsed = ContinuousClock.now - started
    tally.check(reports.count == processes, "every child finished and reported")
    await check(reports, storePath: storePath, elapsed: elapsed, tally: &tally)
    work.finish(tally)
    try tally.finish()
  }

  private func check(
    _ reports: [MultiProcessReport], storePath: String, elapsed: Duration, tally: inout Tally
  ) async {
    let acknowledged = reports.flatMap(\.acknowledged)
    let conflicts = reports.map(\.conflicts)
    let store: EventStore
    do { store = try EventStore.open(at: storePath) } catch {
      tally.check(false, "reopen the store", "\(error)")
      return
    }
    defer { store.close() }

    let result = Acknowledgement.problems(acknowledged, in: store)
    var streamProblems: [String] = []
    var stored = 0
    for index in 0..<streams {
      let name = "load-\(index)"
      do {
        let events = try store.readStream(name)
        stored += events.count
        if let bad = events.enumerated().first(where: {
          UInt64($0.offset) != $0.element.streamVersion
        }) {
          streamProblems.append(
            "\(name) has version \(bad.element.streamVersion) at index \(bad.offset)")
        }
        if let problem = try store.verifyStream(name).problem {
          streamProblems.append("verifyStream(\(name)): \(problem)")
        }
      } catch {
        streamProblems.append("reading \(name) failed: \(error)")
      }
    }
    var report: VerificationReport?
    do { report = try store.verify() } catch {
      tally.check(false, "verify", "threw \(error)")
    }

    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    print("events acknowledged: \(acknowledged.count) (expected \(processes * eventsPerProcess))")
    print("events found: \(result.found)")
    print("events stored in the shared streams: \(stored)")
    print(
      "conflicts reported to callers: \(conflicts.reduce(0, +)) (per process: \(conflicts.map(String.init).joined(separator: ", ")))"
    )
    print("most attempts for one event: \(reports.map(\.mostAttempts).max() ?? 0)")
    print(
      String(
        format: "elapsed: %.2f s (%.0f acknowledged appends/s)", seconds,
        Double(acknowledged.count) / max(seconds, 0.001)))
    if let report {
      print(
        "verify: \(report.isIntact ? "intact" : "FAILED"), \(report.eventsChecked) events, \(report.streamsChecked) streams"
      )
    }

    tally.check(
      problems: result.problems, "every acknowledged event stored once where acknowledged")
    tally.check(
      Set(acknowledged.map(\.eventId)).count == acknowledged.count, "no event acknowledged twice")
    tally.check(problems: streamProblems, "every stream gap-free (versions 0..n-1)")
    tally.check(
      acknowledged.count == processes * eventsPerProcess && stored == acknowledged.count,
      "acknowledged = stored = processes x events",
      "acknowledged \(acknowledged.count), stored \(stored), expected \(processes * eventsPerProcess)"
    )
    tally.check(
      conflicts.reduce(0, +) > 0, "conflicts were reported to callers",
      "no wrongExpectedVersion at all: the processes never overlapped")
    if let report {
      tally.check(report.isIntact, "verify intact", report.problem?.description ?? "")
      tally.check(
        report.eventsChecked == UInt64(acknowledged.count),
        "the log holds exactly the acknowledged events",
        "\(report.eventsChecked) events in the log")
    }
  }
}
