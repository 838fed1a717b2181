import Foundation
import LedgerTestSupport
import Testing
import TreatmentLedger

/// `treatment-ledger migrate`, run as an operator runs it: an old store is refused with the
/// command, the command copies it, and the copy verifies.
@Suite struct MigrateCommandTests {
  @Test func anOldStoreIsRefusedWithTheCommandThatCopiesIt() async throws {
    let cli = LedgerCLI("migrate")
    defer { cli.remove() }
    let old = cli.directory.appending("old")
    var configuration = Ledger.Configuration(path: old)
    configuration.sealsPatientData = false
    let ledger = try Ledger.open(configuration)
    let nurse = Recorder(id: "u-17", name: "Nurse Ann", role: "nurse")
    for n in 0..<20 {
      let note = ProposedEvent(
        type: "NoteRecorded", occurredAt: "2026-11-23T09:30:00+01:00", recordedBy: nurse,
        data: .object(["n": .number(Double(n))]))
      try await ledger.store.append([note], to: "cli-note-\(n % 3)")
    }
    ledger.close()
    let patch = """
      import lmdb, sys
      env = lmdb.open(sys.argv[1], max_dbs=16, subdir=True)
      keys = env.open_db(b"keys")
      with env.begin(write=True) as txn:
          txn.drop(keys, delete=True)
          txn.put(b"format", b"treatment-ledger-1", db=env.open_db(b"meta", txn=txn))
      """
    #expect(try ProcessResult.run("/usr/bin/env", ["python3", "-c", patch, old]).status == 0)
    let refused = try ProcessResult.run(LedgerCLI.executable, ["stats", "--store", old])
    #expect(refused.status != 0)
    #expect(refused.stderr.contains("treatment-ledger migrate --from OLD --to NEW"))
    let migrated = try ProcessResult.run(
      LedgerCLI.executable, ["migrate", "--from", old, "--to", cli.store, "--by", "ops-1"])
    #expect(migrated.status == 0, "\(migrated.stderr)")
    #expect(migrated.stdout.contains("migrated    20 events from treatment-ledger-1"))
    #expect(migrated.stdout.contains("StoreMigrated at position 20 in $migration"))
    let mode = try FileManager.default.attributesOfItem(atPath: cli.store + ".kek")[
      .posixPermissions]
    #expect((mode as? NSNumber)?.intValue == 0o600)
    try cli.succeed(["verify"])
    #expect(try cli.stats().events == 21)
    // The record of the migration is a valid StoreMigrated envelope of the published schemas.
    let record = try cli.succeed(["read", "--stream", "$migration", "--json"]).stdout
    let valid = try PublishedSchemas.validateEnvelopes([record.trimmingCharacters(in: .newlines)])
    #expect(valid.status == 0 && record.contains("\"type\":\"StoreMigrated\""), "\(valid.stdout)")
    // Into a store that exists: refused, nothing changed.
    let again = try ProcessResult.run(
      LedgerCLI.executable, ["migrate", "--from", old, "--to", cli.store])
    #expect(again.status != 0 && again.stderr.contains("exists already"))
    #expect(try cli.stats().events == 21)
  }
}

/// `treatment-ledger keys rotate`: a new key file, the old one refused, every read as before.
@Suite struct KeysCommandTests {
  @Test func rotationReplacesTheKeyFileAndTheOldKeyNoLongerOpensTheStore() throws {
    let cli = LedgerCLI("keys")
    defer { cli.remove() }
    try cli.succeed(["demo", "--patients", "3", "--seed", "3"])
    let keyFile = cli.store + ".kek"
    let before = try cli.succeed(["timeline", "--patient", "demo-0001"]).stdout
    try FileManager.default.copyItem(atPath: keyFile, toPath: cli.directory.appending("old.kek"))
    let rotated = try cli.succeed(["keys", "rotate"])
    #expect(rotated.stdout.contains("re-wrapped 3 data keys under a new key"))
    #expect(
      try String(contentsOfFile: keyFile, encoding: .utf8)
        != String(contentsOfFile: cli.directory.appending("old.kek"), encoding: .utf8))
    let mode = try FileManager.default.attributesOfItem(atPath: keyFile)[.posixPermissions]
    #expect((mode as? NSNumber)?.intValue == 0o600)
    try cli.succeed(["verify"])
    #expect(try cli.succeed(["timeline", "--patient", "demo-0001"]).stdout == before)
    let old = try cli.run(
      ["timeline", "--patient", "demo-0001", "--key-file", cli.directory.appending("old.kek")])
    #expect(old.status != 0 && old.stderr.contains("key"), "\(old.stderr)")
  }
}

/// `treatment-ledger erase`: the patient's data keys destroyed, the key file rotated, the record
/// kept and verifying.
@Suite struct EraseCommandTests {
  @Test func erasureKeepsTheEnvelopesAndRotatesTheKeyFile() throws {
    let cli = LedgerCLI("erase")
    defer { cli.remove() }
    try cli.succeed(["demo", "--patients", "3", "--seed", "3"])
    // The demo's patients were seen in 2026: their retention runs, so the gate refuses.
    let early = try cli.run([
      "erase", "--patient", "demo-0001", "--by", "ops-1", "--reason", "too early",
    ])
    #expect(early.status == 65)
    #expect(early.stderr.contains("erase.retention.running"), "\(early.stderr)")
    // A patient last seen in 2012, whose adult retention ended in 2022, may be erased.
    let registration = """
      {"eventId":"0b7e1c4a-2f61-4d0e-9a43-5d1f3c2b9e10","type":"PatientRegistered",\
      "occurredAt":"2012-03-01T09:00:00-05:00",\
      "recordedBy":{"id":"staff-0215","name":"Sam Example","role":"coordinator"},\
      "data":{"patientId":"old-0001","birthYear":1950,"sexAtBirth":"female"}}
      """
    try cli.succeed(["append", "--stream", "patient-old-0001"], input: registration + "\n")
    let keyFile = cli.store + ".kek"
    let oldKey = try String(contentsOfFile: keyFile, encoding: .utf8)
    let erased = try cli.succeed([
      "erase", "--patient", "old-0001", "--by", "ops-1", "--reason", "retention over",
    ])
    #expect(erased.stdout.contains("erased patient old-0001: PatientDataErased at position"))
    #expect(erased.stdout.contains("re-wrapped 3 data keys under a new key"))
    #expect(try String(contentsOfFile: keyFile, encoding: .utf8) != oldKey)
    try cli.succeed(["verify"])
    let read = try cli.succeed(["read", "--stream", "patient-old-0001", "--json"]).stdout
    #expect(read.contains("\"erased\":true"))
    #expect(read.contains("\"type\":\"PatientDataErased\""))
    try cli.succeed(["timeline", "--patient", "demo-0002"])
    let again = try cli.run([
      "erase", "--patient", "old-0001", "--by", "ops-1", "--reason", "again",
    ])
    #expect(again.status != 0)
  }
}
