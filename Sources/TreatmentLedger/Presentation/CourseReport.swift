import Foundation

/// A patient's course report as one self-contained HTML page: inline CSS and SVG, no script and
/// nothing loaded from the network, laid out to print. It holds patient data: write it where
/// only its reader can read it (the command line creates it with mode 0600).
///
/// The page shows the safety flags first, then per course the session table, the PHQ-9/GAD-7
/// chart with response and remission lines, every outcome series, and per session a vitals strip
/// against minutes from the dose with the protocol's alert bands and the side effects, infusion
/// changes and flags on the time axis. All text from the record is HTML-escaped.
///
/// ```swift
/// let page = CourseReport(summary: try ledger.summary(of: "7f3a"),
///                         thresholds: ledger.clinicalProtocol.thresholds).html()
/// ```
public struct CourseReport: Sendable {
  /// The summary to show (filter its `courses` to show one course).
  public var summary: PatientSummary
  /// The protocol's thresholds, for the alert bands.
  public var thresholds: ClinicalThresholds
  /// The protocol version, printed in the page's header.
  public var protocolVersion: String
  /// When the page was made (printed in the header).
  public var generatedAt: Date

  /// Creates a report of `summary`.
  public init(
    summary: PatientSummary, thresholds: ClinicalThresholds = ClinicalThresholds(),
    protocolVersion: String = ClinicalProtocol.defaultVersion, generatedAt: Date = Date()
  ) {
    self.summary = summary
    self.thresholds = thresholds
    self.protocolVersion = protocolVersion
    self.generatedAt = generatedAt
  }

  /// The whole HTML document.
  public func html() -> String {
    let generated = Timestamp.format(micros: Int64(generatedAt.timeIntervalSince1970 * 1_000_000))
    var page = """
      <!DOCTYPE html>
      <html lang="en"><head><meta charset="utf-8">
      <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
      <title>Course report, patient \(TreatmentLedger.html(summary.patientId))</title>
      <style>\(Self.style)</style></head><body>
      <header><h1>Course report, patient \(TreatmentLedger.html(summary.patientId))</h1>
      <p class="meta">Made \(TreatmentLedger.html(generated)) from the treatment ledger; protocol \
      \(TreatmentLedger.html(protocolVersion)). Clinical times as written; corrections applied, voided entries left out.</p></header>

      """
    page += flagsSection()
    for course in summary.courses { page += courseSection(course) }
    page += followUpSection()
    return page + "</body></html>\n"
  }

  func flagsSection() -> String {
    let flags = summary.courses.flatMap { $0.openFlags }
    let safety = flags.filter { ClinicalLabels.isSafetyFlag($0.code) }
    let other = flags.filter { !ClinicalLabels.isSafetyFlag($0.code) }
    func rows(_ list: [OpenFlag]) -> String {
      list.map { flag in
        "<tr><td>\(cell(flag.occurredAt.map { EntryText.clinicalTime($0) } ?? "–"))</td><td>\(cell(ClinicalLabels.flag(flag.code)))</td>"
          + "<td><code>\(cell(flag.code))</code></td><td>\(cell(flag.sessionId ?? "–"))</td>"
          + "<td>\(cell(ClinicalLabels.eventType(flag.type))) <code>\(cell(EntryText.shortId(flag.eventId.uuidString)))</code></td></tr>"
      }.joined(separator: "\n")
    }
    let head = "<tr><th>when</th><th>flag</th><th>code</th><th>session</th><th>entry</th></tr>"
    var section = "<section class=\"flags\"><h2>Safety flags (\(safety.count))</h2>\n"
    section +=
      safety.isEmpty
      ? "<p>None.</p>\n" : "<table class=\"safety\">\(head)\n\(rows(safety))</table>\n"
    if !other.isEmpty {
      section +=
        "<details open><summary>Other flags (\(other.count))</summary><table>\(head)\n\(rows(other))</table></details>\n"
    }
    return section + "</section>\n"
  }

  func courseSection(_ course: CourseSummary) -> String {
    let drug = [
      course.drug, course.route.map(ClinicalLabels.route), course.phase.map(ClinicalLabels.code),
    ].compactMap { $0 }
    var section =
      "<section class=\"course\"><h2>Course \(cell(course.courseId)): \(cell(drug.joined(separator: " ")))"
    section +=
      course.completionReason.map { ", ended: \(cell(ClinicalLabels.code($0)))" } ?? ", ongoing"
    section +=
      "</h2>\n<p>Sessions planned \(course.sessionsPlanned), started \(course.sessionsStarted), completed "
    section +=
      "\(course.sessionsCompleted); total \(cell(EntryText.number(course.totalDoseMg))) mg "
    section +=
      "(\(cell(EntryText.number(course.totalDoseMgPerKg, digits: 3))) mg/kg); \(course.adjustments) infusion change(s), "
    section += "\(course.earlyStops) early stop(s).</p>\n"
    section += sessionTable(course.sessions)
    section += "<h3>Outcome measures</h3>\n"
    if let chart = ReportCharts.outcomeChart(course.outcomes) {
      section +=
        "<figure class=\"outcomes\">\(chart)<figcaption>Total scores by date; dashed: response (50% of "
      section += "the course's baseline) and remission (below 5).</figcaption></figure>\n"
    }
    section += outcomeTable(course.outcomes)
    section += "<h3>Vitals by session</h3>\n"
    for row in course.sessions {
      section +=
        "<figure class=\"session\"><figcaption>\(cell(EntryText.clinicalTime(row.startedAt))), "
      section +=
        "\(cell(row.sessionId))\(row.stoppedEarly ? ", <strong>infusion stopped early</strong>" : "")</figcaption>"
      section += ReportCharts.vitalsStrip(row, thresholds: thresholds) + "</figure>\n"
    }
    return section + "</section>\n"
  }

  func sessionTable(_ sessions: [SessionRow]) -> String {
    var table =
      "<table class=\"sessions\"><tr><th>date</th><th>session</th><th>dose</th><th>mg/kg</th><th>route</th>"
    table +=
      "<th>worst BP (mmHg)</th><th>min SpO2</th><th>max HR</th><th>side effects</th><th>flags</th><th>discharged</th></tr>\n"
    for row in sessions {
      let bp = row.worstBloodPressure.map {
        "\(EntryText.number($0.systolicMmHg))/\(EntryText.number($0.diastolicMmHg)) at \(EntryText.clinicalTime($0.occurredAt).suffix(5))"
      }
      let flags = row.flags.map {
        "<span class=\"\(ClinicalLabels.isSafetyFlag($0) ? "flag safety" : "flag")\">\(cell(ClinicalLabels.flag($0)))</span>"
      }
      table +=
        "<tr><td>\(cell(String(row.startedAt.prefix(10))))</td><td>\(cell(row.sessionId))</td>"
      table +=
        "<td>\(cell(row.doseMg.map { EntryText.number($0) + " mg" } ?? "none"))\(row.stoppedEarly ? " <strong>stopped early</strong>" : "")</td>"
      table += "<td>\(cell(row.doseMgPerKg.map { EntryText.number($0, digits: 3) } ?? "–"))</td>"
      table +=
        "<td>\(cell(row.route.map(ClinicalLabels.route) ?? "–"))</td><td>\(cell(bp ?? "–"))</td>"
      table += "<td>\(cell(row.minSpo2Percent.map { EntryText.number($0) + " %" } ?? "–"))</td>"
      table += "<td>\(cell(row.maxHeartRateBpm.map { EntryText.number($0) + " bpm" } ?? "–"))</td>"
      table +=
        "<td>\(cell(row.sideEffects.isEmpty ? "none" : row.sideEffects.map(ClinicalLabels.code).joined(separator: ", ")))</td>"
      table += "<td>\(flags.isEmpty ? "none" : flags.joined(separator: " "))</td>"
      table +=
        "<td>\(row.discharged ? cell(row.minutesObserved.map { "yes, after \(EntryText.number($0)) min" } ?? "yes") : "<strong>no</strong>")</td></tr>\n"
    }
    return table + "</table>\n"
  }

  func outcomeTable(_ outcomes: [String: OutcomeSummary]) -> String {
    guard !outcomes.isEmpty else { return "<p>No outcome measures recorded.</p>\n" }
    var table =
      "<table class=\"outcomes\"><tr><th>measure</th><th>date</th><th>score</th><th>timepoint</th><th>response / remission</th></tr>\n"
    for instrument in outcomes.keys.sorted(by: ClinicalLabels.instrumentOrder) {
      guard let outcome = outcomes[instrument] else { continue }
      for point in outcome.series {
        let marks = [
          point.response ? "response" : nil, point.remission == true ? "remission" : nil,
        ].compactMap { $0 }
        table +=
          "<tr><td>\(cell(ClinicalLabels.instrument(instrument)))</td><td>\(cell(String(point.occurredAt.prefix(10))))</td>"
        table +=
          "<td>\(cell(EntryText.number(point.totalScore)))</td><td>\(cell(point.timepoint.map(ClinicalLabels.code) ?? ""))</td>"
        table += "<td>\(cell(marks.joined(separator: ", ")))</td></tr>\n"
      }
    }
    return table + "</table>\n"
  }

  func followUpSection() -> String {
    var section =
      "<section><h2>Open follow-ups (\(summary.openFollowUps.count), \(summary.overdueFollowUps.count) overdue)</h2>\n"
    for followUp in summary.openFollowUps {
      let overdue = summary.overdueFollowUps.contains(followUp) ? " <strong>overdue</strong>" : ""
      section +=
        "<p>\(cell(EntryText.clinicalTime(followUp.dueAt))) \(cell(ClinicalLabels.code(followUp.kind))) "
      section += "<code>\(cell(followUp.followUpId))</code>\(overdue)</p>\n"
    }
    return section + "</section>\n"
  }

  func cell(_ text: String) -> String { TreatmentLedger.html(text) }

  static let style = """
    body{font:14px/1.4 system-ui,sans-serif;color:#111;margin:24px;max-width:1000px}
    h1{font-size:20px;margin:0 0 4px}h2{font-size:17px;margin:22px 0 6px;border-bottom:1px solid #999}
    h3{font-size:15px;margin:14px 0 4px}.meta{color:#555;margin:0}
    table{border-collapse:collapse;margin:6px 0}th,td{border:1px solid #bbb;padding:2px 6px;text-align:left;vertical-align:top}
    th{background:#eee}td:first-child{white-space:nowrap}table.safety td{background:#fdecea}.flag{white-space:nowrap}.flag.safety{color:#b71c1c;font-weight:600}
    figure{margin:8px 0;break-inside:avoid}figcaption{font-size:13px;color:#333}
    svg .plot{fill:#fff;stroke:#888}svg .grid{stroke:#e3e3e3}svg .tick,svg .legend{font-size:11px;fill:#333}
    svg .band{fill:#f8d7da}svg .bandlabel{font-size:10px;fill:#a33}svg .threshold{stroke-dasharray:5 3;stroke-width:1.2}
    svg .thresholdlabel{font-size:10px}svg .dose{stroke:#000;stroke-width:1.5}svg .event{stroke:#888;stroke-dasharray:2 2}
    svg .mark{font-size:10px;fill:#333}svg .mark.serious{fill:#b71c1c;font-weight:700}
    @media print{body{margin:0;max-width:none}section.course{break-before:page}details{display:block}}
    """
}
