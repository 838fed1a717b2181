import ArgumentParser
import Foundation
import TreatmentLedger

/// NDJSON input read into a batch, remembering each event's line for messages.
struct InputBatch {
  var events: [ProposedEvent] = []
  var streams: [String] = []
  var lines: [Int] = []
  var raw: [ArraySlice<UInt8>] = []

  var isEmpty: Bool { events.isEmpty }

  mutating func add(_ event: ProposedEvent, stream: String, line: Int, raw text: ArraySlice<UInt8>)
  {
    events.append(event)
    streams.append(stream)
    lines.append(line)
    raw.append(text)
  }

  /// One append per stream, with the batch index of each event: patients' streams first, then
  /// the others (a site's `inventory-<site>`), each group in order of first appearance, so that
  /// a withdrawal of stock finds the dose it accounts for even when its line comes first.
  func grouped(expectedVersion: ExpectedVersion = .any) -> (
    appends: [StreamAppend], indices: [[Int]]
  ) {
    var patients: [String] = []
    var others: [String] = []
    var members: [String: [Int]] = [:]
    for (index, stream) in streams.enumerated() {
      if members[stream] == nil {
        if stream.hasPrefix(ClinicalReviewer.patientStreamPrefix) {
          patients.append(stream)
        } else {
          others.append(stream)
        }
      }
      members[stream, default: []].append(index)
    }
    let order = patients + others
    let indices = order.map { members[$0] ?? [] }
    let appends = zip(order, indices).map { stream, indices in
      StreamAppend(
        stream: stream, expectedVersion: expectedVersion, events: indices.map { events[$0] })
    }
    return (appends, indices)
  }

  /// The batch index of the event with `eventId`.
  func index(of eventId: UUID) -> Int? { events.firstIndex { $0.eventId == eventId } }

  /// `line N (Type): field 'f' breaks rule R (limit)`: the reason an event was refused, naming
  /// its input line, never a value.
  func message(for error: EventStoreError, at index: Int) -> String {
    let line = lines[index]
    switch error {
    case .rejected(_, _, let type, let field, let rule, let limit):
      return "line \(line) (\(type)): field '\(field)' breaks rule \(rule) (\(limit))"
    case .invalidEvent(_, _, let field, let reason):
      return "line \(line): field '\(field)' \(reason)"
    case .eventIdConflict(let eventId, let position):
      return
        "line \(line): event id \(eventId.uuidString.lowercased()) is already stored at position \(position) with different content"
    default:
      return "line \(line): \(error)"
    }
  }

  /// Every refusal in `results`, as (batch index, error), in input order.
  func refusals(in results: [AppendResult], indices: [[Int]]) -> [(Int, EventStoreError)] {
    zip(results, indices).flatMap { result, indices in
      result.rejections.map { (indices[$0.index], $0.error) }
    }.sorted { $0.0 < $1.0 }
  }
}

/// True when `error` refuses single events (so every refused line can be listed).
func isPerEventRefusal(_ error: EventStoreError) -> Bool {
  switch error {
  case .rejected, .invalidEvent, .eventIdConflict: return true
  default: return false
  }
}

/// After a batch was refused: decides every event of it again without writing, prints each
/// refused line, and returns the exit code (3 when an id conflict is among them, else 65).
func reportRefusedBatch(
  _ batch: InputBatch, error: EventStoreError, store: EventStore,
  expectedVersion: ExpectedVersion = .any
) async -> ExitCode {
  let (appends, indices) = batch.grouped(expectedVersion: expectedVersion)
  var refusals: [(Int, EventStoreError)] = []
  if let preview = try? await store.append(
    appends, options: AppendOptions(skipRejected: true, dryRun: true))
  {
    refusals = batch.refusals(in: preview, indices: indices)
  }
  if refusals.isEmpty {
    // The dry run could not reproduce it: report the error as it came.
    switch error {
    case .rejected(_, let id, _, _, _, _), .eventIdConflict(let id, _),
      .invalidEvent(_, let id?, _, _):
      if let index = batch.index(of: id) { refusals = [(index, error)] }
    default: break
    }
  }
  if refusals.isEmpty { return Exit.report(error) }
  for (index, refusal) in refusals { printError(batch.message(for: refusal, at: index)) }
  let conflict = refusals.contains { if case .eventIdConflict = $0.1 { true } else { false } }
  return conflict ? Exit.conflict : Exit.invalidInput
}

/// Opens FILE, or standard input for `-`; also returns the file's size when known.
func openInput(_ path: String) throws -> (FileHandle, Int?) {
  if path == "-" { return (FileHandle.standardInput, nil) }
  guard let handle = FileHandle(forReadingAtPath: path) else {
    printError("cannot read \(path)")
    throw Exit.invalidInput
  }
  let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue
  return (handle, size)
}

/// Decodes an input line that must name its `streamId` (`import`, `validate`).
func decodeNamingStream(
  _ line: ArraySlice<UInt8>, line number: Int
) throws(InputLine.Problem) -> (stream: String, event: ProposedEvent) {
  let (stream, event) = try InputLine.decode(line, line: number)
  guard let stream else {
    throw InputLine.Problem(line: number, field: "streamId", reason: "is missing")
  }
  return (stream, event)
}

/// True for a line of spaces and tabs only (skipped).
func isBlank(_ line: ArraySlice<UInt8>) -> Bool {
  line.allSatisfy { $0 == 0x20 || $0 == 0x09 }
}

/// Creates (or empties) a file that will hold patient data, readable and writable by its owner
/// only (0600, whatever the umask or the mode of a file already at the path), as the store and
/// audit exports are. A symbolic link at the path is refused rather than followed. Nil when the
/// file cannot be opened.
func createPrivateFile(_ path: String) -> FileHandle? {
  let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o600)
  guard fd >= 0 else { return nil }
  guard fchmod(fd, 0o600) == 0 else {
    close(fd)
    return nil
  }
  return FileHandle(fileDescriptor: fd, closeOnDealloc: true)
}

/// The file `import --skip-invalid` writes refused lines to, created (0600, see
/// ``createPrivateFile(_:)``) when the first line is refused.
final class RejectedLines {
  let path: String
  private var output: FileHandle?

  init(path: String) { self.path = path }

  /// Appends `line` and a newline; exits 1 when the file cannot be created.
  func write(_ line: ArraySlice<UInt8>) throws {
    if output == nil {
      guard let file = createPrivateFile(path) else {
        printError("cannot write \(path)")
        throw Exit.failure
      }
      output = file
    }
    output?.write(Data(line) + Data([0x0A]))
  }

  func close() { try? output?.close() }
}
