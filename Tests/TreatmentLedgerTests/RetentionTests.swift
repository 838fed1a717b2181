import Foundation
import LedgerTestSupport
import Testing
import TreatmentLedger

/// Retention periods, legal holds and the erasure gate through the facade (docs/RETENTION.md).
@Suite struct RetentionTests {
  static let officer = Recorder(id: "staff-0012", name: "Robin Example", role: "complianceOfficer")
  static let nurse = Recorder(id: "staff-0007", name: "Kim Example", role: "nurse")

  static func time(_ text: String) throws -> ClinicalTime { try ClinicalTime(validating: text) }

  /// Registers `patientId` (born `birthYear`) on 2026-10-27, then a consent on 2026-11-04.
  static func record(_ ledger: Ledger, _ patientId: String, birthYear: Int = 1984) async throws {
    try await ledger.record(
      [
        ClinicalEntry(
          .patientRegistered(
            PatientRegistered(patientId: patientId, birthYear: birthYear, sexAtBirth: .female)),
          patient: patientId, occurredAt: try time("2026-10-27T08:45:00-04:00"), by: nurse),
        ClinicalEntry(
          .consentRecorded(
            ConsentRecorded(
              consentId: "consent-\(patientId)", scope: .treatment, formVersion: "2026.1",
              given: true)),
          patient: patientId, occurredAt: try time("2026-11-04T10:15:00-05:00"), by: nurse),
      ])
  }

  static func refusal(
    _ body: () async throws(LedgerError) -> Void
  ) async -> LedgerError.Refusal? {
    do {
      try await body()
      return nil
    } catch {
      return error.refusal
    }
  }

  @Test func anAdultIsKeptTenYearsAfterTheLastEventAndAPolicyLengthensIt() async throws {
    let dir = TemporaryDirectory("retention")
    defer { dir.remove() }
    let ledger = try openLedger(dir)
    defer { ledger.close() }
    try await Self.record(ledger, "p-1")
    let status = try #require(
      try ledger.retentionStatus(patient: "p-1", asOf: try Self.time("2036-11-04T23:00:00-05:00")))
    #expect(status.periods.map(\.rule) == [.adult])
    #expect(status.governing.endsOn.text == "2036-11-04")
    #expect(!status.retentionEnded)
    #expect(status.retentionRule == "adult: 10 years after the last event (policy default-1)")
    let later = try #require(
      try ledger.retentionStatus(patient: "p-1", asOf: try Self.time("2036-11-05T00:00:00-05:00")))
    #expect(later.retentionEnded && later.isDue)
    var policy = RetentionPolicy()
    policy.policyVersion = "clinic-2027"
    policy.adultYearsAfterLastEvent = 12
    let longer = try #require(
      try ledger.retentionStatus(
        patient: "p-1", policy: policy, asOf: try Self.time("2036-11-05T00:00:00-05:00")))
    #expect(longer.governing.endsOn.text == "2038-11-04")
    #expect(!longer.retentionEnded)
    #expect(try ledger.retentionStatus(patient: "nobody") == nil)
  }

  @Test func aMinorIsKeptUntilTheEndOfTheYearOfMajorityPlusTenYears() async throws {
    let dir = TemporaryDirectory("retention")
    defer { dir.remove() }
    let ledger = try openLedger(dir)
    defer { ledger.close() }
    try await Self.record(ledger, "p-minor", birthYear: 2012)
    let status = try #require(try ledger.retentionStatus(patient: "p-minor"))
    #expect(status.periods.map(\.rule) == [.adult, .minor])
    #expect(status.governing.rule == .minor)
    #expect(status.governing.endsOn.text == "2040-12-31")
    let due = try ledger.retentionDue(asOf: try Self.time("2037-01-01T00:00:00Z"))
    #expect(due.isEmpty)
    let dueLater = try ledger.retentionDue(asOf: try Self.time("2041-01-01T00:00:00Z"))
    #expect(dueLater.map(\.patientId) == ["p-minor"])
  }

  @Test func retentionDueListsEndedPatientsWithoutHolds() async throws {
    let dir = TemporaryDirectory("retention")
    defer { dir.remove() }
    let ledger = try openLedger(dir)
    defer { ledger.close() }
    try await Self.record(ledger, "p-1")
    try await Self.record(ledger, "p-2")
    try await Self.record(ledger, "p-3", birthYear: 2012)
    let asOf = try Self.time("2037-01-01T00:00:00Z")
    #expect(try ledger.retentionDue(asOf: asOf).map(\.patientId) == ["p-1", "p-2"])
    let placed = try Self.time("2026-11-20T09:00:00-05:00")
    try await ledger.placeLegalHold(
      "matter-1", scope: "p-2", reason: "Subpoena", occurredAt: placed, by: Self.officer)
    #expect(try ledger.retentionDue(asOf: asOf).map(\.patientId) == ["p-1"])
    try await ledger.placeLegalHold(
      "matter-2", scope: "all", reason: "Investigation", occurredAt: placed, by: Self.officer)
    #expect(try ledger.retentionDue(asOf: asOf).isEmpty)
    try await ledger.releaseLegalHold(
      "matter-2", reason: "Closed", occurredAt: placed, by: Self.officer)
    #expect(try ledger.retentionDue(asOf: asOf).map(\.patientId) == ["p-1"])
    let holds = try ledger.legalHolds()
    #expect(holds.map(\.holdId) == ["matter-1", "matter-2"])
    #expect(holds.map(\.isInForce) == [true, false])
    #expect(holds.last?.released?.recordedBy == Self.officer)
    #expect(holds.first?.placed.reason == "Subpoena")
    #expect(try ledger.legalHoldsInForce(patient: "p-2").map(\.holdId) == ["matter-1"])
  }

  @Test func theGateRefusesWhileRetentionRunsNamingTheRuleAndTheDate() async throws {
    let dir = TemporaryDirectory("retention")
    defer { dir.remove() }
    let ledger = try openLedger(dir)
    defer { ledger.close() }
    try await Self.record(ledger, "p-1")
    let early = try Self.time("2030-01-01T00:00:00Z")
    let refusal = await Self.refusal { () throws(LedgerError) in
      try ledger.checkErasureAllowed(patient: "p-1", now: early)
    }
    #expect(refusal?.rule == ErasureGateRule.retentionRunning.rawValue)
    #expect(refusal?.type == Ledger.erasureEventType)
    #expect(refusal?.limit.contains("2036-11-04") == true)
    #expect(refusal?.limit.contains("adult: 10 years after the last event") == true)
    let clearance = try ledger.checkErasureAllowed(
      patient: "p-1", now: try Self.time("2036-11-05T12:00:00-05:00"))
    #expect(clearance.retentionRule == "adult: 10 years after the last event (policy default-1)")
    #expect(clearance.status.isDue)
  }

  @Test func theGateRefusesWhileAHoldIsInForceNamingTheHold() async throws {
    let dir = TemporaryDirectory("retention")
    defer { dir.remove() }
    let ledger = try openLedger(dir)
    defer { ledger.close() }
    try await Self.record(ledger, "p-1")
    let placed = try Self.time("2026-11-20T09:00:00-05:00")
    let after = try Self.time("2040-01-01T00:00:00Z")
    try await ledger.placeLegalHold(
      "matter-7", scope: "all", reason: "Litigation", occurredAt: placed, by: Self.officer)
    let held = await Self.refusal { () throws(LedgerError) in
      try ledger.checkErasureAllowed(patient: "p-1", now: after)
    }
    #expect(held?.rule == ErasureGateRule.holdInForce.rawValue)
    #expect(held?.limit.contains("matter-7") == true)
    try await ledger.releaseLegalHold(
      "matter-7", reason: "Settled", occurredAt: placed, by: Self.officer)
    #expect(try ledger.checkErasureAllowed(patient: "p-1", now: after).status.holds.isEmpty)
    let unknown = await Self.refusal { () throws(LedgerError) in
      try ledger.checkErasureAllowed(patient: "p-9", now: after)
    }
    #expect(unknown?.rule == ErasureGateRule.unknownPatient.rawValue)
  }

  @Test func holdRulesRefuseDuplicatesUnknownReleasesBadScopesAndEmptyReasons() async throws {
    let dir = TemporaryDirectory("retention")
    defer { dir.remove() }
    let ledger = try openLedger(dir)
    defer { ledger.close() }
    let at = try Self.time("2026-11-20T09:00:00-05:00")
    try await ledger.placeLegalHold(
      "h-1", scope: "p-1", reason: "Subpoena", occurredAt: at, by: Self.officer)
    let cases: [(String, () async throws(LedgerError) -> Void)] = [
      (
        "hold.holdId.duplicate",
        { () throws(LedgerError) in
          try await ledger.placeLegalHold(
            "h-1", scope: "all", reason: "Again", occurredAt: at, by: Self.officer)
        }
      ),
      (
        "hold.scope.format",
        { () throws(LedgerError) in
          try await ledger.placeLegalHold(
            "h-2", scope: "every patient", reason: "x", occurredAt: at, by: Self.officer)
        }
      ),
      (
        "hold.reason.empty",
        { () throws(LedgerError) in
          try await ledger.placeLegalHold(
            "h-3", scope: "all", reason: "  ", occurredAt: at, by: Self.officer)
        }
      ),
      (
        "hold.holdId.format",
        { () throws(LedgerError) in
          try await ledger.placeLegalHold(
            "h 4", scope: "all", reason: "x", occurredAt: at, by: Self.officer)
        }
      ),
      (
        "hold.release.unknown",
        { () throws(LedgerError) in
          try await ledger.releaseLegalHold(
            "h-9", reason: "Closed", occurredAt: at, by: Self.officer)
        }
      ),
      (
        "hold.reason.empty",
        { () throws(LedgerError) in
          try await ledger.releaseLegalHold("h-1", reason: "", occurredAt: at, by: Self.officer)
        }
      ),
    ]
    for (rule, body) in cases {
      let refusal = await Self.refusal(body)
      #expect(refusal?.rule == rule)
    }
    try await ledger.releaseLegalHold("h-1", reason: "Closed", occurredAt: at, by: Self.officer)
    let again = await Self.refusal { () throws(LedgerError) in
      try await ledger.releaseLegalHold("h-1", reason: "Closed", occurredAt: at, by: Self.officer)
    }
    #expect(again?.rule == "hold.release.alreadyReleased")
    // Nothing refused was written: one placing and one release.
    #expect(try ledger.store.readStream(Ledger.legalHoldStream).count == 2)
  }

  @Test func holdEventsLiveOnlyInTheLegalHoldsStream() async throws {
    let dir = TemporaryDirectory("retention")
    defer { dir.remove() }
    let ledger = try openLedger(dir)
    defer { ledger.close() }
    let event = ProposedEvent(
      type: LegalHoldPlaced.eventType, occurredAt: "2026-11-20T09:00:00-05:00",
      recordedBy: Self.officer,
      data: LegalHoldEvent.placed(LegalHoldPlaced(holdId: "h-1", scope: "all", reason: "x")).json)
    for stream in ["legal-holds-2", "patient-p-1"] {
      do {
        _ = try await ledger.store.append([event], to: stream, expectedVersion: .any)
        Issue.record("a hold was accepted in \(stream)")
      } catch {
        #expect(
          LedgerError(error).rule
            == (stream == "legal-holds-2" ? "hold.stream.name" : "decode.type.unknown"))
      }
    }
    // And the legal-holds stream takes nothing else.
    var other = event
    other.type = "PatientRegistered"
    await #expect(throws: EventStoreError.self) {
      try await ledger.store.append([other], to: Ledger.legalHoldStream, expectedVersion: .any)
    }
  }
}

@Suite struct RetentionPolicyTests {
  static func load(_ text: String) throws(ClinicalValidationError) -> RetentionPolicy {
    try RetentionPolicy.load(json: Data(text.utf8))
  }

  static func failure(_ text: String) -> ClinicalValidationError? {
    do {
      _ = try load(text)
      return nil
    } catch {
      return error
    }
  }

  @Test func aMinimalFileTakesTheDefaultsAndAFileMayLengthenEveryPeriod() throws {
    let minimal = try Self.load(#"{"policyVersion":"p-1"}"#)
    #expect(minimal.adultYearsAfterLastEvent == 10)
    #expect(minimal.ageOfMajority == 18)
    #expect(minimal.minorYearsAfterMajority == 10)
    #expect(minimal.controlledSubstanceYearsAfterEvent == 2)
    let example = try RetentionPolicy.load(
      path: RepositoryPaths.root + "/Schemas/examples/retention/retention.v1.example.json")
    #expect(example.policyVersion == "clinic-2027")
    #expect(example.adultYearsAfterLastEvent == 12)
    #expect(example.controlledSubstanceYearsAfterEvent == 3)
    let longest = try Self.load(
      #"{"policyVersion":"p","minors":{"ageOfMajority":21,"yearsAfterMajority":25}}"#)
    #expect(longest.ageOfMajority == 21 && longest.minorYearsAfterMajority == 25)
  }

  @Test func aShorterPeriodIsRefusedNamingTheFieldAndTheMinimum() {
    let adult = Self.failure(#"{"policyVersion":"p","adults":{"yearsAfterLastEvent":6}}"#)
    #expect(adult?.field == "adults.yearsAfterLastEvent")
    #expect(adult?.rule == "retention.period.belowDefault")
    #expect(adult?.limit.hasPrefix("at least 10") == true)
    let substances = Self.failure(
      #"{"policyVersion":"p","controlledSubstances":{"yearsAfterEvent":1}}"#)
    #expect(substances?.field == "controlledSubstances.yearsAfterEvent")
    #expect(substances?.limit.hasPrefix("at least 2") == true)
    let majority = Self.failure(#"{"policyVersion":"p","minors":{"ageOfMajority":16}}"#)
    #expect(majority?.field == "minors.ageOfMajority")
    #expect(majority?.limit.hasPrefix("at least 18") == true)
  }

  @Test func malformedFilesAreRefusedByFieldAndRule() {
    let cases: [(String, String, String)] = [
      ("{}", "policyVersion", "decode.field.missing"),
      (#"{"policyVersion":" "}"#, "policyVersion", "retention.policyVersion.empty"),
      (#"{"policyVersion":"p","patients":{}}"#, "patients", "decode.field.unknownKey"),
      (#"{"policyVersion":"p","adults":{"years":12}}"#, "adults.years", "decode.field.unknownKey"),
      (#"{"policyVersion":"p","adults":12}"#, "adults", "decode.field.wrongType"),
      (
        #"{"policyVersion":"p","adults":{"yearsAfterLastEvent":10.5}}"#,
        "adults.yearsAfterLastEvent", "decode.field.wrongType"
      ),
      (
        #"{"policyVersion":"p","minors":{"ageOfMajority":22}}"#, "minors.ageOfMajority",
        "retention.period.range"
      ),
      ("not json", "", "decode.json.invalid"),
    ]
    for (text, field, rule) in cases {
      let error = Self.failure(text)
      #expect(error?.field == field, "\(text)")
      #expect(error?.rule == rule, "\(text)")
    }
  }
}
