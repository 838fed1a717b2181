import Foundation
import LedgerEventStore
import LedgerFoundation
import LedgerTestSupport

/// The published schema examples (`Schemas/examples/*.v1.example.json`, envelopes and protocols
/// left out) as one coherent patient record, for the test targets that need a real one.
public enum SchemaExamples {
  /// How many event examples the schemas publish.
  public static let eventCount = 16

  /// The examples in clinical order (by `occurredAt`), decoded as the importer decodes lines.
  public static func patientRecord() throws -> [ProposedEvent] {
    let folder = RepositoryPaths.root + "/Schemas/examples"
    let names = try FileManager.default.contentsOfDirectory(atPath: folder)
      .filter {
        $0.hasSuffix(".v1.example.json") && !$0.hasPrefix("envelope") && !$0.hasPrefix("protocol")
      }
    var events: [ProposedEvent] = []
    for (index, name) in names.enumerated() {
      let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))
      let compact = try JSONSerialization.data(
        withJSONObject: try JSONSerialization.jsonObject(with: data))
      events.append(try InputLine.decode(compact, line: index + 1).event)
    }
    return events.sorted {
      (Timestamp.parseMicros($0.occurredAt) ?? 0) < (Timestamp.parseMicros($1.occurredAt) ?? 0)
    }
  }
}
