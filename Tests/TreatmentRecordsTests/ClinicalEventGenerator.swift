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
