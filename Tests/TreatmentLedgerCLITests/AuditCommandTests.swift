import Foundation
import LedgerTestSupport
import Testing
import TreatmentLedger

// `treatment-ledger audit export | verify | log` end to end, and the independent Python verifier
// (Tools/audit-verify/verify_export.py) on the same exports, intact and tampered.

/// A store with the demo patient's record (the schema examples) between non-clinical inventory
/// events, and helpers to export it and run both verifiers.
struct AuditCLI {
  static let verifier = RepositoryPaths.root + "/Tools/audit-verify/verify_export.py"
  static let patientValues = ["penicillin", "KT24B0117", "sertraline", "F33.2", "transposed"]

  let cli: LedgerCLI

  init(_ label: String) throws {
    cli = LedgerCLI("audit-\(label)")
    try cli.succeed(["init"])
    let examples = try ProcessResult.run(
      "/usr/bin/env",
      ["python3", RepositoryPaths.root + "/Tools/schema-validate/examples_to_ndjson.py"])
    guard examples.status == 0 else { throw CLIFailure(description: examples.stderr) }
    let before = try cli.write(
      "before.ndjson", EventLine.generate(count: 40, streams: 4, group: 1, prefix: "supplies-site")
    )
    let record = try cli.write(
      "examples.ndjson", examples.stdout.split(separator: "\n").map(String.init))
    let after = try cli.write(
      "after.ndjson",
      EventLine.generate(count: 20, streams: 4, group: 2, offset: 40, prefix: "supplies-site"))
    for file in [before, record, after] { try cli.succeed(["import", file]) }
  }

  func directory(_ name: String) -> String { cli.directory.appending(name) }

  /// `audit export --out DIR --by … --reason …` plus `arguments`; returns the directory.
  @discardableResult
  func export(_ name: String, _ arguments: [String] = []) throws -> (
    directory: String, stdout: String
  ) {
    let out = directory(name)
    let result = try cli.succeed(
      [
        "audit", "export", "--out", out, "--by", "compliance-07", "--by-name", "Dana Auditor",
        "--reason", "Quarterly review",
      ] + arguments)
    return (out, result.stdout)
  }

  /// `treatment-ledger audit verify DIR` without a store (offline).
  func swiftVerify(_ directory: String, _ arguments: [String] = []) throws -> ProcessResult {
    try ProcessResult.run(LedgerCLI.executable, ["audit", "verify", directory] + arguments)
  }

  /// `python3 verify_export.py DIR`.
  func pythonVerify(_ directory: String, _ arguments: [String] = []) throws -> ProcessResult {
    try ProcessResult.run("/usr/bin/env", ["python3", Self.verifier, directory] + arguments)
  }

  func remove() { cli.remove() }
}

/// One way of damaging an export, and the problem both verifiers must name.
struct Tamper: CustomStringConvertible {
  var name: String
  var kind: String
  /// Extra arguments for (Swift, Python) verification, e.g. the recorded manifest hash.
  var swiftArguments: [String] = []
  var pythonArguments: [String] = []
  var apply: (String) throws -> Void

  var description: String { name }

  static func ndjsonLines(_ directory: String) throws -> [[UInt8]] {
    var lines = Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/events.ndjson")))
      .split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
    lines.removeLast()
    return lines
  }

  static func writeNDJSON(_ lines: [[UInt8]], _ directory: String) throws {
    try Data(lines.flatMap { $0 + [0x0A] }).write(
      to: URL(fileURLWithPath: directory + "/events.ndjson"))
  }

  /// Changes the text of `path`, byte for byte apart from the change (a byte-order mark is kept
  /// as U+FEFF, which Foundation's UTF-8 reading would drop).
  static func editText(_ path: String, _ change: (String) -> String) throws {
    let url = URL(fileURLWithPath: path)
    let text = String(decoding: try Data(contentsOf: url), as: UTF8.self)
    let changed = change(text)
    #expect(changed != text, "the tamper changed \(path)")
    try Data(changed.utf8).write(to: url)
  }

  static func editManifest(_ directory: String, _ change: (inout [String: Any]) -> Void) throws {
    let path = directory + "/manifest.json"
    var object =
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
      as? [String: Any] ?? [:]
    change(&object)
    try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])
      .write(to: URL(fileURLWithPath: path))
  }

  /// The cases, for an export whose manifest has SHA-256 `manifestSHA256` (as recorded in `$audit`).
  /// Over 80 lines, knowingly: a catalogue, one short case per kind of tampering.
  static func all(manifestSHA256: String, store: String) -> [Tamper] {
    [
      Tamper(name: "a changed byte in an event", kind: "hashMismatch") { directory in
        var lines = try ndjsonLines(directory)
        let offset = 83 + 20
        lines[2][offset] =
          lines[2][offset] == UInt8(ascii: "7") ? UInt8(ascii: "8") : UInt8(ascii: "7")
        try writeNDJSON(lines, directory)
      },
      Tamper(name: "a changed byte in a stated hash", kind: "hashMismatch") { directory in
        var lines = try ndjsonLines(directory)
        lines[3][20] = lines[3][20] == UInt8(ascii: "a") ? UInt8(ascii: "b") : UInt8(ascii: "a")
        try writeNDJSON(lines, directory)
      },
      Tamper(name: "an added member, its hash recomputed", kind: "notCanonical") { directory in
        var lines = try ndjsonLines(directory)
        var event = Array(lines[2][83..<(lines[2].count - 1)])
        event.insert(contentsOf: Array(#""aaa":1,"#.utf8), at: 1)
        lines[2] =
          Array(#"{"hash":""#.utf8) + Array(ChainHash.sha256(event).hex.utf8)
          + Array(#"","event":"#.utf8) + event + [UInt8(ascii: "}")]
        try writeNDJSON(lines, directory)
      },
      Tamper(name: "a removed line", kind: "missingEvent") { directory in
        var lines = try ndjsonLines(directory)
        lines.remove(at: 4)
        try writeNDJSON(lines, directory)
      },
      Tamper(name: "the first line removed", kind: "missingEvent") { directory in
        try writeNDJSON(Array(try ndjsonLines(directory).dropFirst()), directory)
      },
      Tamper(name: "the last line removed", kind: "missingEvent") { directory in
        try writeNDJSON(Array(try ndjsonLines(directory).dropLast()), directory)
      },
      Tamper(name: "an added line", kind: "unexpectedEvent") { directory in
        var lines = try ndjsonLines(directory)
        lines.insert(lines[2], at: 3)
        try writeNDJSON(lines, directory)
      },
      Tamper(name: "a line added at the end", kind: "unexpectedEvent") { directory in
        var lines = try ndjsonLines(directory)
        lines.append(lines[lines.count - 1])
        try writeNDJSON(lines, directory)
      },
      Tamper(name: "reordered lines", kind: "missingEvent") { directory in
        var lines = try ndjsonLines(directory)
        lines.swapAt(5, 6)
        try writeNDJSON(lines, directory)
      },
      Tamper(name: "an edited manifest count", kind: "countMismatch") { directory in
        try editManifest(directory) { manifest in
          var counts = manifest["counts"] as? [String: Any] ?? [:]
          counts["events"] = (counts["events"] as? Int ?? 0) + 1
          manifest["counts"] = counts
        }
      },
      Tamper(name: "an edited manifest anchor", kind: "anchorMismatch") { directory in
        try editManifest(directory) { manifest in
          var anchors = manifest["anchors"] as? [String: Any] ?? [:]
          var last = anchors["last"] as? [String: Any] ?? [:]
          last["hash"] = String(repeating: "ab", count: 32)
          anchors["last"] = last
          manifest["anchors"] = anchors
        }
      },
      Tamper(name: "the filter's time basis edited", kind: "unreadableManifest") { directory in
        try editManifest(directory) { manifest in
          var filter = manifest["filter"] as? [String: Any] ?? [:]
          filter["time"] = "clinicalTime"
          manifest["filter"] = filter
        }
      },
      Tamper(name: "an anchor without its hash", kind: "unreadableManifest") { directory in
        try editManifest(directory) { manifest in
          var anchors = manifest["anchors"] as? [String: Any] ?? [:]
          var last = anchors["last"] as? [String: Any] ?? [:]
          last["hash"] = nil
          anchors["last"] = last
          manifest["anchors"] = anchors
        }
      },
      Tamper(name: "a file listed under another name", kind: "manifestInconsistent") { directory in
        try editManifest(directory) { manifest in
          var files = manifest["files"] as? [[String: Any]] ?? []
          files[0]["name"] = "events.txt"
          manifest["files"] = files
        }
      },
      Tamper(name: "an edited file hash in the manifest", kind: "fileHashMismatch") { directory in
        try editManifest(directory) { manifest in
          var files = manifest["files"] as? [[String: Any]] ?? []
          files[0]["sha256"] = String(repeating: "cd", count: 32)
          manifest["files"] = files
        }
      },
      Tamper(
        name: "an edited manifest reason", kind: "manifestMismatch",
        swiftArguments: ["--store", store],
        pythonArguments: ["--manifest-sha256", manifestSHA256]
      ) { directory in
        try editManifest(directory) { $0["reason"] = "Routine" }
      },
      Tamper(name: "an edited CSV cell", kind: "csvMismatch") { directory in
        try editText(directory + "/events.csv") { text in
          // The recorder's id in the fourth data row.
          let rows = text.components(separatedBy: "\r\n")
          var row = rows[4].components(separatedBy: ",")
          row[9] = "u-666"
          return (rows[..<4] + [row.joined(separator: ",")] + rows[5...]).joined(separator: "\r\n")
        }
      },
      Tamper(name: "an edited CSV data cell", kind: "csvMismatch") { directory in
        try editText(directory + "/events.csv") { text in
          var changed = text
          if let range = changed.range(of: "n=3;") { changed.replaceSubrange(range, with: "n=4;") }
          if let range = changed.range(of: "doseMg=35;") {
            changed.replaceSubrange(range, with: "doseMg=53;")
          }
          if changed == text {
            // A sealed patient export: the data cell (the last column) is the sealed text.
            var rows = text.components(separatedBy: "\r\n")
            if rows.count > 2, let last = rows[2].last {
              rows[2] = String(rows[2].dropLast()) + (last == "A" ? "B" : "A")
            }
            changed = rows.joined(separator: "\r\n")
          }
          return changed
        }
      },
      Tamper(name: "a removed CSV row", kind: "csvMismatch") { directory in
        try editText(directory + "/events.csv") { text in
          var rows = text.components(separatedBy: "\r\n")
          rows.remove(at: 3)
          return rows.joined(separator: "\r\n")
        }
      },
      Tamper(name: "a needless quote, cells the same", kind: "csvMalformed") { directory in
        try editText(directory + "/events.csv") { text in
          // Quote the first row's stream cell: the same value, other bytes.
          let rows = text.components(separatedBy: "\r\n")
          var row = rows[1].components(separatedBy: ",")
          row[1] = "\"" + row[1] + "\""
          return ([rows[0], row.joined(separator: ",")] + rows[2...]).joined(separator: "\r\n")
        }
      },
      Tamper(name: "the CSV without its byte-order mark", kind: "csvMalformed") { directory in
        let path = directory + "/events.csv"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.dropFirst(3).write(to: URL(fileURLWithPath: path))
      },
      Tamper(name: "the CSV with LF line ends", kind: "csvMalformed") { directory in
        try editText(directory + "/events.csv") { $0.replacingOccurrences(of: "\r\n", with: "\n") }
      },
    ]
  }
}

/// The kind named in `FAILED after N intact events: KIND in …`.
func failureKind(_ stdout: String) -> String? {
  guard let line = stdout.split(separator: "\n").first(where: { $0.hasPrefix("FAILED") }),
    let colon = line.firstIndex(of: ":")
  else { return nil }
  return line[line.index(after: colon)...].split(separator: " ").first.map(String.init)
}

/// N of `FAILED after N intact events: …`.
func intactCount(_ stdout: String) -> Int? {
  guard let line = stdout.split(separator: "\n").first(where: { $0.hasPrefix("FAILED after ") })
  else { return nil }
  return Int(line.dropFirst("FAILED after ".count).prefix { $0.isNumber })
}

@Suite("treatment-ledger audit")
struct AuditCommandTests {
  @Test func exportVerifyAndLogOfAWholeLogAndOfAPatient() throws {
    let audit = try AuditCLI("basic")
    defer { audit.remove() }
    let stats = try audit.cli.stats()
    #expect(stats.events == 76)

    let (whole, output) = try audit.export("whole")
    let lines = output.split(separator: "\n")
    #expect(lines.last?.hasPrefix("exported 76 events to \(whole) in ") == true, "\(output)")
    #expect(lines.last?.hasSuffix(" events/s)") == true)
    // Position 76 publishes the store's signing key (its first export), 77 records the export.
    #expect(output.contains("recorded   $audit position 77"))
    let (patient, _) = try audit.export("patient", ["--patient", "demo-0001"])

    for directory in [whole, patient] {
      let swift = try audit.swiftVerify(directory)
      #expect(swift.status == 0, "\(swift.stdout)\(swift.stderr)")
      #expect(swift.stdout.hasPrefix("intact: "))
      let python = try audit.pythonVerify(directory)
      #expect(python.status == 0, "\(python.stdout)\(python.stderr)")
      #expect(python.stdout.hasPrefix("intact: "))
      let recorded = try audit.cli.run(["audit", "verify", directory])
      #expect(
        recorded.status == 0 && recorded.stdout.contains("matches its record"), "\(recorded.stdout)"
      )
    }
    #expect(try audit.swiftVerify(patient).stdout.hasPrefix("intact: 16 events, hashes recomputed"))
    #expect(
      try audit.pythonVerify(patient).stdout.hasPrefix("intact: 16 events, hashes recomputed"))

    // Both exports are listed, with who, why and the manifest's hash; no patient data.
    let log = try audit.cli.succeed(["audit", "log"])
    let table = log.stdout.split(separator: "\n")
    #expect(table.count == 3)
    #expect(table[0].hasPrefix("recorded at ") && table[0].contains("manifest sha256"))
    let entries = Array(table.dropFirst())
    #expect(entries[0].contains("compliance-07 (auditor)"))
    #expect(entries[0].contains("whole log ") && entries[0].contains("  76  "))
    #expect(entries[1].contains("patient demo-0001 ") && entries[1].contains("  16  "))
    #expect(entries.allSatisfy { $0.hasSuffix("Quarterly review") })
    // A table: every column starts where its header does.
    let shaColumn = try #require(table[0].range(of: "manifest sha256")).lowerBound.utf16Offset(
      in: table[0])
    for entry in entries {
      let manifest = String(entry.dropFirst(shaColumn).prefix(64))
      #expect(manifest.count == 64 && manifest.allSatisfy(\.isHexDigit), "\(entry)")
    }
    let json = try audit.cli.succeed(["audit", "log", "--json"]).stdout
    for value in AuditCLI.patientValues + [EventLine.sentinel] {
      #expect(!json.contains(value), "the audit log holds a data value")
    }
    let manifests = try [whole, patient].map { try fileSHA256($0 + "/manifest.json") }
    for (entry, sha) in zip(entries, manifests) { #expect(entry.contains("  \(sha)  ")) }
    #expect(try audit.cli.succeed(["verify"]).stdout.hasPrefix("intact: 79 events"))
  }

  @Test(arguments: ["whole", "patient"])
  func everyTamperIsCaughtByBothVerifiers(_ scope: String) throws {
    let audit = try AuditCLI("tamper-\(scope)")
    defer { audit.remove() }
    let (original, _) = try audit.export(
      "original", scope == "patient" ? ["--patient", "demo-0001"] : [])
    let sha = try fileSHA256(original + "/manifest.json")
    for tamper in Tamper.all(manifestSHA256: sha, store: audit.cli.store) {
      let copy = audit.directory("copy")
      try? FileManager.default.removeItem(atPath: copy)
      try FileManager.default.copyItem(atPath: original, toPath: copy)
      try tamper.apply(copy)
      let swift = try audit.swiftVerify(copy, tamper.swiftArguments)
      #expect(swift.status == 4, "\(scope), \(tamper): \(swift.stdout)\(swift.stderr)")
      #expect(failureKind(swift.stdout) == tamper.kind, "\(scope), \(tamper): \(swift.stdout)")
      let python = try audit.pythonVerify(copy, tamper.pythonArguments)
      #expect(python.status == 1, "\(scope), \(tamper): \(python.stdout)\(python.stderr)")
      #expect(failureKind(python.stdout) == tamper.kind, "\(scope), \(tamper): \(python.stdout)")
      // One meaning of "intact events before the problem" (docs/AUDIT.md 4) in both verifiers.
      #expect(
        intactCount(swift.stdout) != nil && intactCount(swift.stdout) == intactCount(python.stdout),
        "\(scope), \(tamper): \(swift.stdout) / \(python.stdout)")
      for output in [swift.stdout, python.stdout] {
        for value in AuditCLI.patientValues + [EventLine.sentinel] {
          #expect(!output.contains(value), "\(scope), \(tamper): a data value in the report")
        }
      }
    }
    // The untouched export still verifies.
    #expect(try audit.swiftVerify(original).status == 0)
    #expect(try audit.pythonVerify(original).status == 0)
  }

  @Test func rangesOnRecordedAndOccurredTimeVerifyWithBothVerifiers() throws {
    let audit = try AuditCLI("ranges")
    defer { audit.remove() }
    let all = try audit.cli.envelopes(["--all"])
    // The examples were imported in one commit between the inventory imports.
    let recorded = all[40].recordedAt
    let next = all[56].recordedAt
    // Each export is recorded in $audit, so later exports of the open-ended log see those events:
    // log-after holds the 20 inventory events, the signing key's publication and the first
    // export's record.
    let cases: [(String, [String], Int)] = [
      ("log-range", ["--from", recorded, "--to", next], 16),
      ("log-after", ["--from", next], 22),
      ("patient-range", ["--patient", "demo-0001", "--from", recorded, "--to", next], 16),
      ("patient-before", ["--patient", "demo-0001", "--to", recorded], 0),
      (
        "patient-occurred",
        [
          "--patient", "demo-0001", "--occurred", "--from", "2026-11-04T00:00:00-05:00", "--to",
          "2026-11-05T00:00:00-05:00",
        ], 16
      ),
      // 36, the signing key's publication and five $audit events of exports
      ("csv-only", ["--from", recorded, "--format", "csv"], 42),
      ("ndjson-only", ["--patient", "demo-0001", "--format", "ndjson"], 16),
    ]
    for (name, arguments, count) in cases {
      let (directory, output) = try audit.export(name, arguments)
      #expect(output.contains("exported \(count) events"), "\(name): \(output)")
      let swift = try audit.swiftVerify(directory)
      #expect(swift.status == 0, "\(name): \(swift.stdout)")
      let python = try audit.pythonVerify(directory)
      #expect(python.status == 0, "\(name): \(python.stdout)\(python.stderr)")
      #expect(
        swift.stdout.split(separator: ";").first == python.stdout.split(separator: ";").first,
        "\(name)")
    }
    let occurred = try audit.pythonVerify(audit.directory("patient-occurred"))
    #expect(occurred.stdout.hasPrefix("intact: 16 events (9 in range)"), "\(occurred.stdout)")
  }

  @Test func anExportWhileAnotherProcessImportsIsConsistent() throws {
    let cli = LedgerCLI("audit-concurrent")
    defer { cli.remove() }
    try cli.succeed(["init"])
    let first = try cli.write(
      "first.ndjson", EventLine.generate(count: 4_000, streams: 40, group: 3, prefix: "load"))
    try cli.succeed(["import", "--batch-size", "200", first])
    let second = try cli.write(
      "second.ndjson", EventLine.generate(count: 20_000, streams: 40, group: 4, prefix: "load"))
    let importing = try MultiProcessTests.Started.start(
      ["import", "--batch-size", "100", second, "--store", cli.store], in: cli.directory,
      name: "import")
    Thread.sleep(forTimeInterval: 0.3)
    let out = cli.directory.appending("export")
    let export = try cli.run(
      [
        "audit", "export", "--out", out, "--by", "u-1", "--reason", "During import",
        "--events-per-read", "500",
      ])
    let imported = try importing.wait()
    #expect(imported.status == 0, "\(imported.stderr)")
    #expect(export.status == 0, "\(export.stderr)")
    let manifest =
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: URL(fileURLWithPath: out + "/manifest.json"))) as? [String: Any]
    let counts = manifest?["counts"] as? [String: Any]
    let store = (manifest?["anchors"] as? [String: Any])?["store"] as? [String: Any]
    let exported = counts?["events"] as? Int ?? -1
    #expect(exported == store?["events"] as? Int)
    #expect(exported >= 4_000 && exported <= 24_000)
    #expect(try ProcessResult.run(LedgerCLI.executable, ["audit", "verify", out]).status == 0)
    let python = try ProcessResult.run("/usr/bin/env", ["python3", AuditCLI.verifier, out])
    #expect(python.status == 0, "\(python.stdout)")
    #expect(try cli.stats().events == 24_002)  // and the signing key's publication
    #expect(try cli.succeed(["verify"]).status == 0)
  }

  @Test func usageErrorsExit64AndNothingIsRecorded() throws {
    let audit = try AuditCLI("usage")
    defer { audit.remove() }
    let out = audit.directory("out")
    let base = ["audit", "export", "--out", out, "--by", "u-1", "--reason", "r"]
    let commands: [[String]] = [
      ["audit", "export", "--out", out, "--reason", "r"],  // no --by
      ["audit", "export", "--out", out, "--by", "u-1"],  // no --reason
      base + ["--from", "2026-11-04"],
      base + ["--from", "2026-11-05T00:00:00Z", "--to", "2026-11-04T00:00:00Z"],
      base + ["--occurred"],
      base + ["--format", "xml"],
      base + ["--patient", "bad id"],
      base + ["--reason", " "],
    ]
    for command in commands {
      let result = try audit.cli.run(command)
      #expect(result.status == 64, "\(command): \(result.stderr)")
    }
    #expect(!FileManager.default.fileExists(atPath: out))
    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
    try Data("x".utf8).write(to: URL(fileURLWithPath: out + "/notes.txt"))
    let taken = try audit.cli.run(base)
    #expect(taken.status == 64 && taken.stderr.contains("already holds files"), "\(taken.stderr)")
    #expect(try audit.cli.succeed(["audit", "log"]).stdout.contains("no audit exports recorded"))
    // Verifying a directory that holds no export.
    let missing = try audit.swiftVerify(audit.directory("nothing"))
    #expect(missing.status == 4 && failureKind(missing.stdout) == "unreadableManifest")
    let python = try audit.pythonVerify(audit.directory("nothing"))
    #expect(python.status == 2)
  }
}

/// SHA-256 of a file, hex (as `sha256sum` prints it).
func fileSHA256(_ path: String) throws -> String {
  ChainHash.sha256(Array(try Data(contentsOf: URL(fileURLWithPath: path)))).hex
}
