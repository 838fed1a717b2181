import ArgumentParser
import Foundation
import TreatmentLedger

/// `crash-trials`: kill an appending child with SIGKILL at a random instant, then check that the
/// store opens, verifies, holds every acknowledged event exactly once where it was acknowledged,
/// and accepts appends. Several trials share one store, so crashes repeat on the same files.
struct CrashTrials: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "crash-trials",
    abstract: "Kill appending child processes with SIGKILL and check what survives.",
    discussion: """
      Each trial spawns `crash-child`, which opens the store and appends without end, writing \
      an acknowledgement line after each append returns. The child is killed --min-kill-ms to \
      --max-kill-ms after it reports its store open (one trial in --early-kill-every is killed \
      within 30 ms of being spawned instead, while it may still be opening the store). Then the \
      store is opened, verified, every acknowledged event (of all trials on that store so far) \
      is looked up by id, the whole log is read back and decoded, and a probe event is \
      appended. Clinical trials (demo patients through the clinical ledger) also rebuild both \
      projections from the log and require the state that survived the kill to equal the \
      rebuild for every stream. --kills-per-store trials share one store. The kill instants, modes and batch \
      sizes follow --seed.
      """)

  @Option(help: "Number of trials (kills).") var trials: Int = 20
  @Option(
    help:
      "import, appenders, clinical, both (import and appenders alternating) or all (the three in turn)."
  )
  var mode: CrashMode = .all
  @Option(help: "Seed for kill instants and batch sizes (default: random, printed).") var seed:
    UInt64?
  @Option(help: "Keep stores and logs in this folder.") var workDir: String?
  @Option(help: "Trials that share one store before a fresh one is made.") var killsPerStore: Int =
    4
  @Option(help: "Earliest kill, in ms after the child reports its store open.") var minKillMs: Int =
    20
  @Option(help: "Latest kill, in ms after the child reports its store open.") var maxKillMs: Int =
    400
  @Option(help: "One trial in N kills the child within 30 ms of spawning it (0: never).")
  var earlyKillEvery: Int = 8

  func validate() throws {
    guard trials >= 1 else { throw ValidationError("--trials must be at least 1") }
    guard killsPerStore >= 1 else { throw ValidationError("--kills-per-store must be at least 1") }
    guard minKillMs >= 0, maxKillMs >= minKillMs else {
      throw ValidationError("need 0 <= --min-kill-ms <= --max-kill-ms")
    }
    guard earlyKillEvery >= 0 else { throw ValidationError("--early-kill-every must be >= 0") }
  }

  func run() async throws {
    let seed = self.seed ?? UInt64.random(in: 0...UInt64.max)
    var random = SeededGenerator(seed: seed)
    let work = try WorkFolder(workDir, label: "crash")
    var tally = Tally()
    var totals = CrashTotals()
    var storeAcks: [Acknowledgement] = []
    var storeEvents: UInt64 = 0
    var storeFailed = false
    print(
      "crash-trials: \(trials) trials, mode \(mode.rawValue), \(killsPerStore) kills per store, seed \(seed)"
    )

    for trial in 0..<trials {
      let storeIndex = trial / killsPerStore
      if trial % killsPerStore == 0 {
        storeAcks = []
        storeEvents = 0
        storeFailed = false
      }
      let trialMode: CrashMode
      switch mode {
      case .both: trialMode = trial % 2 == 0 ? .import : .appenders
      case .all: trialMode = [CrashMode.import, .appenders, .clinical][trial % 3]
      case .import, .appenders, .clinical: trialMode = mode
      }
      let early = earlyKillEvery > 0 && Int.random(in: 0..<earlyKillEvery, using: &random) == 0
      let delay =
        early
        ? Int.random(in: 0...30, using: &random)
        : Int.random(in: minKillMs...maxKillMs, using: &random)
      let plan = CrashPlan(
        trial: trial, mode: trialMode, storePath: work.appending("store-\(storeIndex)"),
        logPrefix: work.appending("trial-\(trial)"), killAfterMs: delay, early: early,
        childSeed: random.next())
      let outcome = await plan.run(previousAcks: storeAcks, eventsBefore: storeEvents)
      storeAcks += outcome.acknowledged
      storeEvents = outcome.eventsAfter
      totals.add(plan, outcome)
      print(outcome.summary(plan, storeIndex: storeIndex))
      tally.check(problems: outcome.problems, "trial \(trial) (store \(storeIndex))")
      storeFailed = storeFailed || !outcome.problems.isEmpty
      let lastOnStore = trial % killsPerStore == killsPerStore - 1 || trial == trials - 1
      if lastOnStore && !storeFailed && !work.isCallers {
        try? FileManager.default.removeItem(atPath: plan.storePath)
      }
    }
    totals.print(trials: trials, stores: (trials + killsPerStore - 1) / killsPerStore)
    work.finish(tally)
    try tally.finish()
  }
}

/// Sums over all trials, for the figures printed at the end.
struct CrashTotals {
  var importTrials = 0
  var appenderTrials = 0
  var clinicalTrials = 0
  var projectionStreams = 0
  var reviewStates = 0
  var earlyKills = 0
  var killedBeforeReady = 0
  var acknowledged = 0
  var found = 0
  var unacknowledged = 0
  var tornLines = 0

  mutating func add(_ plan: CrashPlan, _ outcome: CrashOutcome) {
    switch plan.mode {
    case .import: importTrials += 1
    case .clinical: clinicalTrials += 1
    default: appenderTrials += 1
    }
    projectionStreams += outcome.projectionStreams
    reviewStates += outcome.reviewStates
    if plan.early { earlyKills += 1 }
    if !outcome.wasReady { killedBeforeReady += 1 }
    acknowledged += outcome.acknowledged.count
    found += outcome.found
    unacknowledged += max(0, outcome.committedUnacknowledged)
    tornLines += outcome.tornLines
  }

  func print(trials: Int, stores: Int) {
    Swift.print(
      "trials: \(trials) (\(importTrials) import, \(appenderTrials) appenders, \(clinicalTrials) clinical) on \(stores) stores"
    )
    Swift.print(
      "kills within 30 ms of spawn: \(earlyKills); children killed before their store was open: \(killedBeforeReady)"
    )
    Swift.print("events acknowledged: \(acknowledged)")
    Swift.print("events found: \(found)")
    Swift.print("events committed but killed before their acknowledgement: \(unacknowledged)")
    Swift.print("acknowledgement lines torn by the kill (ignored): \(tornLines)")
    Swift.print("projection states compared with a rebuild after a kill: \(projectionStreams)")
    Swift.print("review states compared with the log after a kill: \(reviewStates)")
  }
}
