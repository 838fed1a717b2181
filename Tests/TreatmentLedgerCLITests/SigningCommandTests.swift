import Foundation
import LedgerTestSupport
import Testing

/// Signed exports through the tool (docs/AUDIT.md 2.5): `keys public`, `keys new-signing-key`,
/// `audit verify --public-key` and the Python verifier's, a key file of `keys public --all`, and
/// the signing key surviving `keys rotate`.
@Suite struct SigningCommandTests {
  static func export(_ cli: LedgerCLI, _ name: String) throws -> String {
    let out = cli.directory.appending(name)
    let result = try cli.succeed([
      "audit", "export", "--out", out, "--by", "compliance-07", "--reason", "signing check",
      "--patient", "demo-0001",
    ])
    #expect(result.stdout.contains("signed     by "))
    return out
  }

  static func python(_ arguments: [String]) throws -> ProcessResult {
    try ProcessResult.run(
      "/usr/bin/env",
      ["python3", RepositoryPaths.root + "/Tools/audit-verify/verify_export.py"] + arguments)
  }

  @Test func exportsAreSignedAndCheckedWithTheStoresPublicKeys() throws {
    let cli = LedgerCLI("signing")
    defer { cli.remove() }
    try cli.succeed(["demo", "--patients", "2", "--seed", "5"])
    // A refused export publishes no key.
    let before = try cli.succeed(["audit", "log", "--json"]).stdout
    let refused = try cli.run([
      "audit", "export", "--out", cli.directory.appending("none"), "--by", "c", "--reason", "r",
      "--patient", "nobody", "--require-events",
    ])
    #expect(refused.status == 65)
    #expect(try cli.succeed(["audit", "log", "--json"]).stdout == before)

    let first = try Self.export(cli, "first")
    let key = try cli.succeed(["keys", "public"]).stdout.trimmingCharacters(
      in: .whitespacesAndNewlines)
    #expect(key.count == 64)
    let verified = try cli.succeed(["audit", "verify", first, "--public-key", key])
    #expect(verified.stdout.contains("signed by \(key)"))
    #expect(try Self.python([first, "--public-key", key]).status == 0)

    // A new signing key: new exports are signed with it, earlier ones need the earlier key.
    let made = try cli.succeed(["keys", "new-signing-key", "--by", "ops-1", "--reason", "yearly"])
    #expect(made.stdout.contains("signing key version 2: "))
    let second = try Self.export(cli, "second")
    let newKey = try cli.succeed(["keys", "public"]).stdout.trimmingCharacters(
      in: .whitespacesAndNewlines)
    #expect(newKey != key)
    #expect(try cli.succeed(["audit", "verify", second, "--public-key", newKey]).status == 0)
    let stale = try cli.run(["audit", "verify", first, "--public-key", newKey])
    #expect(stale.status == 4)
    #expect(stale.stdout.contains("signatureKeyUnknown"))
    #expect(try Self.python([first, "--public-key", newKey]).status == 1)
    let all = try cli.succeed(["keys", "public", "--all"]).stdout
    let keyFile = cli.directory.appending("keys.txt")
    try Data(all.utf8).write(to: URL(fileURLWithPath: keyFile))
    #expect(all.contains("# version 1") && all.contains("# version 2"))
    for export in [first, second] {
      #expect(try cli.succeed(["audit", "verify", export, "--public-key", keyFile]).status == 0)
      #expect(try Self.python([export, "--public-key", keyFile]).status == 0)
    }

    // The signing keys are re-wrapped with the data keys by a rotation of the key file.
    try cli.succeed(["keys", "rotate"])
    #expect(
      try cli.succeed(["keys", "public"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        == newKey)
    let third = try Self.export(cli, "third")
    #expect(try cli.succeed(["audit", "verify", third, "--public-key", newKey]).status == 0)
    // A malformed key is a usage error.
    #expect(try cli.run(["audit", "verify", third, "--public-key", "abc"]).status == 64)
  }
}
