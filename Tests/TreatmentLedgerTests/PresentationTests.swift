import Foundation
import LedgerTestSupport
import Testing
import TreatmentLedger

/// The examples' record plus readings, a side effect with awkward free text and a PHQ-9 course
/// 16 → 12 (item 9 = 1) → 8 → 4.
func presentationRecord(_ ledger: Ledger) async throws {
  _ = try await ledger.store.append(try exampleEvents(), to: stream, expectedVersion: .noStream)
  func event(_ type: String, _ occurredAt: String, _ data: [String: JSONValue]) -> ProposedEvent {
    ProposedEvent(
      eventId: UUID(), type: type, occurredAt: occurredAt, recordedBy: nurse, data: .object(data))
  }
  func phq9(_ occurredAt: String, _ items: [Double]) -> ProposedEvent {
    event(
      "AssessmentRecorded", occurredAt,
      [
        "instrument": .string("phq9"), "itemScores": .array(items.map(JSONValue.number)),
        "totalScore": .number(items.reduce(0, +)), "timepoint": .string("followUp"),
        "courseId": .string("course-demo-0001-a"),
      ])
  }
  let extras = [
    event(
      "VitalsRecorded", "2026-11-04T10:00:00-05:00",
      [
        "sessionId": .string(session), "timepoint": .string("during"), "systolicMmHg": .number(164),
        "diastolicMmHg": .number(80),
        "heartRateBpm": .number(80), "spo2Percent": .number(96),
      ]),
    event(
      "VitalsRecorded", "2026-11-04T10:15:00-05:00",
      [
        "sessionId": .string(session), "timepoint": .string("during"), "systolicMmHg": .number(146),
        "diastolicMmHg": .number(104),
        "heartRateBpm": .number(88), "spo2Percent": .number(93),
      ]),
    event(
      "SideEffectObserved", "2026-11-04T10:20:00-05:00",
      [
        "sessionId": .string(session), "effect": .string("nausea"), "severity": .string("mild"),
        "serious": .bool(false),
        "actionTaken": .string(#"Offered "water" <b>&</b> rest"#),
      ]),
    phq9("2026-11-06T09:00:00-05:00", [2, 2, 1, 1, 1, 1, 1, 2, 1]),
    phq9("2026-11-09T09:00:00-05:00", [1, 1, 1, 1, 1, 1, 1, 1, 0]),
    phq9("2026-11-12T09:00:00-05:00", [1, 1, 1, 1, 0, 0, 0, 0, 0]),
  ]
  _ = try await ledger.store.append(extras, to: stream)
}

@Suite struct PresentationTests {
  @Test func theSummaryJSONKeepsItsFieldsAndAddsSessionsSeriesAndOneRealWorstReading() async throws
  {
    let dir = TemporaryDirectory("presentation")
    defer { dir.remove() }
    let ledger = try openLedger(dir)
    defer { ledger.close() }
    try await presentationRecord(ledger)
    let course = try #require(try ledger.summary(of: patient).courses.first)
    // DOMAIN.md 4's extremes stay as they were: from two different readings.
    #expect(course.vitals.maxSystolicMmHg == 164)
    #expect(course.vitals.maxDiastolicMmHg == 104)
    // The worst reading is one that was taken: 146/104 (MAP 118) beats 164/80 (MAP 108).
    let worst = try #require(course.vitals.worstBloodPressure)
    #expect(worst.systolicMmHg == 146 && worst.diastolicMmHg == 104)
    #expect(worst.occurredAt == "2026-11-04T10:15:00-05:00")
    let phq9 = try #require(course.outcomes["phq9"])
    #expect(phq9.series.map(\.totalScore) == [16, 12, 8, 4])
    #expect(phq9.series.map(\.response) == [false, false, true, true])
    #expect(phq9.series.map(\.remission) == [false, false, false, true])
    #expect(phq9.baseline == 16 && phq9.latest == 4 && phq9.response && phq9.remission == true)
    let row = try #require(course.sessions.first)
    #expect(course.sessions.count == 1)
    #expect(
      row.sessionId == session && row.doseMg == 35 && row.doseMgPerKg == 0.5 && row.route == "iv")
    #expect(row.worstBloodPressure == worst)
    #expect(row.minSpo2Percent == 93)
    #expect(row.sideEffects == ["hypertension (moderate)", "nausea (mild)"])
    #expect(row.flags == ["vitals.spo2.low"])
    #expect(
      row.events.map(\.type) == ["SideEffectObserved", "InfusionAdjusted", "SideEffectObserved"])
    #expect(row.events.map(\.minutesFromDose) == [16, 17, 30])
    // Readings against minutes from the dose (09:50): the corrected baseline has HR 78.
    #expect(row.vitals.map(\.minutesFromDose) == [-10, 10, 25])
    #expect(row.vitals.first?.heartRateBpm == 78)
    let suicidal = try #require(
      course.openFlags.first { $0.code == "assessment.phq9.suicidalThoughts" })
    #expect(suicidal.occurredAt == "2026-11-06T09:00:00-05:00")
    // Additive: the JSON still has every field DOMAIN.md 4 names.
    let json =
      try JSONSerialization.jsonObject(with: try JSONEncoder().encode(course)) as? [String: Any]
    for key in [
      "sessionsPlanned", "sessionsStarted", "sessionsCompleted", "totalDoseMg", "totalDoseMgPerKg",
      "doses",
      "adjustments", "earlyStops", "vitals", "sideEffects", "outcomes", "openFlags", "sessions",
    ] {
      #expect(json?[key] != nil, "missing \(key)")
    }
  }

  @Test func timelineTextShowsValuesWithUnitsCorrectionsVoidsAndFlags() async throws {
    let dir = TemporaryDirectory("presentation")
    defer { dir.remove() }
    let ledger = try openLedger(dir)
    defer { ledger.close() }
    try await presentationRecord(ledger)
    let timeline = try ledger.timeline(of: patient)
    let narrow = TimelineText(width: 80).lines(timeline)
    #expect(narrow.allSatisfy { $0.count <= 80 }, "\(narrow.filter { $0.count > 80 })")
    let lines = TimelineText(width: 200).lines(timeline)
    let text = lines.joined(separator: "\n")
    // Wrapping at 80 loses nothing: the same words in the same order.
    func words(_ lines: [String]) -> [Substring] {
      lines.dropFirst(2).flatMap { $0.split(separator: " ") }
    }
    #expect(words(narrow) == words(lines))
    #expect(text.contains("BP 146/104 mmHg"))
    #expect(text.contains("SpO2 93 %"))
    #expect(text.contains("PHQ-9 12/27, item 9 = 1"))
    #expect(text.contains("35 mg (0.5 mg/kg)"))
    #expect(text.contains(#"action "Offered \"water\" <b>&</b> rest""#))
    #expect(text.contains("allergies \"penicillin (rash)\""))
    // The correction sits under the corrected reading, with the new value and who made it.
    let corrected = try #require(
      lines.firstIndex { $0.contains("dcb61247") && $0.contains("[CORRECTED]") })
    #expect(lines[corrected + 1].contains("↳ corrected by 62b72085 (Jordan Example, RN"))
    #expect(lines[corrected + 1].contains("HR 78 bpm (was 87)"))
    #expect(text.contains("⚑ vitals.spo2.low (low SpO2): SpO2 93 %"))
    #expect(
      text.contains(
        "⚑ assessment.phq9.suicidalThoughts (suicidal thoughts (PHQ-9 item 9)): itemScores[8] = 1"))
    let voided = try #require(lines.firstIndex { $0.contains("bf77df2a") })
    #expect(lines[voided].contains("[VOIDED]"))
    #expect(lines[voided + 1].contains("✗ voided by 9aa74e2c"))
    #expect(text.contains("reason: completed"))
    // Wide: one line per entry (plus the lines of corrections, voids and flags), every field.
    let wide = TimelineText(width: nil).lines(timeline)
    let extraLines = timeline.entries.reduce(0) {
      $0 + ($1.correctedBy?.count ?? 0) + ($1.voidedBy?.count ?? 0) + $1.flags.count
    }
    #expect(wide.count == 3 + timeline.entries.count + extraLines)
    #expect(
      wide.contains {
        $0.contains("lot KT24B0117") && $0.contains("courseId \"course-demo-0001-a\"")
      })
    #expect(wide.contains { $0.contains("2026-11-04 09:50 -05:00") })
  }

  @Test func summaryTextPutsSafetyFlagsFirstAndShowsDatedSeries() async throws {
    let dir = TemporaryDirectory("presentation")
    defer { dir.remove() }
    let ledger = try openLedger(dir)
    defer { ledger.close() }
    try await presentationRecord(ledger)
    let lines = SummaryText().lines(try ledger.summary(of: patient))
    let text = lines.joined(separator: "\n")
    let safety = try #require(lines.firstIndex { $0.hasPrefix("SAFETY FLAGS: 2") })
    let course = try #require(lines.firstIndex { $0.hasPrefix("Course course-demo-0001-a") })
    #expect(safety < course)
    #expect(
      lines[safety + 1...safety + 2].contains {
        $0.contains("2026-11-06 09:00") && $0.contains("suicidal thoughts")
          && $0.contains("course course-demo-0001-a")
      })
    #expect(
      lines[safety + 1...safety + 2].contains {
        $0.contains("2026-11-04 10:15") && $0.contains("low SpO2")
          && $0.contains("session \(session)")
      })
    #expect(text.contains("2026-11-04  35 mg, 0.5 mg/kg  IV     146/104 mmHg  93 %"))
    #expect(text.contains("worst BP 146/104 mmHg on 2026-11-04 10:15"))
    #expect(!text.contains("164/104"))
    #expect(text.contains("PHQ-9: 16 → 4 (-75 %); response, remission"))
    for (date, score) in [
      ("2026-11-04", "16"), ("2026-11-06", "12"), ("2026-11-09", " 8"), ("2026-11-12", " 4"),
    ] {
      #expect(lines.contains { $0.hasPrefix("    \(date)   \(score)") }, "no \(date) \(score)")
    }
    #expect(lines.contains { $0.contains("2026-11-12") && $0.hasSuffix("← response, remission") })
    #expect(ClinicalLabels.code("nonResponse") == "no response")
    #expect(ClinicalLabels.instrument("gad7") == "GAD-7")
    #expect(ClinicalLabels.code("endOfDose") == "end of dose")
  }

  @Test func theHTMLReportEscapesTextAndHoldsItsCharts() async throws {
    let dir = TemporaryDirectory("presentation")
    defer { dir.remove() }
    let ledger = try openLedger(dir)
    defer { ledger.close() }
    try await presentationRecord(ledger)
    let page = CourseReport(summary: try ledger.summary(of: patient)).html()
    #expect(page.hasPrefix("<!DOCTYPE html>"))
    #expect(!page.lowercased().contains("<script"))
    #expect(!page.contains("<b>&</b>"))
    #expect(page.contains("Offered &quot;water&quot; &lt;b&gt;&amp;&lt;/b&gt; rest"))
    #expect(page.contains("class=\"chart outcome-chart\""))
    #expect(page.components(separatedBy: "class=\"chart vitals-strip\"").count == 2)
    #expect(page.contains("class=\"series-phq9\""))
    #expect(page.contains("PHQ-9 response (≤ 8)"))
    #expect(page.contains("remission (&lt; 5)"))
    #expect(page.contains("SBP ≥ 180"))
    #expect(page.contains("146/104 at 10:15"))
    // No address of anything outside the page, other than the SVG namespace.
    let addresses = page.components(separatedBy: "://").dropFirst().filter {
      !$0.hasPrefix("www.w3.org/2000/svg\"")
    }
    #expect(addresses.isEmpty, "\(addresses.map { $0.prefix(40) })")
  }
}
