import Foundation

/// The repository's JSON Schemas (`Schemas/`), checked by its own validator
/// (`Tools/schema-validate/validate_events.py`, Python's `jsonschema`), for tests that hold what
/// the store writes to the published contract.
public enum PublishedSchemas {
  /// Validates `envelopes` (one stored envelope's JSON per element, as `read --json` prints them)
  /// against `Schemas/envelope.v1.schema.json`; the validator's exit status is 0 when every one
  /// is valid, and its output names each invalid line, field and rule.
  public static func validateEnvelopes(_ envelopes: [String]) throws -> ProcessResult {
    let directory = TemporaryDirectory("schemas")
    defer { directory.remove() }
    let file = directory.appending("envelopes.ndjson")
    try (envelopes.joined(separator: "\n") + "\n").write(
      toFile: file, atomically: true, encoding: .utf8)
    return try ProcessResult.run(
      "/usr/bin/env",
      [
        "python3", RepositoryPaths.root + "/Tools/schema-validate/validate_events.py", "--kind",
        "envelope", file,
      ])
  }
}
