import Foundation
import LedgerTestSupport
import Testing

/// A realistic IV ketamine induction course for one patient, written as input lines, with
/// figures computed by hand in `summaryMatchesHandComputedFigures`.
struct RealisticCourse {
  static let patient = "hc-1"
  static let stream = "patient-hc-1"
  private(set) var lines: [String] = []
  private var counter = 0
  private(set) var ids: [String: String] = [:]

  mutating func add(
    _ key: String, _ type: String, _ time: String, _ data: String, role: String = "nurse"
  ) {
    counter += 1
    let id = String(format: "00000000-0000-4000-8000-%012d", counter)
    ids[key] = id
    lines.append(
      #"{"eventId":"\#(id)","type":"\#(type)","streamId":"\#(Self.stream)","occurredAt":"\#(time)","recordedBy":{"id":"staff-\#(role)","name":"Test \#(role)","role":"\#(role)"},"data":\#(data)}"#
    )
  }

  /// Events before `split` are imported first; the rest (session 3, the correction and the void)
  /// later, so that "as of" the first import they did not exist.
  /// Over 80 lines, knowingly: a fixture, one course written event by event in clinical order.
  static func make() -> (first: [String], second: [String], ids: [String: String]) {
    var c = RealisticCourse()
    let s1 = "2026-11-02T09"
    let s2 = "2026-11-05T09"
    let s3 = "2026-11-09T09"
    c.add(
      "reg", "PatientRegistered", "2026-10-20T10:00:00-05:00",
      #"{"patientId":"hc-1","birthYear":1980,"sexAtBirth":"female"}"#)
    c.add(
      "consult", "ConsultationRecorded", "2026-10-20T11:00:00-05:00",
      #"{"indication":"treatmentResistantDepression","diagnoses":["F33.2"],"allergies":[],"currentMedications":["sertraline 100 mg"],"priorAntidepressantTrials":[{"drug":"sertraline","weeks":8,"outcome":"partial"},{"drug":"bupropion","weeks":6,"outcome":"none"}],"contraindications":[],"eligible":true}"#,
      role: "prescriber")
    c.add(
      "consent", "ConsentRecorded", "2026-10-20T11:30:00-05:00",
      #"{"consentId":"consent-1","scope":"treatment","formVersion":"v1","given":true}"#,
      role: "prescriber")
    c.add(
      "plan", "CoursePlanned", "2026-10-20T12:00:00-05:00",
      #"{"courseId":"c-1","indication":"treatmentResistantDepression","drug":"ketamine","route":"iv","phase":"induction","plannedSessions":6,"sessionsPerWeek":2,"targetDoseMgPerKg":0.5}"#,
      role: "prescriber")
    // Session 1.
    c.add(
      "s1", "SessionStarted", "\(s1):00:00-05:00",
      #"{"sessionId":"s1","courseId":"c-1","weightKg":80,"escortArranged":true,"fasted":true}"#)
    c.add(
      "phq1", "AssessmentRecorded", "\(s1):05:00-05:00",
      #"{"instrument":"phq9","itemScores":[3,3,3,3,2,2,2,2,0],"totalScore":20,"timepoint":"preSession","courseId":"c-1","sessionId":"s1"}"#
    )
    c.add(
      "gad1", "AssessmentRecorded", "\(s1):06:00-05:00",
      #"{"instrument":"gad7","itemScores":[3,3,2,2,2,2,1],"totalScore":15,"timepoint":"baseline","courseId":"c-1"}"#
    )
    c.add(
      "v1a", "VitalsRecorded", "\(s1):10:00-05:00",
      #"{"sessionId":"s1","timepoint":"baseline","heartRateBpm":72,"systolicMmHg":128,"diastolicMmHg":82,"spo2Percent":98}"#
    )
    c.add(
      "d1", "DoseAdministered", "\(s1):15:00-05:00",
      #"{"sessionId":"s1","courseId":"c-1","drug":"ketamine","route":"iv","doseMg":40,"weightKg":80,"doseMgPerKg":0.5,"plannedDurationMinutes":40,"lotNumber":"L-1"}"#,
      role: "prescriber")
    c.add(
      "v1b", "VitalsRecorded", "\(s1):30:00-05:00",
      #"{"sessionId":"s1","timepoint":"during","heartRateBpm":96,"systolicMmHg":150,"diastolicMmHg":95,"spo2Percent":97}"#
    )
    c.add(
      "adj1", "InfusionAdjusted", "\(s1):31:00-05:00",
      #"{"sessionId":"s1","action":"rateChanged","newRateMgPerMinute":0.8,"reason":"blood pressure rising"}"#,
      role: "prescriber")
    c.add(
      "se1", "SideEffectObserved", "\(s1):35:00-05:00",
      #"{"sessionId":"s1","effect":"dissociation","severity":"mild","serious":false,"actionTaken":"reassurance"}"#
    )
    c.add(
      "dis1", "PatientDischarged", "\(s1):59:00-05:00",
      #"{"sessionId":"s1","minutesObserved":60,"criteriaMet":true,"escortPresent":true,"noDrivingAdviceGiven":true}"#
    )
    // Session 2: a dose entered wrongly (corrected later), an early stop, flagged vitals.
    c.add(
      "s2", "SessionStarted", "\(s2):00:00-05:00",
      #"{"sessionId":"s2","courseId":"c-1","weightKg":80,"escortArranged":true,"fasted":true}"#)
    c.add(
      "phq2", "AssessmentRecorded", "\(s2):05:00-05:00",
      #"{"instrument":"phq9","itemScores":[1,1,1,1,1,1,1,1,0],"totalScore":8,"timepoint":"preSession","courseId":"c-1","sessionId":"s2"}"#
    )
    c.add(
      "v2a", "VitalsRecorded", "\(s2):10:00-05:00",
      #"{"sessionId":"s2","timepoint":"baseline","heartRateBpm":70,"systolicMmHg":122,"diastolicMmHg":80,"spo2Percent":99}"#
    )
    c.add(
      "d2", "DoseAdministered", "\(s2):15:00-05:00",
      #"{"sessionId":"s2","courseId":"c-1","drug":"ketamine","route":"iv","doseMg":40,"weightKg":80,"doseMgPerKg":0.5,"plannedDurationMinutes":40,"lotNumber":"L-1"}"#,
      role: "prescriber")
    c.add(
      "v2b", "VitalsRecorded", "\(s2):30:00-05:00",
      #"{"sessionId":"s2","timepoint":"during","heartRateBpm":118,"systolicMmHg":185,"diastolicMmHg":100,"spo2Percent":92}"#
    )
    c.add(
      "adj2", "InfusionAdjusted", "\(s2):32:00-05:00",
      #"{"sessionId":"s2","action":"stopped","reason":"hypertension"}"#, role: "prescriber")
    c.add(
      "se2", "SideEffectObserved", "\(s2):33:00-05:00",
      #"{"sessionId":"s2","effect":"nausea","severity":"moderate","serious":false,"actionTaken":"ondansetron"}"#
    )
    c.add(
      "se3", "SideEffectObserved", "\(s2):34:00-05:00",
      #"{"sessionId":"s2","effect":"hypertension","severity":"severe","serious":false,"actionTaken":"infusion stopped"}"#
    )
    c.add(
      "dis2", "PatientDischarged", "\(s2):59:00-05:00",
      #"{"sessionId":"s2","minutesObserved":75,"criteriaMet":true,"escortPresent":true,"noDrivingAdviceGiven":true}"#
    )
    c.add(
      "f0", "FollowUpScheduled", "\(s2):59:30-05:00",
      #"{"followUpId":"f0","dueAt":"2026-11-06T10:00:00-05:00","kind":"call","sessionId":"s2"}"#)
    c.add(
      "f0done", "FollowUpCompleted", "2026-11-06T09:50:00-05:00",
      #"{"followUpId":"f0","outcome":"feeling well","newSideEffects":[]}"#)
    c.add(
      "f1", "FollowUpScheduled", "2026-11-06T10:00:00-05:00",
      #"{"followUpId":"f1","dueAt":"2026-11-07T10:00:00-05:00","kind":"call"}"#)
    let split = c.lines.count
    // Session 3, recorded later, with a voided reading; the correction of session 2's dose.
    c.add(
      "s3", "SessionStarted", "\(s3):00:00-05:00",
      #"{"sessionId":"s3","courseId":"c-1","weightKg":81,"escortArranged":true,"fasted":true}"#)
    c.add(
      "phq3", "AssessmentRecorded", "\(s3):05:00-05:00",
      #"{"instrument":"phq9","itemScores":[1,1,1,1,0,0,0,0,0],"totalScore":4,"timepoint":"preSession","courseId":"c-1","sessionId":"s3"}"#
    )
    c.add(
      "gad3", "AssessmentRecorded", "\(s3):06:00-05:00",
      #"{"instrument":"gad7","itemScores":[1,1,1,1,1,1,0],"totalScore":6,"timepoint":"preSession","sessionId":"s3"}"#
    )
    c.add(
      "v3a", "VitalsRecorded", "\(s3):10:00-05:00",
      #"{"sessionId":"s3","timepoint":"baseline","heartRateBpm":68,"systolicMmHg":118,"diastolicMmHg":76,"spo2Percent":99}"#
    )
    c.add(
      "v3bad", "VitalsRecorded", "\(s3):11:00-05:00",
      #"{"sessionId":"s3","timepoint":"baseline","heartRateBpm":40}"#)
    c.add(
      "void", "EntryVoided", "\(s3):12:00-05:00",
      #"{"voidedEventId":"\#(c.ids["v3bad"] ?? "")","reason":"entered for the wrong patient"}"#)
    c.add(
      "d3", "DoseAdministered", "\(s3):15:00-05:00",
      #"{"sessionId":"s3","courseId":"c-1","drug":"ketamine","route":"iv","doseMg":40.5,"weightKg":81,"doseMgPerKg":0.5,"plannedDurationMinutes":40,"lotNumber":"L-2"}"#,
      role: "prescriber")
    c.add(
      "fix", "EntryCorrected", "\(s3):20:00-05:00",
      #"{"correctedEventId":"\#(c.ids["d2"] ?? "")","reason":"pump record shows 36 mg","replacement":{"sessionId":"s2","courseId":"c-1","drug":"ketamine","route":"iv","doseMg":36,"weightKg":80,"doseMgPerKg":0.45,"plannedDurationMinutes":40,"lotNumber":"L-1"}}"#,
      role: "prescriber")
    c.add(
      "f2", "FollowUpScheduled", "\(s3):59:00-05:00",
      #"{"followUpId":"f2","dueAt":"2099-01-01T10:00:00-05:00","kind":"visit","sessionId":"s3"}"#)
    return (Array(c.lines[..<split]), Array(c.lines[split...]), c.ids)
  }
}

@Suite("timeline, summary and rebuild commands") struct ProjectionCommandTests {
  private func load(_ cli: LedgerCLI) throws -> (asOf: String, ids: [String: String]) {
    let course = RealisticCourse.make()
    try cli.succeed(["init"])
    try cli.succeed(["import", try cli.write("first.ndjson", course.first)])
    Thread.sleep(forTimeInterval: 1.1)  // `between` has whole seconds
    let between = ISO8601DateFormatter().string(from: Date())
    Thread.sleep(forTimeInterval: 1.1)
    try cli.succeed(["import", try cli.write("second.ndjson", course.second)])
    return (between, course.ids)
  }

  private func json(_ cli: LedgerCLI, _ arguments: [String]) throws -> [String: Any] {
    let result = try cli.succeed(arguments + ["--json"])
    return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:]
  }

  @Test func summaryMatchesHandComputedFigures() throws {
    let cli = LedgerCLI("summary")
    defer { cli.remove() }
    _ = try load(cli)
    let summary = try json(cli, ["summary", "--patient", RealisticCourse.patient])
    #expect(summary["patientId"] as? String == "hc-1")
    let courses = summary["courses"] as? [[String: Any]] ?? []
    #expect(courses.count == 1)
    let course = courses.first ?? [:]
    #expect(course["courseId"] as? String == "c-1")
    #expect(course["route"] as? String == "iv")
    #expect(course["phase"] as? String == "induction")
    #expect(course["sessionsPlanned"] as? Int == 6)
    #expect(course["sessionsStarted"] as? Int == 3)
    #expect(course["sessionsCompleted"] as? Int == 2)
    // 40 + 36 (the corrected dose) + 40.5 mg; 0.5 + 0.45 + 0.5 mg/kg.
    #expect(course["totalDoseMg"] as? Double == 116.5)
    let doses = course["doses"] as? [[String: Any]] ?? []
    #expect(doses.map { $0["sessionId"] as? String } == ["s1", "s2", "s3"])
    #expect(doses.map { $0["doseMg"] as? Double } == [40, 36, 40.5])
    #expect(doses.map { $0["doseMgPerKg"] as? Double } == [0.5, 0.45, 0.5])
    #expect(doses.allSatisfy { $0["route"] as? String == "iv" })
    #expect(course["adjustments"] as? Int == 2)
    #expect(course["earlyStops"] as? Int == 1)
    // Five readings count: the voided HR 40 does not.
    let vitals = course["vitals"] as? [String: Any] ?? [:]
    #expect(vitals["readings"] as? Int == 5)
    #expect(vitals["flaggedReadings"] as? Int == 1)
    #expect(vitals["maxSystolicMmHg"] as? Double == 185)
    #expect(vitals["maxDiastolicMmHg"] as? Double == 100)
    #expect(vitals["maxHeartRateBpm"] as? Double == 118)
    #expect(vitals["minHeartRateBpm"] as? Double == 68)
    #expect(vitals["minSpo2Percent"] as? Double == 92)
    let effects = course["sideEffects"] as? [String: [String: Int]] ?? [:]
    #expect(
      effects == [
        "dissociation": ["mild": 1], "nausea": ["moderate": 1], "hypertension": ["severe": 1],
      ])
    let outcomes = course["outcomes"] as? [String: [String: Any]] ?? [:]
    // PHQ-9 20 → 4: −80%, response (4 ≤ 10), remission (< 5). GAD-7 15 → 6: −60%, response, no remission.
    #expect(outcomes["phq9"]?["baseline"] as? Double == 20)
    #expect(outcomes["phq9"]?["latest"] as? Double == 4)
    #expect(outcomes["phq9"]?["changePercent"] as? Double == -80)
    #expect(outcomes["phq9"]?["response"] as? Bool == true)
    #expect(outcomes["phq9"]?["remission"] as? Bool == true)
    #expect(outcomes["gad7"]?["baseline"] as? Double == 15)
    #expect(outcomes["gad7"]?["latest"] as? Double == 6)
    #expect(outcomes["gad7"]?["changePercent"] as? Double == -60)
    #expect(outcomes["gad7"]?["response"] as? Bool == true)
    #expect(outcomes["gad7"]?["remission"] as? Bool == false)
    let flags = (course["openFlags"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
    #expect(
      Set(flags) == [
        "vitals.heartRate.high", "vitals.systolic.high", "vitals.spo2.low", "infusion.stoppedEarly",
        "sideEffect.severe",
      ])
    #expect(flags.count == 5)
    let open = (summary["openFollowUps"] as? [[String: Any]] ?? []).compactMap {
      $0["followUpId"] as? String
    }
    let overdue = (summary["overdueFollowUps"] as? [[String: Any]] ?? []).compactMap {
      $0["followUpId"] as? String
    }
    #expect(open == ["f1", "f2"])
    #expect(overdue == ["f1"])
    // The human form names the same figures.
    let text = try cli.succeed(["summary", "--patient", RealisticCourse.patient]).stdout
    #expect(text.contains("planned 6, started 3, completed 2"))
    #expect(text.contains("total 116.5 mg"))
    #expect(try cli.run(["summary", "--patient", "hc-1", "--course", "nope"]).status == 65)
  }

  @Test func timelineShowsClinicalOrderSupersessionsAndAsOf() throws {
    let cli = LedgerCLI("timeline")
    defer { cli.remove() }
    let (between, ids) = try load(cli)
    let timeline = try json(cli, ["timeline", "--patient", RealisticCourse.patient])
    let entries = timeline["entries"] as? [[String: Any]] ?? []
    #expect(entries.count == 34)
    let times = entries.compactMap { $0["occurredAt"] as? String }
    #expect(times == times.sorted(), "one offset throughout, so text order is time order")
    for key in [
      "globalPosition", "occurredAt", "recordedAt", "type", "recordedBy", "data", "flags",
    ] {
      #expect(entries.allSatisfy { $0[key] != nil }, "\(key)")
    }
    let dose2 = entries.first { $0["eventId"] as? String == ids["d2"] } ?? [:]
    let corrections = dose2["correctedBy"] as? [[String: Any]] ?? []
    #expect(corrections.first?["eventId"] as? String == ids["fix"])
    #expect((dose2["data"] as? [String: Any])?["doseMg"] as? Double == 40, "the original stays")
    let voided = entries.first { $0["eventId"] as? String == ids["v3bad"] } ?? [:]
    #expect((voided["voidedBy"] as? [[String: Any]])?.count == 1)
    let flagged = entries.first { $0["eventId"] as? String == ids["v2b"] } ?? [:]
    #expect((flagged["flags"] as? [[String: Any]])?.count == 3)

    let before = try json(
      cli, ["timeline", "--patient", RealisticCourse.patient, "--as-of", between])
    let earlier = before["entries"] as? [[String: Any]] ?? []
    #expect(earlier.count == 25)
    let dose2Then = earlier.first { $0["eventId"] as? String == ids["d2"] } ?? [:]
    #expect(dose2Then["correctedBy"] == nil, "the correction was recorded later")
    let text = try cli.succeed(["timeline", "--patient", RealisticCourse.patient]).stdout
    #expect(text.contains("CORRECTED") && text.contains("VOIDED"))
  }

  @Test func rebuildReportsNoDifferenceAndKeepsServing() throws {
    let cli = LedgerCLI("rebuild")
    defer { cli.remove() }
    _ = try load(cli)
    let before = try cli.succeed(["summary", "--patient", RealisticCourse.patient, "--json"]).stdout
    let all = try cli.succeed(["rebuild"])
    #expect(all.stdout.contains("rebuilt patient-timeline: 34 events"))
    #expect(all.stdout.contains("rebuilt course-summary: 34 events"))
    #expect(differedCounts(all.stdout) == [0, 0], "\(all.stdout)")
    let one = try cli.succeed([
      "rebuild", "--projection", "course-summary", "--patient", RealisticCourse.patient,
    ])
    #expect(differedCounts(one.stdout) == [0], "\(one.stdout)")
    #expect(
      try cli.succeed(["summary", "--patient", RealisticCourse.patient, "--json"]).stdout == before)
    let unknown = try cli.run(["rebuild", "--projection", "nope"])
    #expect(unknown.status == 1)
    #expect(unknown.stderr.contains("no projection named 'nope'"))
  }
}

/// The number of differing patients on each `rebuilt …; N differed from the live state` line of
/// `rebuild`'s output (so that "10 differed" is never read as 0).
func differedCounts(_ stdout: String) -> [Int] {
  stdout.split(separator: "\n").compactMap { line in
    guard line.hasPrefix("rebuilt "), let range = line.range(of: " differed from the live state")
    else { return nil }
    return Int(line[..<range.lowerBound].split(separator: " ").last ?? "")
  }
}
