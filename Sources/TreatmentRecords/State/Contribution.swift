import Foundation
import LedgerFoundation

/// What one event contributes to the decision state: the few facts the rules need, never a copy
/// of the payload.
enum Contribution: Codable, Sendable, Hashable {
  case none
  case registration
  case consultation(eligible: Bool, contraindications: [Contraindication])
  case consent(scope: ConsentScope, given: Bool)
  case coursePlanned(courseId: String, drug: Drug, route: Route, phase: CoursePhase)
  case courseCompleted(courseId: String)
  case sessionStarted(sessionId: String, courseId: String, weightKg: Double)
  case dose(sessionId: String, drug: Drug, route: Route)
  case discharge(sessionId: String)
  case followUpScheduled(followUpId: String, dueAt: Date)
  case followUpCompleted(followUpId: String)

  /// The contribution of an original (non-correcting) event; corrections and voids contribute
  /// through their target instead.
  init(_ event: ClinicalEvent) {
    switch event {
    case .patientRegistered:
      self = .registration
    case .consultationRecorded(let data):
      let codes = Set(data.contraindications).sorted { $0.rawValue < $1.rawValue }
      self = .consultation(eligible: data.eligible, contraindications: codes)
    case .consentRecorded(let data):
      self = .consent(scope: data.scope, given: data.given)
    case .coursePlanned(let data):
      self = .coursePlanned(
        courseId: data.courseId, drug: data.drug, route: data.route, phase: data.phase)
    case .courseCompleted(let data):
      self = .courseCompleted(courseId: data.courseId)
    case .sessionStarted(let data):
      self = .sessionStarted(
        sessionId: data.sessionId, courseId: data.courseId, weightKg: data.weightKg)
    case .doseAdministered(let data):
      self = .dose(sessionId: data.sessionId, drug: data.drug, route: data.route)
    case .patientDischarged(let data):
      self = .discharge(sessionId: data.sessionId)
    case .followUpScheduled(let data):
      self = .followUpScheduled(followUpId: data.followUpId, dueAt: data.dueAt.date)
    case .followUpCompleted(let data):
      self = .followUpCompleted(followUpId: data.followUpId)
    case .infusionAdjusted, .vitalsRecorded, .sideEffectObserved, .assessmentRecorded,
      .entryCorrected, .entryVoided:
      self = .none
    }
  }

  /// The contribution of a correction: its replacement read as the target's type.
  /// A replacement that does not decode (only possible for an unvalidated event) counts for
  /// nothing.
  init(replacement: [String: JSONValue], targetType: String) {
    guard let event = try? ClinicalEvent.decodeReplacement(replacement, type: targetType) else {
      self = .none
      return
    }
    switch event {
    case .entryCorrected, .entryVoided: self = .none
    default: self.init(event)
    }
  }
}

extension ClinicalEvent {
  /// Decodes a correction's replacement as the given type, with error paths under
  /// `replacement.`.
  static func decodeReplacement(
    _ replacement: [String: JSONValue], type: String
  ) throws(ClinicalValidationError) -> ClinicalEvent {
    let json = try ClinicalCoding.encode(replacement, eventType: EntryCorrected.eventType)
    let version =
      ClinicalEvent.allTypes.first(where: { $0.type == type })?.schemaVersion ?? 1
    do {
      return try ClinicalEvent.decode(type: type, schemaVersion: version, json: json)
    } catch {
      var inner = error
      inner.eventType = EntryCorrected.eventType
      inner.field = FieldPath.join("replacement", inner.field)
      throw inner
    }
  }
}
