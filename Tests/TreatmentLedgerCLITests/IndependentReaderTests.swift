import Foundation
import LedgerTestSupport
import Testing

/// Checks the store against `docs/FORMAT.md` with a reader that shares no code with it:
/// `Tools/ledger-inspect/read_store.py` (Python, py-lmdb and the standard library only).
///
/// The stores here use neutral stream names (`reader-check-*`) and free-form event types: the
/// subject is the on-disk format, not the clinical catalogue.
@Suite("Independent reader (Python) agrees with the Swift store")
struct IndependentReaderTests {
  static let cli = RepositoryPaths.executable("treatment-ledger")
  static let reader = RepositoryPaths.root + "/Tools/ledger-inspect/read_store.py"

  /// Nil when `python3 -c 'import lmdb'` works; otherwise what is missing. Tests never install
  /// anything: `.ci/run` installs py-lmdb up front (`python3 -m pip install lmdb`); without it the
  /// two tests that need it are skipped, with this reason. Evaluated once per process.
  static let pythonLMDB: String? = {
    let status = try? ProcessResult.run("/usr/bin/env", ["python3", "-c", "import lmdb"]).status
    return status == 0
      ? nil : "python3 cannot import lmdb: run `python3 -m pip install lmdb` (see .ci/run)"
  }()

  static func python(_ arguments: [String]) throws -> ProcessResult {
    try ProcessResult.run("/usr/bin/env", ["python3"] + arguments)
  }

  static func ledger(_ arguments: [String], store: String) throws -> ProcessResult {
    try ProcessResult.run(cli, arguments + ["--store", store])
  }

  /// One NDJSON input line. `data` is JSON text, written as the writer would send it.
  static func line(
    _ id: String, _ type: String, occurredAt: String, data: String, extra: String = ""
  ) -> String {
    #"{"eventId":"\#(id)","type":"\#(type)","occurredAt":"\#(occurredAt)","#
      + #""recordedBy":{"id":"u-17","name":"Nurse \"Ann\" Ó'Brien","role":"nurse"},"#
      + extra + #""data":\#(data)}"#
  }

  static let streamA = "reader-check-a"
  static let streamB = "reader-check-b"
  static let streamC = "reader-check-c"
  /// A value stored at global position 1, changed by the tampering test.
  static let marker = "MARKERVALUE"

  /// Builds a store of 6 events in 3 streams with the CLI; returns its path.
  static func makeStore(in directory: TemporaryDirectory) throws -> String {
    let store = directory.appending("store")
    let initialized = try ledger(["init"], store: store)
    #expect(initialized.status == 0, "init: \(initialized.stderr)")

    let batches: [(String, [String])] = [
      (
        streamA,
        [
          line(
            "0A5E1B7C-1111-4111-8111-111111111111", "DoseAdministered",
            occurredAt: "2026-11-23T09:30:00+01:00",
            data: #"{"doseMg":35,"doseMgPerKg":0.5,"tiny":1e-7,"x":12345.678,"lot":"K-2026-001"}"#),
          line(
            "0a5e1b7c-2222-4222-8222-222222222222", "VitalsRecorded",
            occurredAt: "2026-11-23T09:45:00.250-05:00",
            data: #"{"marker":"\#(marker)","#
              + #""note":"line one\nline \"two\"\ttab \\ backslash ☃ 😀 é e\u0301 \u0001 \u2028 /","#
              + #""values":[0.5,35,1e-7,12345.678,-0.0,1E21,1e20,9007199254740992,"#
              + #"333333333.33333325,1424953923781206.2,5e-324,0.000001,9.999999999999997e-7,"#
              + #"2.50,100.0,-7],"#
              + #""nested":{"b":true,"a":null,"\u20ac":1,"\ud83d\ude00":2,"\ufb33":3,"":[]}}"#,
            extra: #""correlationId":"0A5E1B7C-1111-4111-8111-111111111111","#),
        ]
      ),
      (
        streamC,
        [
          line(
            "0a5e1b7c-3333-4333-8333-333333333333", "StockReceived",
            occurredAt: "2026-11-23T08:00:00Z", data: #"{"vials":10,"mgPerVial":500}"#)
        ]
      ),
      (
        streamB,
        [
          line(
            "0a5e1b7c-4444-4444-8444-444444444444", "PatientRegistered",
            occurredAt: "2026-11-22T23:59:59.999999+14:00",
            data: #"{"patientId":"b","birthYear":1980,"sexAtBirth":"female"}"#),
          line(
            "0a5e1b7c-5555-4555-8555-555555555555", "AssessmentRecorded",
            occurredAt: "2026-11-23T10:00:00Z",
            data: #"{"itemScores":[0,1,2,3,0,1,2,3,1],"totalScore":13,"empty":{}}"#),
        ]
      ),
      (
        streamA,
        [
          line(
            "0a5e1b7c-6666-4666-8666-666666666666", "PatientDischarged",
            occurredAt: "2026-11-23T11:00:00+01:00", data: #"{"minutesObserved":45.5}"#,
            extra: #""causationId":"0a5e1b7c-2222-4222-8222-222222222222","#)
        ]
      ),
    ]
    for (index, (stream, lines)) in batches.enumerated() {
      let file = directory.appending("batch-\(index).ndjson")
      try (lines.joined(separator: "\n") + "\n").write(
        toFile: file, atomically: true, encoding: .utf8)
      let appended = try ledger(["append", "--stream", stream, file], store: store)
      #expect(appended.status == 0, "append \(index): \(appended.stderr)")
    }
    return store
  }

  /// Parses one JSON object with Foundation (a third parser, besides Swift's and Python's).
  static func object(_ text: String) throws -> [String: Any] {
    let value = try JSONSerialization.jsonObject(
      with: Data(text.utf8), options: [.fragmentsAllowed])
    return try #require(value as? [String: Any], "not a JSON object")
  }

  static func lines(_ text: String) -> [String] {
    text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
  }

  @Test("the reader's canonical JSON serializer passes the RFC 8785 vectors")
  func serializerSelfTest() throws {
    let result = try Self.python([Self.reader, "--self-test"])
    #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    #expect(result.stdout.contains("self-test: ok"))
  }

  @Test(
    "verifies a CLI-made store, and dumps exactly what `read --all --json` prints",
    .enabled(
      if: IndependentReaderTests.pythonLMDB == nil,
      "python3 cannot import lmdb (.ci/run installs it)"))
  func verifyAndDump() throws {
    let directory = TemporaryDirectory("independent-reader")
    defer { directory.remove() }
    let store = try Self.makeStore(in: directory)

    let verified = try Self.python([Self.reader, store, "--verify"])
    #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
    #expect(verified.stdout.hasPrefix("intact: 6 events in 3 streams, chain head "))

    // The chain head the reader computed is the one the store reports.
    let swiftVerified = try Self.ledger(["verify"], store: store)
    #expect(swiftVerified.status == 0, "\(swiftVerified.stdout)\(swiftVerified.stderr)")
    let pythonHead = verified.stdout.split(separator: " ").last.map {
      $0.trimmingCharacters(in: .whitespacesAndNewlines)
    }
    let swiftHead = swiftVerified.stdout.split(separator: "\n").first?.split(separator: " ").last
      .map {
        $0.trimmingCharacters(in: .whitespacesAndNewlines)
      }
    #expect(pythonHead != nil && pythonHead == swiftHead)

    // One stream on its own.
    let streamVerified = try Self.python([Self.reader, store, "--verify", "--stream", Self.streamB])
    #expect(streamVerified.status == 0, "\(streamVerified.stdout)\(streamVerified.stderr)")
    #expect(streamVerified.stdout.hasPrefix("intact: 2 events in stream '\(Self.streamB)'"))

    // The anchor printed by `stats` is reached.
    let stats = try Self.ledger(["stats", "--json"], store: store)
    let statsValue = try Self.object(stats.stdout)
    let events = (statsValue["events"] as? NSNumber)?.intValue ?? -1
    let head = statsValue["chainHead"] as? String ?? ""
    #expect(events == 6 && head == swiftHead)
    let anchored = try Self.python([
      Self.reader, store, "--verify", "--anchor-events", "6", "--anchor-head", head,
    ])
    #expect(anchored.status == 0, "\(anchored.stdout)\(anchored.stderr)")

    // --dump against the CLI's own NDJSON, line by line.
    let dumped = try Self.python([Self.reader, store, "--dump"])
    #expect(dumped.status == 0, "\(dumped.stderr)")
    let read = try Self.ledger(["read", "--all", "--json"], store: store)
    #expect(read.status == 0, "\(read.stderr)")
    let pythonLines = Self.lines(dumped.stdout)
    let swiftLines = Self.lines(read.stdout)
    #expect(pythonLines.count == 6)
    #expect(swiftLines.count == 6)
    for (position, (pythonLine, swiftLine)) in zip(pythonLines, swiftLines).enumerated() {
      let pythonValue = try Self.object(pythonLine)
      let swiftValue = try Self.object(swiftLine)
      #expect(
        NSDictionary(dictionary: pythonValue).isEqual(to: swiftValue),
        "position \(position) differs")
      #expect((pythonValue["globalPosition"] as? NSNumber)?.intValue == position)
      #expect((pythonValue["hash"] as? String)?.count == 64)
      // Both print the canonical form, so the text is the same too.
      #expect(
        Array(pythonLine.utf8) == Array(swiftLine.utf8),
        "position \(position): canonical bytes differ")
    }

    // The number and string forms docs/FORMAT.md promises, as both programs print them.
    if pythonLines.count == 6 {
      #expect(
        pythonLines[0].contains(
          #""data":{"doseMg":35,"doseMgPerKg":0.5,"lot":"K-2026-001","tiny":1e-7,"x":12345.678}"#))
      #expect(pythonLines[0].contains(#""eventId":"0a5e1b7c-1111-4111-8111-111111111111""#))
      #expect(
        pythonLines[1].contains(
          #""values":[0.5,35,1e-7,12345.678,0,1e+21,100000000000000000000,9007199254740992,"#
            + #"333333333.33333325,1424953923781206.2,5e-324,0.000001,9.999999999999997e-7,2.5,100,-7]"#
        ))
      #expect(pythonLines[1].contains(#""nested":{"":[],"a":null,"b":true,"€":1,"😀":2,"דּ":3}"#))
      #expect(
        pythonLines[1].contains(
          #""note":"line one\nline \"two\"\ttab \\ backslash ☃ 😀 é e\#u{301} \u0001 \#u{2028} /""#))
      #expect(pythonLines[1].contains(#""correlationId":"0a5e1b7c-1111-4111-8111-111111111111""#))
      #expect(pythonLines[0].contains(#""previousHash":"\#(String(repeating: "0", count: 64))""#))
    }
  }

  @Test(
    "a byte flipped inside a stored event is found by both verifiers at its position",
    .enabled(
      if: IndependentReaderTests.pythonLMDB == nil,
      "python3 cannot import lmdb (.ci/run installs it)"))
  func tamperedByteIsDetected() throws {
    let directory = TemporaryDirectory("independent-reader-tamper")
    defer { directory.remove() }
    let store = try Self.makeStore(in: directory)

    // Open the environment writable with py-lmdb and change one byte of the canonical JSON of
    // the event at global position 1 (inside the marker string, so the JSON stays valid).
    let tamper = """
      import lmdb, struct, sys
      env = lmdb.open(sys.argv[1], max_dbs=16, subdir=True, map_size=64 << 20)
      log = env.open_db(b"log", create=False)
      with env.begin(write=True) as txn:
          key = struct.pack(">Q", 1)
          value = bytearray(txn.get(key, db=log))
          assert value[0] == 1
          at = value.index(sys.argv[2].encode(), 33) + 3
          value[at] ^= 0x01
          txn.put(key, bytes(value), db=log)
      env.close()
      """
    let tampered = try Self.python(["-c", tamper, store, Self.marker])
    try #require(tampered.status == 0, "tampering failed: \(tampered.stderr)")

    let swiftVerified = try Self.ledger(["verify"], store: store)
    #expect(swiftVerified.status == 4, "\(swiftVerified.stdout)\(swiftVerified.stderr)")
    #expect(swiftVerified.stdout.contains("hashMismatch at position 1"))
    #expect(swiftVerified.stdout.contains("first bad position: 1"))

    let pythonVerified = try Self.python([Self.reader, store, "--verify"])
    #expect(pythonVerified.status == 1, "\(pythonVerified.stdout)\(pythonVerified.stderr)")
    #expect(pythonVerified.stdout.contains("hashMismatch at position 1"))
    #expect(pythonVerified.stdout.contains("first bad position: 1"))

    // The stream's own verification finds it too; a stream the event is not in stays intact.
    let streamVerified = try Self.python([Self.reader, store, "--verify", "--stream", Self.streamA])
    #expect(streamVerified.status == 1)
    #expect(streamVerified.stdout.contains("hashMismatch at position 1"))
    let otherStream = try Self.python([Self.reader, store, "--verify", "--stream", Self.streamB])
    #expect(otherStream.status == 0, "\(otherStream.stdout)\(otherStream.stderr)")

    // Neither names the payload: no data value (before or after the change) in any message.
    // The flipped byte: K ^ 0x01 = J.
    let changed = String(Self.marker.prefix(3)) + "J" + String(Self.marker.dropFirst(4))
    for output in [swiftVerified, pythonVerified, streamVerified] {
      for text in [output.stdout, output.stderr] {
        #expect(
          !text.contains(Self.marker) && !text.contains(changed) && !text.contains("K-2026-001"))
      }
    }
  }
}
