import ArgumentParser
import Foundation
import TreatmentLedger

struct Append: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Append NDJSON events to one stream as one all-or-nothing batch.",
    discussion: """
      Each line: {"eventId", "type", "streamId"?, "schemaVersion"?, "occurredAt", \
      "recordedBy": {"id", "name", "role"}, "data": {...}, "correlationId"?, "causationId"?}. \
      A line that names a streamId must name --stream. Events of patient-<id> streams are \
      validated against the clinical catalogue; when any line is refused, every refused line \
      is listed and nothing is written. Re-appending events that are already stored with the \
      same content writes nothing and succeeds.
      """)

  @OptionGroup var storeOptions: StoreOptions
  @Option(help: "The stream to append to.") var stream: String
  @Option(help: "any, no-stream, or the stream's current last version.")
  var expectedVersion: String = "any"
  @Argument(help: "NDJSON file, or - for standard input.") var file: String = "-"

  func validate() throws {
    do { try StreamNames.validate(stream) } catch {
      throw ValidationError("--stream: \(error)")
    }
  }

  func run() async throws {
    guard let expected = ExpectedVersion(expectedVersion) else {
      throw ValidationError("--expected-version must be any, no-stream or a number")
    }
    let (handle, _) = try openInput(file)
    let reader = LineReader(handle: handle)
    var batch = InputBatch()
    while true {
      let next: ArraySlice<UInt8>?
      do { next = try reader.nextLine() } catch {
        printError("\(error); nothing was written")
        throw Exit.invalidInput
      }
      guard let line = next else { break }
      if isBlank(line) { continue }
      do {
        let (named, event) = try InputLine.decode(line, line: reader.lineNumber)
        if let named, named != stream {
          throw InputLine.Problem(
            line: reader.lineNumber, field: "streamId", reason: "differs from --stream")
        }
        batch.add(event, stream: stream, line: reader.lineNumber, raw: line)
      } catch {
        printError("\(error); nothing was written")
        throw Exit.invalidInput
      }
    }
    guard !batch.isEmpty else {
      printError("no events in the input; nothing was written")
      throw Exit.invalidInput
    }
    let ledger = try storeOptions.open()
    defer { ledger.close() }
    do {
      let result = try await ledger.store.append(
        batch.events, to: stream, expectedVersion: expected)
      let versions = result.positions.map(\.streamVersion)
      let positions = result.positions.map(\.globalPosition)
      if result.wasAlreadyStored {
        print("already stored: \(result.positions.count) events in \(stream); nothing written")
      } else {
        print(
          "appended \(result.written) events to \(stream) (versions \(versions.min() ?? 0)–"
            + "\(versions.max() ?? 0), positions \(positions.min() ?? 0)–\(positions.max() ?? 0))")
      }
    } catch {
      guard isPerEventRefusal(error) else { throw Exit.report(error) }
      let code = await reportRefusedBatch(
        batch, error: error, store: ledger.store, expectedVersion: expected)
      printError("nothing was written")
      throw code
    }
  }
}
