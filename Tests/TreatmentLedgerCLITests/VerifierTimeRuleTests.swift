import Foundation
import LedgerTestSupport
import Testing
import TreatmentLedger

/// The Python verifier reads times (filters, `recordedAt`, `occurredAt`) by the foundation's one
/// RFC 3339 rule, so both verifiers place every time at the same microsecond or refuse the same
/// texts (docs/AUDIT.md 2.3).
@Suite("verify_export.py reads times as the foundation does")
struct VerifierTimeRuleTests {
  static let texts = [
    "2026-11-23T19:22:44Z", "2026-11-23T14:22:44.123456-05:00", "2026-11-23T14:22:44.1234567-05:00",
    "2026-11-23t19:22:44z", "2026-11-23T19:22:44-00:00", "2026-11-23T19:22:44+14:00",
    "2016-12-31T23:59:60Z", "2016-12-31T23:59:60.5Z", "2016-12-31T18:59:60-05:00",
    "2026-11-23T19:22:60Z", "2016-12-31T23:59:60+01:00", "2026-02-29T10:00:00Z",
    "2024-02-29T10:00:00Z", "2026-11-23T19:22:44", "2026-11-23 19:22:44Z",
    "2026-11-23T19:22:44Z\n", "\u{FF12}026-11-23T19:22:44Z", "2026-11-23T24:00:00Z",
    "2026-11-23T19:22:44+24:00", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z",
  ]

  @Test func everyTextGetsTheSameInstantOrTheSameRefusal() throws {
    let script = """
      import json, sys
      sys.path.insert(0, sys.argv[1])
      import verify_export
      texts = json.loads(sys.stdin.read())
      print(json.dumps([verify_export.parse_micros(t) for t in texts]))
      """
    let input = String(
      decoding: try JSONSerialization.data(withJSONObject: Self.texts), as: UTF8.self)
    let result = try ProcessResult.run(
      "/usr/bin/env", ["python3", "-c", script, RepositoryPaths.root + "/Tools/audit-verify"],
      input: input)
    #expect(result.status == 0, "\(result.stderr)")
    let python = try #require(
      try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [Any])
    #expect(python.count == Self.texts.count)
    for (text, value) in zip(Self.texts, python) {
      let swift = try? RFC3339.parseMicros(text)
      #expect((value as? NSNumber)?.int64Value == swift, "\(text.debugDescription)")
    }
  }
}
