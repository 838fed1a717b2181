import Foundation
import LedgerTestSupport
import Testing
import TreatmentLedger

// The verifier through the library, on cases the command-line matrix
// (TreatmentLedgerCLITests/AuditCommandTests.swift) does not cover: the `$audit` record, the
// anchors around a recorded range, CSV-only exports, and problems that never show data.

/// Copies an export directory so a test can damage the copy.
func copyExport(_ source: String, to destination: String) throws -> String {
  try? FileManager.default.removeItem(atPath: destination)
  try FileManager.default.copyItem(atPath: source, toPath: destination)
  return destination
}

/// The lines of a file split on `\n` (the last, empty piece dropped).
func fileLines(_ path: String) throws -> [[UInt8]] {
  var lines = Array(try Data(contentsOf: URL(fileURLWithPath: path))).split(
    separator: 0x0A, omittingEmptySubsequences: false
  ).map(Array.init)
  if lines.last?.isEmpty == true { lines.removeLast() }
  return lines
}

func writeLines(_ lines: [[UInt8]], to path: String) throws {
  try Data(lines.flatMap { $0 + [0x0A] }).write(to: URL(fileURLWithPath: path))
}

/// Reads manifest.json as a mutable dictionary, changes it, and writes it back.
func editManifest(_ directory: String, _ change: (inout [String: Any]) -> Void) throws {
  let path = directory + "/manifest.json"
  var object = try #require(
    try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
      as? [String: Any])
  change(&object)
  try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])
    .write(to: URL(fileURLWithPath: path))
}

@Suite("Audit verification")
struct AuditVerifierTests {
  @Test func anEditedReasonIsCaughtByTheAuditRecordOrTheExpectedHash() async throws {
    let fixture = try await AuditStore.make("reason")
    defer { fixture.close() }
    let export = try await fixture.export("patient", AuditFilter(patientId: AuditStore.patientId))
    let copy = try copyExport(export.directory, to: fixture.directory.appending("edited"))
    try editManifest(copy) { $0["reason"] = "Routine check" }
    // Offline, a descriptive member cannot be checked against the files…
    #expect(await AuditVerifier().verify(directory: copy).isIntact)
    // …but the SHA-256 recorded in $audit (or handed to the auditor) catches it.
    let expected = await AuditVerifier().verify(
      directory: copy, expectedManifestSHA256: export.manifestSHA256)
    #expect(expected.problem?.kind == .manifestMismatch)
    let recorded = await fixture.ledger.verifyAuditExport(at: copy)
    #expect(recorded.problem?.kind == .manifestMismatch)
    #expect(await fixture.ledger.verifyAuditExport(at: export.directory).isIntact)

    // An export the store never recorded.
    let unrecorded = try await fixture.export("unrecorded", AuditFilter(), record: false)
    #expect(await AuditVerifier().verify(directory: unrecorded.stagingDirectory).isIntact)
    #expect(
      await fixture.ledger.verifyAuditExport(at: unrecorded.stagingDirectory).problem?.kind
        == .notRecorded)
  }

  @Test func theEventsAroundARecordedRangeCatchMissingEnds() async throws {
    let fixture = try await AuditStore.make("ends")
    defer { fixture.close() }
    for (name, filter) in [
      ("log", AuditFilter(from: fixture.t1, to: fixture.t2)),
      ("patient", AuditFilter(patientId: AuditStore.patientId, to: fixture.t1)),
    ] {
      let export = try await fixture.export(name, filter, record: false)
      #expect(export.manifest.anchors.after != nil)
      let ndjson = "/events.ndjson"
      let lines = try fileLines(export.stagingDirectory + ndjson)

      // The first line removed: it no longer follows the event before the range.
      let first = try copyExport(
        export.stagingDirectory, to: fixture.directory.appending("\(name)-first"))
      try writeLines(Array(lines.dropFirst()), to: first + ndjson)
      #expect(
        await AuditVerifier().verify(directory: first).problem?.kind == .missingEvent, "\(name)")

      // The last line removed, and the manifest rewritten to match (counts, last event, file
      // list without the CSV): the event after the range no longer continues the chain.
      let last = try copyExport(
        export.stagingDirectory, to: fixture.directory.appending("\(name)-last"))
      let kept = Array(lines.dropLast())
      try writeLines(kept, to: last + ndjson)
      try FileManager.default.removeItem(atPath: last + "/events.csv")
      let newLast = try #require(
        try JSONSerialization.jsonObject(
          with: Data(Array(kept.last ?? [])[83..<((kept.last?.count ?? 84) - 1)]))
          as? [String: Any])
      let bytes = try Data(contentsOf: URL(fileURLWithPath: last + ndjson))
      try editManifest(last) { manifest in
        let count = kept.count
        manifest["counts"] = ["events": count, "eventsInRange": count]
        manifest["files"] = [
          [
            "name": "events.ndjson", "format": "ndjson", "records": count, "bytes": bytes.count,
            "sha256": ChainHash.sha256(Array(bytes)).hex,
          ]
        ]
        var anchors = manifest["anchors"] as? [String: Any] ?? [:]
        anchors["last"] = [
          "globalPosition": newLast["globalPosition"] ?? 0,
          "streamVersion": newLast["streamVersion"] ?? 0,
          "recordedAt": newLast["recordedAt"] ?? "", "previousHash": newLast["previousHash"] ?? "",
          "previousStreamHash": newLast["previousStreamHash"] ?? "",
          "hash": String(decoding: (kept.last ?? [])[9..<73], as: UTF8.self),
        ]
        manifest["anchors"] = anchors
      }
      let report = await AuditVerifier().verify(directory: last)
      #expect(
        report.problem?.kind == .anchorMismatch, "\(name): \(String(describing: report.problem))")
    }
  }

  @Test func aCSVOnlyExportIsCheckedForLinksAndCompleteness() async throws {
    let fixture = try await AuditStore.make("csv-only")
    defer { fixture.close() }
    let export = try await fixture.export(
      "csv", AuditFilter(patientId: AuditStore.patientId), formats: [.csv])
    let path = "/events.csv"
    let text = try fileText(export.directory + path)
    var records = text.components(separatedBy: "\r\n")
    #expect(records.last == "")
    records.removeLast()
    #expect(records.count == 18)

    let removed = try copyExport(export.directory, to: fixture.directory.appending("removed"))
    var fewer = records
    fewer.remove(at: 5)
    try writeFileText(fewer.joined(separator: "\r\n") + "\r\n", removed + path)
    #expect(await AuditVerifier().verify(directory: removed).problem?.kind == .missingEvent)

    // A changed hash cell breaks the link to the next row.
    let hashes = try copyExport(export.directory, to: fixture.directory.appending("hash"))
    let stream = try fixture.ledger.store.readStream(AuditStore.stream)
    // Only the row's own hash cell (its first occurrence); the next row still names the old one.
    var changed = text
    let cell = try #require(changed.range(of: "," + stream[4].hash.hex + ","))
    changed.replaceSubrange(cell, with: "," + ChainHash.sha256([1]).hex + ",")
    try writeFileText(changed, hashes + path)
    let report = await AuditVerifier().verify(directory: hashes)
    #expect(report.problem?.kind == .brokenChain, "\(String(describing: report.problem))")
  }

  @Test func problemsNameColumnsAndPositionsButNeverTheData() async throws {
    // Plain patient data, so that the CSV shows a clinical value to edit (sealed exports show
    // none: SealingTests).
    let fixture = try await AuditStore.make("private", sealed: false)
    defer { fixture.close() }
    let export = try await fixture.export("patient", AuditFilter(patientId: AuditStore.patientId))
    let copy = try copyExport(export.directory, to: fixture.directory.appending("edited"))
    let csv = try fileText(copy + "/events.csv")
    #expect(csv.contains("penicillin (rash)"))
    try writeFileText(
      csv.replacingOccurrences(of: "penicillin (rash)", with: "peanuts (hives)"),
      copy + "/events.csv")
    let problem = try #require(await AuditVerifier().verify(directory: copy).problem)
    #expect(problem.kind == .csvMismatch)
    #expect(problem.description.contains("column data"))
    #expect(!problem.description.contains("penicillin") && !problem.description.contains("peanuts"))

    let ndjson = try copyExport(export.directory, to: fixture.directory.appending("ndjson"))
    let text = try String(contentsOfFile: ndjson + "/events.ndjson", encoding: .utf8)
    try text.replacingOccurrences(of: "KT24B0117", with: "KT24B0118")
      .write(toFile: ndjson + "/events.ndjson", atomically: true, encoding: .utf8)
    let changed = try #require(await AuditVerifier().verify(directory: ndjson).problem)
    #expect(changed.kind == .hashMismatch)
    #expect(!changed.description.contains("KT24B011"))
  }

  @Test func bytesThatHashButAreNotCanonicalAreRefused() async throws {
    let fixture = try await AuditStore.make("canonical")
    defer { fixture.close() }
    let export = try await fixture.export("whole", record: false)
    let copy = try copyExport(export.stagingDirectory, to: fixture.directory.appending("spaced"))
    var lines = try fileLines(copy + "/events.ndjson")
    // The same JSON value with a space: another serialization, its hash recomputed.
    var event = Array(lines[4][83..<(lines[4].count - 1)])
    event.insert(0x20, at: 1)
    lines[4] =
      Array(#"{"hash":""#.utf8) + Array(ChainHash.sha256(event).hex.utf8)
      + Array(#"","event":"#.utf8) + event + [UInt8(ascii: "}")]
    try writeLines(lines, to: copy + "/events.ndjson")
    let problem = await AuditVerifier().verify(directory: copy).problem
    #expect(problem?.kind == .notCanonical && problem?.line == 5, "\(String(describing: problem))")
  }

  @Test func aMissingOrForeignManifestIsReported() async throws {
    let directory = TemporaryDirectory("audit-empty")
    defer { directory.remove() }
    #expect(
      await AuditVerifier().verify(directory: directory.path).problem?.kind == .unreadableManifest)
    try Data(#"{"format":"something-else"}"#.utf8).write(
      to: URL(fileURLWithPath: directory.appending("manifest.json")))
    #expect(
      await AuditVerifier().verify(directory: directory.path).problem?.kind == .unsupportedFormat)
    try Data(#"{"format":"treatment-ledger-audit-1"}"#.utf8).write(
      to: URL(fileURLWithPath: directory.appending("manifest.json")))
    #expect(
      await AuditVerifier().verify(directory: directory.path).problem?.kind == .unreadableManifest)
  }

  @Test func anEditedExportIdIsEchoedEscapedAndShortened() async throws {
    let fixture = try await AuditStore.make("echo")
    defer { fixture.close() }
    let export = try await fixture.export("patient", AuditFilter(patientId: AuditStore.patientId))
    let copy = try copyExport(export.directory, to: fixture.directory.appending("edited"))
    try editManifest(copy) {
      $0["exportId"] = "x\u{1B}]0;owned\u{7}" + String(repeating: "9", count: 200_000)
    }
    let problem = try #require(await fixture.ledger.verifyAuditExport(at: copy).problem)
    #expect(problem.kind == .notRecorded)
    let text = problem.description
    #expect(!text.unicodeScalars.contains { $0.value < 0x20 }, "\(text.prefix(120))")
    #expect(text.contains(#"x\u001b]0;owned\u0007999"#) && text.count < 300, "\(text.prefix(120))")
  }
}
