import Crypto
import Foundation
import LedgerEventStore
import LedgerFoundation

/// What an auditor's private key opened in an export (docs/AUDIT.md 2.7).
public struct AuditOpenedCounts: Sendable, Hashable, Codable {
  /// Data keys unsealed from `keys.json`.
  public var keys: UInt64 = 0
  /// Sealed events whose `data` opened and is the canonical JSON of an object.
  public var eventsOpened: UInt64 = 0
  /// Sealed events of erased streams (no key: their `data` cannot be read by anyone).
  public var eventsErased: UInt64 = 0
  /// Events that were never sealed (streams the store does not seal, such as `$audit`).
  public var eventsPlain: UInt64 = 0
  /// Streams listed as erased in `keys.json`.
  public var streamsErased: UInt64 = 0
  /// Where the opened events were written, when asked.
  public var writtenTo: String? = nil

  /// Counts of nothing opened yet.
  public init() {}
}

/// Opens an export's sealed `data` with an auditor's private key, after the export verified:
/// unseals the data keys of `keys.json`, opens every sealed event's `data` (AES-256-GCM, the
/// associated data FORMAT.md 2.7 defines: `[eventId, streamId, type, schemaVersion]`), and
/// checks that it is the canonical JSON of an object. The AEAD tag proves that the opened bytes
/// are the ones sealed, and the chain hashed the sealed bytes, so what the auditor reads is what
/// the chain vouches for.
struct AuditDataOpener {
  let directory: String
  let manifest: AuditManifest
  let auditor: AuditorKeyPair
  /// Where to write `events.ndjson` of the opened events (each line the envelope as
  /// `treatment-ledger read --json` prints it), or nil.
  let outputDirectory: String?

  func run() throws(Stop) -> AuditOpenedCounts {
    let keysName = AuditKeysFile.fileName
    guard manifest.files.contains(where: { $0.format == .keys }) else {
      throw Stop(
        .keysInvalid, keysName,
        "the export carries no \(keysName): it was made without an auditor's public key")
    }
    guard manifest.files.contains(where: { $0.format == .ndjson }) else {
      throw Stop(.keysInvalid, keysName, "the export has no events.ndjson to open")
    }
    guard let data = FileManager.default.contents(atPath: directory + "/" + keysName) else {
      throw Stop(.missingFile, keysName, "\(keysName) cannot be read")
    }
    let keysFile: AuditKeysFile
    do { keysFile = try JSONDecoder().decode(AuditKeysFile.self, from: data) } catch {
      throw Stop(.keysInvalid, keysName, "\(keysName) is not a keys file of its format")
    }
    let keys = try keysFile.open(by: auditor, exportId: manifest.exportId)
    var counts = AuditOpenedCounts()
    counts.keys = UInt64(keys.values.reduce(0) { $0 + $1.count })
    let erased = Set(keysFile.streams.filter(\.erased).map(\.stream))
    counts.streamsErased = UInt64(erased.count)
    let listed = Dictionary(
      keysFile.streams.map { ($0.stream, Set($0.keyVersions)) }, uniquingKeysWith: { $0.union($1) }
    )
    let writer = try outputDirectory.map(Self.output)
    guard let reader = HashingFileReader(path: directory + "/" + AuditManifest.ndjsonFileName)
    else { throw Stop(.missingFile, AuditManifest.ndjsonFileName, "events.ndjson cannot be read") }
    var number: UInt64 = 0
    while let line = reader.nextLine() {
      number += 1
      let event = try Self.event(Array(line.bytes), line: number)
      let form = try open(
        event, keys: keys, erased: erased, listed: listed, line: number, counts: &counts)
      if let writer {
        var shown = event.envelope
        shown["hash"] = .string(event.hash)
        if let form { shown["data"] = form }
        if case .null? = form { shown["erased"] = .bool(true) }
        do { try writer.write(JSONValue.object(shown).canonicalBytes + [0x0A]) } catch {
          throw Stop(.outputFailed, writer.path, "the opened events cannot be written: \(error)")
        }
      }
    }
    if let writer {
      do { _ = try writer.finish() } catch {
        throw Stop(.outputFailed, writer.path, "the opened events cannot be written: \(error)")
      }
      counts.writtenTo = writer.path
    }
    return counts
  }

  /// The opened `data` of `event` (null when its stream was erased), or nil for a plain event.
  private func open(
    _ event: ExportedEvent, keys: [String: [UInt64: SymmetricKey]], erased: Set<String>,
    listed: [String: Set<UInt64>], line: UInt64, counts: inout AuditOpenedCounts
  ) throws(Stop) -> JSONValue? {
    let file = AuditManifest.ndjsonFileName
    guard let sealed = event.envelope["sealed"] else {
      counts.eventsPlain += 1
      return nil
    }
    guard sealed["alg"]?.stringValue == "A256GCM",
      let version = sealed["keyVersion"]?.numberValue.flatMap(UInt64.init(exactly:)),
      case .string(let text)? = event.envelope["data"],
      let eventId = event.envelope["eventId"]?.stringValue,
      let type = event.envelope["type"]?.stringValue,
      let schemaVersion = event.envelope["schemaVersion"]?.numberValue
    else {
      throw Stop(.dataNotOpened, file, line: line, "the event's sealed member is not A256GCM")
    }
    let stream = event.streamId
    guard listed[stream]?.contains(version) == true else {
      throw Stop(
        .keysInvalid, AuditKeysFile.fileName,
        "data key \(version) of \(stream) (line \(line) of \(file)) is not listed")
    }
    if erased.contains(stream) {
      counts.eventsErased += 1
      return .null
    }
    guard let key = keys[stream]?[version] else {
      throw Stop(
        .keysInvalid, AuditKeysFile.fileName,
        "data key \(version) of \(stream) (line \(line) of \(file)) is missing")
    }
    let associated = JSONValue.array([
      .string(eventId), .string(stream), .string(type), .number(schemaVersion),
    ]).canonicalBytes
    guard let bytes = Data(base64Encoded: text), let box = try? AES.GCM.SealedBox(combined: bytes),
      let plain = try? AES.GCM.open(box, using: key, authenticating: associated)
    else {
      throw Stop(
        .dataNotOpened, file, line: line,
        "the event's data does not open under data key \(version) of \(stream)")
    }
    guard let value = try? JSONValue.parse(Array(plain)), value.objectValue != nil,
      value.canonicalBytes.elementsEqual(plain)
    else {
      throw Stop(
        .dataNotOpened, file, line: line, "the opened data is not the canonical JSON of an object")
    }
    counts.eventsOpened += 1
    return value
  }

  /// The envelope of a verified NDJSON line.
  private static func event(_ bytes: [UInt8], line: UInt64) throws(Stop) -> ExportedEvent {
    guard let (hash, canonical) = AuditNDJSONLine.split(bytes[...]),
      case .object(let envelope)? = try? JSONValue.parse(canonical),
      let stream = envelope["streamId"]?.stringValue
    else {
      throw Stop(.malformedLine, AuditManifest.ndjsonFileName, line: line, "unreadable line")
    }
    return ExportedEvent(envelope: envelope, streamId: stream, hash: hash.hex)
  }

  /// Creates `directory` (mode 0700) when missing, refuses a non-empty one, and opens
  /// `events.ndjson` in it for the opened events.
  private static func output(_ directory: String) throws(Stop) -> HashingFileWriter {
    let manager = FileManager.default
    if let existing = try? manager.contentsOfDirectory(atPath: directory), !existing.isEmpty {
      throw Stop(.outputFailed, directory, "\(directory) is not empty: choose a new directory")
    }
    do {
      try manager.createDirectory(
        atPath: directory, withIntermediateDirectories: true,
        attributes: [.posixPermissions: 0o700])
      return try HashingFileWriter(path: directory + "/" + AuditManifest.ndjsonFileName)
    } catch {
      throw Stop(.outputFailed, directory, "\(directory) cannot be written: \(error)")
    }
  }
}

/// One exported event's envelope, its stream and its hash.
private struct ExportedEvent {
  var envelope: [String: JSONValue]
  var streamId: String
  var hash: String
}
