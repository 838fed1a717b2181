import Foundation
import LedgerFoundation
import LedgerTestSupport
import Testing
import TreatmentRecords

/// One event as a stream holds it, for folding.
typealias StreamEvent = (event: ClinicalEvent, eventId: UUID, occurredAt: ClinicalTime)

/// Generates random patient streams whose every event passes validation in order, including
/// late (back-dated) entries, corrections and voids.
struct ScenarioGenerator {
  var values: ClinicalEventGenerator
  var state = PatientDecisionState()
  var events: [StreamEvent] = []
  /// Candidates refused for a reason the generator means to exercise.
  var rejected = 0
  /// Candidates refused for any other reason: the generator meant them to be accepted, so every
  /// test that uses it expects this to be empty.
  var unexpectedRefusals: [String] = []
  /// What the generator proposes knowing it may be refused: doses (and corrections of doses)
  /// after a random consultation, consent or contraindication made them unlawful, and
  /// corrections of a session whose course has since been completed.
  static let meantRefusals: Set<String> = [
    "dose.consent.notInForce", "dose.consultation.notEligible", "dose.esketamine.contraindicated",
    "session.course.completed",
  ]
  let clinic = ClinicalProtocol()
  let now = Date(timeIntervalSince1970: 1_900_000_000)  // 2030
  private var clock = Date(timeIntervalSince1970: 1_767_600_000)  // January 2026
  private var courseIds: [String] = []
  private var sessionIds: [String] = []
  private var followUpIds: [String] = []

  init(seed: UInt64) { values = ClinicalEventGenerator(seed: seed) }

  /// Builds a stream of up to `length` accepted events.
  mutating func generate(length: Int) -> [StreamEvent] {
    var attempts = 0
    while events.count < length, attempts < length * 20 {
      attempts += 1
      if let candidate = nextCandidate() {
        offer(candidate)
      }
    }
    if !unexpectedRefusals.isEmpty {
      Issue.record("the generator's events were refused: \(unexpectedRefusals.prefix(5))")
    }
    return events
  }

  /// Validates and, if accepted, applies one event; returns whether it was accepted.
  @discardableResult
  mutating func offer(_ event: ClinicalEvent, at time: ClinicalTime? = nil) -> Bool {
    let occurredAt = time ?? nextTime()
    let eventId = values.uuid()
    do {
      _ = try state.validate(
        event, eventId: eventId, occurredAt: occurredAt, now: now, protocol: clinic,
        otherStreamHasEvent: { _ in false })
    } catch {
      if Self.meantRefusals.contains(error.rule) {
        rejected += 1
      } else {
        unexpectedRefusals.append("\(event.eventType) after \(events.count) events: \(error)")
      }
      return false
    }
    state = state.applying(event, eventId: eventId, occurredAt: occurredAt)
    events.append((event, eventId, occurredAt))
    switch event {
    case .coursePlanned(let data): courseIds.append(data.courseId)
    case .sessionStarted(let data): sessionIds.append(data.sessionId)
    case .followUpScheduled(let data): followUpIds.append(data.followUpId)
    default: break
    }
    return true
  }

  private mutating func nextTime() -> ClinicalTime {
    if values.bool(0.1) {
      // A late entry: it happened a little before the latest one.
      return ClinicalTime(
        clock.addingTimeInterval(-Double(values.int(1...600)) * 60), offsetMinutes: 60)
    }
    clock = clock.addingTimeInterval(Double(values.int(1...4_000)) * 60)
    return ClinicalTime(clock, offsetMinutes: values.pick([0, 60, -300, 330]))
  }

  private mutating func nextCandidate() -> ClinicalEvent? {
    if !state.isPatientRegistered {
      return .patientRegistered(values.patientRegistered())
    }
    if state.latestConsultation() == nil {
      var consultation = values.consultationRecorded()
      consultation.eligible = true
      consultation.contraindications = []
      return .consultationRecorded(consultation)
    }
    if !state.consentInForce(.treatment) {
      var consent = values.consentRecorded()
      consent.scope = .treatment
      consent.given = true
      return .consentRecorded(consent)
    }
    // Only courses and sessions that still stand (a void removes them).
    let courseIds = self.courseIds.filter { state.courses[$0] != nil }
    let sessionIds = self.sessionIds.filter { state.sessions[$0] != nil }
    let openCourses = courseIds.filter { state.courses[$0]?.completed == false }
    let openSessions = sessionIds.filter { state.sessions[$0]?.discharged == false }
    switch values.int(0...19) {
    case 0:
      return .consultationRecorded(values.consultationRecorded())
    case 1:
      return .consentRecorded(values.consentRecorded())
    case 2:
      return .coursePlanned(values.coursePlanned())
    case 3, 4:
      guard let courseId = optionalPick(openCourses) else {
        return .coursePlanned(values.coursePlanned())
      }
      var session = values.sessionStarted()
      session.courseId = courseId
      session.weightKg =
        state.lastSessionWeightKg().map { $0 * values.double(0.9...1.1) }
        ?? values.double(45...140)
      return .sessionStarted(session)
    case 5, 6, 7:
      guard let sessionId = optionalPick(openSessions), let session = state.sessions[sessionId],
        let course = state.courses[session.courseId]
      else { return nil }
      return .doseAdministered(
        values.doseAdministered(
          sessionId: sessionId, courseId: session.courseId, drug: course.drug,
          route: values.bool(0.8) ? course.route : nil, weightKg: session.weightKg))
    case 8:
      let ivSessions = openSessions.filter { state.sessions[$0]?.hasIVDose == true }
      guard let sessionId = optionalPick(ivSessions) else { return nil }
      return .infusionAdjusted(values.infusionAdjusted(sessionId: sessionId))
    case 9:
      guard let sessionId = optionalPick(sessionIds) else { return nil }
      return .vitalsRecorded(values.vitalsRecorded(sessionId: sessionId))
    case 10:
      guard let sessionId = optionalPick(sessionIds) else { return nil }
      return .sideEffectObserved(values.sideEffectObserved(sessionId: sessionId))
    case 11:
      return .assessmentRecorded(
        values.assessmentRecorded(
          courseId: .some(optionalPick(courseIds)), sessionId: .some(optionalPick(sessionIds))))
    case 12:
      guard let sessionId = optionalPick(openSessions) else { return nil }
      return .patientDischarged(values.patientDischarged(sessionId: sessionId))
    case 13:
      return .followUpScheduled(
        values.followUpScheduled(sessionId: .some(optionalPick(sessionIds))))
    case 14:
      let open = followUpIds.filter { state.followUps[$0]?.completed == false }
      guard let followUpId = optionalPick(open) else { return nil }
      return .followUpCompleted(values.followUpCompleted(followUpId: followUpId))
    case 15:
      guard let courseId = optionalPick(openCourses), values.bool(0.5) else { return nil }
      return .courseCompleted(values.courseCompleted(courseId: courseId))
    case 16, 17:
      return correction()
    default:
      return void()
    }
  }

  private mutating func optionalPick(_ items: [String]) -> String? {
    items.isEmpty ? nil : values.pick(items)
  }

  /// A correction of a random original entry with a mutated copy of its current data.
  private mutating func correction() -> ClinicalEvent? {
    let originals = events.filter { item in
      guard let status = state.entry(item.eventId) else { return false }
      return !status.isCorrection && !status.isVoid && !status.isVoided
        && referencesStand(currentData(of: item.eventId) ?? item.event)
    }
    guard !originals.isEmpty else { return nil }
    let target = values.pick(originals)
    let current = currentData(of: target.eventId) ?? target.event
    guard let mutated = mutate(current) else { return nil }
    return .entryCorrected(
      EntryCorrected(
        correctedEventId: target.eventId, reason: values.text(), replacement: jsonObject(mutated)))
  }

  /// A void of a random entry that is not a void and not voided (corrections included).
  private mutating func void() -> ClinicalEvent? {
    guard values.bool(0.5) else { return nil }
    let candidates = events.filter { item in
      guard let status = state.entry(item.eventId) else { return false }
      return !status.isVoid && !status.isVoided
    }
    guard !candidates.isEmpty else { return nil }
    return .entryVoided(
      EntryVoided(voidedEventId: values.pick(candidates).eventId, reason: "entered in error"))
  }

  /// True when the sessions and courses an entry names still stand (a correction of an entry
  /// whose session was voided is refused, rightly, so the generator does not propose one).
  private func referencesStand(_ event: ClinicalEvent) -> Bool {
    let object = jsonObject(event)
    if event.eventType != CoursePlanned.eventType, case .string(let course)? = object["courseId"],
      state.courses[course] == nil
    {
      return false
    }
    if event.eventType != SessionStarted.eventType,
      case .string(let session)? = object["sessionId"],
      state.sessions[session] == nil
    {
      return false
    }
    return true
  }

  /// The data that currently stands for an entry (its latest live correction's replacement).
  private func currentData(of eventId: UUID) -> ClinicalEvent? {
    EffectiveStream.effectiveEvents(events).first { $0.eventId == eventId }?.event
  }

  /// A plausible clinical correction of a payload.
  private mutating func mutate(_ event: ClinicalEvent) -> ClinicalEvent? {
    switch event {
    case .patientRegistered(var data):
      data.birthYear = values.int(1930...2004)
      return .patientRegistered(data)
    case .consultationRecorded(var data):
      data.eligible.toggle()
      if values.bool(0.3) { data.contraindications = [values.pick(Contraindication.self)] }
      return .consultationRecorded(data)
    case .consentRecorded(var data):
      data.given.toggle()
      return .consentRecorded(data)
    case .coursePlanned(var data):
      data.plannedSessions = values.int(1...12)
      data.phase = values.pick(CoursePhase.self)
      return .coursePlanned(data)
    case .sessionStarted(var data):
      data.weightKg = min(350, max(20, data.weightKg * values.double(0.85...1.15)))
      return .sessionStarted(data)
    case .doseAdministered(let data):
      return .doseAdministered(
        values.doseAdministered(
          sessionId: data.sessionId, courseId: data.courseId, drug: data.drug,
          route: values.bool(0.5) ? data.route : nil, weightKg: data.weightKg))
    case .infusionAdjusted(let data):
      return .infusionAdjusted(values.infusionAdjusted(sessionId: data.sessionId))
    case .vitalsRecorded(let data):
      return .vitalsRecorded(values.vitalsRecorded(sessionId: data.sessionId))
    case .sideEffectObserved(let data):
      return .sideEffectObserved(values.sideEffectObserved(sessionId: data.sessionId))
    case .assessmentRecorded(let data):
      return .assessmentRecorded(
        values.assessmentRecorded(courseId: .some(data.courseId), sessionId: .some(data.sessionId)))
    case .patientDischarged(var data):
      data.minutesObserved = values.int(20...240)
      data.criteriaMet.toggle()
      return .patientDischarged(data)
    case .followUpScheduled(var data):
      data.dueAt = values.time()
      return .followUpScheduled(data)
    case .followUpCompleted(var data):
      data.outcome = values.text()
      return .followUpCompleted(data)
    case .courseCompleted(var data):
      data.reason = values.pick(CourseCompletionReason.self)
      return .courseCompleted(data)
    case .entryCorrected, .entryVoided:
      return nil
    }
  }
}

/// Resolves corrections and voids the way docs/CLINICAL-RULES.md sections 6-7 states them, independently of the
/// library: a voided event counts for nothing, a corrected one counts with its latest live
/// correction's replacement, and corrections and voids themselves count for nothing.
enum EffectiveStream {
  static func effectiveEvents(_ events: [StreamEvent]) -> [StreamEvent] {
    var voided = Set<UUID>()
    for item in events {
      if case .entryVoided(let data) = item.event { voided.insert(data.voidedEventId) }
    }
    var latestCorrection: [UUID: EntryCorrected] = [:]
    for item in events where !voided.contains(item.eventId) {
      if case .entryCorrected(let data) = item.event {
        latestCorrection[data.correctedEventId] = data
      }
    }
    var result: [StreamEvent] = []
    for item in events where !voided.contains(item.eventId) {
      switch item.event {
      case .entryCorrected, .entryVoided:
        continue
      default:
        guard let correction = latestCorrection[item.eventId] else {
          result.append(item)
          continue
        }
        do {
          let data = try JSONEncoder().encode(correction.replacement)
          let replacement = try ClinicalEvent.decode(
            type: item.event.eventType, schemaVersion: 1, json: data)
          result.append((replacement, item.eventId, item.occurredAt))
        } catch {
          Issue.record("a stored correction's replacement does not decode: \(error)")
        }
      }
    }
    return result
  }
}

/// A payload as the JSON object a correction's `replacement` holds; a payload that does not
/// encode is a generator bug and fails the test.
func jsonObject(_ event: ClinicalEvent) -> [String: JSONValue] {
  do {
    return try JSONDecoder().decode([String: JSONValue].self, from: try event.jsonData())
  } catch {
    Issue.record("a generated \(event.eventType) does not encode: \(error)")
    return [:]
  }
}
