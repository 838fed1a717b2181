import Foundation
import Logging
import TreatmentLedger

/// One crash trial: spawn, kill, check.
struct CrashPlan {
  var trial: Int
  var mode: CrashMode
  var storePath: String
  var logPrefix: String
  var killAfterMs: Int
  /// Killed within 30 ms of spawning, without waiting for the store to be open.
  var early: Bool
  var childSeed: UInt64

  /// Runs the trial. `previousAcks` are the acknowledgements of earlier trials on the same store
  /// (they must all still be there); `eventsBefore` is the store's event count after the last
  /// trial's probe.
  func run(previousAcks: [Acknowledgement], eventsBefore: UInt64) async -> CrashOutcome {
    var outcome = CrashOutcome()
    let ackPath = logPrefix + ".acks"
    let child: ChildProcess
    do {
      child = try ChildProcess(
        [
          "crash-child", "--store", storePath, "--acks", ackPath, "--mode", mode.rawValue,
          "--seed", String(childSeed),
        ], logPrefix: logPrefix)
    } catch {
      outcome.problems.append("cannot spawn the child: \(error)")
      return outcome
    }
    if !early {
      let deadline = ContinuousClock.now + .seconds(60)
      while Self.fileSize(ackPath) < 6 && !child.hasExited && ContinuousClock.now < deadline {
        try? await Task.sleep(for: .milliseconds(2))
      }
    }
    try? await Task.sleep(for: .milliseconds(killAfterMs))
    child.kill()
    let termination = await child.waitForExit(timeout: .seconds(30))
    if let termination, !termination.wasKilled {
      outcome.problems.append("the child ended by itself (\(termination)): \(child.errorTail)")
    } else if termination == nil {
      outcome.problems.append("the child did not end within 30 s of SIGKILL")
    }

    let contents = AckFileContents(path: ackPath)
    outcome.wasReady = contents.ready
    outcome.acknowledged = contents.acknowledged
    outcome.tornLines = contents.tornLines
    if !early && !contents.ready && outcome.problems.isEmpty {
      outcome.problems.append("the child never reported its store open")
    }
    if contents.malformedLines > 0 {
      outcome.problems.append(
        "\(contents.malformedLines) complete acknowledgement lines do not parse")
    }
    await check(&outcome, previousAcks: previousAcks, eventsBefore: eventsBefore)
    return outcome
  }

  /// Opens the killed child's store and checks it.
  private func check(
    _ outcome: inout CrashOutcome, previousAcks: [Acknowledgement], eventsBefore: UInt64
  ) async {
    // Clinical trials reopen the store as a clinical ledger: its projections catch up from their
    // checkpoints, and are then rebuilt from the log and compared with what survived the kill.
    let store: EventStore
    do {
      if mode == .clinical {
        var logger = Logger(label: "crash-trials")
        logger.logLevel = .error
        // A child killed before it created the store leaves none: opening creates it, as
        // `EventStore.open` does for the other modes.
        store = try Ledger.open(Ledger.Configuration(path: storePath, logger: logger)).store
      } else {
        store = try EventStore.open(at: storePath)
      }
    } catch {
      outcome.problems.append("the store does not open after the kill: \(error)")
      return
    }
    defer { store.close() }
    do {
      let report = try store.verify()
      if let problem = report.problem { outcome.problems.append("verify: \(problem)") }
    } catch {
      outcome.problems.append("verify threw: \(error)")
    }
    let earlier = Acknowledgement.problems(previousAcks, in: store)
    outcome.problems += earlier.problems.map { "earlier trial: " + $0 }
    let current = Acknowledgement.problems(outcome.acknowledged, in: store)
    outcome.found = current.found
    outcome.problems += current.problems
    let ids = Set((previousAcks + outcome.acknowledged).map(\.eventId))
    let scan = scanLog(store, counting: ids)
    outcome.problems += scan.problems
    outcome.committedUnacknowledged =
      Int(scan.events) - Int(eventsBefore) - outcome.acknowledged.count
    if outcome.committedUnacknowledged < 0 {
      outcome.problems.append(
        "the store holds \(scan.events) events, fewer than the \(eventsBefore) before the trial plus "
          + "the \(outcome.acknowledged.count) acknowledged")
    }

    if mode == .clinical { await checkProjections(store, &outcome) }

    let probe = TrialEvents.make(type: "TrialProbe", sequence: trial)
    do {
      let result = try await store.append([probe], to: "trial-probe", expectedVersion: .any)
      let stored = try store.event(id: probe.eventId)
      if stored?.globalPosition != result.positions.first?.globalPosition || result.written != 1 {
        outcome.problems.append("the probe append returned but its event is not where it said")
      }
      outcome.eventsAfter = scan.events + 1
    } catch {
      outcome.problems.append("the store refuses appends after the kill: \(error)")
      outcome.eventsAfter = scan.events
    }
  }

  /// Rebuilds every projection from the log beside the live state that survived the kill: the
  /// two must be equal for every stream (state and checkpoint change in one transaction).
  private func checkProjections(_ store: EventStore, _ outcome: inout CrashOutcome) async {
    do {
      let reports = try await store.rebuild(projections: store.projectionNames)
      for report in reports {
        outcome.projectionStreams += report.streams
        if !report.differingStreams.isEmpty || !report.missingStreams.isEmpty {
          outcome.problems.append(
            "projection \(report.projection): the state that survived the kill differs from a "
              + "rebuild for \(report.differingStreams.count) streams, and "
              + "\(report.missingStreams.count) are on one side only")
        }
      }
      if reports.count != store.projectionNames.count || reports.isEmpty {
        outcome.problems.append("the clinical projections were not all rebuilt")
      }
    } catch {
      outcome.problems.append("rebuilding the projections after the kill failed: \(error)")
    }
    // The review state (and the reviewer's keyed facts) that survived the kill must equal the
    // state recomputed from the committed log: they are written in the events' transactions.
    do {
      let derived = try store.verifyDerived()
      outcome.reviewStates = derived.reviewStatesChecked
      if let stream = derived.firstDifferingReviewStream {
        outcome.problems.append(
          "the review state of \(stream) that survived the kill differs from the log's")
      }
    } catch {
      outcome.problems.append("checking the review state after the kill failed: \(error)")
    }
  }

  private static func fileSize(_ path: String) -> Int {
    let attributes = try? FileManager.default.attributesOfItem(atPath: path)
    return (attributes?[.size] as? NSNumber)?.intValue ?? 0
  }
}

/// What one crash trial saw.
struct CrashOutcome {
  /// The child wrote `ready` before it was killed.
  var wasReady = false
  /// Events whose acknowledgement line was complete.
  var acknowledged: [Acknowledgement] = []
  /// Of those, the ones found exactly where they were acknowledged.
  var found = 0
  /// Events committed by the child whose acknowledgement it did not get to write.
  var committedUnacknowledged = 0
  /// Acknowledgement lines cut short by the kill.
  var tornLines = 0
  /// The store's event count after the checks (including the probe).
  var eventsAfter: UInt64 = 0
  /// Clinical trials: streams whose projection state was rebuilt and compared after the kill.
  var projectionStreams = 0
  /// Clinical trials: streams whose review state was compared with one recomputed from the log.
  var reviewStates = 0
  /// Everything that went wrong.
  var problems: [String] = []

  /// One line about the trial.
  func summary(_ plan: CrashPlan, storeIndex: Int) -> String {
    let when =
      plan.early
      ? "killed \(plan.killAfterMs) ms after spawn" : "killed \(plan.killAfterMs) ms after open"
    let verdict = problems.isEmpty ? "ok" : "FAILED"
    return "trial \(plan.trial): \(plan.mode.rawValue), store \(storeIndex), \(when)"
      + (wasReady ? "" : " (before open)")
      + ": \(acknowledged.count) acknowledged, \(found) found, "
      + "\(max(0, committedUnacknowledged)) committed without acknowledgement, "
      + "\(eventsAfter) events in store"
      + (plan.mode == .clinical
        ? ", \(projectionStreams) projection states equal to a rebuild, "
          + "\(reviewStates) review states equal to the log's" : "")
      + ": \(verdict)"
  }
}
