import Foundation
import LedgerFoundation

/// A follow-up (call, visit or assessment) was scheduled.
///
/// Hard limits: `followUpId` not already scheduled; a given `sessionId` started.
public struct FollowUpScheduled: ClinicalEventData {
  /// `"FollowUpScheduled"`.
  public static let eventType = "FollowUpScheduled"
  /// Version 1.
  public static let schemaVersion = 1

  /// The follow-up's identifier, unique within the patient.
  public var followUpId: String
  /// When it is due.
  public var dueAt: ClinicalTime
  /// What kind of follow-up.
  public var kind: FollowUpKind
  /// The session it follows, if any.
  public var sessionId: String?

  /// Creates the payload.
  public init(followUpId: String, dueAt: ClinicalTime, kind: FollowUpKind, sessionId: String? = nil)
  {
    self.followUpId = followUpId
    self.dueAt = dueAt
    self.kind = kind
    self.sessionId = sessionId
  }

  enum CodingKeys: String, CodingKey, CaseIterable {
    case followUpId, dueAt, kind, sessionId
  }

  /// Decodes strictly: unknown keys, nulls and wrong types are rejected.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
    followUpId = try c.required(.followUpId)
    dueAt = try c.required(.dueAt)
    kind = try c.required(.kind)
    sessionId = try c.optional(.sessionId)
  }
}

/// A scheduled follow-up took place.
///
/// Hard limits: the follow-up is scheduled and not already completed. Soft alert: completed
/// (`occurredAt`) after its `dueAt`.
public struct FollowUpCompleted: ClinicalEventData {
  /// `"FollowUpCompleted"`.
  public static let eventType = "FollowUpCompleted"
  /// Version 1.
  public static let schemaVersion = 1

  /// The follow-up.
  public var followUpId: String
  /// What came of it (free text, non-empty).
  public var outcome: String
  /// Side effects reported since the session; empty means none.
  public var newSideEffects: [String]

  /// Creates the payload.
  public init(followUpId: String, outcome: String, newSideEffects: [String]) {
    self.followUpId = followUpId
    self.outcome = outcome
    self.newSideEffects = newSideEffects
  }

  enum CodingKeys: String, CodingKey, CaseIterable {
    case followUpId, outcome, newSideEffects
  }

  /// Decodes strictly: unknown keys, nulls and wrong types are rejected.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
    followUpId = try c.required(.followUpId)
    outcome = try c.required(.outcome)
    newSideEffects = try c.required(.newSideEffects)
  }
}
