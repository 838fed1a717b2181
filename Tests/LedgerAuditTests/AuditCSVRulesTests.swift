import Foundation
import LedgerAudit
import LedgerEventStore
import LedgerFoundation
import LedgerTestSupport
import Testing

/// The CSV rendering rules of docs/AUDIT.md 2.2, format by format: `audit2` renders different
/// payloads differently, never cuts a character, and its formula guard can always be undone;
/// exports written under `audit1` still verify in both verifiers; and the Python verifier renders
/// exactly as the library does.
@Suite struct AuditCSVRulesTests {
  static let clerk = Recorder(id: "clerk-1", name: "Sam Clerk", role: "clerk")

  static func json(_ text: String) throws -> JSONValue { try JSONValue.parse(Array(text.utf8)) }

  @Test func memberNamesAreEscapedSoDifferentPayloadsRenderApart() throws {
    let dotted = try Self.json(#"{"a.b":"x"}"#)
    let nested = try Self.json(#"{"a":{"b":"x"}}"#)
    #expect(
      AuditCSV.dataSummary(dotted, rules: .audit1) == AuditCSV.dataSummary(nested, rules: .audit1))
    #expect(AuditCSV.dataSummary(dotted) == #"a\.b=x"#)
    #expect(AuditCSV.dataSummary(nested) == "a.b=x")
    let named = try Self.json(#"{"a=1; b":"2","c[0]":"\\"}"#)
    #expect(AuditCSV.dataSummary(named) == #"a\=1\; b=2; c\[0\]=\\"#)
  }

  @Test func aSemicolonInAValueCannotPassForAnotherMember() throws {
    let one = try Self.json(#"{"a":"x; b=y"}"#)
    let two = try Self.json(#"{"a":"x","b":"y"}"#)
    #expect(AuditCSV.dataSummary(one, rules: .audit1) == AuditCSV.dataSummary(two, rules: .audit1))
    #expect(AuditCSV.dataSummary(one) == #"a=x\; b=y"#)
    #expect(AuditCSV.dataSummary(two) == "a=x; b=y")
  }

  @Test func anEmptyPayloadIsTwoBraces() throws {
    #expect(AuditCSV.dataSummary(try Self.json("{}")) == "{}")
    #expect(AuditCSV.dataSummary(try Self.json(#"{"a":{},"b":[]}"#)) == "a={}; b=[]")
  }

  /// A text of `count` scalars followed by `tail`, so the cut at 16,000 falls inside `tail`.
  static func cutAcross(_ tail: String, at offset: Int) -> (JSONValue, String) {
    let head = String(repeating: "x", count: AuditCSV.maximumSummaryScalars - 2 - offset)
    return (.object(["t": .string(head + tail + "zzz")]), "t=" + head)
  }

  @Test(
    arguments: [
      ("e\u{301}", 1, ""),  // a combining accent stays with its letter: both go
      ("\u{1F1FA}\u{1F1F8}", 1, ""),  // a flag is never cut in half
      ("\u{1F469}\u{200D}\u{1F4BB}", 2, ""),  // a ZWJ sequence stays whole
      ("\u{1F44D}\u{1F3FD}", 1, ""),  // a skin tone stays with its emoji
      ("\r\n", 1, ""),  // CR LF is one character
      ("ab", 1, "a"),  // plain letters: the cut stays at 16,000
    ] as [(String, Int, String)])
  func aCutNeverSplitsACharacter(tail: String, offset: Int, kept: String) throws {
    let (data, prefix) = Self.cutAcross(tail, at: offset)
    let summary = AuditCSV.dataSummary(data)
    #expect(
      summary == prefix + kept + AuditCSV.truncationMarker, "\(summary.unicodeScalars.suffix(20))")
    #expect(summary.unicodeScalars.count <= AuditCSV.maximumSummaryScalars + 12)
  }

  @Test func theFirstRulesCutAtExactlySixteenThousandScalars() throws {
    let (data, prefix) = Self.cutAcross("e\u{301}", at: 1)
    #expect(AuditCSV.dataSummary(data, rules: .audit1) == prefix + "e" + AuditCSV.truncationMarker)
    let (accent, _) = Self.cutAcross("ee\u{301}", at: 1)
    #expect(
      AuditCSV.dataSummary(accent, rules: .audit1).unicodeScalars.count
        == AuditCSV.maximumSummaryScalars + AuditCSV.truncationMarker.unicodeScalars.count)
  }

  /// Law: under `audit2` dropping one leading `'` gives back every guarded cell; `audit1` could
  /// not for a value that itself began with `'=`.
  @Test func theGuardIsAlwaysUndone() {
    var random = SeededGenerator(seed: 0x5EED_2026)
    let alphabet: [Unicode.Scalar] = [
      "'", "=", "+", "-", "@", "\t", "\r", "a", " ", "\u{301}", ";",
    ]
    for _ in 0..<2_000 {
      var cell = String.UnicodeScalarView()
      for _ in 0..<Int(random.next() % 5) {
        cell.append(alphabet[Int(random.next() % UInt64(alphabet.count))])
      }
      let text = String(cell)
      #expect(AuditCSV.unguard(AuditCSV.guardFormula(text)) == text)
      let guarded = AuditCSV.guardFormula(text)
      if let first = guarded.unicodeScalars.first, "=+-@\t\r'".unicodeScalars.contains(first) {
        #expect(first == "'", "a cell a spreadsheet would run is always guarded")
      }
    }
    #expect(AuditCSV.unguard(AuditCSV.guardFormula("'=x", rules: .audit1), rules: .audit1) == "=x")
    #expect(AuditCSV.guardFormula("'=x") == "''=x")
  }

  // MARK: Both verifiers, both formats

  static var fixture: String {
    RepositoryPaths.root + "/Tests/LedgerAuditTests/Fixtures/audit1-export"
  }
  static var python: String { RepositoryPaths.root + "/Tools/audit-verify/verify_export.py" }

  /// Runs the Python verifier; its exit status and output.
  static func pythonVerifier(_ directory: String) throws -> (Int32, String) {
    let result = try ProcessResult.run("/usr/bin/env", ["python3", python, directory])
    return (result.status, result.stdout + result.stderr)
  }

  @Test func anExportOfTheFirstFormatStillVerifiesInBothVerifiers() async throws {
    let directory = TemporaryDirectory("audit1-fixture")
    defer { directory.remove() }
    let copy = try copyExport(Self.fixture, to: directory.appending("export"))
    let report = try await AuditVerifier(semantics: ClinicalLikeSemantics()).verify(directory: copy)
    #expect(report.problem == nil)
    #expect(report.eventsChecked == 3)
    let (status, output) = try Self.pythonVerifier(copy)
    #expect(status == 0, "\(output)")
    // Its CSV follows the first rules: the same rows rendered by the new rules do not verify.
    let manifest = try String(contentsOfFile: copy + "/manifest.json", encoding: .utf8)
    #expect(manifest.contains("treatment-ledger-audit-1"))
    try Data(manifest.replacingOccurrences(of: "audit-1", with: "audit-2").utf8)
      .write(to: URL(fileURLWithPath: copy + "/manifest.json"))
    let relabelled = try await AuditVerifier(semantics: ClinicalLikeSemantics()).verify(
      directory: copy)
    #expect(relabelled.problem?.kind == .csvMismatch)
    #expect(try Self.pythonVerifier(copy).0 == 1)
  }

  @Test func aNewExportUsesTheSecondRulesAndBothVerifiersAgree() async throws {
    let directory = TemporaryDirectory("audit2-rules")
    defer { directory.remove() }
    let store = try EventStore.open(at: directory.appending("store"))
    let long = String(repeating: "e\u{301}", count: 8_100)
    let payloads: [JSONValue] = [
      try Self.json(#"{"a.b":"x","a":{"b":"x"},"note":"calm; slept=yes","f":"'=SUM(A1)"}"#),
      .object([:]),
      .object(["long": .string(long), "flag": .string("\u{1F1FA}\u{1F1F8}")]),
    ]
    for data in payloads {
      _ = try await store.append(
        [
          ProposedEvent(
            type: "WardNote", occurredAt: "2026-11-04T10:00:00Z", recordedBy: Self.clerk, data: data
          )
        ],
        to: "ward-1")
    }
    let request = AuditExportRequest(
      directory: directory.appending("export"), formats: [.ndjson, .csv], exportedBy: Self.clerk,
      reason: "rules check")
    let exporter = AuditExporter(store: store, semantics: ClinicalLikeSemantics())
    let export = try await exporter.export(request)
    try await AuditExporter.record(export, in: store)
    store.close()
    #expect(export.manifest.format == "treatment-ledger-audit-2")
    let csv = String(
      decoding: try Data(
        contentsOf: URL(fileURLWithPath: directory.appending("export/events.csv"))), as: UTF8.self)
    #expect(csv.contains(#"a.b=x; a\.b=x; f='=SUM(A1); note=calm\; slept=yes"#))
    #expect(!csv.contains("\u{1F1FA} [truncated]"))
    let report = try await AuditVerifier(semantics: ClinicalLikeSemantics()).verify(
      directory: directory.appending("export"))
    #expect(report.problem == nil)
    let (status, output) = try Self.pythonVerifier(directory.appending("export"))
    #expect(status == 0, "\(output)")
  }

  /// Law: the Python verifier renders `data` exactly as the library does, for random payloads
  /// with awkward names, values and cuts (one python3 run for all of them).
  @Test func pythonRendersEveryPayloadAsTheLibraryDoes() throws {
    var random = SeededGenerator(seed: 0xC5F_2026)
    let pieces = [
      "a", ".", "[", "]", "=", ";", " ", "\\", "'", "é", "e\u{301}", "\u{1F1FA}", "\u{200D}", "\r",
      "\n", "5",
    ]
    func text(_ length: Int) -> String {
      (0..<length).map { _ in pieces[Int(random.next() % UInt64(pieces.count))] }.joined()
    }
    var payloads: [JSONValue] = []
    for index in 0..<200 {
      var members: [String: JSONValue] = [:]
      for _ in 0..<Int(1 + random.next() % 4) {
        let value: JSONValue =
          switch random.next() % 4 {
          case 0: .string(text(Int(random.next() % 8)))
          case 1: .number(Double(random.next() % 1000) / 4)
          case 2: .array([.string(text(3)), .bool(true), .null])
          default: .object([text(2): .string(text(3))])
          }
        members[text(Int(1 + random.next() % 4))] = value
      }
      if index % 10 == 0 {  // a long value, so the cut falls somewhere awkward
        members["long"] = .string(String(repeating: "x", count: 15_990 + index / 10) + text(40))
      }
      payloads.append(.object(members))
    }
    let directory = TemporaryDirectory("render-agreement")
    defer { directory.remove() }
    let input = payloads.map { String(decoding: $0.canonicalBytes, as: UTF8.self) }.joined(
      separator: "\n")
    try Data((input + "\n").utf8).write(
      to: URL(fileURLWithPath: directory.appending("payloads.ndjson")))
    let script = """
      import json, sys
      sys.path.insert(0, sys.argv[1])
      import verify_export
      for line in open(sys.argv[2], encoding="utf-8"):
        data = verify_export.load_event(line.rstrip("\\n").encode("utf-8"))
        print(json.dumps(verify_export.data_summary(data, 2)))
      """
    let result = try ProcessResult.run(
      "/usr/bin/env",
      [
        "python3", "-c", script, RepositoryPaths.root + "/Tools/audit-verify",
        directory.appending("payloads.ndjson"),
      ])
    #expect(result.status == 0, "\(result.stderr)")
    let rendered = result.stdout.split(separator: "\n").map {
      (try? JSONSerialization.jsonObject(with: Data($0.utf8), options: .fragmentsAllowed))
        as? String
    }
    #expect(rendered.count == payloads.count)
    for (payload, python) in zip(payloads, rendered) {
      #expect(python == AuditCSV.dataSummary(payload))
    }
  }
}

/// Patient streams are `patient-<id>`; corrections and voids as in the clinical catalogue.
struct ClinicalLikeSemantics: AuditSemantics {
  func stream(forPatient patientId: String) -> String { "patient-" + patientId }
  func patientId(ofStream streamId: String) -> String? {
    streamId.hasPrefix("patient-") ? String(streamId.dropFirst(8)) : nil
  }
  func correctedEventId(type: String, data: JSONValue) -> String? {
    type == "EntryCorrected" ? data["correctedEventId"]?.stringValue : nil
  }
  func voidedEventId(type: String, data: JSONValue) -> String? {
    type == "EntryVoided" ? data["voidedEventId"]?.stringValue : nil
  }
}
