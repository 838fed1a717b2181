import Foundation
import LedgerTestSupport
import Testing
import TreatmentLedger

/// Whole-log exports with a forged event appended at the end: a correct `previousHash`, its own
/// correct hash, and the manifest rewritten to match (counts, last event, store head, file hash).
/// What gives each away is in the event alone, and both verifiers must see it: an impossible
/// stream link (docs/AUDIT.md 3.2), bytes that are not canonical, a member named twice.
@Suite("audit verify: forged tails with a rewritten manifest")
struct AuditForgedTailTests {
  /// How the forged event's stream fields are chosen, from the stream's real last event.
  enum Forgery: String, CaseIterable, CustomStringConvertible {
    /// A second version 0 of the stream (naming zeros, as a first event does).
    case secondVersionZero
    /// A version two past the stream's last one (a gap).
    case versionGap
    /// The next version, naming a hash that is not the stream's last event's.
    case wrongStreamHash

    var description: String { rawValue }

    /// The kind both verifiers must report.
    var kind: String {
      switch self {
      case .secondVersionZero: return "unexpectedEvent"
      case .versionGap: return "missingEvent"
      case .wrongStreamHash: return "brokenChain"
      }
    }
  }

  /// The stream the forged event claims, as the export shows it: its last version and hash, and
  /// the hash of the export's last event.
  struct StreamEnd {
    var version: UInt64
    var hash: String
    var logHash: String
  }

  /// Appends a forged event to `directory`'s `events.ndjson` in the stream of the export's third
  /// event, with the stream fields `link` gives, written as `render` makes its bytes, with its
  /// own correct hashes, and rewrites the manifest to match. Returns the number of lines.
  static func forgeTail(
    _ directory: String, link: (StreamEnd) -> (version: UInt64, previousStreamHash: String),
    render: ([String: JSONValue]) -> [UInt8] = { JSONValue.object($0).canonicalBytes }
  ) throws -> Int {
    var lines = try Tamper.ndjsonLines(directory)
    let events = try lines.map { line in try JSONValue.parse(line[83..<(line.count - 1)]) }
    let hashes = lines.map { String(decoding: $0[9..<73], as: UTF8.self) }
    let stream = try #require(events[2]["streamId"]?.stringValue)
    let streamLast = try #require(events.lastIndex { $0["streamId"]?.stringValue == stream })
    let version = try #require(events[streamLast]["streamVersion"]?.numberValue)
    let fields = link(
      StreamEnd(
        version: UInt64(version), hash: hashes[streamLast], logHash: hashes[lines.count - 1]))
    var forged = try #require(events.last?.objectValue)
    forged["eventId"] = .string(UUID().uuidString.lowercased())
    forged["streamId"] = .string(stream)
    forged["globalPosition"] = .number(Double(events.count))
    forged["previousHash"] = .string(hashes[lines.count - 1])
    forged["streamVersion"] = .number(Double(fields.version))
    forged["previousStreamHash"] = .string(fields.previousStreamHash)
    let bytes = render(forged)
    let hash = ChainHash.sha256(bytes).hex
    lines.append(
      Array(#"{"hash":""#.utf8) + Array(hash.utf8) + Array(#"","event":"#.utf8) + bytes + [0x7D])
    try Tamper.writeNDJSON(lines, directory)
    let file = try Data(contentsOf: URL(fileURLWithPath: directory + "/events.ndjson"))
    let count = lines.count
    try Tamper.editManifest(directory) { manifest in
      manifest["counts"] = ["events": count, "eventsInRange": count]
      var anchors = manifest["anchors"] as? [String: Any] ?? [:]
      anchors["last"] = [
        "globalPosition": count - 1, "streamVersion": fields.version,
        "recordedAt": forged["recordedAt"]?.stringValue ?? "", "previousHash": hashes[count - 2],
        "previousStreamHash": fields.previousStreamHash, "hash": hash,
      ]
      anchors["store"] = ["events": count, "chainHead": hash]
      manifest["anchors"] = anchors
      var files = manifest["files"] as? [[String: Any]] ?? []
      files[0]["sha256"] = ChainHash.sha256(Array(file)).hex
      files[0]["bytes"] = file.count
      files[0]["records"] = count
      manifest["files"] = files
    }
    return count
  }

  @Test(arguments: Forgery.allCases)
  func aForgedTailWithAnImpossibleStreamLinkFailsBothVerifiers(_ forgery: Forgery) throws {
    let audit = try AuditCLI("stream-link-\(forgery)")
    defer { audit.remove() }
    let (directory, _) = try audit.export("whole", ["--format", "ndjson"])
    #expect(try audit.swiftVerify(directory).status == 0)
    let count = try Self.forgeTail(directory) { end in
      switch forgery {
      case .secondVersionZero: return (0, String(repeating: "0", count: 64))
      case .versionGap: return (end.version + 2, end.hash)
      case .wrongStreamHash: return (end.version + 1, end.logHash)
      }
    }
    let swift = try audit.swiftVerify(directory)
    #expect(swift.status == 4, "\(forgery): \(swift.stdout)\(swift.stderr)")
    #expect(failureKind(swift.stdout) == forgery.kind, "\(forgery): \(swift.stdout)")
    #expect(swift.stdout.contains("line \(count)"), "\(forgery): \(swift.stdout)")
    let python = try audit.pythonVerify(directory)
    #expect(python.status == 1, "\(forgery): \(python.stdout)\(python.stderr)")
    #expect(failureKind(python.stdout) == forgery.kind, "\(forgery): \(python.stdout)")
    #expect(intactCount(swift.stdout) == count - 1 && intactCount(python.stdout) == count - 1)
  }

  /// The same forgery with the stream fields right (the stream's next version, naming its last
  /// event) passes both verifiers: without a signature, the manifest's integrity rests on its
  /// hash reaching the auditor (docs/AUDIT.md 3.2). This shows the rewriting above is complete,
  /// so that what the verifiers catch there is the stream link alone.
  @Test func theSameRewritingWithRightStreamLinksPasses() throws {
    let audit = try AuditCLI("stream-link-control")
    defer { audit.remove() }
    let (directory, _) = try audit.export("whole", ["--format", "ndjson"])
    _ = try Self.forgeTail(directory) { end in (end.version + 1, end.hash) }
    let swift = try audit.swiftVerify(directory)
    #expect(swift.status == 0, "\(swift.stdout)")
    let python = try audit.pythonVerify(directory)
    #expect(python.status == 0, "\(python.stdout)")
  }

  /// The issue's two cases for the Python verifier, which used to accept both: bytes that are
  /// valid JSON but not canonical (a space), and an object naming `data` twice (a CSV would show
  /// the second payload while the hashed bytes hold both).
  @Test(arguments: ["notCanonical", "malformedLine"])
  func aForgedTailThatIsNotCanonicalFailsBothVerifiers(_ kind: String) throws {
    let audit = try AuditCLI("forged-\(kind)")
    defer { audit.remove() }
    let (directory, _) = try audit.export("whole", ["--format", "ndjson"])
    let count = try Self.forgeTail(
      directory, link: { end in (end.version + 1, end.hash) },
      render: { event in
        let canonical = JSONValue.object(event).canonicalBytes
        let extra = kind == "notCanonical" ? Array(" ".utf8) : Array(#""data":{"n":1},"#.utf8)
        return [canonical[0]] + extra + canonical[1...]
      })
    let swift = try audit.swiftVerify(directory)
    #expect(swift.status == 4, "\(kind): \(swift.stdout)\(swift.stderr)")
    #expect(failureKind(swift.stdout) == kind, "\(kind): \(swift.stdout)")
    let python = try audit.pythonVerify(directory)
    #expect(python.status == 1, "\(kind): \(python.stdout)\(python.stderr)")
    #expect(failureKind(python.stdout) == kind, "\(kind): \(python.stdout)")
    #expect(intactCount(swift.stdout) == count - 1 && intactCount(python.stdout) == count - 1)
  }
}
