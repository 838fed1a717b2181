import ArgumentParser
import Foundation
import TreatmentLedger

struct Verify: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Recompute every hash and check every index; exit 4 at the first problem.",
    discussion: """
      Without options the whole log is checked: each event's SHA-256, the log chain, each \
      stream's chain, the streams and event-id indexes, and the stored head. With --stream \
      only that stream is checked. With an anchor (the event count and chain head printed \
      by `stats` earlier and kept elsewhere) removal of the newest events is detected too. \
      Then the derived state (each projection's state and the clinical review state of every \
      stream, or of --stream) is recomputed from the log and compared with what is stored; the \
      first stream whose stored state differs is named (--no-derived skips this).
      """)

  @OptionGroup var storeOptions: StoreOptions
  @Option(help: "Verify only this stream.") var stream: String?
  @Option(help: "Anchor: the number of events when the chain head was kept.") var anchorEvents:
    UInt64?
  @Option(help: "Anchor: the chain head (64 hex digits) kept outside the store.") var anchorHead:
    String?
  @Option(help: "Anchor file written by --anchor-file (JSON with events and chainHead).")
  var anchor: String?
  @Flag(help: "Print the report as JSON.") var json = false
  @Flag(inversion: .prefixedNo, help: "Also recompute the derived state and compare it.")
  var derived = true

  func validate() throws {
    if anchor != nil && anchorEvents != nil {
      throw ValidationError("give --anchor FILE or --anchor-events/--anchor-head, not both")
    }
    if (anchorEvents == nil) != (anchorHead == nil) {
      throw ValidationError("--anchor-events and --anchor-head go together")
    }
    if let anchorHead, ChainHash(hex: anchorHead.lowercased()) == nil {
      throw ValidationError("--anchor-head must be 64 hex digits (the chain head printed by stats)")
    }
  }

  func run() async throws {
    let ledger = try storeOptions.open(readOnly: true)
    let store = ledger.store
    defer { ledger.close() }
    let progress = Progress(label: "verified", enabled: !json && stream == nil)
    var kept = anchorEvents.map {
      ChainAnchor(events: $0, chainHead: (anchorHead ?? "").lowercased())
    }
    if let anchor {
      guard let data = FileManager.default.contents(atPath: anchor),
        let decoded = try? JSONDecoder().decode(ChainAnchor.self, from: data)
      else {
        printError("cannot read the anchor file \(anchor)")
        throw Exit.invalidInput
      }
      kept = decoded
    }
    let report: VerificationReport
    do {
      if let stream {
        report = try store.verifyStream(stream)
      } else {
        report = try store.verify(anchor: kept) { done, total in
          progress.update(done: done, total: total)
        }
      }
    } catch {
      progress.finish()
      throw Exit.report(error)
    }
    progress.finish()
    var derivedReport: DerivedVerificationReport?
    if derived && report.isIntact {
      do { derivedReport = try store.verifyDerived(stream: stream) } catch {
        throw Exit.report(error)
      }
    }
    if json {
      try printJSON(VerifyOutput(report: report, derived: derivedReport))
    } else {
      printText(report, derivedReport)
    }
    if !report.isIntact || derivedReport?.isIntact == false { throw Exit.verificationFailed }
  }

  private func printText(_ report: VerificationReport, _ derived: DerivedVerificationReport?) {
    if let problem = report.problem {
      print("FAILED after \(report.eventsChecked) intact events: \(problem)")
      if let position = problem.position { print("first bad position: \(position)") }
    } else {
      print(
        "intact: \(report.eventsChecked) events in \(report.streamsChecked) streams, chain head \(report.chainHead)"
      )
    }
    guard let derived else { return }
    for check in derived.projections {
      if let skipped = check.skipped {
        print("derived: projection \(check.projection) not checked: \(skipped) (run rebuild)")
      } else if let stream = check.firstDifferingStream {
        print(
          "FAILED derived: projection \(check.projection) differs from the log for stream \(stream)"
        )
      } else {
        print(
          "derived: projection \(check.projection) agrees with the log for \(check.streamsChecked) streams"
        )
      }
    }
    if let stream = derived.firstDifferingReviewStream {
      print("FAILED derived: the review state of stream \(stream) differs from the log")
    } else {
      print("derived: review state agrees with the log for \(derived.reviewStatesChecked) streams")
    }
    if !derived.isIntact {
      print(
        "repair: treatment-ledger rebuild --replace-differing (projections); review state: see README"
      )
    }
  }
}

/// `verify --json`: the log report's members, and `derived` when it was checked.
private struct VerifyOutput: Encodable {
  let report: VerificationReport
  let derived: DerivedVerificationReport?

  func encode(to encoder: any Encoder) throws {
    try report.encode(to: encoder)
    var container = encoder.container(keyedBy: Key.self)
    try container.encodeIfPresent(derived, forKey: .derived)
  }

  private enum Key: String, CodingKey { case derived }
}
