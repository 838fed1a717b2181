import Foundation
import LedgerCentral
import LedgerDemo
import LedgerEventStore
import LedgerTestSupport
import Testing
import TreatmentLedger

/// A demo clinic's sealed store and its key file.
struct DemoClinicStore {
  let directory: TemporaryDirectory
  let ledger: Ledger
  let demo: DemoClinic
  var keyPath: String { KeyFile.defaultPath(forStore: directory.appending("store")) }

  init(_ label: String, patients: Int, seed: UInt64) async throws {
    directory = TemporaryDirectory("central-report-\(label)")
    var configuration = Ledger.Configuration(path: directory.appending("store"))
    configuration.durability = .unsafeNoSyncMayLoseRecentCommits
    ledger = try Ledger.open(configuration)
    demo = DemoClinic(patients: patients, seed: seed)
    for (stream, events) in demo.allEvents() {
      let results = try await ledger.store.append([StreamAppend(stream: stream, events: events)])
      #expect(results.allSatisfy { $0.rejections.isEmpty })
    }
  }

  /// The outcome groups of the clinic's own course summaries (its store's projection), leaving
  /// out `erased` patients.
  func groups(erased: Set<String> = []) throws -> [CourseOutcomeGroup] {
    var courses: [CourseSummary] = []
    for index in 0..<demo.patients where !erased.contains(demo.patientId(index)) {
      courses += try ledger.summary(of: demo.patientId(index)).courses
    }
    return CourseOutcomeGroup.tally(courses)
  }

  func remove() {
    ledger.close()
    directory.remove()
  }
}

@Suite(
  .enabled(if: CentralTestDatabase.configured, "needs TREATMENT_LEDGER_POSTGRES_URL"),
  .timeLimit(.minutes(3)))
struct CentralOutcomeReportTests {
  let officer = Recorder(id: "u-9", name: "Records Officer", role: "admin")
  /// Far enough ahead that every demo patient's retention has run.
  let later = ClinicalTime(Date(timeIntervalSince1970: 3_000_000_000))

  func forward(_ clinic: DemoClinicStore, as id: String, _ central: CentralTestDatabase)
    async throws
  {
    try await ClinicForwarder(
      store: clinic.ledger.store, database: central.database, clinic: try #require(ClinicID(id))
    ).forwardOnce()
  }

  func keys(_ clinics: [(String, DemoClinicStore)]) throws -> [ClinicID: any KeyProvider] {
    var keys: [ClinicID: any KeyProvider] = [:]
    for (id, clinic) in clinics {
      keys[try #require(ClinicID(id))] = try KeyFile(path: clinic.keyPath)
    }
    return keys
  }

  /// Three demo clinics forwarded: the report from the central copy equals each clinic's own
  /// course summaries by drug and route; a patient erased after forwarding loses their keys in
  /// the central copy too and is counted apart; a clinic without its key, or with another
  /// clinic's, is refused by name.
  @Test func theReportEqualsTheClinicsOwnSummaries() async throws {
    let central = try await CentralTestDatabase.create()
    let north = try await DemoClinicStore("north", patients: 12, seed: 1)
    let south = try await DemoClinicStore("south", patients: 9, seed: 2)
    let east = try await DemoClinicStore("east", patients: 6, seed: 3)
    defer {
      for clinic in [north, south, east] { clinic.remove() }
      Task { await central.drop() }
    }
    let clinics = [("north", north), ("south", south), ("east", east)]
    for (id, clinic) in clinics { try await forward(clinic, as: id, central) }
    let erased = south.demo.patientId(4)
    let keysBefore = try await central.integer(
      "SELECT count(*) FROM treatment_ledger.stream_keys WHERE clinic_id = 'south' "
        + "AND stream_id = 'patient-\(erased)'")
    #expect(keysBefore == 1)
    let southBefore = try south.groups()
    try await south.ledger.erase(patient: erased, by: officer, reason: "request", now: later)
    try await forward(south, as: "south", central)
    #expect(
      try await central.integer(
        "SELECT count(*) FROM treatment_ledger.stream_keys WHERE clinic_id = 'south' "
          + "AND stream_id = 'patient-\(erased)'") == 0)
    #expect(
      try await central.integer(
        "SELECT count(*) FROM treatment_ledger.stream_keys WHERE clinic_id = 'north'") == 12)

    let report = try await CentralOutcomeReport.make(
      database: central.database, keys: try keys(clinics))
    #expect(report.clinics.map(\.clinic) == ["east", "north", "south"])
    for (id, clinic) in clinics {
      let row = try #require(report.clinics.first { $0.clinic == id })
      let gone: Set<String> = id == "south" ? [erased] : []
      #expect(row.groups == (try clinic.groups(erased: gone)), "\(id)")
      #expect(row.patients == clinic.demo.patients - gone.count, "\(id)")
      #expect(row.erasedPatients == gone.count, "\(id)")
      #expect(row.unreadablePatients == 0, "\(id)")
      #expect(row.groups.reduce(0) { $0 + $1.courses } == row.patients, "\(id): one course each")
    }
    let phq9 = report.clinics.flatMap(\.groups).compactMap { $0.outcomes["phq9"] }
    #expect(phq9.contains { $0.responders > 0 } && phq9.contains { $0.responders < $0.assessed })
    // The erased patient counted in the clinic's figures before the erasure.
    #expect(southBefore != (try south.groups(erased: [erased])))

    await #expect(throws: CentralError.clinicKeyMissing(clinics: ["south"])) {
      try await CentralOutcomeReport.make(
        database: central.database, keys: try keys([("north", north), ("east", east)]))
    }
    await #expect {
      try await CentralOutcomeReport.make(
        database: central.database, keys: try keys([("south", north)]),
        clinic: try #require(ClinicID("south")))
    } throws: { error in
      guard case CentralError.clinicKeyRefused(let clinic, _) = error else { return false }
      return clinic == "south"
    }
    await #expect(throws: CentralError.unknownClinic("west")) {
      try await CentralOutcomeReport.make(
        database: central.database, keys: try keys(clinics + [("west", east)]))
    }
  }

  /// After a key-encryption-key rotation the forwarder sends every wrapped key again (the old
  /// key is then refused, the new one reads everything); a central copy without keys (upgraded
  /// from schema version 1) gets them on the forwarder's next run.
  @Test func rotatedAndMissingKeysAreSentAgain() async throws {
    let central = try await CentralTestDatabase.create()
    let clinic = try await DemoClinicStore("rotate", patients: 5, seed: 7)
    defer {
      clinic.remove()
      Task { await central.drop() }
    }
    try await forward(clinic, as: "rotate", central)
    let old = try keys([("rotate", clinic)])
    let expected = try clinic.groups()
    #expect(
      try await CentralOutcomeReport.make(database: central.database, keys: old)
        .clinics.first?.groups == expected)

    let staged = try KeyFile.staged(replacing: clinic.keyPath)
    #expect(try clinic.ledger.store.rotateKeyEncryptionKey(to: staged) == 5)
    _ = try staged.install()
    try await forward(clinic, as: "rotate", central)
    await #expect {
      try await CentralOutcomeReport.make(database: central.database, keys: old)
    } throws: { error in
      guard case CentralError.clinicKeyRefused("rotate", _) = error else { return false }
      return true
    }
    let new = try keys([("rotate", clinic)])
    #expect(
      try await CentralOutcomeReport.make(database: central.database, keys: new)
        .clinics.first?.groups == expected)

    try await central.execute("DELETE FROM treatment_ledger.stream_keys")
    try await central.execute("UPDATE treatment_ledger.clinics SET key_check = NULL")
    let unread = try await CentralOutcomeReport.make(database: central.database, keys: new)
    #expect(unread.clinics.first?.unreadablePatients == 5)
    #expect(unread.clinics.first?.groups == [])
    try await forward(clinic, as: "rotate", central)
    #expect(
      try await CentralOutcomeReport.make(database: central.database, keys: new)
        .clinics.first?.groups == expected)

    // A patient recorded after the keys were sent: the batch that forwards their events sends
    // their key (the key check is unchanged, so nothing else is sent again).
    let newcomer = DemoClinic(patients: 6, seed: 7)
    _ = try await clinic.ledger.store.append([
      StreamAppend(
        stream: Ledger.stream(forPatient: newcomer.patientId(5)),
        events: newcomer.events(ofPatient: 5))
    ])
    let logs = MessageLog()
    try await ClinicForwarder(
      store: clinic.ledger.store, database: central.database,
      clinic: try #require(ClinicID("rotate")), logger: CollectingLogHandler.logger(logs)
    ).forwardOnce()
    #expect(!logs.all.contains { $0.message.contains("wrapped data keys sent") })
    #expect(try await central.integer("SELECT count(*) FROM treatment_ledger.stream_keys") == 6)
    var courses: [CourseSummary] = []
    for index in 0..<6 {
      courses += try clinic.ledger.summary(of: newcomer.patientId(index)).courses
    }
    let six = try #require(
      try await CentralOutcomeReport.make(database: central.database, keys: new).clinics.first)
    #expect(six.patients == 6 && six.unreadablePatients == 0)
    #expect(six.groups == CourseOutcomeGroup.tally(courses))
  }
}
