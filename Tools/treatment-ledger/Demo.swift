import ArgumentParser
import Foundation
import LedgerDemo
import TreatmentLedger

struct Demo: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Fill the store with a realistic synthetic clinic and show what it holds.",
    discussion: """
      Patients get IV ketamine, intramuscular ketamine or intranasal esketamine courses with \
      sessions, vitals every 10–15 minutes, infusion changes and early stops, side effects, \
      discharges, next-day follow-up calls (some missed), PHQ-9 and GAD-7 trajectories, and a \
      few corrections and voids. Site main keeps the controlled-substance log: receipts, every \
      dose drawn from a real vial of its lot in the same atomic append as the dose, witnessed \
      waste, and a closing count with one discrepancy and the spill report that explains it. \
      Every event goes through the same validation as real input. \
      The same seed gives the same events; running it again adds nothing.
      """)

  @OptionGroup var storeOptions: StoreOptions
  @Option(help: "How many patients.") var patients: Int = 12
  @Option(help: "Random seed.") var seed: UInt64 = 1
  @Option(
    help:
      "Which patient to show (1-based; default: the first IV patient with a correction or an early stop)."
  )
  var show: Int?

  func validate() throws {
    guard (1...100_000).contains(patients) else {
      throw ValidationError("--patients must be from 1 to 100000")
    }
    if let show, !(1...patients).contains(show) {
      throw ValidationError("--show must be from 1 to --patients")
    }
  }

  func run() async throws {
    let started = ContinuousClock.now
    let ledger = try storeOptions.open(create: true)
    defer { ledger.close() }
    let clinic = DemoClinic(patients: patients, seed: seed)
    let progress = Progress(label: "demo")
    let (total, written, interesting) = try await fill(ledger, clinic, progress)
    progress.finish()
    let elapsed = ContinuousClock.now - started
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    let patientId = clinic.patientId(show.map { $0 - 1 } ?? interesting ?? 0)
    print(
      "Demo clinic: \(patients) patients, \(total) events (\(written) new) in \(String(format: "%.2f", seconds)) s, store \(ledger.store.path)"
    )
    print("")
    ledger.close()
    var shared: [String] = []
    if let path = storeOptions.store { shared += ["--store", path] }
    if let file = storeOptions.protocolFile { shared += ["--protocol", file] }
    let timeline = try Timeline.parse(["--patient", patientId] + shared)
    try await timeline.run()
    print("")
    let summary = try Summary.parse(["--patient", patientId] + shared)
    try await summary.run()
    print("")
    let verify = try Verify.parse(shared)
    try await verify.run()
    print("")
    try showSite(shared)
    let store = storeOptions.store.map { " --store \($0)" } ?? ""
    // "As of" is recorded time: the record as it stood a minute from now holds everything the
    // demo wrote (a fixed date would show nothing on a store filled later).
    let asOf = String(Timestamp.format(micros: Timestamp.nowMicros() + 60_000_000).prefix(19)) + "Z"
    print(
      """

      Try next:
        treatment-ledger timeline --patient \(clinic.patientId(min(1, patients - 1)))\(store) --as-of \(asOf)
        treatment-ledger summary --patient \(patientId)\(store) --json
        treatment-ledger report --patient \(patientId)\(store) --out \(patientId)-report.html
        treatment-ledger read --stream \(Ledger.stream(forPatient: patientId))\(store) --json
        treatment-ledger dea balance --site \(DemoSite.site)\(store) --as-of 2026-07-01
        treatment-ledger dea report --site \(DemoSite.site)\(store) --from 2026-06-01 --to 2026-07-01 --out dea-june --by inspector-7 --reason "June review"
        treatment-ledger rebuild\(store)
        treatment-ledger stats\(store)
      """)
  }
}

extension Demo {
  /// Prints the site's log in a few lines: what it holds, the closing count's discrepancy and
  /// what explained it, and where the site stands.
  func showSite(_ shared: [String]) throws {
    let ledger = try storeOptions.open(readOnly: true)
    defer { ledger.close() }
    do {
      let events = try ledger.store.readStream(Ledger.stream(forSite: DemoSite.site))
      var counts: [String: Int] = [:]
      for event in events { counts[event.type, default: 0] += 1 }
      let balances = try ledger.inventory.balances(site: DemoSite.site)
      let status = try ledger.inventory.status(site: DemoSite.site)
      var states: [String: Int] = [:]
      for record in balances { states[record.state.rawValue, default: 0] += 1 }
      print("Controlled-substance log of site \(DemoSite.site): \(events.count) events")
      print(
        "  "
          + InventoryEvent.allTypes.map { "\($0.type) \(counts[$0.type] ?? 0)" }
          .joined(separator: ", "))
      print(
        "  containers \(balances.count): "
          + states.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(
            separator: ", ")
          + "; on hand \(String(format: "%.1f", balances.reduce(0) { $0 + $1.balanceMg })) mg")
      let flagged = events.filter { $0.type == InventoryCounted.eventType && !$0.flags.isEmpty }
      for count in flagged {
        print(
          "  count of \(count.occurredAt): \(count.flags.count) discrepancy flagged "
            + "(\(DemoSite.spareVial) found 0.5 mL short), explained by the LossReported that follows"
        )
      }
      let open = status.record.discrepancies.map(\.containerId)
      print(
        "  open discrepancies: \(open.isEmpty ? "none" : open.joined(separator: ", ")); "
          + "last count \(status.record.lastCountedAt?.text ?? "none"), "
          + "next due \(status.nextCountDue?.text ?? "now")")
    } catch {
      throw Exit.report(error)
    }
  }
}

extension Demo {
  /// Appends the clinic and its site in batches of about 5,000 events. The site's log:
  /// registration, receipts and the initial count first, then each patient's withdrawals and
  /// waste in the same atomic append as the patient's doses, then the closing count with its
  /// discrepancy, the spill that explains it, and a disposal. Returns the events given, the
  /// events written, and the first IV patient with a correction or an early stop.
  func fill(_ ledger: Ledger, _ clinic: DemoClinic, _ progress: Progress) async throws -> (
    Int, Int, Int?
  ) {
    let site = DemoSite(clinic: clinic)
    var written = 0
    var total = 0
    var batch: [StreamAppend] = []
    var siteEvents = site.opening()
    func flush() async throws {
      if !siteEvents.isEmpty {
        batch.append(
          StreamAppend(stream: Ledger.stream(forSite: DemoSite.site), events: siteEvents))
      }
      guard !batch.isEmpty else { return }
      total += batch.reduce(0) { $0 + $1.events.count }
      do {
        let results = try await ledger.store.append(batch)
        written += results.reduce(0) { $0 + $1.written }
      } catch {
        progress.finish()
        throw Exit.report(error)
      }
      (batch, siteEvents) = ([], [])
      progress.update(count: UInt64(total), fraction: nil)
    }
    try await flush()
    var interesting: Int?
    var batchEvents = 0
    for index in 0..<patients {
      let events = clinic.events(ofPatient: index)
      if interesting == nil, events.contains(where: { $0.data["route"] == .string("iv") }),
        events.contains(where: {
          $0.type == "EntryCorrected" || $0.data["action"] == .string("stopped")
        })
      {
        interesting = index
      }
      batch.append(
        StreamAppend(stream: Ledger.stream(forPatient: clinic.patientId(index)), events: events))
      siteEvents += site.events(ofPatient: index)
      batchEvents += events.count
      if batchEvents >= 5_000 {
        try await flush()
        batchEvents = 0
      }
    }
    siteEvents += site.closing()
    try await flush()
    return (total, written, interesting)
  }
}
