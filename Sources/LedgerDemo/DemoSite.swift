import Foundation
import LedgerFoundation
import TreatmentLedger

/// The demo clinic's controlled-substance log: site `main` (stream `inventory-main`), built from
/// the clinic's own doses so that every dose is drawn from a real container of its lot.
///
/// - **Opening**: the DEA registration; one receipt per lot the doses use (ketamine as 10 mL
///   vials of 50 mg/mL, esketamine as kits of three 28 mg nasal-spray devices), one vial per
///   dose plus a spare vial; the initial count, every container sealed.
/// - **Per patient**: each dose's withdrawal from its own container, and the rest of the
///   container wasted before a witness (single-use practice).
/// - **Closing**: a count after the last dose that finds the spare vial 0.5 mL short (one
///   discrepancy), the spill report that explains it, and the spare vial sent to a reverse
///   distributor.
///
/// Event ids come from the seed, so the same clinic gives the same log.
public struct DemoSite: Sendable {
  /// The site id.
  public static let site = "main"
  /// The spare vial counted short.
  public static let spareVial = "KV-SPARE-1"

  /// The clinic whose doses the site supplies.
  public let clinic: DemoClinic
  /// Every dose of the clinic, patient by patient, each with its container (computed once).
  let allDoses: [[Dose]]

  /// The site of `clinic` (generates every patient's events once, to find the doses).
  public init(clinic: DemoClinic) {
    self.clinic = clinic
    self.allDoses = Self.doses(of: clinic)
  }

  static let pharmacist = Recorder(id: "staff-0009", name: "Morgan Example", role: "pharmacist")
  static let nurse = Recorder(id: "staff-0107", name: "Jordan Example, RN", role: "nurse")
  static let prescriber = Recorder(id: "staff-0042", name: "Dr. Avery Example", role: "prescriber")
  static let supplier = Registrant(
    name: "Example Wholesale", address: "1 Depot Road, Springfield", deaNumber: "RW1234563")

  /// One dose of the clinic, as the site sees it.
  struct Dose: Sendable {
    var eventId: UUID
    var patientId: String
    var drug: String
    var lot: String
    var mg: Double
    var occurredAt: ClinicalTime
    var container: String
  }

  /// Every dose of the clinic, patient by patient, each with its container id.
  static func doses(of clinic: DemoClinic) -> [[Dose]] {
    var perLot: [String: Int] = [:]  // by drug and lot
    return (0..<clinic.patients).map { index in
      clinic.events(ofPatient: index).compactMap { event -> Dose? in
        guard event.type == "DoseAdministered", let lot = event.data["lotNumber"]?.stringValue,
          let mg = event.data["doseMg"]?.numberValue,
          let drug = event.data["drug"]?.stringValue, let time = ClinicalTime(event.occurredAt)
        else { return nil }
        let prefix = drug == "esketamine" ? "EK" : "KV"
        perLot[prefix + lot, default: 0] += 1
        return Dose(
          eventId: event.eventId, patientId: clinic.patientId(index), drug: drug, lot: lot, mg: mg,
          occurredAt: time, container: "\(prefix)-\(lot)-\(perLot[prefix + lot] ?? 0)")
      }
    }
  }

  /// Deterministic event ids.
  struct Ids {
    var rng: SplitMix64
    mutating func next() -> UUID {
      var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &rng) }
      bytes[6] = bytes[6] & 0x0F | 0x40
      bytes[8] = bytes[8] & 0x3F | 0x80
      return UUID(
        uuid: (
          bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
          bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
        ))
    }
  }

  static func event(
    _ event: InventoryEvent, _ id: UUID, at time: String, by: Recorder
  ) -> ProposedEvent {
    ProposedEvent(
      eventId: id, type: event.eventType, occurredAt: time, recordedBy: by, data: event.json)
  }

  static func day(_ text: String) -> CalendarDay { CalendarDay(text) ?? CalendarDay(ordinal: 0) }

  static func time(_ text: String) -> ClinicalTime {
    ClinicalTime(text) ?? ClinicalTime(Date(timeIntervalSince1970: 0))
  }

  /// Registration, receipts of every lot the doses use, and the initial count.
  public func opening() -> [ProposedEvent] {
    var ids = Ids(rng: SplitMix64(seed: clinic.seed &* 7_919 &+ 1))
    var events = [
      Self.event(
        .registrationRecorded(
          RegistrationRecorded(
            site: Self.site, registrantName: "Example Ketamine Clinic",
            address: "2 Main Street, Springfield", deaNumber: "FE1234563",
            deaExpiresOn: Self.day("2028-06-30"), stateLicense: "CS-0001")), ids.next(),
        at: "2026-05-29T08:00:00-05:00", by: Self.pharmacist)
    ]
    // The demo's lot numbers are drawn at random for either drug: a lot here is a drug and a lot.
    var byLot: [String: (drug: String, lot: String, containers: [String])] = [:]
    for dose in allDoses.joined() {
      byLot[dose.drug + " " + dose.lot, default: (dose.drug, dose.lot, [])].containers.append(
        dose.container)
    }
    byLot["ketamine KT-SPARE", default: ("ketamine", "KT-SPARE", [])].containers.append(
      Self.spareVial)
    var all: [String] = []
    for key in byLot.keys.sorted() {
      guard let entry = byLot[key] else { continue }
      let lot = entry.lot
      all += entry.containers
      let esketamine = entry.drug == "esketamine"
      // At most 200 containers per receipt, so that no event grows past the store's limit.
      for chunk in stride(from: 0, to: entry.containers.count, by: 200) {
        let ids200 = Array(entry.containers[chunk..<min(chunk + 200, entry.containers.count)])
        events.append(
          Self.event(
            .stockReceived(
              StockReceived(
                lotNumber: lot, drug: esketamine ? .esketamine : .ketamine,
                ndc: esketamine ? "50458-028-03" : "42023-113-10",
                form: esketamine ? .nasalSpray : .injectionSolution,
                contents: esketamine
                  ? .units(mgPerUnit: 28, unitsPerContainer: 3)
                  : .solution(strengthMgPerMl: 50, containerVolumeMl: 10),
                containerIds: ids200, expiresOn: Self.day("2027-12-31"), supplier: Self.supplier,
                invoiceRef: "INV-\(lot)", receivedOn: Self.day("2026-05-30"))), ids.next(),
            at: "2026-05-30T10:00:00-05:00", by: Self.pharmacist))
      }
    }
    events.append(
      Self.event(
        .inventoryCounted(
          InventoryCounted(
            kind: .initial, countedAt: Self.time("2026-05-30T17:00:00-05:00"),
            openingOrClose: .close,
            lines: all.map { id in
              id.hasPrefix("EK")
                ? CountLine(containerId: id, sealed: true, units: 3)
                : CountLine(containerId: id, sealed: true, volumeMl: 10)
            }, witness: Self.prescriber)), ids.next(), at: "2026-05-30T17:00:00-05:00",
        by: Self.pharmacist))
    return events
  }

  /// Patient `index`'s withdrawals and waste, in the order of the doses.
  public func events(ofPatient index: Int) -> [ProposedEvent] {
    let all = allDoses
    guard all.indices.contains(index) else { return [] }
    var ids = Ids(rng: SplitMix64(seed: clinic.seed &* 7_919 &+ 1_000 &+ UInt64(index)))
    var events: [ProposedEvent] = []
    for dose in all[index] {
      let esketamine = dose.drug == "esketamine"
      events.append(
        Self.event(
          .stockAdministered(
            StockAdministered(
              containerId: dose.container, amountMg: dose.mg,
              volumeMl: esketamine ? nil : dose.mg / 50,
              patientId: dose.patientId, doseEventId: dose.eventId)), ids.next(),
          at: dose.occurredAt.text, by: Self.nurse))
      let rest = (esketamine ? 84 : 500) - dose.mg
      guard rest > 0 else { continue }
      let later = ClinicalTime(micros: dose.occurredAt.micros + 300_000_000, offsetMinutes: -300)
      events.append(
        Self.event(
          .wasteRecorded(
            WasteRecorded(
              containerId: dose.container, amountMg: rest, volumeMl: esketamine ? nil : rest / 50,
              method: esketamine ? "device discarded unused" : "drug disposal pouch",
              witness: Self.prescriber, doseEventId: dose.eventId)), ids.next(),
          at: later?.text ?? dose.occurredAt.text, by: Self.nurse))
    }
    return events
  }

  /// The closing count with its one discrepancy, the spill report that explains it, and the
  /// spare vial's disposal.
  public func closing() -> [ProposedEvent] {
    var ids = Ids(rng: SplitMix64(seed: clinic.seed &* 7_919 &+ 2))
    let all = Array(allDoses.joined())
    let containers = all.map(\.container)
    // The evening after the last dose, clinic time (UTC−05:00).
    let last = all.map(\.occurredAt.micros).max() ?? 0
    let day = CalendarDay(ordinal: Int((last - 5 * 3_600_000_000) / 86_400_000_000) + 1)
    let countTime = day.text + "T18:00:00-05:00"
    let reportTime = day.text + "T18:30:00-05:00"
    let notified = day.adding(days: 1).text + "T09:30:00-05:00"
    let disposed = day.adding(days: 5).text + "T11:00:00-05:00"
    return [
      Self.event(
        .inventoryCounted(
          InventoryCounted(
            kind: .other, countedAt: Self.time(countTime),
            openingOrClose: .close,
            lines: containers.map { id in
              id.hasPrefix("EK")
                ? CountLine(containerId: id, sealed: false, units: 0)
                : CountLine(containerId: id, sealed: false, volumeMl: 0)
            } + [CountLine(containerId: Self.spareVial, sealed: false, volumeMl: 9.5)],
            witness: Self.prescriber)), ids.next(), at: countTime, by: Self.pharmacist),
      Self.event(
        .lossReported(
          LossReported(
            containerIds: [Self.spareVial], amountMg: 25, kind: .spill,
            discoveredAt: Self.time(countTime),
            fieldOfficeNotifiedAt: ClinicalTime(notified))), ids.next(),
        at: reportTime, by: Self.pharmacist),
      Self.event(
        .stockDisposed(
          StockDisposed(
            containerIds: [Self.spareVial], amountMg: 475, method: .reverseDistributor,
            reverseDistributor: Registrant(
              name: "Example Returns", address: "9 Harbor Way, Springfield",
              deaNumber: "RR7654329"))), ids.next(), at: disposed,
        by: Self.pharmacist),
    ]
  }
}
