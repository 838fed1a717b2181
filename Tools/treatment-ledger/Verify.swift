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
      by `stats` earlier and kept elsewhere) removal of the newest events is detected too.
      """)

  @OptionGroup var storeOptions: StoreOptions
  @Option(help: "Verify only this stream.") var stream: String?
  @Option(help: "Anchor: the number of events when the chain head was kept.") var anchorEvents: UInt64?
  @Option(help: "Anchor: the chain head (64 hex digits) kept outside the store.") var anchorHead: String?
  @Option(help: "Anchor file written by --anchor-file (JSON with events and chainHead).")
  var anchor: String?
  @Flag(help: "Print the report as JSON.") var json = false

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
    var kept = anchorEvents.map { ChainAnchor(events: $0, chainHead: (anchorHead ?? "").lowercased()) }
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
        report = try store.verify(anchor: kept) { done, total in progress.update(done: done, total: total) }
      }
    } catch {
      progress.finish()
      throw Exit.report(error)
    }
    progress.finish()
    if json {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys]
      print(String(decoding: try encoder.encode(report), as: UTF8.self))
    } else if let problem = report.problem {
      print("FAILED after \(report.eventsChecked) intact events: \(problem)")
      if let position = problem.position { print("first bad position: \(position)") }
    } else {
      print("intact: \(report.eventsChecked) events in \(report.streamsChecked) streams, chain head \(report.chainHead)")
    }
    if !report.isIntact { throw Exit.verificationFailed }
  }
}
