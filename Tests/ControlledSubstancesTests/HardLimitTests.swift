import ControlledSubstances
import Foundation
import LedgerTestSupport
import Testing
import TreatmentLedger

/// Every hard limit of docs/DEA.md refuses the event, names the field and rule, and leaves the
/// store exactly as it was.
@Suite("Controlled-substance hard limits")
struct HardLimitTests {
  typealias F = InventoryFixture

  /// Records `event` expecting a refusal by `rule` on `field`, and checks nothing changed.
  func expectRefusal(
    _ fixture: F, _ event: InventoryEvent, rule: String, field: String,
    at: String = "2026-11-03T10:00:00-05:00", by: Recorder = F.nurse,
    sourceLocation: SourceLocation = #_sourceLocation
  ) async throws {
    let before = try fixture.snapshot()
    do {
      try await fixture.record(event, at: at, by: by)
      Issue.record("expected a refusal by \(rule)", sourceLocation: sourceLocation)
    } catch {
      #expect(error.code == .rejected, sourceLocation: sourceLocation)
      #expect(error.refusal?.rule == rule, "\(error)", sourceLocation: sourceLocation)
      #expect(error.refusal?.field == field, "\(error)", sourceLocation: sourceLocation)
      #expect(error.refusal?.limit.isEmpty == false, sourceLocation: sourceLocation)
    }
    #expect(try fixture.snapshot() == before, sourceLocation: sourceLocation)
  }

  @Test("Receipts: registration missing or expired, duplicate containers, expiry before receipt")
  func receipts() async throws {
    let fixture = try F("dea-receipts")
    defer { fixture.close() }
    try await expectRefusal(
      fixture, F.receipt(["V-1"]), rule: "stock.registration.missing", field: "")
    try await fixture.record(F.registration(expires: "2026-11-02"), at: "2026-11-01T08:00:00-05:00")
    try await expectRefusal(
      fixture, F.receipt(["V-1"]), rule: "stock.registration.expired", field: "",
      at: "2026-11-03T08:00:00-05:00")
    try await fixture.record(F.registration(), at: "2026-11-03T08:30:00-05:00")
    try await expectRefusal(
      fixture, F.receipt(["V-1", "V-1"]), rule: "inventory.container.duplicate",
      field: "containerIds[1]")
    try await fixture.record(F.receipt(["V-1"]), at: "2026-11-03T09:00:00-05:00")
    try await expectRefusal(
      fixture, F.receipt(["V-2", "V-1"]), rule: "inventory.container.duplicate",
      field: "containerIds[1]")
    try await expectRefusal(
      fixture, F.receipt(["V-3"], expires: "2026-10-01"), rule: "stock.expiresOn.beforeReceivedOn",
      field: "expiresOn")
  }

  @Test("Registration: the site must be the stream's; the stream must name a valid site")
  func registration() async throws {
    let fixture = try F("dea-registration")
    defer { fixture.close() }
    var other = RegistrationRecorded(
      site: "elsewhere", registrantName: "X", address: "Y", deaNumber: "FE1234563",
      deaExpiresOn: F.day("2028-01-01"), stateLicense: "Z")
    try await expectRefusal(
      fixture, .registrationRecorded(other), rule: "registration.site.stream", field: "site")
    other.site = F.site
    other.deaNumber = "FE1234564"
    try await expectRefusal(
      fixture, .registrationRecorded(other), rule: "format.deaNumber", field: "deaNumber")
    do {
      try await fixture.ledger.record(
        F.registration(), site: "bad site", occurredAt: F.time("2026-11-01T08:00:00Z"), by: F.nurse)
      Issue.record("a site id with a space was accepted")
    } catch {
      #expect(error.code == .invalidInput || error.refusal?.rule == "inventory.stream.name")
    }
  }

  @Test("Withdrawals: unknown or expired container, over the balance, mg and mL disagree")
  func withdrawalContainer() async throws {
    let fixture = try F("dea-withdrawal")
    defer { fixture.close() }
    try await fixture.openSite()
    try await fixture.record(
      F.receipt(["OLD-1"], lot: "OLD", expires: "2026-11-02"), at: "2026-11-02T09:00:00-05:00")
    try await fixture.preparePatient("p1")
    for (entry, rule, field) in [
      (F.withdrawal(F.dose("p1"), container: "V-9"), "inventory.container.unknown", "containerId"),
      (
        F.withdrawal(F.dose("p1", lot: "OLD"), container: "OLD-1"), "stock.container.expired",
        "containerId"
      ),
      (F.withdrawal(F.dose("p1"), volumeMl: 0.9), "stock.volumeMl.mismatch", "volumeMl"),
    ] {
      try await expectPairRefused(fixture, entry, rule: rule, field: field)
    }
    // 600 mg from a 500 mg vial: a 600 mg IV dose is itself refused, so use waste to reach it.
    let waste = InventoryEvent.wasteRecorded(
      WasteRecorded(
        containerId: "V-1", amountMg: 600, volumeMl: 12, method: "pouch", witness: F.witness))
    try await expectRefusal(fixture, waste, rule: "inventory.amount.overBalance", field: "amountMg")
  }

  /// A dose with a bad withdrawal: the pair is refused and neither stream changes.
  func expectPairRefused(
    _ fixture: F, _ withdrawal: InventoryEntry, rule: String, field: String,
    sourceLocation: SourceLocation = #_sourceLocation
  ) async throws {
    guard case .stockAdministered(let draw) = withdrawal.event else { return }
    var dose = F.dose(draw.patientId)
    dose.eventId = draw.doseEventId
    if case .doseAdministered(var given) = dose.event {
      given.doseMg = draw.amountMg
      given.doseMgPerKg = draw.amountMg / 70
      if draw.containerId == "OLD-1" { given.lotNumber = "OLD" }
      dose.event = .doseAdministered(given)
    }
    let before = try fixture.snapshot()
    let patientBefore = try fixture.ledger.store.streamVersion(
      Ledger.stream(forPatient: draw.patientId))
    do {
      try await fixture.ledger.recordDose(dose, withdrawal: withdrawal)
      Issue.record("expected \(rule)", sourceLocation: sourceLocation)
    } catch {
      #expect(error.refusal?.rule == rule, "\(error)", sourceLocation: sourceLocation)
      #expect(error.refusal?.field == field, "\(error)", sourceLocation: sourceLocation)
      #expect(error.refusal?.index == 1, sourceLocation: sourceLocation)
    }
    #expect(try fixture.snapshot() == before, sourceLocation: sourceLocation)
    #expect(
      try fixture.ledger.store.streamVersion(Ledger.stream(forPatient: draw.patientId))
        == patientBefore, sourceLocation: sourceLocation)
  }

  @Test("Withdrawals: the dose must exist, be the patient's, of the lot and amount, once")
  func withdrawalDose() async throws {
    let fixture = try F("dea-dose")
    defer { fixture.close() }
    try await fixture.openSite()
    try await fixture.record(F.receipt(["L2-1"], lot: "LOT2"), at: "2026-11-02T09:00:00-05:00")
    try await fixture.preparePatient("p1")
    try await fixture.preparePatient("p2")
    let dose = F.dose("p1")
    try await fixture.ledger.record([dose])
    // Unknown dose.
    var unknown = F.withdrawal(F.dose("p1"))
    unknown.occurredAt = F.time("2026-11-03T09:31:00-05:00")
    try await expectRecordRefused(fixture, unknown, "stock.dose.unknown", "doseEventId")
    // Another patient's dose.
    var otherPatient = F.withdrawal(dose)
    if case .stockAdministered(var draw) = otherPatient.event {
      draw.patientId = "p2"
      otherPatient.event = .stockAdministered(draw)
    }
    try await expectRecordRefused(fixture, otherPatient, "stock.dose.patient", "patientId")
    try await expectRecordRefused(
      fixture, F.withdrawal(dose, container: "L2-1"), "stock.dose.lot", "doseEventId")
    try await expectRecordRefused(
      fixture, F.withdrawal(dose, mg: 30), "stock.dose.amount", "amountMg")
    try await fixture.ledger.record(clinical: [], inventory: [F.withdrawal(dose)])
    var again = F.withdrawal(dose, container: "V-2")
    again.eventId = UUID()
    try await expectRecordRefused(fixture, again, "stock.dose.accounted", "doseEventId")
    // A clinical event id that is not a dose.
    let start = try #require(
      try fixture.ledger.store.readStream(Ledger.stream(forPatient: "p1")).first)
    var notADose = F.withdrawal(dose)
    if case .stockAdministered(var draw) = notADose.event {
      draw.doseEventId = start.eventId
      notADose.event = .stockAdministered(draw)
    }
    try await expectRecordRefused(fixture, notADose, "stock.dose.unknown", "doseEventId")
  }

  func expectRecordRefused(
    _ fixture: F, _ entry: InventoryEntry, _ rule: String, _ field: String,
    sourceLocation: SourceLocation = #_sourceLocation
  ) async throws {
    let before = try fixture.snapshot()
    do {
      try await fixture.ledger.record(clinical: [], inventory: [entry])
      Issue.record("expected \(rule)", sourceLocation: sourceLocation)
    } catch {
      #expect(error.refusal?.rule == rule, "\(error)", sourceLocation: sourceLocation)
      #expect(error.refusal?.field == field, "\(error)", sourceLocation: sourceLocation)
    }
    #expect(try fixture.snapshot() == before, sourceLocation: sourceLocation)
  }

  @Test("Waste: a witness who is not the recorder; a named dose must exist; volumes agree")
  func waste() async throws {
    let fixture = try F("dea-waste")
    defer { fixture.close() }
    try await fixture.openSite()
    func waste(_ witness: Recorder?, dose: UUID? = nil, volume: Double? = 0.1) -> InventoryEvent {
      .wasteRecorded(
        WasteRecorded(
          containerId: "V-1", amountMg: 5, volumeMl: volume, method: "pouch", witness: witness,
          doseEventId: dose))
    }
    try await expectRefusal(fixture, waste(nil), rule: "waste.witness.missing", field: "witness")
    try await expectRefusal(
      fixture, waste(F.nurse), rule: "waste.witness.recorder", field: "witness.id")
    try await expectRefusal(
      fixture, waste(F.witness, dose: UUID()), rule: "waste.dose.unknown", field: "doseEventId")
    try await expectRefusal(
      fixture, waste(F.witness, volume: nil), rule: "stock.volumeMl.missing", field: "volumeMl")
    try await expectRefusal(
      fixture, waste(F.nurse), rule: "waste.witness.recorder", field: "witness.id")
    var relaxed = InventoryProtocol()
    relaxed.requireIndependentWitness = false
    let lenient = try F("dea-waste-lenient", settings: relaxed)
    defer { lenient.close() }
    try await lenient.openSite()
    try await lenient.record(waste(F.nurse))
  }

  @Test("Counts, losses and disposals: known containers, amounts within what they hold, witnesses")
  func accounting() async throws {
    let fixture = try F("dea-accounting")
    defer { fixture.close() }
    try await fixture.openSite()
    let count = InventoryEvent.inventoryCounted(
      InventoryCounted(
        kind: .other, countedAt: F.time("2026-11-03T08:00:00-05:00"), openingOrClose: .opening,
        lines: [CountLine(containerId: "V-9", sealed: true, volumeMl: 10)]))
    try await expectRefusal(
      fixture, count, rule: "inventory.container.unknown", field: "lines[0].containerId")
    let unmeasured = InventoryEvent.inventoryCounted(
      InventoryCounted(
        kind: .other, countedAt: F.time("2026-11-03T08:00:00-05:00"), openingOrClose: .opening,
        lines: [CountLine(containerId: "V-1", sealed: true, units: 1)]))
    try await expectRefusal(fixture, unmeasured, rule: "count.line.measure", field: "lines[0]")
    let loss = InventoryEvent.lossReported(
      LossReported(
        containerIds: ["V-1"], amountMg: 501, kind: .breakage,
        discoveredAt: F.time("2026-11-03T08:00:00-05:00")))
    try await expectRefusal(fixture, loss, rule: "inventory.amount.overBalance", field: "amountMg")
    let onSite = InventoryEvent.stockDisposed(
      StockDisposed(
        containerIds: ["V-1"], amountMg: 500, method: .onSiteDea41, witnesses: [F.witness]))
    try await expectRefusal(fixture, onSite, rule: "disposal.witnesses.two", field: "witnesses")
    let shipped = InventoryEvent.stockDisposed(
      StockDisposed(containerIds: ["V-1"], amountMg: 500, method: .reverseDistributor))
    try await expectRefusal(
      fixture, shipped, rule: "disposal.reverseDistributor.missing", field: "reverseDistributor")
    let tooMuch = InventoryEvent.stockDisposed(
      StockDisposed(
        containerIds: ["V-1", "V-2"], amountMg: 1_000.5, method: .reverseDistributor,
        reverseDistributor: F.supplier))
    try await expectRefusal(
      fixture, tooMuch, rule: "inventory.amount.overBalance", field: "amountMg")
  }

  @Test("Malformed payloads are refused with the field and a decode rule, never the value")
  func decoding() async throws {
    let fixture = try F("dea-decoding")
    defer { fixture.close() }
    try await fixture.openSite()
    let stream = Ledger.stream(forSite: F.site)
    for (data, rule, field) in [
      (
        #"{"containerId":"V-1","amountMg":-1,"volumeMl":0,"patientId":"p","doseEventId":"x"}"#,
        "stock.amount.positive", "amountMg"
      ),
      (
        #"{"containerId":"V-1","amountMg":1,"patientId":"p","doseEventId":"x","extra":1}"#,
        "decode.field.unknownKey", "extra"
      ),
      (
        #"{"containerId":"V-1","amountMg":"1","patientId":"p","doseEventId":"x"}"#,
        "decode.field.wrongType", "amountMg"
      ),
      (
        #"{"containerId":"V-1","amountMg":1e300,"patientId":"p","doseEventId":"x"}"#,
        "stock.amount.range", "amountMg"
      ),
    ] {
      let event = ProposedEvent(
        eventId: UUID(), type: "StockAdministered", schemaVersion: 1,
        occurredAt: "2026-11-03T10:00:00-05:00", recordedBy: F.nurse,
        data: try JSONValue.parse(Array(data.utf8)))
      do {
        _ = try await fixture.ledger.store.append([event], to: stream)
        Issue.record("accepted \(data)")
      } catch {
        guard case .rejected(_, _, _, let f, let r, let limit) = error else {
          Issue.record("\(error)")
          continue
        }
        #expect(r == rule)
        #expect(f == field)
        #expect(!limit.contains("-1"))
      }
    }
  }
}

/// Values far outside any real stock are refused with a rule, never trap; dates are real dates.
@Suite("Controlled-substance extreme values")
struct ExtremeValueTests {
  typealias F = InventoryFixture

  @Test("Huge strengths, sizes and counted volumes are refused with a rule")
  func hugeContents() async throws {
    let fixture = try F("dea-extreme")
    defer { fixture.close() }
    try await fixture.openSite()
    for (event, rule) in [
      (F.receipt(["H-1"], mgPerMl: 1e300), "stock.contents.range"),
      (F.receipt(["H-2"], volumeMl: 2e6), "stock.contents.range"),
      (
        InventoryEvent.inventoryCounted(
          InventoryCounted(
            kind: .other, countedAt: F.time("2026-11-03T08:00:00-05:00"), openingOrClose: .close,
            lines: [CountLine(containerId: "V-1", sealed: false, volumeMl: 1e300)])),
        "count.line.measure"
      ),
    ] {
      do {
        try await fixture.record(event, at: "2026-11-03T08:00:00-05:00")
        Issue.record("accepted \(rule)")
      } catch {
        #expect(error.refusal?.rule == rule)
      }
    }
  }

  @Test("Calendar days: leap years, the next day, weekdays, the epoch")
  func calendarDays() {
    #expect(CalendarDay("2026-02-29") == nil)
    #expect(CalendarDay("2028-02-29")?.adding(days: 1).text == "2028-03-01")
    #expect(CalendarDay("2026-11-06")?.weekday == 4)
    #expect(CalendarDay(ordinal: 0).text == "1970-01-01")
  }
}
