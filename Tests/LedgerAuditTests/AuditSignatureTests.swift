import Foundation
import LedgerAudit
import LedgerEventStore
import LedgerFoundation
import LedgerTestSupport
import Testing

/// Signed exports (docs/AUDIT.md 2.5): given the store's public key, both verifiers accept an
/// intact signed export and refuse a missing signature, another key, an edited manifest and an
/// edited head statement, each with the same kind.
@Suite struct AuditSignatureTests {
  static let clerk = Recorder(id: "clerk-1", name: "Sam Clerk", role: "clerk")
  static let signer = Ed25519AuditSigner()

  /// A recorded, signed export of a small ward store.
  static func signedExport(_ directory: TemporaryDirectory) async throws -> String {
    let store = try EventStore.open(at: directory.appending("store"))
    defer { store.close() }
    for index in 0..<5 {
      _ = try await store.append(
        [
          ProposedEvent(
            type: "WardNote", occurredAt: "2026-11-04T10:00:00Z", recordedBy: clerk,
            data: .object(["n": .number(Double(index))]))
        ], to: "ward-1")
    }
    let request = AuditExportRequest(
      directory: directory.appending("export"), exportedBy: clerk, reason: "signature check",
      signer: signer)
    let export = try await AuditExporter(store: store, semantics: ClinicalLikeSemantics()).export(
      request)
    try await AuditExporter.record(export, in: store)
    #expect(export.signature?.publicKey == Hex.encode(signer.publicKey))
    return directory.appending("export")
  }

  /// The kind each verifier reports (nil when intact) given `keys`.
  static func verdicts(_ export: String, keys: [[UInt8]]) async throws -> (String?, String?) {
    let report = await AuditVerifier(semantics: ClinicalLikeSemantics(), trustedKeys: keys)
      .verify(directory: export)
    var arguments = [
      RepositoryPaths.root + "/Tools/audit-verify/verify_export.py", export, "--json",
    ]
    for key in keys { arguments += ["--public-key", Hex.encode(key)] }
    let python = try ProcessResult.run("/usr/bin/env", ["python3"] + arguments)
    let object = try JSONSerialization.jsonObject(with: Data(python.stdout.utf8)) as? [String: Any]
    let pythonKind = (object?["problem"] as? [String: Any])?["kind"] as? String
    #expect(object != nil, "\(python.stderr)")
    return (report.problem?.kind.rawValue, pythonKind)
  }

  @Test func aSignedExportVerifiesWithItsKeyAndWithoutOne() async throws {
    let directory = TemporaryDirectory("signed-intact")
    defer { directory.remove() }
    let export = try await Self.signedExport(directory)
    let (swift, python) = try await Self.verdicts(export, keys: [Self.signer.publicKey])
    #expect(swift == nil && python == nil)
    let report = await AuditVerifier(
      semantics: ClinicalLikeSemantics(),
      trustedKeys: [Ed25519AuditSigner().publicKey, Self.signer.publicKey]
    ).verify(directory: export)
    #expect(report.signedBy == Hex.encode(Self.signer.publicKey))
    let unsigned = await AuditVerifier(semantics: ClinicalLikeSemantics()).verify(directory: export)
    #expect(unsigned.isIntact && unsigned.signedBy == nil)
  }

  @Test func anotherKeyOrNoSignatureIsRefused() async throws {
    let directory = TemporaryDirectory("signed-keys")
    defer { directory.remove() }
    let export = try await Self.signedExport(directory)
    let other = Ed25519AuditSigner().publicKey
    let (swift, python) = try await Self.verdicts(export, keys: [other])
    #expect(swift == "signatureKeyUnknown" && python == "signatureKeyUnknown")
    try FileManager.default.removeItem(atPath: export + "/" + AuditSignature.fileName)
    let (swiftMissing, pythonMissing) = try await Self.verdicts(
      export, keys: [Self.signer.publicKey])
    #expect(swiftMissing == "signatureMissing" && pythonMissing == "signatureMissing")
  }

  /// A forger who rewrites the manifest cannot sign it: an edited manifest, a head statement
  /// moved to another head, or a signature file re-signed by the forger's own key all fail.
  @Test func anEditedManifestOrHeadFails() async throws {
    let directory = TemporaryDirectory("signed-edits")
    defer { directory.remove() }
    let export = try await Self.signedExport(directory)
    let pristine = try copyExport(export, to: directory.appending("pristine"))
    try editManifest(export) { $0["reason"] = "a different reason" }
    let (swift, python) = try await Self.verdicts(export, keys: [Self.signer.publicKey])
    #expect(swift == "signatureInvalid" && python == "signatureInvalid")

    // The forger signs the rewritten manifest with a key of their own.
    let manifestBytes = Array(try Data(contentsOf: URL(fileURLWithPath: export + "/manifest.json")))
    let manifest = try AuditManifest.decode(manifestBytes)
    let forged = try AuditSignature.make(
      manifest: manifest, manifestBytes: manifestBytes, signer: Ed25519AuditSigner())
    try Data(forged.encoded()).write(to: URL(fileURLWithPath: export + "/signature.json"))
    let (swiftForged, pythonForged) = try await Self.verdicts(export, keys: [Self.signer.publicKey])
    #expect(swiftForged == "signatureKeyUnknown" && pythonForged == "signatureKeyUnknown")

    // The head statement moved to another head (the manifest untouched).
    let path = pristine + "/signature.json"
    var signature = try JSONDecoder().decode(
      AuditSignature.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    signature.head.events += 1
    try Data(signature.encoded()).write(to: URL(fileURLWithPath: path))
    let (swiftHead, pythonHead) = try await Self.verdicts(pristine, keys: [Self.signer.publicKey])
    #expect(swiftHead == "signatureInvalid" && pythonHead == "signatureInvalid")
  }

  @Test func theHeadStatementIsCanonicalJSON() {
    let head = AuditSignature.Head(
      exportId: "e", events: 12, chainHead: String(repeating: "a", count: 64), lastRecordedAt: nil)
    #expect(
      String(decoding: head.signedBytes, as: UTF8.self)
        == #"{"chainHead":"\#(String(repeating: "a", count: 64))","events":12,"exportId":"e","lastRecordedAt":null}"#
    )
  }

  @Test func hexRoundTripsAndRefusesOddOrForeignDigits() {
    var random = SeededGenerator(seed: 0x4E58)
    for length in 0..<40 {
      let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
      #expect(Hex.decode(Hex.encode(bytes)) == bytes)
    }
    #expect(Hex.decode("abc") == nil)
    #expect(Hex.decode("zz") == nil)
    #expect(Hex.decode("AB") == [0xAB])
  }
}
