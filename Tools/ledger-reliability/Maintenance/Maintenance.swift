import ArgumentParser
import Foundation
import LedgerDemo
import Logging
import TreatmentLedger

/// `maintenance`: several rebuilds at once, beside clinical appends and plain appends that leave
/// the projections behind, sometimes with a rebuild killed midway. Afterwards every stored derived
/// state must equal its recomputation from the log, and a last rebuild must find no difference.
struct Maintenance: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "maintenance",
    abstract: "Concurrent rebuilds, catch-ups and appends; the derived state must stay exact.",
    discussion: """
      Each round makes a demo clinic of --patients patients, then starts at the same time \
      --rebuilders child processes that each rebuild both projections, one child that appends \
      more demo patients through the clinical ledger, and one that appends plain events through \
      a store without projections (so the projections fall behind and must catch up). In every \
      --kill-every-th round one rebuilder is killed with SIGKILL midway. Checks per round: every \
      child ended by itself with success, or (a rebuilder) was refused because another held the \
      maintenance lock; the log verifies; the derived state equals the log (verify --derived); \
      a last rebuild finds no difference and is not refused (a killed holder released the lock).
      """)

  @Option(help: "Rounds (fresh stores).") var rounds: Int = 4
  @Option(help: "Rebuilding processes per round.") var rebuilders: Int = 3
  @Option(help: "Demo patients in each store before the round.") var patients: Int = 30
  @Option(help: "Kill one rebuilder in every N-th round (0: never).") var killEvery: Int = 2
  @Option(help: "Seed for kill instants (default: random, printed).") var seed: UInt64?
  @Option(help: "Keep stores and logs in this folder.") var workDir: String?

  func validate() throws {
    guard rounds >= 1, rebuilders >= 2, patients >= 1, killEvery >= 0 else {
      throw ValidationError(
        "need --rounds >= 1, --rebuilders >= 2, --patients >= 1, --kill-every >= 0")
    }
  }

  func run() async throws {
    let seed = self.seed ?? UInt64.random(in: 0...UInt64.max)
    var random = SeededGenerator(seed: seed)
    let work = try WorkFolder(workDir, label: "maintenance")
    var tally = Tally()
    var figures = (rebuilt: 0, refused: 0, killed: 0, streams: 0)
    print(
      "maintenance: \(rounds) rounds, \(rebuilders) rebuilders, \(patients) patients, seed \(seed)")
    for round in 0..<rounds {
      let store = work.appending("store-\(round)")
      do {
        try await Self.fill(store, patients: patients)
      } catch {
        tally.check(false, "round \(round): make the demo clinic", "\(error)")
        continue
      }
      let kill = killEvery > 0 && round % killEvery == killEvery - 1
      let killAfterMs = Int.random(in: 20...400, using: &random)
      let children = try start(round: round, store: store, work: work)
      if kill {
        try? await Task.sleep(for: .milliseconds(killAfterMs))
        children.rebuilders[0].kill()
      }
      for (index, child) in children.rebuilders.enumerated() {
        let ended = await child.waitForExit(timeout: .seconds(600))
        let output = child.output
        if kill && index == 0, ended?.wasKilled == true {
          figures.killed += 1
          continue
        }
        let refused =
          ended?.status == 3 && child.errorTail.contains("maintenance already in progress")
        if ended?.status == 0 { figures.rebuilt += 1 }
        if refused { figures.refused += 1 }
        tally.check(
          ended?.bySignal == false && (ended?.status == 0 || refused),
          "round \(round): rebuilder \(index) ended cleanly",
          "\(ended?.description ?? "hung"): \(output) \(child.errorTail)")
      }
      for (label, child) in [
        ("clinical appender", children.clinical), ("plain appender", children.plain),
      ] {
        let ended = await child.waitForExit(timeout: .seconds(600))
        tally.check(
          ended?.status == 0 && ended?.bySignal == false, "round \(round): \(label) ended cleanly",
          "\(ended?.description ?? "hung"): \(child.errorTail)")
      }
      figures.streams += await check(store, round: round, &tally)
      if tally.failed == 0 && !work.isCallers { try? FileManager.default.removeItem(atPath: store) }
    }
    print("rebuilds completed: \(figures.rebuilt)")
    print("rebuilds refused while another ran: \(figures.refused)")
    print("rebuilds killed midway: \(figures.killed)")
    print("per-stream derived states compared with the log: \(figures.streams)")
    work.finish(tally)
    try tally.finish()
  }

  private struct Children {
    var rebuilders: [ChildProcess]
    var clinical: ChildProcess
    var plain: ChildProcess
  }

  private func start(round: Int, store: String, work: WorkFolder) throws -> Children {
    let prefix = work.appending("round-\(round)")
    let rebuilding = try (0..<rebuilders).map {
      try ChildProcess(
        ["maintenance-child", "--store", store, "--task", "rebuild"],
        logPrefix: "\(prefix)-rebuild-\($0)")
    }
    let clinical = try ChildProcess(
      [
        "maintenance-child", "--store", store, "--task", "clinical", "--patients", String(patients),
      ],
      logPrefix: "\(prefix)-clinical")
    let plain = try ChildProcess(
      ["maintenance-child", "--store", store, "--task", "plain"], logPrefix: "\(prefix)-plain")
    return Children(rebuilders: rebuilding, clinical: clinical, plain: plain)
  }

  /// Verifies the log and the derived state, then rebuilds once more; returns the streams compared.
  private func check(_ path: String, round: Int, _ tally: inout Tally) async -> Int {
    do {
      let ledger = try Ledger.open(
        Ledger.Configuration(path: path, createIfMissing: false, logger: quietLogger()))
      defer { ledger.close() }
      let log = try ledger.store.verify()
      tally.check(
        log.isIntact, "round \(round): the log verifies", "\(log.problem.map { "\($0)" } ?? "")")
      let derived = try ledger.store.verifyDerived()
      tally.check(derived.isIntact, "round \(round): derived state equals the log", "\(derived)")
      let reports = try await ledger.store.rebuild(projections: ledger.projectionNames)
      let differing = reports.flatMap { $0.differingStreams + $0.missingStreams }
      tally.check(
        differing.isEmpty && reports.allSatisfy(\.replaced),
        "round \(round): a last rebuild finds no difference",
        Tally.summary(differing))
      return derived.projections.reduce(derived.reviewStatesChecked) { $0 + $1.streamsChecked }
    } catch {
      tally.check(false, "round \(round): check the store", "\(error)")
      return 0
    }
  }

  /// A demo clinic of `patients` patients, through the clinical ledger.
  static func fill(_ path: String, patients: Int, first: Int = 0, seed: UInt64 = 11) async throws {
    let ledger = try Ledger.open(Ledger.Configuration(path: path, logger: quietLogger()))
    defer { ledger.close() }
    let clinic = DemoClinic(patients: first + patients, seed: seed)
    for index in first..<(first + patients) {
      let stream = Ledger.stream(forPatient: clinic.patientId(index))
      _ = try await ledger.store.append(
        clinic.events(ofPatient: index), to: stream, expectedVersion: .noStream)
    }
  }
}

/// One process of a `maintenance` round (spawned by it).
struct MaintenanceChild: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "maintenance-child",
    abstract: "Rebuild or append beside maintenance (spawned by it).",
    shouldDisplay: false)

  @Option(help: "The store directory.") var store: String
  @Option(help: "rebuild, clinical or plain.") var task: String
  @Option(help: "Patients already in the store (clinical task).") var patients: Int = 0

  func run() async throws {
    do {
      switch task {
      case "rebuild":
        let ledger = try Ledger.open(
          Ledger.Configuration(path: store, createIfMissing: false, logger: quietLogger()))
        defer { ledger.close() }
        let reports = try await ledger.store.rebuild(projections: ledger.projectionNames)
        print(
          reports.map { "\($0.projection): \($0.differingStreams.count) differed" }.joined(
            separator: "; "))
      case "clinical":
        try await Maintenance.fill(store, patients: 8, first: patients)
      case "plain":
        let plain = try EventStore.open(
          at: store,
          options: {
            var o = EventStore.Options()
            o.createIfMissing = false
            return o
          }())
        defer { plain.close() }
        for sequence in 0..<200 {
          _ = try await plain.append(
            [TrialEvents.make(type: "NoteAppended", sequence: sequence)], to: "note-\(sequence % 4)"
          )
        }
      default:
        throw ValidationError("unknown task \(task)")
      }
    } catch let error as EventStoreError {
      diagnose("maintenance-child \(task): \(error)")
      if case .maintenanceInProgress = error { throw ExitCode(3) }
      throw ExitCode(70)
    }
  }
}
