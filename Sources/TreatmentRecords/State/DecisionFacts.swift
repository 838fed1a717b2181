import Foundation

/// A course as the rules see it.
public struct CourseFacts: Sendable, Hashable {
  /// The planned drug.
  public let drug: Drug
  /// The planned route.
  public let route: Route
  /// The phase.
  public let phase: CoursePhase
  /// Whether a CourseCompleted counts for it.
  public let completed: Bool
}

/// A session as the rules see it.
public struct SessionFacts: Sendable, Hashable {
  /// The session's course.
  public let courseId: String
  /// The weight recorded at SessionStarted, in kg.
  public let weightKg: Double
  /// When the session started (its SessionStarted's `occurredAt`).
  public let startedAt: Date
  /// Whether a PatientDischarged counts for it.
  public let discharged: Bool
  /// Whether an IV dose counts for it.
  public let hasIVDose: Bool
  /// The drugs of its doses.
  public let doseDrugs: Set<Drug>
  /// The routes of its doses.
  public let doseRoutes: Set<Route>
}

/// A follow-up as the rules see it.
public struct FollowUpFacts: Sendable, Hashable {
  /// When it is due.
  public let dueAt: Date
  /// Whether a FollowUpCompleted counts for it.
  public let completed: Bool
}

/// A consultation's decision as the rules see it.
public struct ConsultationFacts: Sendable, Hashable {
  /// When the consultation took place.
  public let occurredAt: Date
  /// Whether the patient was found eligible.
  public let eligible: Bool
  /// The contraindications recorded.
  public let contraindications: Set<Contraindication>
}

/// What the stream says about one event id.
public struct EntryStatus: Sendable, Hashable {
  /// The event's id.
  public let eventId: UUID
  /// The event's type.
  public let eventType: String
  /// The event's clinical time.
  public let occurredAt: Date
  /// The entry an EntryCorrected or EntryVoided targets.
  public let targetId: UUID?
  /// Whether an EntryVoided targets it.
  public let isVoided: Bool
  /// Whether a correction that is not voided supersedes its data.
  public let isCorrected: Bool

  /// Whether it is an EntryCorrected.
  public var isCorrection: Bool { eventType == EntryCorrected.eventType }
  /// Whether it is an EntryVoided.
  public var isVoid: Bool { eventType == EntryVoided.eventType }
}

/// The derived part of the state: recomputable at any time from the entries' contributions.
///
/// Each fact is independent of the order in which contributions arrive, except that the first
/// of two entities with the same id wins (the rules never accept a duplicate), so absorbing one
/// more contribution gives what recomputing from scratch gives.
struct DecisionFacts: Sendable, Equatable {
  struct TimedConsultation: Sendable, Equatable {
    var at: Date
    var position: Int
    var eligible: Bool
    var contraindications: [Contraindication]
  }

  struct TimedConsent: Sendable, Equatable {
    var at: Date
    var position: Int
    var given: Bool
  }

  struct PlannedCourse: Sendable, Equatable {
    var drug: Drug
    var route: Route
    var phase: CoursePhase
  }

  struct StartedSession: Sendable, Equatable {
    var courseId: String
    var weightKg: Double
    var startedAt: Date
    var position: Int
  }

  struct Doses: Sendable, Equatable {
    var drugs: Set<Drug> = []
    var routes: Set<Route> = []
  }

  var registrations = 0
  var consultations: [TimedConsultation] = []
  var consents: [ConsentScope: [TimedConsent]] = [:]
  var courses: [String: PlannedCourse] = [:]
  var completedCourses: Set<String> = []
  var sessions: [String: StartedSession] = [:]
  var doses: [String: Doses] = [:]
  var dischargedSessions: Set<String> = []
  var followUps: [String: Date] = [:]
  var completedFollowUps: Set<String> = []

  mutating func absorb(_ contribution: Contribution, at: Date, position: Int) {
    switch contribution {
    case .none:
      break
    case .registration:
      registrations += 1
    case .consultation(let eligible, let contraindications):
      let item = TimedConsultation(
        at: at, position: position, eligible: eligible, contraindications: contraindications)
      let index = consultations.firstIndex { ($0.at, $0.position) > (at, position) }
      consultations.insert(item, at: index ?? consultations.endIndex)
    case .consent(let scope, let given):
      var list = consents[scope] ?? []
      let index = list.firstIndex { ($0.at, $0.position) > (at, position) }
      list.insert(
        TimedConsent(at: at, position: position, given: given), at: index ?? list.endIndex)
      consents[scope] = list
    case .coursePlanned(let courseId, let drug, let route, let phase):
      if courses[courseId] == nil {
        courses[courseId] = PlannedCourse(drug: drug, route: route, phase: phase)
      }
    case .courseCompleted(let courseId):
      completedCourses.insert(courseId)
    case .sessionStarted(let sessionId, let courseId, let weightKg):
      if sessions[sessionId] == nil {
        sessions[sessionId] = StartedSession(
          courseId: courseId, weightKg: weightKg, startedAt: at, position: position)
      }
    case .dose(let sessionId, let drug, let route):
      doses[sessionId, default: Doses()].drugs.insert(drug)
      doses[sessionId, default: Doses()].routes.insert(route)
    case .discharge(let sessionId):
      dischargedSessions.insert(sessionId)
    case .followUpScheduled(let followUpId, let dueAt):
      if followUps[followUpId] == nil {
        followUps[followUpId] = dueAt
      }
    case .followUpCompleted(let followUpId):
      completedFollowUps.insert(followUpId)
    }
  }
}
