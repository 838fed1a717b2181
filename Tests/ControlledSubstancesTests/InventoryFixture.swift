import ControlledSubstances
import Foundation
import LedgerTestSupport
import TreatmentLedger

/// A ledger in a temporary directory with one site and patients ready to be dosed.
struct InventoryFixture {
  static let site = "main"
  static let lot = "KT24B0117"
  static let nurse = Recorder(id: "staff-0042", name: "Avery Example", role: "nurse")
  static let witness = Recorder(id: "staff-0077", name: "Jordan Example", role: "nurse")
  static let pharmacist = Recorder(id: "staff-0009", name: "Sam Example", role: "pharmacist")
  static let supplier = Registrant(
    name: "Example Wholesale", address: "1 Depot Road", deaNumber: "RW1234563")

  let directory: TemporaryDirectory
  let ledger: Ledger

  init(_ label: String, settings: InventoryProtocol = InventoryProtocol()) throws {
    directory = TemporaryDirectory(label)
    var configuration = Ledger.Configuration(path: directory.appending("store"))
    configuration.durability = .unsafeNoSyncMayLoseRecentCommits
    configuration.inventoryProtocol = settings
    ledger = try Ledger.open(configuration)
  }

  func close() {
    ledger.close()
    directory.remove()
  }

  static func time(_ text: String) -> ClinicalTime {
    ClinicalTime(text) ?? ClinicalTime(Date(timeIntervalSince1970: 0))
  }

  static func day(_ text: String) -> CalendarDay { CalendarDay(text) ?? CalendarDay(ordinal: 0) }

  static func registration(expires: String = "2028-06-30") -> InventoryEvent {
    .registrationRecorded(
      RegistrationRecorded(
        site: site, registrantName: "Example Ketamine Clinic", address: "2 Main Street",
        deaNumber: "FE1234563", deaExpiresOn: day(expires), stateLicense: "CS-0001"))
  }

  static func receipt(
    _ ids: [String], lot: String = lot, mgPerMl: Double = 50, volumeMl: Double = 10,
    expires: String = "2027-12-31", receivedOn: String = "2026-11-02"
  ) -> InventoryEvent {
    .stockReceived(
      StockReceived(
        lotNumber: lot, drug: .ketamine, ndc: "42023-113-10", form: .injectionSolution,
        contents: .solution(strengthMgPerMl: mgPerMl, containerVolumeMl: volumeMl),
        containerIds: ids, expiresOn: day(expires), supplier: supplier, invoiceRef: "INV-1",
        receivedOn: day(receivedOn)))
  }

  /// Records `event` in the site's log at `at`.
  @discardableResult
  func record(
    _ event: InventoryEvent, at: String = "2026-11-02T08:00:00-05:00", by: Recorder = nurse
  ) async throws(LedgerError) -> AppendResult {
    try await ledger.record(event, site: Self.site, occurredAt: Self.time(at), by: by)
  }

  /// Registers the site and receives `ids` (10 mL of 50 mg/mL each).
  func openSite(_ ids: [String] = ["V-1", "V-2"]) async throws {
    try await record(Self.registration(), at: "2026-11-01T08:00:00-05:00", by: Self.pharmacist)
    try await record(Self.receipt(ids), at: "2026-11-02T08:00:00-05:00", by: Self.pharmacist)
  }

  /// A patient registered, assessed, consented, with an IV course and `sessions` started.
  func preparePatient(_ patientId: String, sessions: Int = 3) async throws {
    let course = "course-\(patientId)"
    var entries: [ClinicalEntry] = []
    func add(_ event: ClinicalEvent, _ at: String) {
      entries.append(
        ClinicalEntry(event, patient: patientId, occurredAt: Self.time(at), by: Self.nurse))
    }
    add(
      .patientRegistered(
        PatientRegistered(patientId: patientId, birthYear: 1980, sexAtBirth: .female)),
      "2026-10-01T09:00:00-05:00")
    add(
      .consultationRecorded(
        ConsultationRecorded(
          indication: .majorDepression, diagnoses: ["F32.2"], allergies: [],
          currentMedications: [], priorAntidepressantTrials: [], contraindications: [],
          eligible: true)), "2026-10-01T09:30:00-05:00")
    add(
      .consentRecorded(
        ConsentRecorded(
          consentId: "c-\(patientId)", scope: .treatment, formVersion: "1", given: true)),
      "2026-10-01T09:40:00-05:00")
    add(
      .coursePlanned(
        CoursePlanned(
          courseId: course, indication: .majorDepression, drug: .ketamine, route: .iv,
          phase: .induction, plannedSessions: 6, sessionsPerWeek: 2, targetDoseMgPerKg: 0.5)),
      "2026-10-01T09:50:00-05:00")
    for index in 0..<sessions {
      add(
        .sessionStarted(
          SessionStarted(
            sessionId: "s-\(patientId)-\(index)", courseId: course, weightKg: 70,
            escortArranged: true, fasted: true)), "2026-11-0\(3 + index)T09:00:00-05:00")
    }
    try await ledger.record(entries)
  }

  /// An IV dose of `mg` in session `session` of the patient, of `lot`.
  static func dose(
    _ patientId: String, session: Int = 0, mg: Double = 35, lot: String = lot,
    at: String = "2026-11-03T09:30:00-05:00"
  ) -> ClinicalEntry {
    ClinicalEntry(
      .doseAdministered(
        DoseAdministered(
          sessionId: "s-\(patientId)-\(session)", courseId: "course-\(patientId)", drug: .ketamine,
          route: .iv, doseMg: mg, weightKg: 70, doseMgPerKg: mg / 70, plannedDurationMinutes: 40,
          lotNumber: lot)), patient: patientId, occurredAt: time(at), by: nurse)
  }

  /// The withdrawal accounting for `dose`.
  static func withdrawal(
    _ dose: ClinicalEntry, container: String = "V-1", mg: Double = 35, volumeMl: Double? = nil,
    at: String = "2026-11-03T09:30:00-05:00"
  ) -> InventoryEntry {
    InventoryEntry(
      .stockAdministered(
        StockAdministered(
          containerId: container, amountMg: mg, volumeMl: volumeMl ?? mg / 50,
          patientId: dose.patientId, doseEventId: dose.eventId)), site: site,
      occurredAt: time(at), by: nurse)
  }

  /// The site stream's events.
  func siteEvents() throws -> [RecordedEvent] {
    try ledger.store.readStream(Ledger.stream(forSite: Self.site))
  }

  /// Every stream's head and the store's next position: to show a refusal changed nothing.
  func snapshot() throws -> [String] {
    let statistics = try ledger.store.statistics()
    let facts = try ledger.store.reviewFacts(stream: Ledger.stream(forSite: Self.site))
    return [statistics.chainHead, "\(statistics.events)"]
      + facts.map {
        $0.key.map { String($0) }.joined() + ":" + $0.value.map { String($0) }.joined()
      }
  }
}
