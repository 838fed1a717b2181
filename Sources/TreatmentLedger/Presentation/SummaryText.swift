import Foundation

/// A patient summary as text for people: safety flags first with their date and session, then
/// per course a dated session table (dose in mg and mg/kg, route, the worst blood pressure as one
/// real reading, lowest SpO2, side effects, flags) and every outcome measure as its dated series
/// with response and remission marked, then the open follow-ups.
///
/// ```swift
/// for line in SummaryText().lines(summary) { print(line) }
/// ```
public struct SummaryText: Sendable {
  /// Creates a renderer.
  public init() {}

  /// The summary's lines.
  public func lines(_ summary: PatientSummary) -> [String] {
    var lines = ["Patient \(summary.patientId): \(summary.courses.count) course(s)", ""]
    lines += flagLines(summary.courses)
    for course in summary.courses {
      lines.append("")
      lines += courseLines(course)
    }
    lines.append("")
    lines.append(
      "Open follow-ups: \(summary.openFollowUps.count) (\(summary.overdueFollowUps.count) overdue)")
    for followUp in summary.openFollowUps {
      let overdue = summary.overdueFollowUps.contains(followUp) ? "  OVERDUE" : ""
      let session = followUp.sessionId.map { " after \($0)" } ?? ""
      lines.append(
        "  \(EntryText.clinicalTime(followUp.dueAt))  \(ClinicalLabels.code(followUp.kind))\(session)"
          + "  (\(followUp.followUpId))\(overdue)")
    }
    return lines
  }

  /// Safety flags of every course first, then the others, each with date, session and course.
  func flagLines(_ courses: [CourseSummary]) -> [String] {
    let all = courses.flatMap { course in course.openFlags.map { (course.courseId, $0) } }
    let safety = all.filter { ClinicalLabels.isSafetyFlag($0.1.code) }
    let other = all.filter { !ClinicalLabels.isSafetyFlag($0.1.code) }
    var lines = ["SAFETY FLAGS: \(safety.isEmpty ? "none" : String(safety.count))"]
    for (course, flag) in safety { lines.append("  " + flagLine(flag, course: course)) }
    if !other.isEmpty {
      lines.append("Other flags: \(other.count)")
      for (course, flag) in other { lines.append("  " + flagLine(flag, course: course)) }
    }
    return lines
  }

  func flagLine(_ flag: OpenFlag, course: String) -> String {
    let when = flag.occurredAt.map { EntryText.clinicalTime($0) } ?? "?"
    let session = flag.sessionId.map { "session \($0)" } ?? "course \(course)"
    return "\(when)  \(ClinicalLabels.flag(flag.code)) (\(flag.code))  \(session)  "
      + "\(ClinicalLabels.eventType(flag.type)) \(EntryText.shortId(flag.eventId.uuidString))"
  }

  func courseLines(_ course: CourseSummary) -> [String] {
    let drug = [
      course.drug, course.route.map(ClinicalLabels.route), course.phase.map(ClinicalLabels.code),
    ]
    .compactMap { $0 }.joined(separator: " ")
    let ended = course.completionReason.map { ", ended: \(ClinicalLabels.code($0))" } ?? ", ongoing"
    var lines = [
      "Course \(course.courseId): \(drug)\(ended)",
      "  sessions planned \(course.sessionsPlanned), started \(course.sessionsStarted), completed "
        + "\(course.sessionsCompleted); total \(EntryText.number(course.totalDoseMg)) mg "
        + "(\(EntryText.number(course.totalDoseMgPerKg, digits: 3)) mg/kg); "
        + "\(course.adjustments) infusion change(s), \(course.earlyStops) early stop(s)",
      "",
    ]
    lines += sessionTable(course.sessions)
    let vitals = course.vitals
    let worst =
      vitals.worstBloodPressure.map {
        "worst BP \(bp($0)) on \(EntryText.clinicalTime($0.occurredAt))"
      } ?? "no blood pressure"
    lines.append(
      "  vitals: \(vitals.readings) reading(s), \(vitals.flaggedReadings) flagged; \(worst); "
        + "HR \(optional(vitals.minHeartRateBpm))–\(optional(vitals.maxHeartRateBpm)) bpm; "
        + "lowest SpO2 \(optional(vitals.minSpo2Percent)) %")
    lines.append("")
    lines += outcomeLines(course.outcomes)
    return lines
  }

  func sessionTable(_ sessions: [SessionRow]) -> [String] {
    let header = ["date", "dose", "route", "worst BP", "min SpO2", "side effects", "flags"]
    let rows = sessions.map { row -> [String] in
      let dose =
        row.doseMg.map { mg in
          "\(EntryText.number(mg)) mg, \(row.doseMgPerKg.map { EntryText.number($0, digits: 3) } ?? "?") mg/kg"
        } ?? "no dose"
      let stop = row.stoppedEarly ? " STOPPED EARLY" : ""
      return [
        String(EntryText.clinicalTime(row.startedAt).prefix(10)), dose + stop,
        row.route.map(ClinicalLabels.route) ?? "–",
        row.worstBloodPressure.map(bp) ?? "–",
        row.minSpo2Percent.map { "\(EntryText.number($0)) %" } ?? "–",
        row.sideEffects.isEmpty
          ? "none" : row.sideEffects.map(ClinicalLabels.code).joined(separator: ", "),
        row.flags.isEmpty ? "none" : row.flags.map(ClinicalLabels.flag).joined(separator: ", "),
      ]
    }
    return Self.table(header: header, rows: rows).map { "  " + $0 }
  }

  func outcomeLines(_ outcomes: [String: OutcomeSummary]) -> [String] {
    var lines: [String] = []
    for instrument in outcomes.keys.sorted(by: ClinicalLabels.instrumentOrder) {
      guard let outcome = outcomes[instrument] else { continue }
      let change =
        outcome.changePercent.map { "\($0 > 0 ? "+" : "")\(EntryText.number($0, digits: 1)) %" }
        ?? "–"
      var verdict = [outcome.response ? "response" : "no response"]
      if let remission = outcome.remission {
        verdict.append(remission ? "remission" : "no remission")
      }
      lines.append(
        "  \(ClinicalLabels.instrument(instrument)): \(EntryText.number(outcome.baseline)) → "
          + "\(EntryText.number(outcome.latest)) (\(change)); \(verdict.joined(separator: ", "))")
      for point in outcome.series {
        var marks: [String] = []
        if point.response { marks.append("response") }
        if point.remission == true { marks.append("remission") }
        let timepoint = point.timepoint.map { ClinicalLabels.code($0) } ?? ""
        lines.append(
          "    \(EntryText.clinicalTime(point.occurredAt).prefix(10))  "
            + "\(EntryText.number(point.totalScore).leftPadded(3))  \(timepoint)"
            + (marks.isEmpty ? "" : "  ← " + marks.joined(separator: ", ")))
      }
    }
    return lines.isEmpty ? ["  outcomes: none recorded"] : lines
  }

  func bp(_ reading: BloodPressureReading) -> String {
    "\(EntryText.number(reading.systolicMmHg))/\(EntryText.number(reading.diastolicMmHg)) mmHg"
  }

  func optional(_ value: Double?) -> String { value.map { EntryText.number($0) } ?? "–" }

  /// Columns padded to their widest cell, two spaces apart.
  static func table(header: [String], rows: [[String]]) -> [String] {
    var widths = header.map(\.count)
    for row in rows {
      for (index, cell) in row.enumerated() where index < widths.count {
        widths[index] = max(widths[index], cell.count)
      }
    }
    func line(_ cells: [String]) -> String {
      cells.enumerated().map { index, cell in
        index == cells.count - 1
          ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
      }.joined(separator: "  ")
    }
    return [line(header)] + rows.map(line)
  }
}

extension String {
  fileprivate func leftPadded(_ length: Int) -> String {
    count >= length ? self : String(repeating: " ", count: length - count) + self
  }
}
