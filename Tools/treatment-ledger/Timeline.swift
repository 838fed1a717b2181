import ArgumentParser
import Foundation
import LedgerEventStore
import TreatmentLedger

/// Prints a value as sorted-key JSON on one line.
func printJSON<T: Encodable>(_ value: T) throws {
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
  print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// A short `key=value` rendering of an event's data for tables.
func render(_ data: JSONValue, limit: Int = 70) -> String {
  guard case .object(let members) = data else { return "" }
  let text = members.keys.sorted().compactMap { key -> String? in
    guard let value = members[key] else { return nil }
    switch value {
    case .string(let string): return "\(key)=\(string)"
    case .number(let number):
      return "\(key)=\(String(decoding: JSONValue.number(number).canonicalBytes, as: UTF8.self))"
    case .bool(let flag): return "\(key)=\(flag)"
    case .array(let items): return "\(key)=[\(items.count)]"
    case .object: return "\(key)={…}"
    case .null: return nil
    }
  }.joined(separator: " ")
  return text.count > limit ? String(text.prefix(limit - 1)) + "…" : text
}

struct Timeline: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Show a patient's timeline in clinical order, with flags, corrections and voids.",
    discussion: """
      Entries are ordered by occurredAt, then global position. A corrected entry stays, marked \
      with what corrected it; a voided one is marked VOIDED. --as-of TIME shows the record as it \
      was at that recorded time.
      """)

  @OptionGroup var storeOptions: StoreOptions
  @Option(help: "The patient's pseudonymous id (the stream is patient-<id>).") var patient: String
  @Option(help: "Show the record as it was at this recorded time (RFC 3339 with an offset).")
  var asOf: String?
  @Flag(help: "Print JSON.") var json = false

  func validate() throws {
    if let asOf, Timestamp.parseMicros(asOf) == nil {
      throw ValidationError("--as-of must be an RFC 3339 date-time with an offset")
    }
  }

  func run() async throws {
    let ledger = try storeOptions.open(readOnly: true)
    defer { ledger.close() }
    let timeline: PatientTimeline
    do { timeline = try ledger.timeline(patientId: patient, asOf: asOf) } catch {
      throw Exit.report(error)
    }
    if json {
      try printJSON(timeline)
      return
    }
    print(
      "Timeline of patient \(timeline.patientId): \(timeline.entries.count) entries\(asOf.map { " as recorded by \($0)" } ?? "")"
    )
    print(
      "occurredAt".padding(toLength: 26, withPad: " ", startingAt: 0)
        + "type".padding(toLength: 22, withPad: " ", startingAt: 0)
        + "by".padding(toLength: 12, withPad: " ", startingAt: 0)
        + "details")
    for entry in timeline.entries {
      var marks: [String] = []
      if entry.isVoided() { marks.append("VOIDED") }
      if let corrections = entry.correctedBy, !corrections.isEmpty {
        marks.append("CORRECTED ×\(corrections.count)")
      }
      let flags = entry.flags.compactMap { $0["code"]?.stringValue }
      if !flags.isEmpty { marks.append("⚑ " + flags.joined(separator: ", ")) }
      print(
        entry.occurredAt.padding(toLength: 26, withPad: " ", startingAt: 0)
          + entry.type.padding(toLength: 22, withPad: " ", startingAt: 0)
          + entry.recordedBy.role.padding(toLength: 12, withPad: " ", startingAt: 0)
          + render(entry.data) + (marks.isEmpty ? "" : "  [" + marks.joined(separator: "; ") + "]"))
    }
  }
}

struct Summary: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Show a patient's course-of-treatment summaries and open follow-ups.",
    discussion: "Corrections count with their replacement data; voided entries count for nothing.")

  @OptionGroup var storeOptions: StoreOptions
  @Option(help: "The patient's pseudonymous id.") var patient: String
  @Option(help: "Only this course.") var course: String?
  @Flag(help: "Print JSON.") var json = false

  func run() async throws {
    let ledger = try storeOptions.open(readOnly: true)
    defer { ledger.close() }
    var summary: PatientSummary
    do { summary = try ledger.summary(patientId: patient) } catch { throw Exit.report(error) }
    if let course {
      summary.courses = summary.courses.filter { $0.courseId == course }
      guard !summary.courses.isEmpty else {
        printError(
          "patient \(EchoedName.escaped(patient)) has no course \(EchoedName.escaped(course))")
        throw Exit.invalidInput
      }
    }
    if json {
      try printJSON(summary)
      return
    }
    func number(_ value: Double?) -> String {
      guard let value else { return "–" }
      return String(
        decoding: JSONValue.number((value * 100).rounded() / 100).canonicalBytes, as: UTF8.self)
    }
    print("Patient \(summary.patientId): \(summary.courses.count) course(s)")
    for course in summary.courses {
      print("")
      print(
        "Course \(course.courseId)  \(course.drug ?? "?") \(course.route ?? "?"), \(course.phase ?? "?")\(course.completionReason.map { ", ended: \($0)" } ?? "")"
      )
      print(
        "  sessions     planned \(course.sessionsPlanned), started \(course.sessionsStarted), completed \(course.sessionsCompleted)"
      )
      print(
        "  doses        total \(number(course.totalDoseMg)) mg (\(number(course.totalDoseMgPerKg)) mg/kg) over \(course.doses.count) session(s)"
      )
      for dose in course.doses {
        print(
          "               \(dose.sessionId): \(number(dose.doseMg)) mg, \(number(dose.doseMgPerKg)) mg/kg, \(dose.route)"
        )
      }
      print(
        "  infusion     \(course.adjustments) adjustment(s), \(course.earlyStops) early stop(s)")
      let vitals = course.vitals
      print(
        "  vitals       \(vitals.readings) reading(s), \(vitals.flaggedReadings) flagged; max BP \(number(vitals.maxSystolicMmHg))/\(number(vitals.maxDiastolicMmHg)) mmHg, HR \(number(vitals.minHeartRateBpm))–\(number(vitals.maxHeartRateBpm)) bpm, min SpO2 \(number(vitals.minSpo2Percent))%"
      )
      let effects = course.sideEffects.keys.sorted().map { effect in
        let counts = (course.sideEffects[effect] ?? [:]).sorted { $0.key < $1.key }.map {
          "\($0.value) \($0.key)"
        }
        return "\(effect) (\(counts.joined(separator: ", ")))"
      }
      print("  side effects \(effects.isEmpty ? "none" : effects.joined(separator: "; "))")
      for instrument in course.outcomes.keys.sorted() {
        guard let outcome = course.outcomes[instrument] else { continue }
        let remission = outcome.remission.map { $0 ? ", remission" : "" } ?? ""
        print(
          "  \(instrument.padding(toLength: 12, withPad: " ", startingAt: 0)) \(number(outcome.baseline)) → \(number(outcome.latest)) (\(number(outcome.changePercent))%)\(outcome.response ? ", response" : "")\(remission)"
        )
      }
      print(
        "  flags        \(course.openFlags.isEmpty ? "none" : course.openFlags.map(\.code).joined(separator: ", "))"
      )
    }
    print("")
    print(
      "Open follow-ups: \(summary.openFollowUps.count) (\(summary.overdueFollowUps.count) overdue)")
    for followUp in summary.openFollowUps {
      let overdue = summary.overdueFollowUps.contains(followUp) ? "  OVERDUE" : ""
      print("  \(followUp.followUpId) \(followUp.kind) due \(followUp.dueAt)\(overdue)")
    }
  }
}

struct Rebuild: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Rebuild projections from the log without taking the store down.",
    discussion: """
      The new state is built beside the live one while readers and appends go on, compared \
      with it per patient, and swapped in atomically. A failure leaves the live state untouched \
      and exits 1 naming the event that failed. When the live state is of the same version but \
      differs, it is kept and the differences are listed (exit 4) unless --replace-differing is \
      given. One rebuild at a time: a second one is refused (exit 1) while the first runs.
      """)

  @OptionGroup var storeOptions: StoreOptions
  @Option(help: "Only this projection (patient-timeline or course-summary).") var projection:
    String?
  @Option(help: "Only this patient.") var patient: String?
  @Flag(
    help: "Replace live state of the same version that differs from the rebuild (normally kept).")
  var replaceDiffering = false

  func run() async throws {
    let ledger = try storeOptions.open()
    defer { ledger.close() }
    let names = projection.map { [$0] } ?? ledger.projectionNames
    var reports: [RebuildReport] = []
    let progress = Progress(label: "rebuilt \(names.joined(separator: " + ")):")
    do {
      if let patient {
        for name in names {
          reports.append(
            try ledger.store.rebuild(
              projection: name, stream: Ledger.stream(forPatient: patient),
              replaceDiffering: replaceDiffering))
        }
      } else {
        // One pass over the log for all of them.
        reports = try await ledger.store.rebuild(
          projections: names, replaceDiffering: replaceDiffering
        ) { done, total in
          progress.update(done: done, total: total)
        }
      }
    } catch {
      progress.finish()
      throw Exit.report(error)
    }
    progress.finish()
    for report in reports {
      let name = report.projection
      let rate = report.seconds > 0 ? Int(Double(report.eventsRead) / report.seconds) : 0
      print(
        "rebuilt \(name): \(report.eventsRead) events, \(report.streams) patient(s) in "
          + String(format: "%.2f", report.seconds) + " s (\(rate) events/s); "
          + "\(report.differingStreams.count + report.missingStreams.count) differed from the live state"
          + (report.replaced ? "" : "; live state KEPT"))
      for stream in report.differingStreams { print("  differed: \(stream)") }
      for stream in report.missingStreams { print("  on one side only: \(stream)") }
    }
    if replaceDiffering && patient == nil {
      let removed: [String]
      do { removed = try ledger.store.removeDifferingReviewStates() } catch { throw Exit.report(error) }
      for stream in removed {
        print("review state of \(stream) differed from the log: removed (the next append recomputes it)")
      }
    }
    if reports.contains(where: { !$0.replaced }) {
      printError(
        "the rebuilt state differs from live state of the same version, which was kept: the stored "
          + "derived state was damaged or written by faulty code. Check with `treatment-ledger "
          + "verify --derived`; run `rebuild --replace-differing` to replace it")
      throw Exit.verificationFailed
    }
  }
}
