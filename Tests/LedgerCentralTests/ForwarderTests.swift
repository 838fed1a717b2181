import Foundation
import LedgerCentral
import LedgerEventStore
import LedgerTestSupport
import Testing

/// CI never skips the PostgreSQL tests silently: there `.ci/run` starts a server and exports
/// its URL, and this test fails when it is missing.
@Suite struct CentralServerGuardTests {
  @Test func theServerIsConfiguredInCI() {
    if ProcessInfo.processInfo.environment["CI"] == "true" {
      #expect(
        CentralTestDatabase.configured,
        "CI=true but TREATMENT_LEDGER_POSTGRES_URL is not set: .ci/run starts PostgreSQL")
    }
  }
}

@Suite(
  .enabled(if: CentralTestDatabase.configured, "needs TREATMENT_LEDGER_POSTGRES_URL"),
  .timeLimit(.minutes(3)))
struct ForwarderTests {
  func clinic(_ slug: String) throws -> ClinicID { try #require(ClinicID(slug)) }

  @Test func clinicIdsAreSlugs() {
    #expect(ClinicID("north-1") != nil)
    #expect(ClinicID(String(repeating: "a", count: 32)) != nil)
    #expect(ClinicID("") == nil)
    #expect(ClinicID(String(repeating: "a", count: 33)) == nil)
    #expect(ClinicID("North") == nil)
    #expect(ClinicID("a_b") == nil)
  }

  @Test func urlsAreParsedAndRefused() throws {
    let database = try CentralDatabase(url: "postgres://ledger:secret@127.0.0.1:55432/chain")
    #expect(database.displayName == "127.0.0.1:55432/chain")
    #expect(!database.displayName.contains("secret"))
    #expect(throws: CentralError.self) { try CentralDatabase(url: "http://127.0.0.1/x") }
    #expect(throws: CentralError.self) { try CentralDatabase(url: "postgres:///x") }
  }

  @Test func clinicsForwardTheirStoredBytesExactlyOnce() async throws {
    let central = try await CentralTestDatabase.create()
    defer { Task { await central.drop() } }
    var stores: [TestClinicStore] = []
    defer { for store in stores { store.remove() } }
    for (index, slug) in ["north", "south", "east"].enumerated() {
      let store = try TestClinicStore(slug)
      stores.append(store)
      try await store.append(40 + 7 * index)
      var options = ClinicForwarder.Options()
      options.eventsPerBatch = 16
      let forwarder = ClinicForwarder(
        store: store.store, database: central.database, clinic: try clinic(slug),
        options: options)
      let progress = try await forwarder.forwardOnce()
      #expect(progress.forwarded == UInt64(40 + 7 * index))
      #expect(progress.batches == (40 + 7 * index + 15) / 16)
      // Nothing new: nothing written.
      #expect(try await forwarder.forwardOnce().forwarded == 0)
      // New events: only they are written.
      try await store.append(5, tag: "later")
      #expect(try await forwarder.forwardOnce().forwarded == 5)
      // The rows hold the stored bytes and hashes.
      let rows = try await central.envelopes(slug)
      let stored = try store.store.readAll(from: 0, limit: 1_000)
      #expect(rows.map(\.0) == stored.map { Int64($0.globalPosition) })
      #expect(rows.map(\.1) == stored.map(\.hash.bytes))
      #expect(rows.map(\.2) == stored.map(\.canonicalBytes))
    }
    let results = try await CentralVerifier(database: central.database).verify()
    #expect(results.map(\.clinic) == ["east", "north", "south"])
    #expect(results.allSatisfy { $0.isIntact })
    #expect(results.map(\.eventsChecked) == [59, 45, 52])
    let status = try await CentralStatus.read(central.database)
    #expect(status.clinics.map(\.eventsBehind) == [0, 0, 0])
    #expect(status.clinics.map(\.centralEvents) == [59, 45, 52])
  }

  @Test func aSecondForwarderOfTheClinicIsRefused() async throws {
    let central = try await CentralTestDatabase.create()
    defer { Task { await central.drop() } }
    let store = try TestClinicStore("lock")
    defer { store.remove() }
    try await store.append(20)
    let first = ClinicForwarder(
      store: store.store, database: central.database, clinic: try clinic("lock"))
    let running = Task { try await first.run() }
    defer { running.cancel() }
    try await waitUntil {
      (try? await central.integer("SELECT count(*) FROM treatment_ledger.events")) == 20
    }
    let second = ClinicForwarder(
      store: store.store, database: central.database, clinic: try clinic("lock"))
    await #expect(throws: CentralError.anotherForwarder(clinic: "lock")) {
      try await second.forwardOnce()
    }
    // Another clinic is not blocked.
    let other = ClinicForwarder(
      store: store.store, database: central.database, clinic: try clinic("other"))
    #expect(try await other.forwardOnce().forwarded == 20)
  }

  @Test func aStoreRestoredFromAnOlderBackupIsRefused() async throws {
    let central = try await CentralTestDatabase.create()
    defer { Task { await central.drop() } }
    let store = try TestClinicStore("restored")
    try await store.append(30)
    store.close()
    // The backup: a copy of the store as it was after 30 events.
    let backup = TemporaryDirectory("central-backup")
    defer { backup.remove() }
    try FileManager.default.copyItem(
      atPath: store.directory.appending("store"), toPath: backup.appending("store"))
    let reopened = try TestClinicStore("restored", directory: store.directory)
    defer { reopened.remove() }
    try await reopened.append(10)
    let id = try clinic("restored")
    try await ClinicForwarder(store: reopened.store, database: central.database, clinic: id)
      .forwardOnce()

    // The backup holds fewer events than the central copy: refused.
    let restored = try TestClinicStore("restored", directory: backup)
    await #expect(
      throws: CentralError.storeBehind(clinic: "restored", storeEvents: 30, centralEvents: 40)
    ) {
      try await ClinicForwarder(store: restored.store, database: central.database, clinic: id)
        .forwardOnce()
    }
    // Once it has taken other events past the central head (a fork), still refused.
    try await restored.append(15, tag: "fork")
    await #expect(throws: CentralError.self) {
      try await ClinicForwarder(store: restored.store, database: central.database, clinic: id)
        .forwardOnce()
    }
    restored.close()
    // Nothing was overwritten: the central copy is still the clinic's 40 events, intact.
    #expect(try await central.integer("SELECT count(*) FROM treatment_ledger.events") == 40)
    #expect(
      try await CentralVerifier(database: central.database).verify().allSatisfy { $0.isIntact })
  }

  @Test func anotherClinicsStoreIsRefused() async throws {
    let central = try await CentralTestDatabase.create()
    defer { Task { await central.drop() } }
    let mine = try TestClinicStore("mine")
    let foreign = try TestClinicStore("foreign")
    defer {
      mine.remove()
      foreign.remove()
    }
    try await mine.append(10)
    try await foreign.append(25)
    let id = try clinic("mine")
    try await ClinicForwarder(store: mine.store, database: central.database, clinic: id)
      .forwardOnce()
    do {
      try await ClinicForwarder(store: foreign.store, database: central.database, clinic: id)
        .forwardOnce()
      Issue.record("a foreign store was forwarded")
    } catch {
      guard case .chainMismatch(let clinic, let position, _) = error else {
        Issue.record("unexpected \(error)")
        return
      }
      #expect(clinic == "mine")
      #expect(position == 0)
      #expect(error.description.contains("nothing written"))
    }
    #expect(try await central.integer("SELECT count(*) FROM treatment_ledger.events") == 10)
  }
}

/// Polls `condition` every 50 ms for up to `seconds`, and at least `seconds × 20` times: when the
/// full suite's blocking work holds the cooperative pool's threads (the forwarder's tasks wait
/// for one as well), a wall-clock limit alone would give up on a forwarder that had no turn.
func waitUntil(
  seconds: Double = 30, _ condition: () async throws -> Bool
) async throws {
  let deadline = Date().addingTimeInterval(seconds)
  var polls = 0
  while Date() < deadline || Double(polls) < seconds * 20 {
    if try await condition() { return }
    try await Task.sleep(for: .milliseconds(50))
    polls += 1
  }
  Issue.record("condition not reached within \(seconds) s and \(polls) polls")
}
