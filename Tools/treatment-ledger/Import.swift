import ArgumentParser
import Foundation
import TreatmentLedger

struct Import: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Import NDJSON events that each name their streamId, in large atomic batches.",
    discussion: """
      Batches are committed whole or not at all. Import is idempotent by eventId: events \
      already stored with the same content are skipped, so re-running an interrupted or \
      failed import completes it without duplicates. Events of patient-<id> streams are \
      validated, and so are events of inventory-<site> streams (docs/DEA.md); patients' \
      streams are written first in each batch, so a withdrawal finds its dose. By default a \
      batch with a refused line is not written, every refused line of \
      it is listed, and the import stops (earlier batches stay committed). With \
      --skip-invalid the valid events are committed and refused lines are written to \
      --rejected-file.
      """)

  @OptionGroup var storeOptions: StoreOptions
  @Option(help: "Events per committed batch.") var batchSize: Int = 5_000
  @Flag(help: "Commit the valid events and write refused lines to --rejected-file.")
  var skipInvalid = false
  @Option(help: "Where --skip-invalid writes refused lines.") var rejectedFile: String =
    "rejected.ndjson"
  @Argument(help: "NDJSON file, or - for standard input.") var file: String

  func validate() throws {
    guard (1...100_000).contains(batchSize) else {
      throw ValidationError("--batch-size must be from 1 to 100000")
    }
  }

  func run() async throws {
    let (handle, size) = try openInput(file)
    let reader = LineReader(handle: handle)
    let ledger = try storeOptions.open()
    defer { ledger.close() }
    let store = ledger.store
    let progress = Progress(label: "imported")
    let rejectedOutput = RejectedLines(path: rejectedFile)
    defer { rejectedOutput.close() }
    var written = 0
    var skipped = 0
    var rejected = 0
    var batch = InputBatch()
    var firstLineOfBatch = 1

    func writeRejected(_ index: Int, _ error: EventStoreError) throws {
      rejected += 1
      printError(batch.message(for: error, at: index))
      try rejectedOutput.write(batch.raw[index])
    }

    func commit() async throws {
      guard !batch.isEmpty else { return }
      let (appends, indices) = batch.grouped()
      let results: [AppendResult]
      do {
        results = try await store.append(appends, options: AppendOptions(skipRejected: skipInvalid))
      } catch {
        progress.finish()
        let code =
          isPerEventRefusal(error)
          ? await reportRefusedBatch(batch, error: error, store: store) : Exit.report(error)
        printError(
          "the batch from line \(firstLineOfBatch) was not written; "
            + "\(written + skipped) events before it are committed")
        throw code
      }
      let count = results.reduce(0) { $0 + $1.written }
      let refusals = batch.refusals(in: results, indices: indices)
      for (index, error) in refusals { try writeRejected(index, error) }
      written += count
      skipped += batch.events.count - count - refusals.count
      batch = InputBatch()
      progress.update(
        count: UInt64(written + skipped),
        fraction: size.map { Double(reader.bytesRead) / Double(max($0, 1)) })
    }

    func refuse(_ problem: InputLine.Problem) -> ExitCode {
      progress.finish()
      if batch.isEmpty { firstLineOfBatch = problem.line }
      printError(
        "\(problem); the batch from line \(firstLineOfBatch) was not written, "
          + "\(written + skipped) events before it are committed")
      return Exit.invalidInput
    }

    while true {
      let next: ArraySlice<UInt8>?
      do { next = try reader.nextLine() } catch { throw refuse(error) }
      guard let line = next else { break }
      if isBlank(line) { continue }
      if batch.isEmpty { firstLineOfBatch = reader.lineNumber }
      do throws(InputLine.Problem) {
        let (stream, event) = try decodeNamingStream(line, line: reader.lineNumber)
        batch.add(event, stream: stream, line: reader.lineNumber, raw: line)
      } catch {
        throw refuse(error)
      }
      if batch.events.count >= batchSize { try await commit() }
    }
    try await commit()
    progress.finish()
    let seconds = progress.elapsedSeconds
    let rate = seconds > 0 ? Int(Double(written + skipped) / seconds) : 0
    var summary = "imported \(written) events (\(skipped) already stored"
    if skipInvalid { summary += ", \(rejected) rejected → \(rejectedFile)" }
    print(summary + ") in " + String(format: "%.2f", seconds) + " s (\(rate) events/s)")
  }
}
