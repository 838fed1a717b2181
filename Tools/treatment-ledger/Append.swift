import ArgumentParser
import Foundation
import TreatmentLedger

/// NDJSON input read into one batch, remembering each event's line for error messages.
struct InputBatch {
  var events: [ProposedEvent] = []
  var streams: [String?] = []
  var lines: [Int] = []

  /// The line of the event with `eventId`, if it is in the batch.
  func line(of eventId: UUID) -> Int? {
    events.firstIndex { $0.eventId == eventId }.map { lines[$0] }
  }

  /// Rewrites errors that name an event so they name its input line instead.
  func report(_ error: EventStoreError) -> ExitCode {
    switch error {
    case .invalidEvent(_, let eventId?, let field, let reason):
      if let line = line(of: eventId) {
        printError("line \(line): field '\(field)' \(reason); nothing of the batch was written")
        return Exit.invalidInput
      }
    case .rejected(_, let eventId, let type, let field, let rule, let limit):
      if let line = line(of: eventId) {
        printError(
          "line \(line) (\(type)): field '\(field)' breaks rule \(rule) (\(limit)); "
            + "nothing of the batch was written")
        return Exit.invalidInput
      }
    case .eventIdConflict(let eventId, let position):
      if let line = line(of: eventId) {
        printError(
          "line \(line): event id \(eventId.uuidString.lowercased()) is already stored at "
            + "position \(position) with different content; nothing of the batch was written")
        return Exit.conflict
      }
    default: break
    }
    return Exit.report(error)
  }
}

/// Opens FILE, or standard input for `-`.
func openInput(_ path: String) throws -> (FileHandle, Int?) {
  if path == "-" { return (FileHandle.standardInput, nil) }
  guard let handle = FileHandle(forReadingAtPath: path) else {
    printError("cannot read \(path)")
    throw Exit.invalidInput
  }
  let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue
  return (handle, size)
}

struct Append: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Append NDJSON events to one stream as one all-or-nothing batch.",
    discussion: """
      Each line: {"eventId", "type", "streamId"?, "schemaVersion"?, "occurredAt", \
      "recordedBy": {"id", "name", "role"}, "data": {...}, "correlationId"?, "causationId"?}. \
      A line that names a streamId must name --stream. Re-appending events that are already \
      stored with the same content writes nothing and succeeds.
      """)

  @OptionGroup var storeOptions: StoreOptions
  @Option(help: "The stream to append to.") var stream: String
  @Option(help: "any, no-stream, or the stream's current last version.")
  var expectedVersion: String = "any"
  @Argument(help: "NDJSON file, or - for standard input.") var file: String = "-"

  func run() async throws {
    guard let expected = ExpectedVersion(expectedVersion) else {
      throw ValidationError("--expected-version must be any, no-stream or a number")
    }
    let (handle, _) = try openInput(file)
    let reader = LineReader(handle: handle)
    var batch = InputBatch()
    while let line = reader.nextLine() {
      if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
      do {
        let (named, event) = try InputLine.decode(line, line: reader.lineNumber)
        if let named, named != stream {
          throw InputLine.Problem(
            line: reader.lineNumber, field: "streamId", reason: "differs from --stream")
        }
        batch.events.append(event)
        batch.lines.append(reader.lineNumber)
      } catch {
        printError("\(error); nothing was written")
        throw Exit.invalidInput
      }
    }
    guard !batch.events.isEmpty else {
      printError("no events in the input; nothing was written")
      throw Exit.invalidInput
    }
    let store = try storeOptions.open()
    defer { store.close() }
    do {
      let result = try await store.append(batch.events, to: stream, expectedVersion: expected)
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
      throw batch.report(error)
    }
  }
}
