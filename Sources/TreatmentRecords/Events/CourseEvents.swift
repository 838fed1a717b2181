import Foundation

/// A course of treatment was planned.
///
/// Hard limits: `plannedSessions` at least 1; `sessionsPerWeek` above 0; `targetDoseMgPerKg`
/// above 0 when present and absent for esketamine; `courseId` not already planned.
/// Soft alert: more than 2 sessions a week in maintenance.
public struct CoursePlanned: ClinicalEventData {
  /// `"CoursePlanned"`.
  public static let eventType = "CoursePlanned"
  /// Version 1.
  public static let schemaVersion = 1

  /// The course's identifier, unique within the patient.
  public var courseId: String
  /// The indication treated.
  public var indication: Indication
  /// The drug planned.
  public var drug: Drug
  /// The route planned.
  public var route: Route
  /// The phase of treatment.
  public var phase: CoursePhase
  /// Number of sessions planned (integer, at least 1).
  public var plannedSessions: Int
  /// Sessions a week (number, above 0).
  public var sessionsPerWeek: Double
  /// Target dose in mg per kg of body weight; absent for esketamine (fixed 28 mg devices).
  public var targetDoseMgPerKg: Double?

  /// Creates the payload.
  public init(
    courseId: String, indication: Indication, drug: Drug, route: Route, phase: CoursePhase,
    plannedSessions: Int, sessionsPerWeek: Double, targetDoseMgPerKg: Double? = nil
  ) {
    self.courseId = courseId
    self.indication = indication
    self.drug = drug
    self.route = route
    self.phase = phase
    self.plannedSessions = plannedSessions
    self.sessionsPerWeek = sessionsPerWeek
    self.targetDoseMgPerKg = targetDoseMgPerKg
  }

  enum CodingKeys: String, CodingKey, CaseIterable {
    case courseId, indication, drug, route, phase, plannedSessions, sessionsPerWeek
    case targetDoseMgPerKg
  }

  /// Decodes strictly: unknown keys, nulls and wrong types are rejected.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
    courseId = try c.required(.courseId)
    indication = try c.required(.indication)
    drug = try c.required(.drug)
    route = try c.required(.route)
    phase = try c.required(.phase)
    plannedSessions = try c.requiredInt(.plannedSessions)
    sessionsPerWeek = try c.required(.sessionsPerWeek)
    targetDoseMgPerKg = try c.optional(.targetDoseMgPerKg)
  }
}

/// A course ended.
///
/// Hard limits: the course is known and not already completed.
public struct CourseCompleted: ClinicalEventData {
  /// `"CourseCompleted"`.
  public static let eventType = "CourseCompleted"
  /// Version 1.
  public static let schemaVersion = 1

  /// The course that ended.
  public var courseId: String
  /// Why it ended.
  public var reason: CourseCompletionReason

  /// Creates the payload.
  public init(courseId: String, reason: CourseCompletionReason) {
    self.courseId = courseId
    self.reason = reason
  }

  enum CodingKeys: String, CodingKey, CaseIterable {
    case courseId, reason
  }

  /// Decodes strictly: unknown keys, nulls and wrong types are rejected.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
    courseId = try c.required(.courseId)
    reason = try c.required(.reason)
  }
}
