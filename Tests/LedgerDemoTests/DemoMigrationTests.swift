import Foundation
import LedgerDemo
import LedgerTestSupport
import Testing
import TreatmentLedger

/// Issue 15: a demo clinic's store of the earlier format (`treatment-ledger-1`, plain data)
/// migrated into a sealed `treatment-ledger-2` store: both verify, every patient's timeline and
/// summary are the same.
@Suite struct DemoMigrationTests {
  @Test func aDemoStoreMigratesWithTheSameTimelinesAndSummaries() async throws {
    let dir = TemporaryDirectory("demo-migrate")
    defer { dir.remove() }
    let old = dir.appending("old")
    let clinic = DemoClinic(patients: 12, seed: 7)
    var configuration = Ledger.Configuration(path: old)
    configuration.sealsPatientData = false
    let ledger = try Ledger.open(configuration)
    for (stream, events) in clinic.allEvents() {
      try await ledger.store.append(events, to: stream)
    }
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let patients = (0..<12).map(clinic.patientId)
    var timelines: [PatientTimeline] = []
    var summaries: [PatientSummary] = []
    for patient in patients {
      timelines.append(try ledger.timeline(of: patient))
      summaries.append(try ledger.summary(of: patient, now: now))
    }
    let count = try ledger.nextPosition()
    ledger.close()
    // The marker and databases of a store of the earlier release (py-lmdb).
    let patch = """
      import lmdb, sys
      env = lmdb.open(sys.argv[1], max_dbs=16, subdir=True)
      keys = env.open_db(b"keys")
      with env.begin(write=True) as txn:
          txn.drop(keys, delete=True)
          txn.put(b"format", b"treatment-ledger-1", db=env.open_db(b"meta", txn=txn))
      """
    #expect(try ProcessResult.run("/usr/bin/env", ["python3", "-c", patch, old]).status == 0)
    let new = dir.appending("new")
    let report = try await Ledger.migrate(
      from: old, to: Ledger.Configuration(path: new),
      by: Recorder(id: "ops-1", name: "Ops", role: "operator"))
    #expect(report.events == count)
    let reader = RepositoryPaths.root + "/Tools/ledger-inspect/read_store.py"
    let oldCheck = try ProcessResult.run("/usr/bin/env", ["python3", reader, old, "--verify"])
    #expect(oldCheck.stdout.hasPrefix("intact: \(count) events"), "\(oldCheck.stdout)")
    let newCheck = try ProcessResult.run("/usr/bin/env", ["python3", reader, new, "--verify"])
    #expect(newCheck.stdout.hasPrefix("intact: \(count + 1) events"), "\(newCheck.stdout)")
    let migrated = try Ledger.open(Ledger.Configuration(path: new))
    defer { migrated.close() }
    #expect(try migrated.verify().problem == nil)
    for (index, patient) in patients.enumerated() {
      #expect(try migrated.timeline(of: patient) == timelines[index])
      #expect(try migrated.summary(of: patient, now: now) == summaries[index])
    }
    // Sealed at rest: the old file holds the demo's diagnosis codes, the new one does not.
    let oldBytes = try Data(contentsOf: URL(fileURLWithPath: old + "/data.mdb"))
    let newBytes = try Data(contentsOf: URL(fileURLWithPath: new + "/data.mdb"))
    #expect(oldBytes.range(of: Data("\"diagnoses\"".utf8)) != nil)
    #expect(newBytes.range(of: Data("\"diagnoses\"".utf8)) == nil)
  }
}
