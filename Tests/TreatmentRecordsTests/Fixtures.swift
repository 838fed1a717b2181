import Foundation
import LedgerFoundation
import TreatmentRecords

/// A patient stream built event by event through the public API, for rule tests.
struct Fixture {
  var state = PatientDecisionState()
  var events: [StreamEvent] = []
  /// Ids of events added with a name.
  var ids: [String: UUID] = [:]
  var clock = Date(timeIntervalSince1970: 1_772_438_400)  // 2026-03-02T08:00:00Z
  /// 2026-06-01T00:00:00Z.
  let now = Date(timeIntervalSince1970: 1_780_272_000)
  var clinic = ClinicalProtocol()

  struct SetupFailure: Error, CustomStringConvertible {
    var description: String
  }

  /// The time of the next event: ten minutes after the previous one, at +01:00.
  mutating func nextTime() -> ClinicalTime {
    clock = clock.addingTimeInterval(600)
    return ClinicalTime(clock, offsetMinutes: 60)
  }

  /// Validates and applies an event that the fixture needs to be accepted.
  @discardableResult
  mutating func add(
    _ event: ClinicalEvent, name: String? = nil, at time: ClinicalTime? = nil
  ) throws -> [ClinicalFlag] {
    let occurredAt = time ?? nextTime()
    let eventId = UUID()
    let flags: [ClinicalFlag]
    do {
      flags = try state.validate(
        event, eventId: eventId, occurredAt: occurredAt, now: now, protocol: clinic,
        otherStreamHasEvent: { _ in false })
    } catch {
      throw SetupFailure(description: "setup event rejected: \(error)")
    }
    state = state.applying(event, eventId: eventId, occurredAt: occurredAt)
    events.append((event, eventId, occurredAt))
    if let name { ids[name] = eventId }
    return flags
  }

  /// Validates an event without applying it.
  mutating func attempt(
    _ event: ClinicalEvent, at time: ClinicalTime? = nil,
    otherStreamHas: Set<UUID> = []
  ) -> Result<[ClinicalFlag], ClinicalValidationError> {
    let occurredAt = time ?? nextTime()
    do {
      let flags = try state.validate(
        event, eventId: Fixture.probeId, occurredAt: occurredAt, now: now, protocol: clinic,
        otherStreamHasEvent: { otherStreamHas.contains($0) })
      return .success(flags)
    } catch {
      return .failure(error)
    }
  }

  func id(_ name: String) -> UUID { ids[name] ?? UUID() }

  /// The id of events validated by ``attempt(_:at:otherStreamHas:)``: letters only, so that a
  /// numeric sentinel can never match it by chance.
  static let probeId = UUID(
    uuid: (
      0xAA, 0xAA, 0xAA, 0xAA, 0xBB, 0xBB, 0x4C, 0xCC, 0x8D, 0xDD, 0xEE, 0xEE, 0xEE, 0xEE, 0xEE, 0xEE
    ))

  // MARK: Standard streams

  static let consultation = ConsultationRecorded(
    indication: .treatmentResistantDepression, diagnoses: ["F33.2"], allergies: [],
    currentMedications: ["sertraline 100 mg"],
    priorAntidepressantTrials: [
      PriorAntidepressantTrial(drug: "sertraline", weeks: 8, outcome: .partial),
      PriorAntidepressantTrial(drug: "venlafaxine", weeks: 10, outcome: .none),
    ],
    contraindications: [], eligible: true)

  static let consent = ConsentRecorded(
    consentId: "consent-1", scope: .treatment, formVersion: "2026-01", given: true)

  static func course(
    _ courseId: String = "c1", drug: Drug = .ketamine, route: Route = .iv,
    phase: CoursePhase = .induction
  ) -> CoursePlanned {
    CoursePlanned(
      courseId: courseId, indication: .treatmentResistantDepression, drug: drug, route: route,
      phase: phase, plannedSessions: 6, sessionsPerWeek: 2,
      targetDoseMgPerKg: drug == .esketamine ? nil : 0.5)
  }

  static func session(
    _ sessionId: String = "s1", courseId: String = "c1", weightKg: Double = 70
  ) -> SessionStarted {
    SessionStarted(
      sessionId: sessionId, courseId: courseId, weightKg: weightKg, escortArranged: true,
      fasted: true)
  }

  static func dose(
    _ doseMg: Double = 35, weightKg: Double = 70, drug: Drug = .ketamine, route: Route = .iv,
    sessionId: String = "s1", courseId: String = "c1"
  ) -> DoseAdministered {
    DoseAdministered(
      sessionId: sessionId, courseId: courseId, drug: drug, route: route, doseMg: doseMg,
      weightKg: weightKg, doseMgPerKg: doseMg / weightKg,
      plannedDurationMinutes: route == .iv ? 40 : nil, lotNumber: "LOT-2026-001")
  }

  static func vitals(_ timepoint: VitalsTimepoint = .during) -> VitalsRecorded {
    VitalsRecorded(
      sessionId: "s1", timepoint: timepoint, heartRateBpm: 72, systolicMmHg: 125,
      diastolicMmHg: 78, spo2Percent: 98, respiratoryRatePerMinute: 14, temperatureCelsius: 36.8)
  }

  /// A registered patient.
  static func registered() throws -> Fixture {
    var fixture = Fixture()
    try fixture.add(
      .patientRegistered(
        PatientRegistered(patientId: "demo-0001", birthYear: 1984, sexAtBirth: .female)),
      name: "registered")
    return fixture
  }

  /// Registered, eligible, consented: ready for a course.
  static func consented() throws -> Fixture {
    var fixture = try registered()
    try fixture.add(.consultationRecorded(consultation), name: "consultation")
    try fixture.add(.consentRecorded(consent), name: "consent")
    return fixture
  }

  /// Consented, with course `c1` (ketamine IV induction) and session `s1` (70 kg) started.
  static func inSession(
    drug: Drug = .ketamine, route: Route = .iv, phase: CoursePhase = .induction
  ) throws -> Fixture {
    var fixture = try consented()
    try fixture.add(.coursePlanned(course(drug: drug, route: route, phase: phase)), name: "course")
    try fixture.add(.sessionStarted(session()), name: "session")
    return fixture
  }

  /// In session `s1` with a 0.5 mg/kg IV ketamine dose given.
  static func dosed() throws -> Fixture {
    var fixture = try inSession()
    try fixture.add(.doseAdministered(dose()), name: "dose")
    return fixture
  }
}

extension ClinicalEvent {
  /// Decodes a JSON literal for tests.
  static func from(_ type: String, _ json: String) throws(ClinicalValidationError) -> ClinicalEvent
  {
    try decode(type: type, schemaVersion: 1, json: Data(json.utf8))
  }
}
