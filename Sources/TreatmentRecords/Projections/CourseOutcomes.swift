import Foundation
import LedgerEventStore

extension CourseSummaryState {
  /// The event types a course summary reads (the ones ``CourseSummaryProjection`` records).
  public static var summaryEventTypes: Set<String> { relevantTypes }

  /// The state the `course-summary` projection keeps for `events`, a patient's stream in log
  /// order with its data opened: the same facts ``CourseSummaryProjection`` records, so
  /// ``CourseSummaryState/summary(now:)`` gives what the store's projection gives. For readers
  /// of the log away from the store, such as a chain's central report (docs/CENTRAL.md); events
  /// of other types are skipped.
  public init(patientId: String, events: some Sequence<RecordedEvent>) {
    self.init(patientId: patientId)
    facts = events.filter { Self.relevantTypes.contains($0.type) }.map { event in
      Fact(
        eventId: event.eventId, globalPosition: event.globalPosition,
        occurredAt: event.occurredAt, type: event.type, data: event.data, flags: event.flags)
    }
  }
}

/// One instrument's outcome counts over a group of courses, from the course summaries'
/// definitions (DOMAIN.md 4): a course counts when it has an assessment with the instrument;
/// **response** is its latest score ≤ 50% of its baseline, **remission** its latest score below
/// the instrument's threshold.
public struct InstrumentOutcomeCounts: Codable, Sendable, Hashable {
  /// Courses with at least one assessment with the instrument.
  public var assessed: Int
  /// Of those, courses whose outcome is a response.
  public var responders: Int
  /// Of those, courses whose outcome is a remission; nil for an instrument without a remission
  /// threshold (CADSS).
  public var remitters: Int?
  /// responders ÷ assessed.
  public var responseRate: Double
  /// remitters ÷ assessed; nil where remission is not defined.
  public var remissionRate: Double?
}

/// The running counts of one drug and route while courses are tallied.
private struct OutcomeTallyCounts {
  var courses = 0
  var assessed: [String: Int] = [:]
  var responders: [String: Int] = [:]
  var remitters: [String: Int] = [:]
  var remissionDefined: Set<String> = []
}

/// Course outcomes of one drug and route (the course's planned ones): how many courses, and per
/// instrument the response and remission counts and rates.
public struct CourseOutcomeGroup: Codable, Sendable, Hashable {
  /// The course's drug (`unspecified` when the plan names none).
  public var drug: String
  /// The course's planned route (`unspecified` when the plan names none).
  public var route: String
  /// Courses planned with this drug and route.
  public var courses: Int
  /// Instrument → counts among these courses.
  public var outcomes: [String: InstrumentOutcomeCounts]

  /// The groups of `courses` by drug and route, in order of drug, then route.
  public static func tally(_ courses: some Sequence<CourseSummary>) -> [CourseOutcomeGroup] {
    var groups: [[String]: OutcomeTallyCounts] = [:]
    for course in courses {
      let key = [course.drug ?? "unspecified", course.route ?? "unspecified"]
      var counts = groups[key] ?? OutcomeTallyCounts()
      counts.courses += 1
      for (instrument, outcome) in course.outcomes {
        counts.assessed[instrument, default: 0] += 1
        if outcome.response { counts.responders[instrument, default: 0] += 1 }
        if let remission = outcome.remission {
          counts.remissionDefined.insert(instrument)
          if remission { counts.remitters[instrument, default: 0] += 1 }
        }
      }
      groups[key] = counts
    }
    return groups.keys.sorted { $0.lexicographicallyPrecedes($1) }.compactMap { key in
      guard let counts = groups[key] else { return nil }
      var outcomes: [String: InstrumentOutcomeCounts] = [:]
      for (instrument, assessed) in counts.assessed {
        let responders = counts.responders[instrument] ?? 0
        let remitters =
          counts.remissionDefined.contains(instrument) ? counts.remitters[instrument] ?? 0 : nil
        outcomes[instrument] = InstrumentOutcomeCounts(
          assessed: assessed, responders: responders, remitters: remitters,
          responseRate: Double(responders) / Double(assessed),
          remissionRate: remitters.map { Double($0) / Double(assessed) })
      }
      return CourseOutcomeGroup(
        drug: key[0], route: key[1], courses: counts.courses, outcomes: outcomes)
    }
  }
}
