import ArgumentParser
import Foundation
import LedgerDemo
import LedgerLMDB
import TreatmentLedger

/// `tamper`: damage a real clinical store directly in its LMDB file, as someone with access to the
/// file would, and check that `verify` detects every change and names the first bad position.
struct Tamper: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "tamper",
    abstract:
      "Flip, delete, reorder and truncate events in the LMDB file; verify must detect each.",
    discussion: """
      A store is filled with the demo clinic (--patients, --seed) through the clinical \
      validation, and copied once per case. Each case changes the copy below the store, through \
      LMDB's C API: a random byte of a random stored event XORed with a random non-zero mask \
      (flip), an event deleted from the log (delete), two events exchanged (reorder), the newest \
      events removed with every index, stream head and the log head rewritten to match \
      (truncate), a stream-index or event-id-index entry changed (index). `verify` must then \
      report a problem at the changed position (the first of a reordered pair). A consistent \
      truncation leaves a valid shorter chain: it must be invisible without an anchor (that is \
      why operators keep one) and detected against the anchor taken before. Printed: the cases \
      tried and detected per kind.
      """)

  @Option(help: "Demo patients in the store.") var patients: Int = 24
  @Option(help: "Single-byte flips.") var flips: Int = 200
  @Option(help: "Cases of each other kind (delete, reorder, truncate, index).") var cases: Int = 20
  @Option(help: "Seed of the demo clinic and of the cases.") var seed: UInt64 = 1
  @Option(help: "Keep the stores in this folder.") var workDir: String?

  func validate() throws {
    guard patients >= 2, flips >= 0, cases >= 0 else {
      throw ValidationError("--patients must be at least 2; --flips and --cases at least 0")
    }
  }

  func run() async throws {
    let work = try WorkFolder(workDir, label: "tamper")
    var tally = Tally()
    let pristine = work.appending("pristine")
    let events = try await fill(pristine)
    guard events.count >= 4 else {
      tally.check(false, "the demo store holds at least 4 events", "\(events.count) events")
      try tally.finish()
      return
    }
    print("tamper: a store of \(events.count) events (\(patients) demo patients, seed \(seed))")
    var random = SeededGenerator(seed: seed)
    var lab = TamperLab(pristine: pristine, work: work, events: events)
    // The kinds run in this order from one generator: the same seed gives the same cases.
    try flipBytes(&lab, &random, &tally)
    try deleteEvents(&lab, &random, &tally)
    try exchangeEvents(&lab, &random, &tally)
    try truncate(&lab, &random, &tally)
    try changeIndexEntries(&lab, &random, &tally)
    print("detected: \(lab.detected) of \(lab.tried) tampered stores")
    work.finish(tally)
    try tally.finish()
  }

  /// Flips one byte of a random stored event; verify must name its position.
  private func flipBytes(
    _ lab: inout TamperLab, _ random: inout SeededGenerator, _ tally: inout Tally
  ) throws {
    let count = UInt64(lab.events.count)
    var misses: [String] = []
    for trial in 0..<flips {
      let position = UInt64.random(in: 0..<count, using: &random)
      let mask = UInt8.random(in: 1...255, using: &random)
      var offset = 0
      let problem = try lab.verifyAfter(trial: trial) { txn in
        let log = try txn.openDatabase("log")
        var value = try txn.get(log, position.bigEndianBytes) ?? []
        offset = Int.random(in: 0..<max(1, value.count), using: &random)
        if !value.isEmpty { value[offset] ^= mask }
        try txn.put(log, position.bigEndianBytes, value)
      }
      if problem?.position != position {
        misses.append(
          "byte \(offset) of position \(position) (mask \(mask)): \(lab.describe(problem))")
      }
    }
    lab.record("flip one byte of a stored event", tried: flips, missed: misses, &tally)
  }

  /// Deletes an event (not the newest) from the log; verify must name its position.
  private func deleteEvents(
    _ lab: inout TamperLab, _ random: inout SeededGenerator, _ tally: inout Tally
  ) throws {
    let count = UInt64(lab.events.count)
    var misses: [String] = []
    for trial in 0..<cases {
      let position = UInt64.random(in: 0..<(count - 1), using: &random)
      let problem = try lab.verifyAfter(trial: trial) { txn in
        _ = try txn.delete(try txn.openDatabase("log"), position.bigEndianBytes)
      }
      if problem?.position != position {
        misses.append("position \(position): \(lab.describe(problem))")
      }
    }
    lab.record("delete an event from the log", tried: cases, missed: misses, &tally)
  }

  /// Exchanges two events of the log; verify must name the first of them.
  private func exchangeEvents(
    _ lab: inout TamperLab, _ random: inout SeededGenerator, _ tally: inout Tally
  ) throws {
    let count = UInt64(lab.events.count)
    var misses: [String] = []
    for trial in 0..<cases {
      let first = UInt64.random(in: 0..<(count - 1), using: &random)
      let second = UInt64.random(in: (first + 1)..<count, using: &random)
      let problem = try lab.verifyAfter(trial: trial) { txn in
        let log = try txn.openDatabase("log")
        let a = try txn.get(log, first.bigEndianBytes) ?? []
        let b = try txn.get(log, second.bigEndianBytes) ?? []
        try txn.put(log, first.bigEndianBytes, b)
        try txn.put(log, second.bigEndianBytes, a)
      }
      if problem?.position != first {
        misses.append("positions \(first) and \(second): \(lab.describe(problem))")
      }
    }
    lab.record("exchange two events", tried: cases, missed: misses, &tally)
  }

  /// Removes the newest events consistently: invisible without an anchor, detected against the
  /// anchor taken before.
  private func truncate(
    _ lab: inout TamperLab, _ random: inout SeededGenerator, _ tally: inout Tally
  ) throws {
    let events = lab.events
    var misses: [String] = []
    var invisibleWithoutAnchor = 0
    let anchor = ChainAnchor(
      events: UInt64(events.count), chainHead: events[events.count - 1].hash.hex)
    for trial in 0..<cases {
      let removed = Int.random(in: 1...min(20, events.count - 1), using: &random)
      let (plain, anchored) = try lab.verifyTruncated(
        trial: trial, removing: removed, anchor: anchor)
      if plain == nil { invisibleWithoutAnchor += 1 }
      if anchored?.kind != VerificationProblem.Kind.anchorMismatch.rawValue {
        misses.append("\(removed) newest removed: \(lab.describe(anchored))")
      }
    }
    lab.record(
      "truncate the newest events (indexes and heads rewritten)", tried: cases,
      missed: misses, how: "against the anchor kept before", &tally)
    tally.check(
      invisibleWithoutAnchor == cases,
      "a consistent truncation is invisible without an anchor (as documented)",
      "\(cases - invisibleWithoutAnchor) of \(cases) were seen without one")
  }

  /// Points a stream-index entry elsewhere or deletes an event-id-index entry (alternately);
  /// verify must name the event's position.
  private func changeIndexEntries(
    _ lab: inout TamperLab, _ random: inout SeededGenerator, _ tally: inout Tally
  ) throws {
    let events = lab.events
    var misses: [String] = []
    for trial in 0..<cases {
      let index = Int.random(in: 0..<events.count, using: &random)
      let recorded = events[index]
      let position = recorded.globalPosition
      let pointTo = (position + 1) % UInt64(events.count)
      let streamEntry = trial % 2 == 0
      let problem = try lab.verifyAfter(trial: trial) { txn in
        if streamEntry {
          let key = Array(recorded.streamId.utf8) + [0] + recorded.streamVersion.bigEndianBytes
          try txn.put(try txn.openDatabase("streams"), key, pointTo.bigEndianBytes)
        } else {
          let key = withUnsafeBytes(of: recorded.eventId.uuid) { Array($0) }
          _ = try txn.delete(try txn.openDatabase("event-ids"), key)
        }
      }
      if problem?.position != position {
        let what = streamEntry ? "stream index entry" : "event-id index entry"
        misses.append("\(what) of position \(position): \(lab.describe(problem))")
      }
    }
    lab.record(
      "change a stream-index or event-id-index entry", tried: cases, missed: misses, &tally)
  }

  /// Fills a store with the demo clinic through the clinical validation; returns its events.
  private func fill(_ path: String) async throws -> [RecordedEvent] {
    let ledger = try Ledger.open(Ledger.Configuration(path: path))
    defer { ledger.close() }
    let clinic = DemoClinic(patients: patients, seed: seed)
    for (stream, events) in clinic.allEvents() {
      _ = try await ledger.store.append(events, to: stream, expectedVersion: .noStream)
    }
    let report = try ledger.store.verify()
    guard report.isIntact else {
      throw ValidationError(
        "the freshly filled store does not verify: \(String(describing: report.problem))")
    }
    var events: [RecordedEvent] = []
    while true {
      let chunk = try ledger.store.readAll(from: UInt64(events.count), limit: 1_000)
      if chunk.isEmpty { return events }
      events += chunk
    }
  }
}

/// What verify reported: the problem's kind and first bad position.
struct Finding {
  /// `VerificationProblem.Kind`'s raw value, or why verification could not run.
  var kind: String
  /// The first bad global position, when verify named one.
  var position: UInt64?
  /// Verify's sentence about it (no event content).
  var detail: String
}

/// Copies of one pristine store, each changed below the store and then verified.
struct TamperLab {
  let pristine: String
  let work: WorkFolder
  let events: [RecordedEvent]
  private(set) var tried = 0
  private(set) var detected = 0

  init(pristine: String, work: WorkFolder, events: [RecordedEvent]) {
    self.pristine = pristine
    self.work = work
    self.events = events
  }

  /// A fresh copy of the pristine store's data file.
  private func copy(_ trial: Int) throws -> String {
    let path = work.appending("case-\(trial)")
    let manager = FileManager.default
    if manager.fileExists(atPath: path) { try manager.removeItem(atPath: path) }
    try manager.createDirectory(atPath: path, withIntermediateDirectories: true)
    try manager.copyItem(atPath: pristine + "/data.mdb", toPath: path + "/data.mdb")
    return path
  }

  /// Changes a copy through `change` (one LMDB write transaction) and verifies it.
  mutating func verifyAfter(
    trial: Int, anchor: ChainAnchor? = nil, _ change: (WriteTransaction) throws -> Void
  ) throws -> Finding? {
    let path = try copy(trial)
    let environment = try Environment(path: path)
    do {
      try environment.write { txn in try change(txn) }
    } catch {
      environment.close()
      throw error
    }
    environment.close()
    let problem = try verify(path, anchor: anchor)
    tried += 1
    if problem != nil { detected += 1 }
    try? FileManager.default.removeItem(atPath: path)
    return problem
  }

  /// Removes the `removing` newest events and rewrites the indexes, the stream heads and the log
  /// head to match; returns what verify reports without and with `anchor`.
  mutating func verifyTruncated(trial: Int, removing: Int, anchor: ChainAnchor) throws
    -> (plain: Finding?, anchored: Finding?)
  {
    let kept = Array(events.dropLast(removing))
    let gone = events.suffix(removing)
    let path = try copy(trial)
    let environment = try Environment(path: path)
    do {
      try environment.write { txn in
        let log = try txn.openDatabase("log")
        let streams = try txn.openDatabase("streams")
        let ids = try txn.openDatabase("event-ids")
        let heads = try txn.openDatabase("stream-heads")
        let meta = try txn.openDatabase("meta")
        for recorded in gone {
          _ = try txn.delete(log, recorded.globalPosition.bigEndianBytes)
          _ = try txn.delete(
            streams, Array(recorded.streamId.utf8) + [0] + recorded.streamVersion.bigEndianBytes)
          _ = try txn.delete(ids, withUnsafeBytes(of: recorded.eventId.uuid) { Array($0) })
        }
        for stream in Set(gone.map(\.streamId)) {
          if let last = kept.last(where: { $0.streamId == stream }) {
            try txn.put(
              heads, Array(stream.utf8), last.streamVersion.bigEndianBytes + last.hash.bytes)
          } else {
            _ = try txn.delete(heads, Array(stream.utf8))
          }
        }
        if let last = kept.last {
          let micros = UInt64(Timestamp.parseMicros(last.recordedAt) ?? 0)
          try txn.put(
            meta, Array("head".utf8),
            UInt64(kept.count).bigEndianBytes + last.hash.bytes + micros.bigEndianBytes)
        }
      }
    } catch {
      environment.close()
      throw error
    }
    environment.close()
    let plain = try verify(path, anchor: nil)
    let anchored = try verify(path, anchor: anchor)
    tried += 1
    if anchored != nil { detected += 1 }
    try? FileManager.default.removeItem(atPath: path)
    return (plain, anchored)
  }

  private func verify(_ path: String, anchor: ChainAnchor?) throws -> Finding? {
    let store = try EventStore.open(at: path)
    defer { store.close() }
    do {
      return try store.verify(anchor: anchor).problem.map {
        Finding(kind: $0.kind.rawValue, position: $0.position, detail: $0.detail)
      }
    } catch {
      // A store so damaged that verification cannot proceed is detected, though at no position.
      return Finding(kind: "verification failed", position: nil, detail: "\(error)")
    }
  }

  /// Prints a kind's figures and records it as one check.
  func record(
    _ kind: String, tried: Int, missed: [String], how: String = "at the changed position",
    _ tally: inout Tally
  ) {
    print("  \(kind): \(tried - missed.count) of \(tried) detected \(how)")
    tally.check(problems: missed, kind)
  }

  /// A problem's kind and position, for a miss (never event content).
  func describe(_ problem: Finding?) -> String {
    guard let problem else { return "not detected" }
    return
      "reported \(problem.kind) at \(problem.position.map(String.init) ?? "no position") (\(problem.detail))"
  }
}
