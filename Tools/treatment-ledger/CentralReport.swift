import ArgumentParser
import Foundation
import LedgerCentral
import TreatmentLedger

/// `--clinic-key ID=PATH`: a clinic and its key file.
struct ClinicKeyArgument: ExpressibleByArgument {
  let clinic: ClinicID
  let path: String

  init?(argument: String) {
    guard let equals = argument.firstIndex(of: "="),
      let clinic = ClinicID(String(argument[..<equals]))
    else { return nil }
    let path = String(argument[argument.index(after: equals)...])
    guard !path.isEmpty else { return nil }
    self.clinic = clinic
    self.path = path
  }
}

struct CentralReportCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "Chain-wide reports from the central copy.",
    subcommands: [CentralOutcomesCommand.self])
}

struct CentralOutcomesCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "outcomes",
    abstract: "Response and remission rates by clinic, drug and route, from the central copy.",
    discussion: """
      The course summaries' definitions (response: latest score at most half the baseline; \
      remission: below the instrument's threshold) applied to every patient of each clinic in \
      the central copy. Patient data there is sealed: give each clinic's key file \
      (--clinic-key ID=PATH, the key file the clinic's store uses); the report unwraps the \
      clinic's forwarded data keys with it and opens the data in memory only. A clinic without \
      its key is refused by name. Erased patients are counted apart and not in the rates. \
      docs/CENTRAL.md 5.
      """)

  @OptionGroup var central: CentralOptions
  @Option(
    name: .customLong("clinic-key"),
    help: ArgumentHelp(
      "A clinic's key-encryption key file (repeat for each clinic).", valueName: "ID=PATH"))
  var clinicKeys: [ClinicKeyArgument] = []
  @Option(help: "Report only this clinic.") var clinic: ClinicID?
  @Flag(help: "Print the report as JSON.") var json = false

  func validate() throws {
    let ids = clinicKeys.map(\.clinic)
    if Set(ids).count != ids.count { throw ValidationError("a clinic is given two keys") }
  }

  func run() async throws {
    let database = try central.database()
    var keys: [ClinicID: any KeyProvider] = [:]
    for key in clinicKeys where clinic == nil || key.clinic == clinic {
      do { keys[key.clinic] = try KeyFile(path: key.path) } catch {
        throw ValidationError("--clinic-key \(key.clinic): \(error.reason)")
      }
    }
    let report: CentralOutcomeReport
    do {
      report = try await CentralOutcomeReport.make(
        database: database, keys: keys, clinic: clinic, logger: centralLogger())
    } catch {
      throw Exit.report(error)
    }
    if json { return try printJSON(report) }
    for row in report.clinics {
      print(
        "clinic \(row.clinic): \(row.patients) patients read, \(row.erasedPatients) erased, "
          + "\(row.unreadablePatients) unreadable (\(row.centralEvents) central events)")
      print("  drug  route  courses  instrument  assessed  response  remission")
      for group in row.groups {
        for instrument in group.outcomes.keys.sorted() {
          guard let counts = group.outcomes[instrument] else { continue }
          let remission =
            counts.remitters.map { "\($0) (\(Self.percent(counts.remissionRate)))" } ?? "-"
          print(
            "  \(group.drug)  \(group.route)  \(group.courses)  \(instrument)  \(counts.assessed)  "
              + "\(counts.responders) (\(Self.percent(counts.responseRate)))  \(remission)")
        }
      }
    }
  }

  static func percent(_ rate: Double?) -> String {
    rate.map { String(format: "%.1f%%", $0 * 100) } ?? "-"
  }
}
