import ArgumentParser
import Foundation
import TreatmentLedger

struct Import: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Import NDJSON events that each name their streamId, in large atomic batches.",
    discussion: """
      Batches are committed whole or not at all. Import is idempotent by eventId: events \
      already stored with the same content are skipped, so re-running an interrupted or \
      failed import completes it without duplicates. A malformed line stops the import; its \
      batch is not written, earlier batches stay committed.
      """)

  @OptionGroup var storeOptions: StoreOptions
  @Option(help: "Events per committed batch.") var batchSize: Int = 5_000
  @Argument(help: "NDJSON file, or - for standard input.") var file: String

  func validate() throws {
    guard (1...100_000).contains(batchSize) else {
      throw ValidationError("--batch-size must be from 1 to 100000")
    }
  }

  func run() async throws {
    let (handle, size) = try openInput(file)
    let reader = LineReader(handle: handle)
    let store = try storeOptions.open(create: true)
    defer { store.close() }
    let progress = Progress(label: "imported")
    var written = 0
    var skipped = 0
    var batch = InputBatch()
    var firstLineOfBatch = 1

    func commit() async throws {
      guard !batch.events.isEmpty else { return }
      var order: [String] = []
      var byStream: [String: [ProposedEvent]] = [:]
      for (event, stream) in zip(batch.events, batch.streams) {
        let stream = stream ?? ""
        if byStream[stream] == nil { order.append(stream) }
        byStream[stream, default: []].append(event)
      }
      let appends = order.map { StreamAppend(stream: $0, expectedVersion: .any, events: byStream[$0] ?? []) }
      do {
        let results = try await store.append(appends)
        let count = results.reduce(0) { $0 + $1.written }
        written += count
        skipped += batch.events.count - count
      } catch {
        progress.finish()
        printError("the batch from line \(firstLineOfBatch) was not written; earlier batches are committed")
        throw batch.report(error)
      }
      batch = InputBatch()
      progress.update(
        count: UInt64(written + skipped),
        fraction: size.map { Double(reader.bytesRead) / Double(max($0, 1)) })
    }

    while let line = reader.nextLine() {
      if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
      if batch.events.isEmpty { firstLineOfBatch = reader.lineNumber }
      do {
        let (stream, event) = try InputLine.decode(line, line: reader.lineNumber)
        guard let stream else {
          throw InputLine.Problem(line: reader.lineNumber, field: "streamId", reason: "is missing")
        }
        batch.events.append(event)
        batch.streams.append(stream)
        batch.lines.append(reader.lineNumber)
      } catch {
        progress.finish()
        printError(
          "\(error); the batch from line \(firstLineOfBatch) was not written, "
            + "\(written + skipped) events before it are committed")
        throw Exit.invalidInput
      }
      if batch.events.count >= batchSize { try await commit() }
    }
    try await commit()
    progress.finish()
    let seconds = progress.elapsedSeconds
    let rate = seconds > 0 ? Int(Double(written + skipped) / seconds) : 0
    print(
      "imported \(written) events (\(skipped) already stored) in "
        + String(format: "%.2f", seconds) + " s (\(rate) events/s)")
  }
}
