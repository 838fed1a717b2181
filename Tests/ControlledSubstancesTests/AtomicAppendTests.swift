import ControlledSubstances
import Foundation
import LedgerTestSupport
import Testing
import TreatmentLedger

/// A dose and its withdrawal are written together or not at all, each stream at its expected
/// version.
@Suite("Atomic dose and withdrawal")
struct AtomicAppendTests {
  typealias F = InventoryFixture

  func versions(_ fixture: F, _ patient: String) throws -> [UInt64?] {
    [
      try fixture.ledger.store.streamVersion(Ledger.stream(forPatient: patient)),
      try fixture.ledger.store.streamVersion(Ledger.stream(forSite: F.site)),
    ]
  }

  @Test("Both are written in one transaction; the site's balance and the dose's account follow")
  func bothWritten() async throws {
    let fixture = try F("dea-atomic-ok")
    defer { fixture.close() }
    try await fixture.openSite()
    try await fixture.preparePatient("p1")
    let dose = F.dose("p1")
    let (given, drawn) = try await fixture.ledger.recordDose(
      dose, withdrawal: F.withdrawal(dose), patientVersion: .exact(6), siteVersion: .exact(1))
    #expect(given.positions.first?.streamVersion == 7)
    #expect(drawn.positions.first?.streamVersion == 2)
    // One commit: both events carry the same recordedAt.
    let site = try #require(try fixture.siteEvents().last)
    let patient = try #require(
      try fixture.ledger.store.readStream(Ledger.stream(forPatient: "p1")).last)
    #expect(site.recordedAt == patient.recordedAt)
    let balance = try #require(try fixture.ledger.inventory.balances(site: F.site).first)
    #expect(balance.balanceMg == 465)
    #expect(balance.state == .open)
    // Retrying the same pair (same ids and content) writes nothing and succeeds.
    let retry = try await fixture.ledger.recordDose(
      dose, withdrawal: F.withdrawal(dose).with(id: drawnId(fixture)))
    #expect(retry.dose.written == 0 && retry.withdrawal.written == 0)
  }

  func drawnId(_ fixture: F) throws -> UUID {
    try #require(try fixture.siteEvents().last).eventId
  }

  @Test("A refused withdrawal refuses the dose: neither stream moves")
  func withdrawalRefusesDose() async throws {
    let fixture = try F("dea-atomic-withdrawal")
    defer { fixture.close() }
    try await fixture.openSite()
    try await fixture.preparePatient("p1")
    let before = try versions(fixture, "p1")
    let dose = F.dose("p1")
    await #expect(throws: LedgerError.self) {
      try await fixture.ledger.recordDose(dose, withdrawal: F.withdrawal(dose, container: "NOPE"))
    }
    #expect(try versions(fixture, "p1") == before)
    #expect(try fixture.ledger.store.event(id: dose.eventId) == nil)
  }

  @Test("A refused dose refuses the withdrawal: neither stream moves")
  func doseRefusesWithdrawal() async throws {
    let fixture = try F("dea-atomic-dose")
    defer { fixture.close() }
    try await fixture.openSite()
    try await fixture.preparePatient("p1")
    let before = try versions(fixture, "p1")
    // 175 mg for 70 kg is 2.5 mg/kg IV: over the 2 mg/kg hard limit.
    let dose = F.dose("p1", mg: 175)
    do {
      try await fixture.ledger.recordDose(dose, withdrawal: F.withdrawal(dose, mg: 175))
      Issue.record("an unlawful dose was accepted")
    } catch {
      #expect(error.refusal?.index == 0)
      #expect(error.refusal?.type == "DoseAdministered")
    }
    #expect(try versions(fixture, "p1") == before)
    #expect(try fixture.ledger.inventory.balances(site: F.site).allSatisfy { $0.state == .sealed })
  }

  @Test("A wrong expected version of either stream refuses both")
  func expectedVersions() async throws {
    let fixture = try F("dea-atomic-version")
    defer { fixture.close() }
    try await fixture.openSite()
    try await fixture.preparePatient("p1")
    let before = try versions(fixture, "p1")
    for (patient, site) in [
      (ExpectedVersion.exact(5), ExpectedVersion.exact(1)), (.exact(6), .exact(0)),
    ] {
      let dose = F.dose("p1")
      do {
        try await fixture.ledger.recordDose(
          dose, withdrawal: F.withdrawal(dose), patientVersion: patient, siteVersion: site)
        Issue.record("a stale expected version was accepted")
      } catch {
        #expect(error.code == .wrongExpectedVersion)
      }
      #expect(try versions(fixture, "p1") == before)
    }
  }

  @Test("A withdrawal may name its dose afterwards, in a later append")
  func later() async throws {
    let fixture = try F("dea-atomic-later")
    defer { fixture.close() }
    try await fixture.openSite()
    try await fixture.preparePatient("p1")
    let dose = F.dose("p1")
    try await fixture.ledger.record([dose])
    try await fixture.ledger.record(clinical: [], inventory: [F.withdrawal(dose)])
    #expect(try fixture.ledger.inventory.balances(site: F.site).first?.balanceMg == 465)
  }
}

extension InventoryEntry {
  func with(id: UUID) -> InventoryEntry {
    var copy = self
    copy.eventId = id
    return copy
  }
}
