import ArgumentParser
import Foundation
import TreatmentLedger

struct Validate: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Check NDJSON events against the catalogue and the store's state without writing.",
    discussion: """
      Every line is decoded and decided exactly as `import` would decide it, against the \
      store's current records (an empty record when there is no store), in one transaction \
      that is then discarded. Every refused line is listed. Progress is shown on a terminal \
      (elsewhere a line on standard error every 100000 lines). Exit 0 when all are valid, 65 \
      otherwise.
      """)

  @OptionGroup var storeOptions: StoreOptions
  @Argument(help: "NDJSON file, or - for standard input.") var file: String

  func run() async throws {
    let (handle, _) = try openInput(file)
    let reader = LineReader(handle: handle)
    var batch = InputBatch()
    var invalid = 0
    let progress = Progress(label: "read", lineEvery: 100_000)
    while true {
      let next: ArraySlice<UInt8>?
      do { next = try reader.nextLine() } catch {
        // The rest of the input is not read: count the long line and check what came before.
        invalid += 1
        progress.finish()
        printError("\(error)")
        break
      }
      guard let line = next else { break }
      progress.update(count: UInt64(reader.lineNumber), fraction: nil)
      if isBlank(line) { continue }
      do {
        let (stream, event) = try InputLine.decode(line, line: reader.lineNumber)
        guard let stream else {
          throw InputLine.Problem(line: reader.lineNumber, field: "streamId", reason: "is missing")
        }
        batch.add(event, stream: stream, line: reader.lineNumber, raw: line)
      } catch {
        invalid += 1
        printError("\(error)")
      }
    }
    progress.finish()
    let total = batch.events.count + invalid
    if !batch.isEmpty {
      let exists = FileManager.default.fileExists(atPath: storeOptions.path + "/data.mdb")
      let scratch = exists ? nil : TemporaryStore()
      defer { scratch?.remove() }
      var options = storeOptions
      if let scratch { options.store = scratch.path }
      let ledger = try options.open(create: scratch != nil)
      defer { ledger.close() }
      let (appends, indices) = batch.grouped()
      do {
        let preview = try await ledger.store.append(
          appends, options: AppendOptions(skipRejected: true, dryRun: true))
        for (index, error) in batch.refusals(in: preview, indices: indices) {
          invalid += 1
          printError(batch.message(for: error, at: index))
        }
      } catch {
        throw Exit.report(error)
      }
    }
    print("\(total) events checked: \(total - invalid) valid, \(invalid) invalid")
    if invalid > 0 { throw Exit.invalidInput }
  }
}

/// A scratch store in the temporary folder, for validating against an empty record.
struct TemporaryStore {
  let path =
    FileManager.default.temporaryDirectory.path + "/treatment-ledger-validate-\(UUID().uuidString)"
  func remove() { try? FileManager.default.removeItem(atPath: path) }
}
