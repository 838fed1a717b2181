import Foundation
import LedgerTestSupport
import Testing

/// The store's own events in `$audit` are valid envelopes of the published schemas
/// (`Schemas/events/<Type>.v1.schema.json`, docs/CATALOGUE-CONVENTIONS.md): what an outside
/// verifier of an audit export validates. `PatientDataRead` (`$access`) is held to them by
/// LedgerServerTests, `StoreMigrated` (`$migration`) by ``MigrateCommandTests``.
@Suite struct SystemEventSchemaTests {
  @Test func auditExportsDEAReportsAndSigningKeysAreValidEnvelopes() throws {
    let cli = LedgerCLI("system-events")
    defer { cli.remove() }
    try cli.succeed(["demo", "--patients", "2", "--seed", "9"])
    let keyPath = cli.directory.appending("auditor.key")
    #expect(try AuditorKeyCommandTests.keygen(keyPath).status == 0)
    // A whole-log export, and a one-patient export for an auditor over a range.
    try cli.succeed([
      "audit", "export", "--out", cli.directory.appending("whole"), "--by", "compliance-07",
      "--reason", "quarterly review",
    ])
    try cli.succeed([
      "audit", "export", "--out", cli.directory.appending("one"), "--by", "compliance-07",
      "--reason", "patient request", "--patient", "demo-0001", "--from", "2020-01-01T00:00:00Z",
      "--to", "2040-01-01T00:00:00Z", "--auditor-key", keyPath + ".pub",
    ])
    try cli.succeed([
      "dea", "report", "--site", "main", "--from", "2020-01-01", "--to", "2040-01-01", "--out",
      cli.directory.appending("dea"), "--by", "inspector-2", "--reason", "DEA inspection",
    ])
    let lines = try cli.succeed(["read", "--stream", "$audit", "--json"]).stdout
      .split(separator: "\n").map(String.init)
    let types = Set(
      lines.compactMap {
        try? JSONDecoder().decode(TypeOnly.self, from: Data($0.utf8)).type
      })
    #expect(types == ["SigningKeyPublished", "AuditExported", "DEAReportGenerated"])
    let valid = try PublishedSchemas.validateEnvelopes(lines)
    #expect(valid.status == 0, "\(valid.stdout)\(valid.stderr)")
    #expect(valid.stdout.contains("\(lines.count) valid"))
  }

  struct TypeOnly: Decodable { var type: String }
}
