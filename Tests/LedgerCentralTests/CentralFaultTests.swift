import Foundation
import LedgerCentral
import LedgerEventStore
import LedgerTestSupport
import Testing

@Suite(
  .enabled(if: CentralTestDatabase.configured, "needs TREATMENT_LEDGER_POSTGRES_URL"),
  .timeLimit(.minutes(3)))
struct CentralFaultTests {
  /// Forwards a fresh store of `events` events as `slug` into a fresh database.
  func forwarded(_ slug: String, events: Int) async throws -> (
    CentralTestDatabase, TestClinicStore
  ) {
    let central = try await CentralTestDatabase.create()
    let store = try TestClinicStore(slug)
    try await store.append(events)
    try await ClinicForwarder(
      store: store.store, database: central.database, clinic: try #require(ClinicID(slug))
    ).forwardOnce()
    return (central, store)
  }

  @Test func aChangedRowIsFoundAtItsPosition() async throws {
    let (central, store) = try await forwarded("tamper", events: 30)
    defer {
      store.remove()
      Task { await central.drop() }
    }
    #expect(
      try await CentralVerifier(database: central.database).verify().allSatisfy { $0.isIntact })
    // One byte of the envelope at position 17 changed ("TestRecorded" → "TestRecordeD").
    try await central.execute(
      """
      UPDATE treatment_ledger.events
      SET envelope = convert_to(replace(convert_from(envelope, 'UTF8'), 'TestRecorded', 'TestRecordeD'), 'UTF8')
      WHERE clinic_id = 'tamper' AND global_position = 17
      """)
    let results = try await CentralVerifier(database: central.database).verify(
      clinic: try #require(ClinicID("tamper")))
    let result = try #require(results.first)
    #expect(result.eventsChecked == 17)
    #expect(result.problem?.kind == .hashMismatch)
    #expect(result.problem?.position == 17)
  }

  @Test func aRemovedRowAndAChangedColumnAreFound() async throws {
    let (central, store) = try await forwarded("gaps", events: 12)
    defer {
      store.remove()
      Task { await central.drop() }
    }
    let id = try #require(ClinicID("gaps"))
    try await central.execute(
      "UPDATE treatment_ledger.events SET stream_id = 'cli-other' WHERE global_position = 4")
    var result = try #require(
      try await CentralVerifier(database: central.database).verify(clinic: id).first)
    #expect(result.problem?.kind == .streamIndexMismatch)
    #expect(result.problem?.position == 4)
    try await central.execute("DELETE FROM treatment_ledger.events WHERE global_position = 4")
    result = try #require(
      try await CentralVerifier(database: central.database).verify(clinic: id).first)
    #expect(result.problem?.kind == .missingEvent)
    #expect(result.problem?.position == 4)
    // The newest row removed: the clinic's head names it.
    try await central.execute("DELETE FROM treatment_ledger.events WHERE global_position >= 4")
    result = try #require(
      try await CentralVerifier(database: central.database).verify(clinic: id).first)
    #expect(result.problem?.kind == .missingEvent)
    #expect(result.problem?.position == 4)
    await #expect(throws: CentralError.unknownClinic("nobody")) {
      try await CentralVerifier(database: central.database).verify(
        clinic: try #require(ClinicID("nobody")))
    }
  }

  /// The forwarder's connection is terminated by the server again and again while the clinic
  /// appends: it reconnects with backoff, and every event lands exactly once.
  @Test func terminatedConnectionsAreRetriedWithNothingLostOrDuplicated() async throws {
    let central = try await CentralTestDatabase.create()
    let store = try TestClinicStore("reconnect")
    defer {
      store.remove()
      Task { await central.drop() }
    }
    var options = ClinicForwarder.Options()
    options.eventsPerBatch = 7
    options.initialRetryDelay = .milliseconds(20)
    options.maximumRetryDelay = .milliseconds(200)
    options.statementTimeout = .seconds(2)
    let logs = MessageLog()
    let forwarder = ClinicForwarder(
      store: store.store, database: central.database,
      clinic: try #require(ClinicID("reconnect")), options: options,
      logger: CollectingLogHandler.logger(logs))
    let running = Task { try await forwarder.run() }
    defer { running.cancel() }
    for round in 0..<8 {
      try await store.append(25, perCommit: 5, tag: "round-\(round)")
      try await Task.sleep(for: .milliseconds(30))
      try await central.execute(
        """
        SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = '\(central.name)' AND pid <> pg_backend_pid()
        """)
    }
    try await waitUntil {
      (try? await central.integer("SELECT count(*) FROM treatment_ledger.events")) == 200
    }
    if running.isCancelled == false,
      (try? await central.integer(
        "SELECT count(*) FROM treatment_ledger.events")) != 200
    {
      running.cancel()
      let outcome = await running.result
      Issue.record("forwarder: \(outcome); log: \(logs.all.map { "\($0.message) \($0.metadata)" })")
    }
    #expect(
      try await central.integer(
        "SELECT count(DISTINCT global_position) FROM treatment_ledger.events")
        == 200)
    #expect(
      try await CentralVerifier(database: central.database).verify().allSatisfy { $0.isIntact })
    let warnings = logs.all.filter { $0.message.contains("unreachable") }
    #expect(!warnings.isEmpty)
    #expect(warnings.allSatisfy { $0.metadata["reason"] != nil })
    // The reason is logged, never an event's data.
    #expect(
      !logs.all.contains { $0.message.contains("round-") || "\($0.metadata)".contains("round-") })
  }
}
