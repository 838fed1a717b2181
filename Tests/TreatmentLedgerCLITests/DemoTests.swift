import Foundation
import LedgerTestSupport
import Testing

@Suite("demo command") struct DemoTests {
  /// `read --all --json` without the fields the store sets at commit time.
  private func writerContent(_ cli: LedgerCLI) throws -> [String] {
    try cli.succeed(["read", "--all", "--json"]).stdout.split(separator: "\n").map { line in
      var object =
        (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
      for key in ["recordedAt", "hash", "previousHash", "previousStreamHash"] { object[key] = nil }
      let data =
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
      return String(decoding: data, as: UTF8.self)
    }
  }

  @Test func demoFillsTheStoreShowsAPatientAndIsDeterministic() throws {
    let first = LedgerCLI("demo-a")
    let second = LedgerCLI("demo-b")
    defer {
      first.remove()
      second.remove()
    }
    let shown = try first.succeed(["demo", "--patients", "6", "--seed", "7"])
    #expect(shown.stdout.contains("Demo clinic: 6 patients"))
    #expect(shown.stdout.contains("Timeline of patient demo-"))
    #expect(shown.stdout.contains("sessions planned"))
    #expect(shown.stdout.contains("SAFETY FLAGS: "))
    #expect(shown.stdout.contains("treatment-ledger report --patient demo-"))
    #expect(shown.stdout.contains("intact: "))
    #expect(shown.stdout.contains("Try next:"))
    let stats = try first.stats()
    #expect(stats.events > 300)
    #expect(stats.streams == 7)  // six patients and the site inventory-main
    // Running it again adds nothing.
    let again = try first.succeed(["demo", "--patients", "6", "--seed", "7"])
    #expect(again.stdout.contains("(0 new)"))
    #expect(try first.stats().chainHead == stats.chainHead)
    // The same seed gives the same events in another store.
    try second.succeed(["demo", "--patients", "6", "--seed", "7"])
    #expect(try writerContent(second) == writerContent(first))
  }

  @Test func theDemoRecordCoversTheClinicalFlow() throws {
    let cli = LedgerCLI("demo-flow")
    defer { cli.remove() }
    try cli.succeed(["demo", "--patients", "20", "--seed", "1"])
    let types = Set(
      try writerContent(cli).compactMap { line -> String? in
        let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        return object?["type"] as? String
      })
    for type in [
      "PatientRegistered", "ConsultationRecorded", "ConsentRecorded", "CoursePlanned",
      "SessionStarted",
      "DoseAdministered", "InfusionAdjusted", "VitalsRecorded", "SideEffectObserved",
      "AssessmentRecorded",
      "PatientDischarged", "FollowUpScheduled", "FollowUpCompleted", "CourseCompleted",
      "EntryCorrected",
      "EntryVoided",
    ] {
      #expect(types.contains(type), "\(type)")
    }
    let all = try cli.succeed(["read", "--all", "--json"]).stdout
    for route in ["\"route\":\"iv\"", "\"route\":\"im\"", "\"route\":\"intranasal\""] {
      #expect(all.contains(route))
    }
    #expect(all.contains("\"action\":\"stopped\""))
    #expect(all.contains("\"flags\":["))
    let verify = try cli.succeed(["verify"])
    #expect(verify.stdout.contains("intact"))
    let rebuild = try cli.succeed(["rebuild"])
    #expect(differedCounts(rebuild.stdout) == [0, 0], "\(rebuild.stdout)")
  }
}
