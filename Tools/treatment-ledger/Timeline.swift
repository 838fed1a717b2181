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

struct Timeline: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Show a patient's timeline in clinical order, with flags, corrections and voids.",
    discussion: """
      Entries are ordered by occurredAt, then global position, each with its clinically \
      important fields first, wrapped to the terminal ($COLUMNS, else the terminal's width, else \
      100 columns; --wide prints every field on one line). A corrected entry stays, with the \
      replacement values and who corrected it beneath it; a voided one is marked VOIDED; flags \
      show their code and the flagged value. Ids are the first 8 hex digits of event ids. \
      --as-of TIME shows the record as it was at that recorded time.
      """)

  @OptionGroup var storeOptions: StoreOptions
  @Option(help: "The patient's pseudonymous id (the stream is patient-<id>).") var patient: String
  @Option(help: "Show the record as it was at this recorded time (RFC 3339 with an offset).")
  var asOf: String?
  @Flag(help: "Print JSON.") var json = false
  @Flag(help: "Every field on one line per entry, with full ids and offsets, whatever the width.")
  var wide = false

  func validate() throws {
    if let asOf, Timestamp.parseMicros(asOf) == nil {
      throw ValidationError("--as-of must be an RFC 3339 date-time with an offset")
    }
  }

  func run() async throws {
    let ledger = try storeOptions.open(readOnly: true)
    defer { ledger.close() }
    let timeline: PatientTimeline
    do {
      let time = try asOf.map { text throws(LedgerError) in
        guard let time = ClinicalTime(text) else {
          throw LedgerError(
            .invalidEvent(
              index: 0, eventId: nil, field: "asOf",
              reason: "must be an RFC 3339 date-time with an offset"))
        }
        return time
      }
      timeline = try ledger.timeline(of: patient, asOf: time)
    } catch {
      throw Exit.report(error)
    }
    if json {
      try printJSON(timeline)
      return
    }
    let width = wide ? nil : TerminalWidth.columns()
    for line in TimelineText(width: width).lines(timeline, asOf: asOf) { print(line) }
  }
}

struct Summary: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Show a patient's course-of-treatment summaries and open follow-ups.",
    discussion: """
      Safety flags first (with date and session), then per course a dated session table and each \
      outcome measure's dated series with response and remission marked. Corrections count with \
      their replacement data; voided entries count for nothing. The worst blood pressure is one \
      real reading: the one with the highest mean arterial pressure.
      """)

  @OptionGroup var storeOptions: StoreOptions
  @Option(help: "The patient's pseudonymous id.") var patient: String
  @Option(help: "Only this course.") var course: String?
  @Flag(help: "Print JSON.") var json = false

  func run() async throws {
    let ledger = try storeOptions.open(readOnly: true)
    defer { ledger.close() }
    let summary = try patientSummary(ledger, patient: patient, course: course)
    if json {
      try printJSON(summary)
      return
    }
    for line in SummaryText().lines(summary) { print(line) }
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
      do { removed = try ledger.store.removeDifferingReviewStates() } catch {
        throw Exit.report(error)
      }
      for stream in removed {
        print(
          "review state of \(stream) differed from the log: removed (the next append recomputes it)"
        )
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

/// The patient's summary, limited to `course` when one is named (exit 65 when the patient has no
/// such course), for `summary` and `report`. Names from the command line are echoed escaped.
func patientSummary(_ ledger: Ledger, patient: String, course: String?) throws -> PatientSummary {
  var summary: PatientSummary
  do { summary = try ledger.summary(of: patient) } catch { throw Exit.report(error) }
  guard let course else { return summary }
  summary.courses = summary.courses.filter { $0.courseId == course }
  guard !summary.courses.isEmpty else {
    printError("patient \(EchoedName.escaped(patient)) has no course \(EchoedName.escaped(course))")
    throw Exit.invalidInput
  }
  return summary
}
