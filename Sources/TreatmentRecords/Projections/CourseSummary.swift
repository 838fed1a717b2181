import Foundation
import LedgerEventStore
import LedgerFoundation
import Synchronization

/// The doses of one session of a course.
public struct SessionDose: Codable, Sendable, Hashable {
  /// The session.
  public var sessionId: String
  /// Total dose given in the session, mg.
  public var doseMg: Double
  /// Total dose given in the session, mg/kg.
  public var doseMgPerKg: Double
  /// The route (of the session's first dose).
  public var route: String
}

/// Vital signs over a course's sessions.
public struct VitalsSummary: Codable, Sendable, Hashable {
  /// Highest systolic pressure, mmHg.
  public var maxSystolicMmHg: Double?
  /// Highest diastolic pressure, mmHg.
  public var maxDiastolicMmHg: Double?
  /// Highest heart rate, bpm.
  public var maxHeartRateBpm: Double?
  /// Lowest heart rate, bpm.
  public var minHeartRateBpm: Double?
  /// Lowest SpO2, %.
  public var minSpo2Percent: Double?
  /// Number of readings (VitalsRecorded events).
  public var readings: Int
  /// Readings that carry at least one flag.
  public var flaggedReadings: Int
  /// The worst blood pressure as one real reading (highest mean arterial pressure), when any
  /// reading has both pressures. `maxSystolicMmHg` and `maxDiastolicMmHg` may come from two
  /// different readings; this one never does.
  public var worstBloodPressure: BloodPressureReading?
}

/// One instrument's trajectory over a course.
public struct OutcomeSummary: Codable, Sendable, Hashable {
  /// Total score of the earliest assessment (by occurredAt).
  public var baseline: Double
  /// Total score of the latest assessment.
  public var latest: Double
  /// (latest − baseline) ÷ baseline × 100; absent when the baseline is 0.
  public var changePercent: Double?
  /// Latest ≤ 50% of baseline.
  public var response: Bool
  /// Below the instrument's remission threshold; absent for CADSS (not defined).
  public var remission: Bool?
  /// How many assessments with this instrument belong to the course.
  public var assessments: Int
  /// Every assessment of the instrument in the course, in clinical order.
  public var series: [OutcomePoint]
}

/// A flag on one of a course's events.
public struct OpenFlag: Codable, Sendable, Hashable {
  /// The flagged event (for a corrected entry: the correction, which carries the flags).
  @LowercaseUUID public var eventId: UUID
  /// Its type.
  public var type: String
  /// The flag code.
  public var code: String
  /// The flagged field.
  public var field: String
  /// Clinical time of the flagged event.
  public var occurredAt: String?
  /// The session of the flagged event, when it names one.
  public var sessionId: String?
}

/// The summary of one course of treatment (docs/CLINICAL-RULES.md sections 6-7).
public struct CourseSummary: Codable, Sendable, Hashable {
  /// The course.
  public var courseId: String
  /// ketamine or esketamine.
  public var drug: String?
  /// Planned route.
  public var route: String?
  /// induction, maintenance or booster.
  public var phase: String?
  /// Why the course ended, when it did.
  public var completionReason: String?
  /// From CoursePlanned.
  public var sessionsPlanned: Int
  /// SessionStarted events of the course.
  public var sessionsStarted: Int
  /// Of those, sessions with a PatientDischarged.
  public var sessionsCompleted: Int
  /// Sum of doses, mg.
  public var totalDoseMg: Double
  /// Sum of doses, mg/kg.
  public var totalDoseMgPerKg: Double
  /// Per session, in session order.
  public var doses: [SessionDose]
  /// InfusionAdjusted events.
  public var adjustments: Int
  /// InfusionAdjusted events with action `stopped`.
  public var earlyStops: Int
  /// Vital signs over the course's sessions.
  public var vitals: VitalsSummary
  /// Side effects: effect → severity → count.
  public var sideEffects: [String: [String: Int]]
  /// Instrument → trajectory.
  public var outcomes: [String: OutcomeSummary]
  /// Flags of the course's events.
  public var openFlags: [OpenFlag]
  /// One row per started session, in clinical order: dose, vitals, side effects and flags.
  public var sessions: [SessionRow]
}

/// A follow-up that is scheduled and not completed.
public struct OpenFollowUp: Codable, Sendable, Hashable {
  /// The follow-up.
  public var followUpId: String
  /// When it is due.
  public var dueAt: String
  /// call, visit or assessment.
  public var kind: String
  /// The session it follows, when given.
  public var sessionId: String?
}

/// A patient's course summaries and open follow-ups.
public struct PatientSummary: Codable, Sendable, Hashable {
  /// The patient's pseudonymous id.
  public var patientId: String
  /// Every course, in the order planned.
  public var courses: [CourseSummary]
  /// Follow-ups scheduled and not completed.
  public var openFollowUps: [OpenFollowUp]
  /// Of those, the ones due before the time the summary was made.
  public var overdueFollowUps: [OpenFollowUp]
}

/// What the `course-summary` projection keeps per patient: the events a summary needs, with
/// corrections and voids, from which ``summary(now:)`` computes the figures.
public struct CourseSummaryState: Codable, Sendable, Hashable {
  struct Fact: Codable, Sendable, Hashable {
    var eventId: UUID
    var globalPosition: UInt64
    var occurredAt: String
    var type: String
    var data: JSONValue
    var flags: [JSONValue]
  }

  /// The patient's pseudonymous id.
  public var patientId: String
  /// The facts in log order. Changing them starts a new memo.
  var facts: [Fact] = [] { didSet { memo = SummaryMemo() } }
  /// What ``summary(now:)`` computed for these facts, shared by copies of this value (so a state
  /// served again from the store's cache is summarised once). Not part of the value.
  var memo = SummaryMemo()

  enum CodingKeys: String, CodingKey {
    case patientId, facts
  }

  static let relevantTypes: Set<String> = [
    CoursePlanned.eventType, CourseCompleted.eventType, SessionStarted.eventType,
    DoseAdministered.eventType, InfusionAdjusted.eventType, VitalsRecorded.eventType,
    SideEffectObserved.eventType, AssessmentRecorded.eventType, PatientDischarged.eventType,
    FollowUpScheduled.eventType, FollowUpCompleted.eventType, EntryCorrected.eventType,
    EntryVoided.eventType,
  ]

  /// An effective event: original data or its latest correction's replacement, voids removed.
  struct Effective {
    var eventId: UUID
    var flaggedBy: UUID
    var globalPosition: UInt64
    var occurredAtMicros: Int64
    var occurredAt: String
    var type: String
    var data: JSONValue
    var flags: [JSONValue]
    func string(_ key: String) -> String? { data[key]?.stringValue }
    func number(_ key: String) -> Double? { data[key]?.numberValue }
  }

  /// The events that count: voided ones removed, corrected ones with their replacement data.
  func effectiveEvents() -> [Effective] {
    let voided = Set(
      facts.filter { $0.type == EntryVoided.eventType }.compactMap {
        $0.data["voidedEventId"]?.stringValue.flatMap(UUID.init(uuidString:))
      })
    var latestCorrection: [UUID: Fact] = [:]
    for fact in facts where fact.type == EntryCorrected.eventType && !voided.contains(fact.eventId)
    {
      if let target = fact.data["correctedEventId"]?.stringValue.flatMap(UUID.init(uuidString:)) {
        latestCorrection[target] = fact
      }
    }
    return facts.compactMap { fact in
      guard fact.type != EntryCorrected.eventType, fact.type != EntryVoided.eventType,
        !voided.contains(fact.eventId)
      else { return nil }
      let correction = latestCorrection[fact.eventId]
      return Effective(
        eventId: fact.eventId, flaggedBy: correction?.eventId ?? fact.eventId,
        globalPosition: fact.globalPosition,
        occurredAtMicros: Timestamp.parseMicros(fact.occurredAt) ?? 0, occurredAt: fact.occurredAt,
        type: fact.type,
        data: correction?.data["replacement"] ?? fact.data, flags: correction?.flags ?? fact.flags)
    }
  }

  /// The summary as of `now` (which decides which follow-ups are overdue).
  public func summary(now: Date = Date()) -> PatientSummary {
    let timeless = memo.value { timelessSummary() }
    let nowMicros = Int64(now.timeIntervalSince1970 * 1_000_000)
    let overdue = timeless.open.filter {
      (Timestamp.parseMicros($0.dueAt) ?? Int64.max) < nowMicros
    }
    return PatientSummary(
      patientId: patientId, courses: timeless.courses, openFollowUps: timeless.open,
      overdueFollowUps: overdue)
  }

  /// The courses and open follow-ups: everything of a summary but what is overdue at a time.
  private func timelessSummary() -> SummaryMemo.Timeless {
    let events = effectiveEvents()
    let byClinicalTime = events.sorted {
      ($0.occurredAtMicros, $0.globalPosition) < ($1.occurredAtMicros, $1.globalPosition)
    }
    var sessionCourse: [String: String] = [:]
    for event in events where event.type == SessionStarted.eventType {
      if let session = event.string("sessionId"), let course = event.string("courseId") {
        sessionCourse[session] = course
      }
    }
    func course(of event: Effective) -> String? {
      if event.type == AssessmentRecorded.eventType, let course = event.string("courseId") {
        return course
      }
      if let session = event.string("sessionId") {
        return sessionCourse[session] ?? event.string("courseId")
      }
      return event.string("courseId")
    }
    let discharged = Set(
      events.filter { $0.type == PatientDischarged.eventType }.compactMap { $0.string("sessionId") }
    )
    let courses = byClinicalTime.filter { $0.type == CoursePlanned.eventType }
    // Each event's course, found once (in clinical order), instead of once per course.
    var membersByCourse: [String: [Effective]] = [:]
    for event in byClinicalTime {
      if let courseId = course(of: event) { membersByCourse[courseId, default: []].append(event) }
    }
    let summaries = courses.compactMap { plan -> CourseSummary? in
      guard let courseId = plan.string("courseId") else { return nil }
      return Self.summarize(
        courseId: courseId, plan: plan, members: membersByCourse[courseId] ?? [],
        discharged: discharged)
    }
    let completed = Set(
      events.filter { $0.type == FollowUpCompleted.eventType }.compactMap {
        $0.string("followUpId")
      })
    let open = byClinicalTime.filter { $0.type == FollowUpScheduled.eventType }.compactMap {
      event -> OpenFollowUp? in
      guard let id = event.string("followUpId"), !completed.contains(id) else { return nil }
      return OpenFollowUp(
        followUpId: id, dueAt: event.string("dueAt") ?? "", kind: event.string("kind") ?? "",
        sessionId: event.string("sessionId"))
    }
    return SummaryMemo.Timeless(courses: summaries, open: open)
  }

  private static func summarize(
    courseId: String, plan: Effective, members: [Effective], discharged: Set<String>
  ) -> CourseSummary {
    let sessions = members.filter { $0.type == SessionStarted.eventType }.compactMap {
      $0.string("sessionId")
    }
    var doses: [SessionDose] = []
    for dose in members where dose.type == DoseAdministered.eventType {
      let session = dose.string("sessionId") ?? ""
      if let index = doses.firstIndex(where: { $0.sessionId == session }) {
        doses[index].doseMg += dose.number("doseMg") ?? 0
        doses[index].doseMgPerKg += dose.number("doseMgPerKg") ?? 0
      } else {
        doses.append(
          SessionDose(
            sessionId: session, doseMg: dose.number("doseMg") ?? 0,
            doseMgPerKg: dose.number("doseMgPerKg") ?? 0, route: dose.string("route") ?? ""))
      }
    }
    let adjustments = members.filter { $0.type == InfusionAdjusted.eventType }
    let readings = members.filter { $0.type == VitalsRecorded.eventType }
    func extreme(_ key: String, _ pick: ([Double]) -> Double?) -> Double? {
      pick(readings.compactMap { $0.number(key) })
    }
    var sideEffects: [String: [String: Int]] = [:]
    for effect in members where effect.type == SideEffectObserved.eventType {
      sideEffects[effect.string("effect") ?? "other", default: [:]][
        effect.string("severity") ?? "mild", default: 0] += 1
    }
    var outcomes: [String: OutcomeSummary] = [:]
    let assessments = members.filter { $0.type == AssessmentRecorded.eventType }
    for instrument in Set(assessments.compactMap { $0.string("instrument") }) {
      let scores = assessments.filter { $0.string("instrument") == instrument }
      guard let first = scores.first?.number("totalScore"),
        let last = scores.last?.number("totalScore")
      else { continue }
      outcomes[instrument] = OutcomeSummary(
        baseline: first, latest: last,
        changePercent: first == 0 ? nil : (last - first) / first * 100,
        response: last <= first * 0.5, remission: remission(instrument, last),
        assessments: scores.count,
        series: outcomeSeries(instrument: instrument, scores: scores, baseline: first))
    }
    let flags = members.flatMap { event in
      event.flags.map {
        OpenFlag(
          eventId: event.flaggedBy, type: event.type, code: $0["code"]?.stringValue ?? "",
          field: $0["field"]?.stringValue ?? "", occurredAt: event.occurredAt,
          sessionId: event.string("sessionId"))
      }
    }
    return CourseSummary(
      courseId: courseId, drug: plan.string("drug"), route: plan.string("route"),
      phase: plan.string("phase"),
      completionReason: members.last { $0.type == CourseCompleted.eventType }?.string("reason"),
      sessionsPlanned: Int(plan.number("plannedSessions") ?? 0), sessionsStarted: sessions.count,
      sessionsCompleted: sessions.filter { discharged.contains($0) }.count,
      totalDoseMg: doses.reduce(0) { $0 + $1.doseMg },
      totalDoseMgPerKg: doses.reduce(0) { $0 + $1.doseMgPerKg },
      doses: doses, adjustments: adjustments.count,
      earlyStops: adjustments.filter { $0.string("action") == "stopped" }.count,
      vitals: VitalsSummary(
        maxSystolicMmHg: extreme("systolicMmHg") { $0.max() },
        maxDiastolicMmHg: extreme("diastolicMmHg") { $0.max() },
        maxHeartRateBpm: extreme("heartRateBpm") { $0.max() },
        minHeartRateBpm: extreme("heartRateBpm") { $0.min() },
        minSpo2Percent: extreme("spo2Percent") { $0.min() }, readings: readings.count,
        flaggedReadings: readings.filter { !$0.flags.isEmpty }.count,
        worstBloodPressure: worstBloodPressure(readings)),
      sideEffects: sideEffects, outcomes: outcomes, openFlags: flags,
      sessions: sessionRows(members))
  }

  /// Remission thresholds (docs/CLINICAL-RULES.md section 7.3); nil where none is defined (CADSS).
  static func remission(_ instrument: String, _ score: Double) -> Bool? {
    switch instrument {
    case "phq9", "gad7": return score < 5
    case "madrs": return score <= 10
    case "qidsSr16": return score <= 5
    case "pcl5": return score < 33
    default: return nil
    }
  }
}

/// The part of a ``CourseSummaryState/summary(now:)`` that does not depend on the time, computed
/// at most once per state value and shared by its copies. It is not part of the value: any two
/// memos compare equal and hash alike, and they are never encoded.
final class SummaryMemo: Sendable, Hashable {
  struct Timeless: Sendable {
    var courses: [CourseSummary]
    var open: [OpenFollowUp]
  }

  private let stored = Mutex<Timeless?>(nil)

  /// The memo's value, computed by `compute` the first time.
  func value(_ compute: () -> Timeless) -> Timeless {
    if let value = stored.withLock({ $0 }) { return value }
    let value = compute()
    stored.withLock { $0 = value }
    return value
  }

  static func == (_: SummaryMemo, _: SummaryMemo) -> Bool { true }
  func hash(into hasher: inout Hasher) {}
}

/// The `course-summary` projection: per `patient-<id>` stream, one record per event a summary
/// needs (keyed by global position, so records are in log order), from which
/// ``CourseSummaryState/summary(now:)`` computes the figures when the summary is read.
///
/// An append writes at most one record, whatever the patient's history; corrections and voids
/// are records of their own and take effect when the summary is computed. A read costs one pass
/// over the patient's summary records (as it did when they were one value).
public struct CourseSummaryProjection: KeyedStreamProjection {
  /// `course-summary`.
  public let name = "course-summary"
  /// Version 3: one record per relevant event (version 2 stored all of them as one value,
  /// version 1 as JSON).
  public let version = 3

  /// Creates the projection.
  public init() {}

  /// Patient streams only.
  public func includes(stream: String) -> Bool {
    stream.hasPrefix(ClinicalReviewer.patientStreamPrefix)
  }

  /// No events yet.
  public func initialState(stream: String) -> CourseSummaryState {
    CourseSummaryState(
      patientId: String(stream.dropFirst(ClinicalReviewer.patientStreamPrefix.count)))
  }

  /// Stores the event when a summary needs it.
  public func apply(_ event: RecordedEvent, to records: ProjectionRecords) throws(EventStoreError) {
    guard CourseSummaryState.relevantTypes.contains(event.type) else { return }
    let fact = CourseSummaryState.Fact(
      eventId: event.eventId, globalPosition: event.globalPosition, occurredAt: event.occurredAt,
      type: event.type, data: event.data, flags: event.flags)
    try records.setRecord(
      ProjectionRecords.key(event.globalPosition), ProjectionCoding.encode(fact))
  }

  /// The state: the facts in key order, which is log order.
  public func state(stream: String, records: [ProjectionRecord]) throws(EventStoreError)
    -> CourseSummaryState
  {
    var state = initialState(stream: stream)
    var facts: [CourseSummaryState.Fact] = []
    facts.reserveCapacity(records.count)
    for record in records {
      facts.append(try ProjectionCoding.decodeFact(record.value, projection: name, stream: stream))
    }
    state.facts = facts
    return state
  }
}
