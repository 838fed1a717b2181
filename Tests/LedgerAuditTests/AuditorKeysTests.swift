import Foundation
import LedgerAudit
import LedgerEventStore
import LedgerFoundation
import LedgerTestSupport
import Testing

/// Exports for auditors (docs/AUDIT.md 2.7): `keys.json` carries the exported streams' data keys
/// sealed to an auditor's X25519 key; only the private key opens them, both verifiers open every
/// sealed event's data and agree with the store's own reading, and a wrong key, an edited
/// `keys.json` and an erased patient are each reported as documented.
@Suite struct AuditorKeysTests {
  struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
  }

  static let clerk = Recorder(id: "clerk-1", name: "Sam Clerk", role: "clerk")
  static let sentinel = "SENTINEL-AUDITOR-9K2W"
  static let erasedSentinel = "SENTINEL-ERASED-4M7P"

  /// A sealed store: patient `p-1` (whose notes hold ``sentinel``), patient `p-2` (erased
  /// afterwards, its note holding ``erasedSentinel``) and a plain ward stream. Returns the store.
  static func store(_ directory: TemporaryDirectory) async throws -> EventStore {
    let kek = try KeyFile.create(at: directory.appending("store.kek"))
    var options = EventStore.Options()
    options.sealing = Sealing(streamPrefixes: ["patient-"], keyProvider: kek)
    let store = try EventStore.open(at: directory.appending("store"), options: options)
    func note(_ text: String) -> ProposedEvent {
      ProposedEvent(
        type: "WardNote", occurredAt: "2026-11-04T10:00:00Z", recordedBy: clerk,
        data: .object(["note": .string(text), "doseMg": .number(35)]))
    }
    for index in 0..<3 {
      _ = try await store.append([note("\(sentinel) \(index)")], to: "patient-p-1")
      _ = try await store.append([note("ward round \(index)")], to: "ward-1")
    }
    _ = try await store.append([note(erasedSentinel)], to: "patient-p-2")
    _ = try await store.erase(
      stream: "patient-p-2",
      record: ProposedEvent(
        type: "PatientDataErased", occurredAt: "2026-11-05T10:00:00Z", recordedBy: clerk,
        data: .object(["reason": .string("retention ended")])))
    return store
  }

  /// A recorded whole-log export for `auditors`, signed by `signer`.
  static func export(
    _ store: EventStore, to path: String, auditors: [[UInt8]], signer: any AuditSigner
  ) async throws -> AuditExport {
    let request = AuditExportRequest(
      directory: path, exportedBy: clerk, reason: "auditor keys check", signer: signer,
      auditorKeys: auditors)
    let export = try await AuditExporter(store: store, semantics: ClinicalLikeSemantics()).export(
      request)
    try await AuditExporter.record(export, in: store)
    return export
  }

  /// verify_export.py's JSON report and exit status.
  static func python(_ arguments: [String]) throws -> ([String: Any], Int32) {
    let result = try ProcessResult.run(
      "/usr/bin/env",
      ["python3", RepositoryPaths.root + "/Tools/audit-verify/verify_export.py", "--json"]
        + arguments)
    let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
    return (try #require(object, "\(result.stderr)"), result.status)
  }

  static func kind(_ report: [String: Any]) -> String? {
    (report["problem"] as? [String: Any])?["kind"] as? String
  }

  /// Writes the pair's private key file (0600) and returns its path.
  static func keyFile(_ pair: AuditorKeyPair, _ directory: TemporaryDirectory, _ name: String)
    throws -> String
  {
    let path = directory.appending(name)
    try pair.write(privateKeyTo: path)
    return path
  }

  @Test func bothVerifiersOpenTheDataAndAgreeWithTheStore() async throws {
    let directory = TemporaryDirectory("auditor-roundtrip")
    defer { directory.remove() }
    let store = try await Self.store(directory)
    defer { store.close() }
    let auditor = AuditorKeyPair()
    let path = directory.appending("export")
    let export = try await Self.export(
      store, to: path, auditors: [AuditorKeyPair().publicKey, auditor.publicKey],
      signer: Ed25519AuditSigner())
    #expect(export.manifest.format == "treatment-ledger-audit-3")
    #expect(export.manifest.files.map(\.name).contains("keys.json"))
    // The request chose every AuditFormat (ndjson, csv); keys.json is listed as its own kind,
    // written `keys` in the manifest like the data files' `ndjson` and `csv`.
    #expect(AuditFormat.allCases == [.ndjson, .csv])
    #expect(export.manifest.files.map(\.format) == [.ndjson, .csv, .keys])
    #expect(export.manifest.files.map(\.format.dataFormat) == [.ndjson, .csv, nil])
    let written = try JSONSerialization.jsonObject(
      with: Data(contentsOf: URL(fileURLWithPath: path + "/manifest.json")))
    let entries = try #require((written as? [String: Any])?["files"] as? [[String: Any]])
    #expect(entries.compactMap { $0["format"] as? String } == ["ndjson", "csv", "keys"])
    #expect(export.keys?.streams.map(\.stream) == ["patient-p-1", "patient-p-2"])
    #expect(export.keys?.streams.map(\.erased) == [false, true])
    #expect(export.keys?.recipients.count == 2)

    // Without the private key nothing in the export reads as a patient value, and the data key
    // is in no file in plain (raw, hex or base64).
    guard case .key(let dataKey) = try store.dataKeyForAuditor(stream: "patient-p-1", version: 1)
    else { throw CLIError("the data key of patient-p-1 is missing") }
    let keyForms = [
      Data(dataKey), Data(Hex.encode(dataKey).utf8), Data(dataKey).base64EncodedData(),
    ]
    for name in try FileManager.default.contentsOfDirectory(atPath: path) {
      let bytes = try Data(contentsOf: URL(fileURLWithPath: path + "/" + name))
      for needle in [Self.sentinel, Self.erasedSentinel] {
        #expect(bytes.range(of: Data(needle.utf8)) == nil, "\(needle) in \(name)")
      }
      for form in keyForms { #expect(bytes.range(of: form) == nil, "a data key in \(name)") }
    }
    #expect(
      await AuditVerifier(semantics: ClinicalLikeSemantics()).verify(directory: path).isIntact)

    // With it, the Swift verifier opens every sealed event; its output is the store's reading.
    var verifier = AuditVerifier(semantics: ClinicalLikeSemantics())
    verifier.auditor = auditor
    verifier.decryptTo = directory.appending("plain-swift")
    let report = await verifier.verify(directory: path)
    #expect(report.problem == nil)
    let opened = try #require(report.opened)
    #expect(opened.eventsOpened == 3 && opened.eventsErased == 1 && opened.keys == 1)
    // The plain events: the ward stream and the erasure's own record.
    #expect(opened.eventsPlain == export.manifest.counts.events - 4)
    let swiftPlain = try Data(
      contentsOf: URL(fileURLWithPath: directory.appending("plain-swift/events.ndjson")))
    let events = try store.readAll(from: 0, limit: Int(export.manifest.counts.events))
    let expected: [UInt8] = events.flatMap { event -> [UInt8] in
      event.envelopeJSON.canonicalBytes + [0x0A]
    }
    #expect(Array(swiftPlain) == expected)
    #expect(swiftPlain.range(of: Data(Self.sentinel.utf8)) != nil)
    #expect(swiftPlain.range(of: Data(Self.erasedSentinel.utf8)) == nil)

    // The Python verifier opens the same and writes the same bytes.
    let keyPath = try Self.keyFile(auditor, directory, "auditor.key")
    let (python, status) = try Self.python([
      path, "--auditor-private-key", keyPath, "--decrypt-to", directory.appending("plain-python"),
    ])
    #expect(status == 0 && Self.kind(python) == nil)
    let pythonOpened = python["opened"] as? [String: Any]
    #expect(
      pythonOpened?["eventsOpened"] as? Int == 3 && pythonOpened?["eventsErased"] as? Int == 1)
    let pythonPlain = try Data(
      contentsOf: URL(fileURLWithPath: directory.appending("plain-python/events.ndjson")))
    #expect(pythonPlain == swiftPlain)
  }

  @Test func aWrongPrivateKeyOrAnExportWithoutKeysIsRefused() async throws {
    let directory = TemporaryDirectory("auditor-wrong")
    defer { directory.remove() }
    let store = try await Self.store(directory)
    defer { store.close() }
    let auditor = AuditorKeyPair()
    let path = directory.appending("export")
    _ = try await Self.export(
      store, to: path, auditors: [auditor.publicKey], signer: Ed25519AuditSigner())
    let stranger = AuditorKeyPair()
    var verifier = AuditVerifier(semantics: ClinicalLikeSemantics())
    verifier.auditor = stranger
    let report = await verifier.verify(directory: path)
    #expect(report.problem?.kind == .auditorKeyUnknown)
    #expect(report.problem?.detail.contains(Hex.encode(stranger.publicKey)) == true)
    let (python, status) = try Self.python([
      path, "--auditor-private-key", try Self.keyFile(stranger, directory, "stranger.key"),
    ])
    #expect(status == 1 && Self.kind(python) == "auditorKeyUnknown")

    // Keys are opened from the NDJSON: a CSV-only export for an auditor is refused.
    await #expect(throws: AuditError.self) {
      _ = try await AuditExporter(store: store, semantics: ClinicalLikeSemantics()).export(
        AuditExportRequest(
          directory: directory.appending("csv-only"), formats: [.csv], exportedBy: Self.clerk,
          reason: "csv only", auditorKeys: [auditor.publicKey]))
    }
    #expect(!FileManager.default.fileExists(atPath: directory.appending("csv-only")))

    // A low-order point gives the all-zero secret whatever the ephemeral key: anyone could open
    // what was sealed to it, so it is refused as a key, by the reader and by the exporter.
    let lowOrder = String(repeating: "0", count: 64)
    #expect(AuditorKeyPair.publicKey(hex: lowOrder) == nil)
    #expect(AuditorKeyPair.publicKey(hex: Hex.encode(auditor.publicKey)) == auditor.publicKey)
    #expect(throws: AuditError.self) { _ = try AuditorKeyPair.publicKeys([lowOrder]) }
    await #expect(throws: AuditError.self) {
      _ = try await AuditExporter(store: store, semantics: ClinicalLikeSemantics()).export(
        AuditExportRequest(
          directory: directory.appending("low-order"), exportedBy: Self.clerk,
          reason: "low order", auditorKeys: [[UInt8](repeating: 0, count: 32)]))
    }
    #expect(!FileManager.default.fileExists(atPath: directory.appending("low-order")))

    // An export made without an auditor's key has nothing to open.
    let plainPath = directory.appending("no-keys")
    let plain = try await Self.export(
      store, to: plainPath, auditors: [], signer: Ed25519AuditSigner())
    #expect(plain.manifest.format == "treatment-ledger-audit-2" && plain.keys == nil)
    verifier.auditor = auditor
    #expect(await verifier.verify(directory: plainPath).problem?.kind == .keysInvalid)
    let auditorKey = try Self.keyFile(auditor, directory, "auditor.key")
    let (noKeys, noKeysStatus) = try Self.python([
      plainPath, "--auditor-private-key", auditorKey,
    ])
    #expect(noKeysStatus == 1 && Self.kind(noKeys) == "keysInvalid")
  }

  @Test func anEditedKeysFileIsFound() async throws {
    let directory = TemporaryDirectory("auditor-tamper")
    defer { directory.remove() }
    let store = try await Self.store(directory)
    defer { store.close() }
    let auditor = AuditorKeyPair()
    let signer = Ed25519AuditSigner()
    let path = directory.appending("export")
    let export = try await Self.export(
      store, to: path, auditors: [auditor.publicKey], signer: signer)
    let keysPath = path + "/keys.json"
    let original = try Data(contentsOf: URL(fileURLWithPath: keysPath))
    var keysFile = try JSONDecoder().decode(AuditKeysFile.self, from: original)
    keysFile.streams[1].erased = false
    try Data(keysFile.encoded()).write(to: URL(fileURLWithPath: keysPath))

    // The manifest's hash of keys.json, in both verifiers.
    let edited = await AuditVerifier(semantics: ClinicalLikeSemantics()).verify(directory: path)
    #expect(edited.problem?.kind == .fileHashMismatch && edited.problem?.file == "keys.json")
    #expect(Self.kind(try Self.python([path]).0) == "fileHashMismatch")

    // The manifest rewritten to match: its recorded SHA-256 and the signature catch it.
    let sha = ChainHash.sha256(Array(keysFile.encoded())).hex
    let size = keysFile.encoded().count
    try editManifest(path) { manifest in
      let files = (manifest["files"] as? [[String: Any]]) ?? []
      manifest["files"] = files.map { entry in
        guard entry["name"] as? String == "keys.json" else { return entry }
        var changed = entry
        changed["sha256"] = sha
        changed["bytes"] = size
        return changed
      }
    }
    let signed = await AuditVerifier(
      semantics: ClinicalLikeSemantics(), trustedKeys: [signer.publicKey]
    ).verify(directory: path)
    #expect(signed.problem?.kind == .signatureInvalid)
    let recorded = await AuditVerifier(semantics: ClinicalLikeSemantics()).verify(
      directory: path, expectedManifestSHA256: export.manifestSHA256)
    #expect(recorded.problem?.kind == .manifestMismatch)
    let (python, _) = try Self.python([path, "--public-key", Hex.encode(signer.publicKey)])
    #expect(Self.kind(python) == "signatureInvalid")

    // Without those checks, the key opening still refuses a keys file that lies: the erased
    // stream now listed as not erased has no key sealed for it.
    var verifier = AuditVerifier(semantics: ClinicalLikeSemantics())
    verifier.auditor = auditor
    #expect(await verifier.verify(directory: path).problem?.kind == .keysInvalid)
    let (opened, _) = try Self.python([
      path, "--auditor-private-key", try Self.keyFile(auditor, directory, "auditor.key"),
    ])
    #expect(Self.kind(opened) == "keysInvalid")
  }

  @Test func keyFilesAreMadeOnceAndReadStrictly() throws {
    let directory = TemporaryDirectory("auditor-files")
    defer { directory.remove() }
    let pair = AuditorKeyPair()
    let path = try Self.keyFile(pair, directory, "a.key")
    let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions]
    #expect((mode as? NSNumber)?.intValue == 0o600)
    let publicText = try String(contentsOfFile: path + ".pub", encoding: .utf8)
    #expect(publicText == Hex.encode(pair.publicKey) + "\n")
    #expect(try AuditorKeyPair.read(privateKeyFile: path).publicKey == pair.publicKey)
    #expect(try AuditorKeyPair.publicKeys([path + ".pub"]) == [pair.publicKey])
    #expect(throws: AuditError.self) { try AuditorKeyPair().write(privateKeyTo: path) }
    chmod(path, 0o644)
    #expect(throws: AuditError.self) { try AuditorKeyPair.read(privateKeyFile: path) }
    #expect(throws: AuditError.self) { try AuditorKeyPair.publicKeys(["not-a-key"]) }
    let privateText = try String(contentsOfFile: path, encoding: .utf8)
    #expect(!privateText.contains(Hex.encode(pair.publicKey)))
  }
}
