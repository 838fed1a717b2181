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
      few corrections and voids. Every event goes through the same validation as real input. \
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
    var written = 0
    var total = 0
    var batch: [StreamAppend] = []
    var batchEvents = 0
    func flush() async throws {
      guard !batch.isEmpty else { return }
      do {
        let results = try await ledger.store.append(batch)
        written += results.reduce(0) { $0 + $1.written }
      } catch {
        progress.finish()
        throw Exit.report(error)
      }
      batch = []
      batchEvents = 0
      progress.update(count: UInt64(total), fraction: nil)
    }
    var interesting: Int?
    for index in 0..<patients {
      let events = clinic.events(ofPatient: index)
      if interesting == nil, events.contains(where: { $0.data["route"] == .string("iv") }),
        events.contains(where: {
          $0.type == "EntryCorrected" || $0.data["action"] == .string("stopped")
        })
      {
        interesting = index
      }
      total += events.count
      batch.append(
        StreamAppend(stream: Ledger.stream(forPatient: clinic.patientId(index)), events: events))
      batchEvents += events.count
      if batchEvents >= 5_000 { try await flush() }
    }
    try await flush()
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
        treatment-ledger rebuild\(store)
        treatment-ledger stats\(store)
      """)
  }
}
