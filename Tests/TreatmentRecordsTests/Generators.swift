import Foundation
import LedgerFoundation
import LedgerTestSupport
import Testing
import TreatmentRecords

/// Generates random, structurally valid payloads of every clinical event type.
///
/// Every value respects the schemas and the single-field hard limits (ranges, formats, item
/// counts and scoring), so an encoded payload validates against `Schemas/events/`. Cross-event
/// rules (a started session, consent in force) are the business of ``ScenarioGenerator``.
struct ClinicalEventGenerator {
  var rng: SeededGenerator

  init(seed: UInt64) { rng = SeededGenerator(seed: seed) }

  // MARK: Primitives

  mutating func bool(_ probabilityTrue: Double = 0.5) -> Bool {
    Double.random(in: 0..<1, using: &rng) < probabilityTrue
  }

  mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }

  /// A double in `range`, sometimes with many decimals, sometimes a round number.
  mutating func double(_ range: ClosedRange<Double>) -> Double {
    let value = Double.random(in: range, using: &rng)
    switch int(0...2) {
    case 0: return min(range.upperBound, max(range.lowerBound, value.rounded()))
    case 1: return min(range.upperBound, max(range.lowerBound, (value * 10).rounded() / 10))
    default: return value
    }
  }

  mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }

  mutating func pick<T: CaseIterable>(_ type: T.Type) -> T where T.AllCases == [T] {
    pick(T.allCases)
  }

  mutating func id(_ prefix: String) -> String {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-")
    return prefix + "-" + String((0..<int(1...12)).map { _ in pick(alphabet) })
  }

  /// Free text, including characters JSON must escape.
  mutating func text() -> String {
    let words = [
      "nausea", "résumé", "Übelkeit", "\"quoted\"", "back\\slash", "tab\there", "line\nbreak",
      "ketamine", "<tag>", "😀", "路径", "a/b", "ok",
    ]
    return (0..<int(1...4)).map { _ in pick(words) }.joined(separator: " ")
  }

  /// A clinical time between 2020 and 2030 at a random whole-quarter-hour offset.
  mutating func time() -> ClinicalTime {
    let seconds = Double(int(1_577_836_800...1_893_456_000))
    let fraction = bool(0.3) ? Double(int(0...999_999)) / 1_000_000 : 0
    return ClinicalTime(
      Date(timeIntervalSince1970: seconds + fraction), offsetMinutes: int(-48...56) * 15)
  }

  mutating func optional<T>(_ make: (inout Self) -> T) -> T? {
    bool() ? make(&self) : nil
  }

  mutating func list<T>(_ range: ClosedRange<Int>, _ make: (inout Self) -> T) -> [T] {
    (0..<int(range)).map { _ in make(&self) }
  }

  mutating func icd10() -> String {
    let letters = Array("ABCDEFGHIJKLMNOPQRSTVWXYZ")
    var code = String(pick(letters)) + String(int(0...9)) + String(int(0...9))
    if bool() { code += "." + String(int(0...9)) }
    return code
  }

  // MARK: Payloads

  mutating func patientRegistered() -> PatientRegistered {
    PatientRegistered(
      patientId: id("pt"), birthYear: int(1920...2005), sexAtBirth: pick(SexAtBirth.self))
  }

  mutating func consultationRecorded() -> ConsultationRecorded {
    ConsultationRecorded(
      indication: pick(Indication.self), diagnoses: list(0...3) { $0.icd10() },
      allergies: list(0...2) { $0.text() }, currentMedications: list(0...3) { $0.text() },
      priorAntidepressantTrials: list(0...4) {
        PriorAntidepressantTrial(
          drug: $0.pick(["sertraline", "venlafaxine", "bupropion", "mirtazapine"]),
          weeks: $0.int(0...52), outcome: $0.pick(TrialOutcome.self))
      },
      contraindications: list(0...2) { $0.pick(Contraindication.self) }, eligible: bool(),
      eligibilityNote: optional { $0.text() })
  }

  mutating func consentRecorded() -> ConsentRecorded {
    ConsentRecorded(
      consentId: id("consent"), scope: pick(ConsentScope.self),
      formVersion: "v\(int(1...9)).\(int(0...9))", given: bool(0.8))
  }

  mutating func coursePlanned() -> CoursePlanned {
    let drug = pick(Drug.self)
    return CoursePlanned(
      courseId: id("course"), indication: pick(Indication.self), drug: drug,
      route: drug == .esketamine ? .intranasal : pick(Route.self), phase: pick(CoursePhase.self),
      plannedSessions: int(1...12), sessionsPerWeek: double(0.25...3),
      targetDoseMgPerKg: drug == .esketamine ? nil : optional { $0.double(0.1...1.5) })
  }

  mutating func sessionStarted() -> SessionStarted {
    SessionStarted(
      sessionId: id("session"), courseId: id("course"), weightKg: double(20...350),
      escortArranged: bool(0.9), fasted: bool(0.9))
  }

  mutating func doseAdministered(
    sessionId: String? = nil, courseId: String? = nil, drug: Drug? = nil, route: Route? = nil,
    weightKg: Double? = nil
  ) -> DoseAdministered {
    let drug = drug ?? pick(Drug.self)
    let route = route ?? (drug == .esketamine ? .intranasal : pick([.iv, .im, .sc, .oral]))
    let weightKg = weightKg ?? double(40...150)
    let doseMg: Double
    switch (drug, route) {
    case (.esketamine, _): doseMg = pick([28, 56, 84])
    case (_, .iv): doseMg = (weightKg * double(0.1...0.9) * 10).rounded() / 10
    case (_, .im), (_, .sc): doseMg = (weightKg * double(0.2...1.2) * 10).rounded() / 10
    default: doseMg = (weightKg * double(0.2...7.5)).rounded()
    }
    return DoseAdministered(
      sessionId: sessionId ?? id("session"), courseId: courseId ?? id("course"), drug: drug,
      route: route, doseMg: max(doseMg, 1), weightKg: weightKg,
      doseMgPerKg: max(doseMg, 1) / weightKg,
      plannedDurationMinutes: route == .iv ? optional { $0.double(2...100) } : nil,
      lotNumber: "LOT-\(int(1000...9999))")
  }

  mutating func infusionAdjusted(sessionId: String? = nil) -> InfusionAdjusted {
    let action = pick(InfusionAction.self)
    return InfusionAdjusted(
      sessionId: sessionId ?? id("session"), action: action,
      newRateMgPerMinute: action == .rateChanged ? double(0.05...2) : nil, reason: text())
  }

  mutating func vitalsRecorded(sessionId: String? = nil) -> VitalsRecorded {
    var vitals = VitalsRecorded(
      sessionId: sessionId ?? id("session"), timepoint: pick(VitalsTimepoint.self),
      heartRateBpm: optional { $0.double(30...180) },
      spo2Percent: optional { $0.double(80...100) },
      respiratoryRatePerMinute: optional { $0.double(4...40) },
      temperatureCelsius: optional { $0.double(34...40) })
    if bool(0.7) {
      let diastolic = double(40...120)
      vitals.diastolicMmHg = diastolic
      vitals.systolicMmHg = diastolic + double(10...90)
    }
    if [
      vitals.heartRateBpm, vitals.systolicMmHg, vitals.spo2Percent,
      vitals.respiratoryRatePerMinute, vitals.temperatureCelsius,
    ].allSatisfy({ $0 == nil }) {
      vitals.heartRateBpm = double(55...100)
    }
    return vitals
  }

  mutating func sideEffectObserved(sessionId: String? = nil) -> SideEffectObserved {
    SideEffectObserved(
      sessionId: sessionId ?? id("session"), effect: pick(SideEffectKind.self),
      severity: pick(Severity.self), serious: bool(0.1), actionTaken: text(),
      resolvedAt: optional { $0.time() })
  }

  /// Item scores within the instrument's range and the total by its scoring.
  mutating func assessmentRecorded(
    courseId: String?? = .none, sessionId: String?? = .none
  ) -> AssessmentRecorded {
    let instrument = pick(Instrument.self)
    let items = (0..<Self.itemCount(instrument)).map { _ in int(Self.itemRange(instrument)) }
    return AssessmentRecorded(
      instrument: instrument, itemScores: items, totalScore: Self.score(instrument, items),
      timepoint: pick(AssessmentTimepoint.self),
      courseId: courseId ?? optional { $0.id("course") },
      sessionId: sessionId ?? optional { $0.id("session") })
  }

  mutating func patientDischarged(sessionId: String? = nil) -> PatientDischarged {
    PatientDischarged(
      sessionId: sessionId ?? id("session"), minutesObserved: int(20...240),
      criteriaMet: bool(0.9), escortPresent: bool(0.9), noDrivingAdviceGiven: bool(0.95))
  }

  mutating func followUpScheduled(sessionId: String?? = .none) -> FollowUpScheduled {
    FollowUpScheduled(
      followUpId: id("fu"), dueAt: time(), kind: pick(FollowUpKind.self),
      sessionId: sessionId ?? optional { $0.id("session") })
  }

  mutating func followUpCompleted(followUpId: String? = nil) -> FollowUpCompleted {
    FollowUpCompleted(
      followUpId: followUpId ?? id("fu"), outcome: text(), newSideEffects: list(0...2) { $0.text() }
    )
  }

  mutating func courseCompleted(courseId: String? = nil) -> CourseCompleted {
    CourseCompleted(courseId: courseId ?? id("course"), reason: pick(CourseCompletionReason.self))
  }

  mutating func entryCorrected() -> EntryCorrected {
    let replacement = anyOriginalEvent()
    return EntryCorrected(
      correctedEventId: uuid(), reason: text(), replacement: jsonObject(replacement))
  }

  mutating func entryVoided() -> EntryVoided {
    EntryVoided(voidedEventId: uuid(), reason: text())
  }

  mutating func uuid() -> UUID {
    let a = rng.next()
    let b = rng.next()
    let bytes: uuid_t = (
      UInt8(truncatingIfNeeded: a), UInt8(truncatingIfNeeded: a >> 8),
      UInt8(truncatingIfNeeded: a >> 16), UInt8(truncatingIfNeeded: a >> 24),
      UInt8(truncatingIfNeeded: a >> 32), UInt8(truncatingIfNeeded: a >> 40),
      UInt8(truncatingIfNeeded: a >> 48) & 0x0F | 0x40, UInt8(truncatingIfNeeded: a >> 56),
      UInt8(truncatingIfNeeded: b) & 0x3F | 0x80, UInt8(truncatingIfNeeded: b >> 8),
      UInt8(truncatingIfNeeded: b >> 16), UInt8(truncatingIfNeeded: b >> 24),
      UInt8(truncatingIfNeeded: b >> 32), UInt8(truncatingIfNeeded: b >> 40),
      UInt8(truncatingIfNeeded: b >> 48), UInt8(truncatingIfNeeded: b >> 56)
    )
    return UUID(uuid: bytes)
  }

  /// A random payload of the given type.
  mutating func event(ofType type: String) -> ClinicalEvent? {
    switch type {
    case PatientRegistered.eventType: .patientRegistered(patientRegistered())
    case ConsultationRecorded.eventType: .consultationRecorded(consultationRecorded())
    case ConsentRecorded.eventType: .consentRecorded(consentRecorded())
    case CoursePlanned.eventType: .coursePlanned(coursePlanned())
    case SessionStarted.eventType: .sessionStarted(sessionStarted())
    case DoseAdministered.eventType: .doseAdministered(doseAdministered())
    case InfusionAdjusted.eventType: .infusionAdjusted(infusionAdjusted())
    case VitalsRecorded.eventType: .vitalsRecorded(vitalsRecorded())
    case SideEffectObserved.eventType: .sideEffectObserved(sideEffectObserved())
    case AssessmentRecorded.eventType: .assessmentRecorded(assessmentRecorded())
    case PatientDischarged.eventType: .patientDischarged(patientDischarged())
    case FollowUpScheduled.eventType: .followUpScheduled(followUpScheduled())
    case FollowUpCompleted.eventType: .followUpCompleted(followUpCompleted())
    case CourseCompleted.eventType: .courseCompleted(courseCompleted())
    case EntryCorrected.eventType: .entryCorrected(entryCorrected())
    case EntryVoided.eventType: .entryVoided(entryVoided())
    default: nil
    }
  }

  /// A random payload of any type but EntryCorrected and EntryVoided.
  mutating func anyOriginalEvent() -> ClinicalEvent {
    let types = ClinicalEvent.allTypes.map(\.type).filter {
      $0 != EntryCorrected.eventType && $0 != EntryVoided.eventType
    }
    return event(ofType: pick(types)) ?? .patientRegistered(patientRegistered())
  }

  // MARK: Instruments (an independent statement of the conventions)

  static func itemCount(_ instrument: Instrument) -> Int {
    switch instrument {
    case .phq9: 9
    case .gad7: 7
    case .pcl5: 20
    case .madrs: 10
    case .qidsSr16: 16
    case .cadss: 23
    }
  }

  static func itemRange(_ instrument: Instrument) -> ClosedRange<Int> {
    switch instrument {
    case .phq9, .gad7, .qidsSr16: 0...3
    case .pcl5, .cadss: 0...4
    case .madrs: 0...6
    }
  }

  /// The plain sum, or for QIDS-SR16 the nine domains: max(1–4), 5, max(6–9), 10–14, max(15–16).
  static func score(_ instrument: Instrument, _ items: [Int]) -> Int {
    guard instrument == .qidsSr16 else { return items.reduce(0, +) }
    let domains = [
      items[0...3].max() ?? 0, items[4], items[5...8].max() ?? 0, items[9], items[10], items[11],
      items[12], items[13], items[14...15].max() ?? 0,
    ]
    return domains.reduce(0, +)
  }
}

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
