import Foundation
import LedgerFoundation
import TreatmentLedger

/// A deterministic synthetic clinic: realistic patients, courses and sessions that pass the same
/// validation as real input and follow the ranges of docs/CLINICAL-RULES.md. The same seed gives
/// the same events (ids, times and values); only `recordedAt` depends on when they are stored.
///
/// Every patient is registered, consulted and consented, then has one course: IV ketamine
/// infusions (0.5 mg/kg over 40 minutes, with vitals every 10 minutes and rate changes or early
/// stops when blood pressure rises), intramuscular ketamine, or intranasal esketamine (56/84 mg,
/// at least 2 hours of observation). Sessions carry PHQ-9 scores (responders and
/// non-responders), GAD-7 at the first and last session, side effects, discharges, next-day
/// follow-up calls (some missed or late) and, now and then, a corrected or voided entry.
public struct DemoClinic: Sendable {
  /// The random seed.
  public let seed: UInt64
  /// How many patients.
  public let patients: Int
  /// The first clinical day (course start dates spread over the following 60 days).
  public static let firstDay = "2026-06-01"

  /// Creates a clinic of `patients` patients from `seed`.
  public init(patients: Int, seed: UInt64) {
    self.patients = max(1, patients)
    self.seed = seed
  }

  /// The pseudonymous id of patient `index` (0-based).
  public func patientId(_ index: Int) -> String { String(format: "demo-%04d", index + 1) }

  /// The events of patient `index`, in clinical order (an append batch for `patient-<id>`).
  public func events(ofPatient index: Int) -> [ProposedEvent] {
    var builder = PatientBuilder(
      patientId: patientId(index), rng: SplitMix64(seed: seed &* 1_000_003 &+ UInt64(index)))
    return builder.build()
  }

  /// Every patient's events, patient by patient.
  public func allEvents() -> [(stream: String, events: [ProposedEvent])] {
    (0..<patients).map { (Ledger.stream(forPatient: patientId($0)), events(ofPatient: $0)) }
  }
}

/// SplitMix64: small, fast, and the same on every platform.
struct SplitMix64: RandomNumberGenerator, Sendable {
  private var state: UInt64
  init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

private struct PatientBuilder {
  let patientId: String
  var rng: SplitMix64
  var events: [ProposedEvent] = []
  /// Minutes since the clinic's first day, 00:00 local (UTC−05:00).
  var clock = 0
  /// The patient's weight in kg, drifting a little from session to session.
  var weight = 0.0

  static let staff = [
    Recorder(id: "staff-0042", name: "Dr. Avery Example", role: "prescriber"),
    Recorder(id: "staff-0107", name: "Jordan Example, RN", role: "nurse"),
    Recorder(id: "staff-0215", name: "Sam Example", role: "coordinator"),
  ]

  init(patientId: String, rng: SplitMix64) {
    self.patientId = patientId
    self.rng = rng
  }

  mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }
  mutating func double(_ range: ClosedRange<Double>) -> Double {
    Double.random(in: range, using: &rng)
  }
  mutating func chance(_ p: Double) -> Bool { double(0...1) < p }
  mutating func round(_ value: Double, _ places: Double = 1) -> Double {
    let scale = pow(10, places)
    return (value * scale).rounded() / scale
  }

  mutating func uuid() -> UUID {
    var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &rng) }
    bytes[6] = bytes[6] & 0x0F | 0x40
    bytes[8] = bytes[8] & 0x3F | 0x80
    return UUID(
      uuid: (
        bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
        bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
      ))
  }

  func time(_ minutes: Int) -> String {
    let base = Timestamp.parseMicros(DemoClinic.firstDay + "T00:00:00-05:00") ?? 0
    let micros = base + Int64(minutes) * 60_000_000
    let utc = Timestamp.format(micros: micros - 5 * 3_600_000_000)
    return String(utc.prefix(19)) + "-05:00"
  }

  @discardableResult
  mutating func add(
    _ type: String, _ data: [String: JSONValue], by: Int = 1, at minutes: Int? = nil,
    correlation: UUID? = nil
  ) -> UUID {
    let id = uuid()
    events.append(
      ProposedEvent(
        eventId: id, type: type, occurredAt: time(minutes ?? clock), recordedBy: Self.staff[by],
        data: .object(data), correlationId: correlation))
    return id
  }

  /// Item scores adding up to `total`, or to as much as the items can hold when `total` is more
  /// (the caller takes the sum as the total score).
  mutating func items(total: Int, count: Int, maximum: Int, lastItemZero: Bool) -> [JSONValue] {
    var items = [Int](repeating: 0, count: count)
    let slots = lastItemZero ? count - 1 : count
    var remaining = min(total, slots * maximum)
    while remaining > 0 {
      let index = int(0...(slots - 1))
      if items[index] < maximum {
        items[index] += 1
        remaining -= 1
      }
    }
    return items.map { .number(Double($0)) }
  }

  enum Plan { case iv, im, esketamine }

  /// The course being built, and what every one of its sessions draws on.
  struct Course {
    let id: String
    let plan: Plan
    let plannedSessions: Int
    let responder: Bool
    let baselinePHQ: Int
    let baselineGAD: Int

    var drug: String { plan == .esketamine ? "esketamine" : "ketamine" }
    var route: String { plan == .esketamine ? "intranasal" : (plan == .iv ? "iv" : "im") }
  }

  /// One session's ids, shared by its events.
  struct Visit {
    let number: Int
    let sessionId: String
    let correlation: UUID
  }

  /// The vital signs as they drift through a session.
  struct Vitals {
    var systolic: Double
    var diastolic: Double
    var heartRate: Double
  }

  /// The patient's events. The order of the random draws below is the generator's contract: the
  /// same seed gives the same events, so a change of order changes every demo clinic.
  mutating func build() -> [ProposedEvent] {
    let (indication, plan) = intake()
    let course = planCourse(indication: indication, plan: plan)
    weight = round(double(52...118))
    let sessions = course.plannedSessions
    let sessionsHeld = chance(0.15) ? int(2...(sessions - 1)) : sessions
    for number in 1...sessionsHeld {
      session(number, of: course, held: sessionsHeld)
    }
    clock += 30
    let reason =
      sessionsHeld < sessions ? "patientChoice" : (course.responder ? "completed" : "nonResponse")
    add(
      "CourseCompleted", ["courseId": .string(course.id), "reason": .string(reason)], by: 0,
      at: clock)
    return events
  }

  /// Registration, consultation and consent; returns the indication and the treatment plan.
  mutating func intake() -> (indication: String, plan: Plan) {
    clock = int(0...60) * 1_440 + 9 * 60
    let birthYear = int(1950...2004)
    add(
      "PatientRegistered",
      [
        "patientId": .string(patientId), "birthYear": .number(Double(birthYear)),
        "sexAtBirth": .string(
          ["female", "male", "female", "male", "intersex", "unknown"][int(0...3)]),
      ], by: 2)
    clock += 45
    let indication = [
      "treatmentResistantDepression", "treatmentResistantDepression",
      "treatmentResistantDepression", "ptsd", "anxiety", "bipolarDepression",
    ][int(0...5)]
    let diagnosis =
      [
        "treatmentResistantDepression": "F33.2", "ptsd": "F43.10", "anxiety": "F41.1",
        "bipolarDepression": "F31.4",
      ][indication] ?? "F32.9"
    let trials = (0..<(indication == "treatmentResistantDepression" ? int(1...3) : int(0...2))).map
    { _ -> JSONValue in
      .object([
        "drug": .string(
          ["sertraline", "escitalopram", "venlafaxine", "bupropion", "mirtazapine"][int(0...4)]),
        "weeks": .number(Double(int(4...12))),
        "outcome": .string(["none", "partial", "partial"][int(0...2)]),
      ])
    }
    let plan: Plan = [.iv, .iv, .iv, .im, .esketamine][int(0...4)]
    add(
      "ConsultationRecorded",
      [
        "indication": .string(indication), "diagnoses": .array([.string(diagnosis)]),
        "allergies": .array(chance(0.2) ? [.string("penicillin")] : []),
        "currentMedications": .array([
          .string(["sertraline 100 mg", "lamotrigine 200 mg", "none"][int(0...2)])
        ]),
        "priorAntidepressantTrials": .array(trials), "contraindications": .array([]),
        "eligible": .bool(true),
        "eligibilityNote": .string("Eligible after review of history and blood pressure"),
      ], by: 0)
    clock += 20
    add(
      "ConsentRecorded",
      [
        "consentId": .string("consent-\(patientId)-treatment"), "scope": .string("treatment"),
        "formVersion": .string("2026-03"), "given": .bool(true),
      ], by: 0)
    if plan == .esketamine {
      add(
        "ConsentRecorded",
        [
          "consentId": .string("consent-\(patientId)-rems"), "scope": .string("rems"),
          "formVersion": .string("spravato-rems-4"), "given": .bool(true),
        ], by: 0)
    }
    return (indication, plan)
  }

  /// Plans the course, then draws how the patient will respond to it.
  mutating func planCourse(indication: String, plan: Plan) -> Course {
    clock += 15
    let courseId = "course-\(patientId)-1"
    let sessions = plan == .esketamine ? 8 : (plan == .iv ? 6 : 4)
    var course: [String: JSONValue] = [
      "courseId": .string(courseId), "indication": .string(indication),
      "drug": .string(plan == .esketamine ? "esketamine" : "ketamine"),
      "route": .string(plan == .esketamine ? "intranasal" : (plan == .iv ? "iv" : "im")),
      "phase": .string("induction"), "plannedSessions": .number(Double(sessions)),
      "sessionsPerWeek": .number(2),
    ]
    if plan != .esketamine { course["targetDoseMgPerKg"] = .number(0.5) }
    add("CoursePlanned", course, by: 0)
    let responder = chance(0.6)
    let baselinePHQ = int(15...24)
    let baselineGAD = int(10...18)
    return Course(
      id: courseId, plan: plan, plannedSessions: sessions, responder: responder,
      baselinePHQ: baselinePHQ, baselineGAD: baselineGAD)
  }

  /// Session `number`: assessments, vitals, the dose, recovery, discharge and the follow-up call.
  mutating func session(_ number: Int, of course: Course, held sessionsHeld: Int) {
    clock =
      (clock / 1_440 + (number == 1 ? 7 : (number % 2 == 0 ? 3 : 4))) * 1_440 + 9 * 60 + int(
        0...4) * 15
    let visit = Visit(
      number: number, sessionId: "session-\(patientId)-\(number)", correlation: uuid())
    weight = round(weight * double(0.99...1.01))
    add(
      "SessionStarted",
      [
        "sessionId": .string(visit.sessionId), "courseId": .string(course.id),
        "weightKg": .number(weight), "escortArranged": .bool(!chance(0.03)),
        "fasted": .bool(true),
      ], correlation: visit.correlation)
    assess(visit, course, held: sessionsHeld)
    clock += 5
    var reading = Vitals(
      systolic: Double(int(112...136)), diastolic: Double(int(70...86)),
      heartRate: Double(int(62...84)))
    let baselineReading = vitals(visit, "baseline", reading, spo2: Double(int(96...99)))
    if chance(0.05) { correctPulse(baselineReading, visit, reading) }
    clock += 5
    let doseMg = administerDose(visit, course)
    observeDose(visit, course, doseMg: doseMg, &reading)
    if chance(0.12) {
      clock += 2
      add(
        "SideEffectObserved",
        [
          "sessionId": .string(visit.sessionId),
          "effect": .string(["nausea", "dizziness", "headache", "anxiety"][int(0...3)]),
          "severity": .string(chance(0.8) ? "mild" : "moderate"), "serious": .bool(false),
          "actionTaken": .string("Observed; settled without treatment"),
        ], correlation: visit.correlation)
    }
    recoverAndDischarge(visit, course)
    scheduleFollowUp(visit)
  }

  /// The session's PHQ-9, and its GAD-7 at the first and the last session held.
  mutating func assess(_ visit: Visit, _ course: Course, held sessionsHeld: Int) {
    let number = visit.number
    let progress = Double(number - 1) / Double(max(1, course.plannedSessions - 1))
    let phq = max(
      0,
      min(
        27,
        Int(
          (Double(course.baselinePHQ)
            * (course.responder ? 1 - 0.75 * progress : 1 - 0.1 * progress)).rounded()
        ) + int(-1...1)))
    clock += 5
    let phqItems = items(
      total: phq, count: 9, maximum: 3, lastItemZero: !(number == 1 && chance(0.1)))
    add(
      "AssessmentRecorded",
      [
        "instrument": .string("phq9"), "itemScores": .array(phqItems),
        "totalScore": .number(phqItems.reduce(0) { $0 + ($1.numberValue ?? 0) }),
        "timepoint": .string(number == 1 ? "baseline" : "preSession"),
        "courseId": .string(course.id), "sessionId": .string(visit.sessionId),
      ], correlation: visit.correlation)
    guard number == 1 || number == sessionsHeld else { return }
    let gad = max(
      0,
      min(
        21,
        Int((Double(course.baselineGAD) * (course.responder && number > 1 ? 0.5 : 1)).rounded())
          + int(-1...1)
      ))
    let gadItems = items(total: gad, count: 7, maximum: 3, lastItemZero: false)
    add(
      "AssessmentRecorded",
      [
        "instrument": .string("gad7"), "itemScores": .array(gadItems),
        "totalScore": .number(gadItems.reduce(0) { $0 + ($1.numberValue ?? 0) }),
        "timepoint": .string(number == 1 ? "baseline" : "endOfCourse"),
        "courseId": .string(course.id), "sessionId": .string(visit.sessionId),
      ], correlation: visit.correlation)
  }

  /// Records a vitals reading of the session.
  @discardableResult
  mutating func vitals(_ visit: Visit, _ timepoint: String, _ reading: Vitals, spo2: Double)
    -> UUID
  {
    add(
      "VitalsRecorded",
      [
        "sessionId": .string(visit.sessionId), "timepoint": .string(timepoint),
        "heartRateBpm": .number(reading.heartRate), "systolicMmHg": .number(reading.systolic),
        "diastolicMmHg": .number(reading.diastolic), "spo2Percent": .number(spo2),
        "respiratoryRatePerMinute": .number(Double(int(12...18))),
      ], correlation: visit.correlation)
  }

  /// Corrects the baseline reading's pulse, transcribed from the wrong monitor.
  mutating func correctPulse(_ baselineReading: UUID, _ visit: Visit, _ reading: Vitals) {
    clock += 3
    add(
      "EntryCorrected",
      [
        "correctedEventId": .string(baselineReading.lowercasedString),
        "reason": .string("Pulse transcribed from the wrong monitor"),
        "replacement": .object([
          "sessionId": .string(visit.sessionId), "timepoint": .string("baseline"),
          "heartRateBpm": .number(reading.heartRate + 4), "systolicMmHg": .number(reading.systolic),
          "diastolicMmHg": .number(reading.diastolic), "spo2Percent": .number(97),
        ]),
      ], correlation: visit.correlation)
  }

  /// Records the dose (0.5 mg/kg of ketamine, or 56/84 mg of esketamine); returns it in mg.
  mutating func administerDose(_ visit: Visit, _ course: Course) -> Double {
    let plan = course.plan
    var dose: [String: JSONValue] = [
      "sessionId": .string(visit.sessionId), "courseId": .string(course.id),
      "drug": .string(course.drug), "route": .string(course.route),
      "weightKg": .number(weight), "lotNumber": .string("LOT-\(2026_000 + int(1...40))"),
    ]
    let doseMg = plan == .esketamine ? (visit.number <= 2 ? 56.0 : 84.0) : round(0.5 * weight)
    dose["doseMg"] = .number(doseMg)
    dose["doseMgPerKg"] = .number(round(doseMg / weight, 4))
    if plan == .iv { dose["plannedDurationMinutes"] = .number(40) }
    add("DoseAdministered", dose, by: 0, correlation: visit.correlation)
    return doseMg
  }

  /// The readings during the dose, with dissociation now and then, and an IV infusion slowed or
  /// stopped when blood pressure rises.
  mutating func observeDose(
    _ visit: Visit, _ course: Course, doseMg: Double, _ reading: inout Vitals
  ) {
    let plan = course.plan
    let readings = plan == .iv ? 4 : (plan == .esketamine ? 2 : 2)
    var stopped = false
    for number in 1...readings where !stopped {
      clock += plan == .esketamine ? 40 : 10
      reading.systolic += Double(int(0...14))
      reading.diastolic += Double(int(0...8))
      reading.heartRate += Double(int(-2...10))
      if chance(0.04) { reading.systolic = Double(int(181...196)) }
      let spo2 = chance(0.03) ? 93.0 : Double(int(95...99))
      vitals(visit, number == readings ? "endOfDose" : "during", reading, spo2: spo2)
      if chance(0.25) && number == 1 {
        clock += 1
        add(
          "SideEffectObserved",
          [
            "sessionId": .string(visit.sessionId), "effect": .string("dissociation"),
            "severity": .string("mild"), "serious": .bool(false),
            "actionTaken": .string("Reassurance; lights dimmed"),
          ], correlation: visit.correlation)
      }
      if plan == .iv && reading.systolic >= 160 {
        clock += 1
        stopped = adjustInfusion(visit, doseMg: doseMg, &reading)
      }
    }
  }

  /// Stops the infusion (half the time at 180 mmHg or more) or slows it; returns true if stopped.
  mutating func adjustInfusion(_ visit: Visit, doseMg: Double, _ reading: inout Vitals) -> Bool {
    let systolic = reading.systolic
    if systolic >= 180 && chance(0.5) {
      add(
        "SideEffectObserved",
        [
          "sessionId": .string(visit.sessionId), "effect": .string("hypertension"),
          "severity": .string(systolic >= 190 ? "severe" : "moderate"),
          "serious": .bool(false),
          "actionTaken": .string("Infusion stopped; blood pressure rechecked every 5 minutes"),
        ], correlation: visit.correlation)
      add(
        "InfusionAdjusted",
        [
          "sessionId": .string(visit.sessionId), "action": .string("stopped"),
          "reason": .string("Systolic blood pressure at or above 180 mmHg"),
        ], by: 0, correlation: visit.correlation)
      return true
    }
    add(
      "InfusionAdjusted",
      [
        "sessionId": .string(visit.sessionId), "action": .string("rateChanged"),
        "newRateMgPerMinute": .number(round(doseMg / 40 * 0.7, 3)),
        "reason": .string("Blood pressure rising"),
      ], by: 0, correlation: visit.correlation)
    reading.systolic -= 12
    return false
  }

  /// Recovery vitals (now and then voided), discharge vitals and the discharge.
  mutating func recoverAndDischarge(_ visit: Visit, _ course: Course) {
    let plan = course.plan
    clock += plan == .esketamine ? 40 : 15
    let settled = Vitals(
      systolic: Double(int(112...138)), diastolic: Double(int(70...88)),
      heartRate: Double(int(62...88)))
    let recovery = vitals(visit, "recovery", settled, spo2: Double(int(96...99)))
    if chance(0.04) {
      clock += 1
      add(
        "EntryVoided",
        [
          "voidedEventId": .string(recovery.lowercasedString),
          "reason": .string("Reading entered on the wrong session form"),
        ], correlation: visit.correlation)
    }
    clock += plan == .esketamine ? 45 : 20
    vitals(visit, "discharge", settled, spo2: Double(int(96...99)))
    let observed = plan == .esketamine ? int(120...150) : int(45...75)
    add(
      "PatientDischarged",
      [
        "sessionId": .string(visit.sessionId), "minutesObserved": .number(Double(observed)),
        "criteriaMet": .bool(true), "escortPresent": .bool(!chance(0.03)),
        "noDrivingAdviceGiven": .bool(true),
      ], correlation: visit.correlation)
  }

  /// The next-day call, scheduled; mostly completed, some late, some missed.
  mutating func scheduleFollowUp(_ visit: Visit) {
    clock += 2
    let followUpId = "followup-\(visit.sessionId)-call"
    let due = (clock / 1_440 + 1) * 1_440 + 10 * 60
    add(
      "FollowUpScheduled",
      [
        "followUpId": .string(followUpId), "dueAt": .string(time(due)), "kind": .string("call"),
        "sessionId": .string(visit.sessionId),
      ], correlation: visit.correlation)
    guard !chance(0.12) else { return }
    let late = chance(0.15)
    add(
      "FollowUpCompleted",
      [
        "followUpId": .string(followUpId),
        "outcome": .string(
          late ? "Reached on the second attempt; doing well" : "Slept well; no new symptoms"),
        "newSideEffects": .array(chance(0.1) ? [.string("mild headache")] : []),
      ], at: due + (late ? int(60...600) : -int(0...45)), correlation: visit.correlation)
  }
}
