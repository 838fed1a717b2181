import Foundation

/// The small per-patient state needed to validate a new event without scanning the log.
///
/// It keeps, for every event id of the stream, its type, time, what it contributed and which
/// corrections and voids target it; the facts the rules read (registration, consents,
/// consultations, courses, sessions, follow-ups) are derived from the *effective* contributions:
/// a voided event counts for nothing and a corrected event counts with its latest correction's
/// replacement.
///
/// ```swift
/// var state = PatientDecisionState()
/// let flags = try state.validate(event, eventId: id, occurredAt: time, now: Date(),
///                                protocol: clinic, otherStreamHasEvent: { _ in false })
/// state = state.applying(event, eventId: id, occurredAt: time)
/// ```
///
/// Encoding keeps only the entries; decoding recomputes the derived facts.
public struct PatientDecisionState: Codable, Sendable, Equatable {
  var entries: [EntryRecord] = []
  var positions: [UUID: Int] = [:]
  var facts = DecisionFacts()

  /// An empty stream.
  public init() {}

  /// Extracts `<id>` from a patient stream name `patient-<id>`; `nil` when the name is not a
  /// patient stream or the id breaks the id pattern (1–128 of `A-Za-z0-9._:-`).
  public static func patientId(fromStream streamId: String) -> String? {
    let prefix = "patient-"
    guard streamId.hasPrefix(prefix) else { return nil }
    let id = String(streamId.dropFirst(prefix.count))
    return IdentifierFormat.isValid(id) ? id : nil
  }

  // MARK: Queries

  /// The number of events in the stream (corrections and voids included).
  public var eventCount: Int { entries.count }

  /// Whether a PatientRegistered counts (is not voided).
  public var isPatientRegistered: Bool { facts.registrations > 0 }

  /// What the stream says about an event id; `nil` when the id is not in this stream.
  public func entry(_ eventId: UUID) -> EntryStatus? {
    guard let position = positions[eventId] else { return nil }
    let record = entries[position]
    return EntryStatus(
      eventId: record.eventId, eventType: record.eventType, occurredAt: record.occurredAt,
      targetId: record.targetId, isVoided: !record.voidIds.isEmpty,
      isCorrected: activeCorrection(of: record) != nil)
  }

  /// Whether consent for `scope` is in force at `time`: the latest ConsentRecorded of that scope
  /// at or before `time` (ties by stream order) says `given: true`. With `time` `nil`, the
  /// latest overall.
  public func consentInForce(_ scope: ConsentScope, at time: Date? = nil) -> Bool {
    let list = facts.consents[scope] ?? []
    let relevant = time.map { limit in list.filter { $0.at <= limit } } ?? list
    return relevant.last?.given ?? false
  }

  /// The latest consultation at or before `time` (ties by stream order); with `time` `nil`, the
  /// latest overall.
  public func latestConsultation(at time: Date? = nil) -> ConsultationFacts? {
    let relevant =
      time.map { limit in facts.consultations.filter { $0.at <= limit } }
      ?? facts.consultations
    return relevant.last.map {
      ConsultationFacts(
        occurredAt: $0.at, eligible: $0.eligible, contraindications: Set($0.contraindications))
    }
  }

  /// The courses planned, by `courseId`.
  public var courses: [String: CourseFacts] {
    facts.courses.reduce(into: [:]) { result, item in
      result[item.key] = course(item.key)
    }
  }

  /// The sessions started, by `sessionId`.
  public var sessions: [String: SessionFacts] {
    facts.sessions.reduce(into: [:]) { result, item in
      result[item.key] = session(item.key)
    }
  }

  /// The follow-ups scheduled, by `followUpId`.
  public var followUps: [String: FollowUpFacts] {
    facts.followUps.reduce(into: [:]) { result, item in
      result[item.key] = FollowUpFacts(
        dueAt: item.value, completed: facts.completedFollowUps.contains(item.key))
    }
  }

  /// The weight of the latest session started at or before `time` (ties by stream order); with
  /// `time` `nil`, of the latest session overall.
  public func lastSessionWeightKg(at time: Date? = nil) -> Double? {
    let candidates = facts.sessions.values.filter { session in
      time.map { session.startedAt <= $0 } ?? true
    }
    let latest = candidates.max { ($0.startedAt, $0.position) < ($1.startedAt, $1.position) }
    return latest?.weightKg
  }

  func course(_ courseId: String) -> CourseFacts? {
    guard let planned = facts.courses[courseId] else { return nil }
    return CourseFacts(
      drug: planned.drug, route: planned.route, phase: planned.phase,
      completed: facts.completedCourses.contains(courseId))
  }

  func session(_ sessionId: String) -> SessionFacts? {
    guard let started = facts.sessions[sessionId] else { return nil }
    let doses = facts.doses[sessionId] ?? DecisionFacts.Doses()
    return SessionFacts(
      courseId: started.courseId, weightKg: started.weightKg, startedAt: started.startedAt,
      discharged: facts.dischargedSessions.contains(sessionId),
      hasIVDose: doses.routes.contains(.iv), doseDrugs: doses.drugs, doseRoutes: doses.routes)
  }

  // MARK: Coding

  enum CodingKeys: String, CodingKey {
    case entries
  }

  /// Decodes the entries and recomputes everything derived from them.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    entries = try container.decode([EntryRecord].self, forKey: .entries)
    positions = Dictionary(
      entries.enumerated().map { ($0.element.eventId, $0.offset) }, uniquingKeysWith: { a, _ in a })
    facts = Self.derive(entries, positions: positions)
  }

  /// Encodes the entries only (the derived facts are recomputed on decoding).
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(entries, forKey: .entries)
  }
}

/// One event of the stream as the state remembers it.
struct EntryRecord: Codable, Sendable, Equatable {
  var eventId: UUID
  var eventType: String
  var occurredAt: Date
  /// The target of an EntryCorrected or EntryVoided.
  var targetId: UUID?
  /// The event's own contribution; for an EntryCorrected, its replacement's.
  var contribution: Contribution
  /// The corrections targeting this entry, in stream order.
  var correctionIds: [UUID] = []
  /// The voids targeting this entry, in stream order.
  var voidIds: [UUID] = []

  var isCorrectionOrVoid: Bool {
    eventType == EntryCorrected.eventType || eventType == EntryVoided.eventType
  }
}

/// The id pattern of the conventions: `^[A-Za-z0-9._:-]+$`, 1 to 128 characters.
enum IdentifierFormat {
  static func isValid(_ id: String) -> Bool {
    let scalars = id.unicodeScalars
    guard !scalars.isEmpty, scalars.count <= 128 else { return false }
    return scalars.allSatisfy { scalar in
      switch scalar {
      case "A"..."Z", "a"..."z", "0"..."9", ".", "_", ":", "-": true
      default: false
      }
    }
  }
}
