import ArgumentParser
import Foundation
import TreatmentLedger

struct Read: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Print events of one stream or of the whole log.",
    discussion: """
      --as-of TIME shows the record as it was at TIME: only events recorded at or before it \
      (RFC 3339 with an offset). --json prints NDJSON with the whole envelope, hashes included.
      """)

  @OptionGroup var storeOptions: StoreOptions
  @Option(help: "Read this stream.") var stream: String?
  @Flag(help: "Read the whole log.") var all = false
  @Option(help: "First stream version (with --stream) or global position (with --all).")
  var from: UInt64?
  @Option(help: "At most this many events.") var limit: Int?
  @Flag(help: "Read the stream from --from (default: its end) towards its start.")
  var backward = false
  @Option(help: "Only events recorded at or before this time.") var asOf: String?
  @Flag(help: "Print NDJSON envelopes.") var json = false

  func validate() throws {
    guard (stream == nil) != (!all) else {
      throw ValidationError("give exactly one of --stream S or --all")
    }
    if backward && stream == nil { throw ValidationError("--backward goes with --stream") }
    if let limit, limit < 0 { throw ValidationError("--limit must not be negative") }
    if let asOf, Timestamp.parseMicros(asOf) == nil {
      throw ValidationError("--as-of must be an RFC 3339 date-time with an offset")
    }
  }

  func run() async throws {
    let ledger = try storeOptions.open(readOnly: true)
    let store = ledger.store
    defer { ledger.close() }
    let cutoff = asOf.flatMap(Timestamp.parseMicros)
    var remaining = limit ?? Int.max
    do {
      if let stream {
        var next = from
        while remaining > 0 {
          let chunk = min(remaining, 1_000)
          let events = try store.readStream(
            stream, from: next, direction: backward ? .backward : .forward, limit: chunk)
          for event in events where isVisible(event, cutoff) {
            emit(event)
            remaining -= 1
          }
          guard events.count == chunk, let last = events.last else { break }
          if backward {
            guard last.streamVersion > 0 else { break }
            next = last.streamVersion - 1
          } else {
            next = last.streamVersion + 1
          }
        }
      } else {
        var next = from ?? 0
        while remaining > 0 {
          let events = try store.readAll(
            from: next, limit: min(remaining, 1_000), recordedAtOrBefore: cutoff)
          guard let last = events.last else { break }
          for event in events { emit(event) }
          remaining -= events.count
          next = last.globalPosition + 1
        }
      }
    } catch {
      throw Exit.report(error)
    }
  }

  private func isVisible(_ event: RecordedEvent, _ cutoff: Int64?) -> Bool {
    guard let cutoff else { return true }
    return (Timestamp.parseMicros(event.recordedAt) ?? Int64.max) <= cutoff
  }

  private func emit(_ event: RecordedEvent) {
    if json {
      print(String(decoding: event.envelopeJSON.canonicalBytes, as: UTF8.self))
    } else {
      let flags = event.flags.isEmpty ? "" : "  flags: \(event.flags.count)"
      print(
        "\(pad(String(event.globalPosition), 8))  \(event.streamId)@\(event.streamVersion)  "
          + "\(event.recordedAt)  \(event.type)  \(event.eventId.uuidString.lowercased())\(flags)")
    }
  }

  private func pad(_ text: String, _ width: Int) -> String {
    String(repeating: " ", count: max(0, width - text.count)) + text
  }
}
