import Foundation
import LedgerTestSupport
import Testing

/// Exports for auditors through the tool (docs/AUDIT.md 2.7): `audit keygen`, `audit export
/// --auditor-key`, and `audit verify` / verify_export.py with `--auditor-private-key`, whose
/// opened events are exactly what `read --json` prints.
@Suite struct AuditorKeyCommandTests {
  static func python(_ arguments: [String]) throws -> ProcessResult {
    try ProcessResult.run(
      "/usr/bin/env",
      ["python3", RepositoryPaths.root + "/Tools/audit-verify/verify_export.py"] + arguments)
  }

  /// `audit keygen` opens no store (so takes no --store).
  static func keygen(_ path: String) throws -> ProcessResult {
    try ProcessResult.run(LedgerCLI.executable, ["audit", "keygen", "--out", path])
  }

  @Test func anAuditorOpensAPatientExportWithTheirPrivateKey() throws {
    let cli = LedgerCLI("auditor-keys")
    defer { cli.remove() }
    try cli.succeed(["demo", "--patients", "2", "--seed", "5"])
    let keyPath = cli.directory.appending("auditor.key")
    let made = try Self.keygen(keyPath)
    #expect(made.status == 0)
    let publicKey = made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(publicKey.count == 64)
    #expect(
      try String(contentsOfFile: keyPath + ".pub", encoding: .utf8) == publicKey + "\n")
    let mode = try FileManager.default.attributesOfItem(atPath: keyPath)[.posixPermissions]
    #expect((mode as? NSNumber)?.intValue == 0o600)
    #expect(try Self.keygen(keyPath).status == 64)

    let out = cli.directory.appending("export")
    let exported = try cli.succeed([
      "audit", "export", "--out", out, "--by", "compliance-07", "--reason", "auditor keys",
      "--patient", "demo-0001", "--auditor-key", keyPath + ".pub",
    ])
    #expect(exported.stdout.contains("sealed     data keys to auditor \(publicKey)"))
    #expect(FileManager.default.fileExists(atPath: out + "/keys.json"))

    let plain = cli.directory.appending("plain")
    let verified = try cli.succeed([
      "audit", "verify", out, "--auditor-private-key", keyPath, "--decrypt-to", plain,
    ])
    #expect(verified.stdout.contains("opened: "))
    let read = try cli.succeed(["read", "--stream", "patient-demo-0001", "--json"]).stdout
    let opened = try String(contentsOfFile: plain + "/events.ndjson", encoding: .utf8)
    #expect(opened == read)
    // The opened events are valid for their types (Schemas/envelope.v1.schema.json).
    let valid = try PublishedSchemas.validateEnvelopes(
      opened.split(separator: "\n").map(String.init))
    #expect(valid.status == 0, "\(valid.stdout)\(valid.stderr)")
    let pythonPlain = cli.directory.appending("plain-python")
    let python = try Self.python([
      out, "--auditor-private-key", keyPath, "--decrypt-to", pythonPlain,
    ])
    #expect(python.status == 0, "\(python.stderr)")
    #expect(try String(contentsOfFile: pythonPlain + "/events.ndjson", encoding: .utf8) == read)

    // Another auditor's key: exit 4 (1 for the Python verifier), naming the kind.
    let otherPath = cli.directory.appending("other.key")
    #expect(try Self.keygen(otherPath).status == 0)
    let wrong = try cli.run(["audit", "verify", out, "--auditor-private-key", otherPath])
    #expect(wrong.status == 4 && wrong.stdout.contains("auditorKeyUnknown"))
    #expect(try Self.python([out, "--auditor-private-key", otherPath]).status == 1)
    // Usage errors: --decrypt-to alone, a malformed public key.
    #expect(try cli.run(["audit", "verify", out, "--decrypt-to", plain + "2"]).status == 64)
    let bad = try cli.run([
      "audit", "export", "--out", cli.directory.appending("bad"), "--by", "c", "--reason", "r",
      "--auditor-key", "abc",
    ])
    #expect(bad.status == 64)
  }
}
