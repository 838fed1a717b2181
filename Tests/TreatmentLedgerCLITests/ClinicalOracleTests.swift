import Foundation
import LedgerTestSupport
import Testing

/// Compares every figure of `summary --json` and the order and marks of `timeline --json` with
/// `Tools/clinical-oracle/oracle.py`, a reference written from docs/CLINICAL-RULES.md in Python
/// (standard library only), on seeded clinics from ``ClinicGenerator``.
@Suite("Course summary and timeline agree with the independent oracle")
struct ClinicalOracleTests {
  static let oracle = RepositoryPaths.root + "/Tools/clinical-oracle/oracle.py"

  @Test("Summary and timeline of generated clinics equal the oracle's", arguments: [11, 22, 33])
  func clinicAgreesWithOracle(seed: UInt64) throws {
    let cli = LedgerCLI("oracle-\(seed)")
    defer { cli.remove() }
    var generator = ClinicGenerator(seed: seed)
    let lines = generator.clinic(patients: 6, prefix: "o\(seed)")
    #expect(generator.failures.isEmpty, "\(generator.failures)")
    try cli.succeed(["init"])
    // The generator means every event to be accepted: a refusal fails the test here.
    let imported = try cli.succeed(["import", try cli.write("clinic.ndjson", lines)])
    #expect(importCounts(imported.stdout)?.written == lines.count, "\(imported.stdout)")

    let events = try cli.succeed(["read", "--all", "--json"]).stdout
    let eventsFile = cli.directory.appending("events.ndjson")
    try Data(events.utf8).write(to: URL(fileURLWithPath: eventsFile))
    let run = try ProcessResult.run("/usr/bin/env", ["python3", Self.oracle, eventsFile])
    #expect(run.status == 0, "oracle: \(run.stderr)")
    let expected = try #require(
      try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
    let patients = try #require(expected["patients"] as? [String: [String: Any]])
    #expect(patients.count == 6)

    for (patient, oracle) in patients.sorted(by: { $0.key < $1.key }) {
      let summary = try cli.succeed(["summary", "--patient", patient, "--json"]).stdout
      var differences: [String] = []
      compareJSON(
        try JSONSerialization.jsonObject(with: Data(summary.utf8)), oracle["summary"] as Any,
        path: "summary(\(patient))", into: &differences)
      let timeline = try cli.succeed(["timeline", "--patient", patient, "--json"]).stdout
      let entries = try #require(
        (try JSONSerialization.jsonObject(with: Data(timeline.utf8)) as? [String: Any])?["entries"]
          as? [[String: Any]])
      compareJSON(
        entries.map(Self.timelineMarks), oracle["timeline"] as Any, path: "timeline(\(patient))",
        into: &differences)
      #expect(differences.isEmpty, "\(differences.prefix(10).joined(separator: "\n"))")
    }
    try expectCoverage(patients: patients, events: events)
  }

  /// One `timeline --json` entry in the oracle's shape.
  static func timelineMarks(_ entry: [String: Any]) -> [String: Any] {
    func ids(_ key: String) -> [String] {
      ((entry[key] as? [[String: Any]]) ?? []).compactMap {
        ($0["eventId"] as? String)?.lowercased()
      }
    }
    return [
      "eventId": (entry["eventId"] as? String ?? "").lowercased(), "type": entry["type"] ?? "",
      "correctedBy": ids("correctedBy"), "voidedBy": ids("voidedBy"),
      "flags": ((entry["flags"] as? [[String: Any]]) ?? []).compactMap { $0["code"] as? String },
    ]
  }

  /// The clinic reaches what the oracle must be checked on: responders and non-responders,
  /// remission either side of its boundary, scores exactly at 50%, every instrument, several
  /// doses in a session, back-dated entries, double corrections and voided corrections.
  func expectCoverage(patients: [String: [String: Any]], events: String) throws {
    var outcomes: [(instrument: String, figures: [String: Any])] = []
    var timelines: [[String: Any]] = []
    for patient in patients.values {
      let courses = (patient["summary"] as? [String: Any])?["courses"] as? [[String: Any]] ?? []
      for course in courses {
        for (instrument, figures) in course["outcomes"] as? [String: [String: Any]] ?? [:] {
          outcomes.append((instrument, figures))
        }
      }
      timelines += patient["timeline"] as? [[String: Any]] ?? []
    }
    func count(_ condition: ([String: Any]) -> Bool) -> Int {
      outcomes.filter { condition($0.figures) }.count
    }
    #expect(
      Set(outcomes.map(\.instrument)) == ["phq9", "gad7", "pcl5", "madrs", "qidsSr16", "cadss"])
    #expect(count { $0["response"] as? Bool == true } > 0)
    #expect(count { $0["response"] as? Bool == false } > 0)
    #expect(count { $0["remission"] as? Bool == true } > 0)
    #expect(count { $0["remission"] as? Bool == false } > 0)
    #expect(
      count {
        ($0["baseline"] as? Double ?? 0) > 0
          && $0["latest"] as? Double == ($0["baseline"] as? Double ?? 0) / 2
      } > 0)
    // Each side of every remission boundary, and PHQ-9 or GAD-7 exactly at 5.
    for (instrument, edge) in ClinicGenerator.remissionEdges {
      for score in [edge.inside, edge.outside] {
        #expect(
          outcomes.contains {
            $0.instrument == instrument && $0.figures["latest"] as? Double == Double(score)
          },
          "\(instrument) latest \(score)")
      }
    }
    #expect(timelines.contains { ($0["correctedBy"] as? [String])?.count ?? 0 >= 2 })
    #expect(
      timelines.contains {
        $0["type"] as? String == "EntryCorrected" && !(($0["voidedBy"] as? [String]) ?? []).isEmpty
      })
    #expect(
      timelines.contains {
        !(($0["correctedBy"] as? [String]) ?? []).isEmpty
          && !(($0["voidedBy"] as? [String]) ?? []).isEmpty
      })

    let lines = try events.split(separator: "\n").map {
      try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
    var dosesPerSession: [String: Int] = [:]
    for line in lines where line["type"] as? String == "DoseAdministered" {
      dosesPerSession[
        ((line["data"] as? [String: Any])?["sessionId"] as? String) ?? "", default: 0] += 1
    }
    #expect(dosesPerSession.values.contains { $0 >= 2 })
    let logOrder = lines.compactMap { ($0["eventId"] as? String)?.lowercased() }
    let clinicalOrder = patients.keys.sorted().flatMap {
      patients[$0]?["timeline"] as? [[String: Any]] ?? []
    }
    #expect(Set(logOrder) == Set(clinicalOrder.compactMap { $0["eventId"] as? String }))
    #expect(logOrder != clinicalOrder.compactMap { $0["eventId"] as? String }, "back-dated entries")
  }
}

/// Records where two JSON values (from JSONSerialization) differ: numbers within a relative
/// 1e-9 (sums may be added in another order), UUID strings in any case, everything else exactly.
/// Compares two JSON values, naming every difference. Objects must have the same keys, except
/// the rows of a course's `sessions`: the oracle computes their figures (dose, times, worst blood
/// pressure, lowest SpO2, highest heart rate, infusion changes, discharge), and the rows' reading
/// lists and time-axis marks (`vitals`, `events`, `sideEffects`, `flags`), which only rearrange
/// the same events for display, are left to PresentationTests.
func compareJSON(_ actual: Any, _ expected: Any, path: String, into differences: inout [String]) {
  switch (actual, expected) {
  case (let a as [String: Any], let e as [String: Any]):
    let sessionRow = path.range(of: #"\.sessions\[\d+\]$"#, options: .regularExpression) != nil
    if sessionRow ? !Set(e.keys).isSubset(of: a.keys) : Set(a.keys) != Set(e.keys) {
      differences.append("\(path): keys \(a.keys.sorted()) != expected \(e.keys.sorted())")
    }
    for key in Set(a.keys).intersection(e.keys).sorted() {
      compareJSON(a[key] as Any, e[key] as Any, path: "\(path).\(key)", into: &differences)
    }
  case (let a as [Any], let e as [Any]):
    if a.count != e.count {
      differences.append("\(path): \(a.count) items != expected \(e.count)")
    }
    for (index, pair) in zip(a, e).enumerated() {
      compareJSON(pair.0, pair.1, path: "\(path)[\(index)]", into: &differences)
    }
  case (let a as String, let e as String):
    if a != e && !(UUID(uuidString: a) != nil && a.lowercased() == e.lowercased()) {
      differences.append("\(path): \(a) != expected \(e)")
    }
  case (let a as NSNumber, let e as NSNumber):
    let x = a.doubleValue
    let y = e.doubleValue
    if abs(x - y) > 1e-9 * max(1, abs(x), abs(y)) {
      differences.append("\(path): \(x) != expected \(y)")
    }
  default:
    differences.append("\(path): \(actual) != expected \(expected)")
  }
}
