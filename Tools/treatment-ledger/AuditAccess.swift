import ArgumentParser
import Foundation
import LedgerServer
import TreatmentLedger

/// `treatment-ledger audit access --patient ID`: who read a patient's record through the server.
struct AuditAccessCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "access",
    abstract: "List who read a patient's record through the server ($access): HIPAA's accounting.",
    discussion: """
      Every read of patient data through `treatment-ledger serve` is recorded in the store's \
      $access stream before the data is sent: who (token subject, role and id), which \
      patients, the route, the as-of time asked for, the purpose, and when. This lists the \
      reads of one patient's record (--patient), or every read, oldest first; a read of every \
      patient (an audit export of the whole log) is listed for each. --json prints one JSON \
      object per read.
      """)

  @OptionGroup var storeOptions: StoreOptions
  @Option(help: "The patient's pseudonymous id (default: every read).") var patient: String?
  @Flag(help: "Print one JSON object per read.") var json = false

  func run() async throws {
    let ledger = try storeOptions.open(readOnly: true)
    defer { ledger.close() }
    let records: [AccessRecord]
    do { records = try AccessLog.records(in: ledger.store, patient: patient) } catch {
      throw Exit.report(error)
    }
    if json {
      for record in records { print(String(decoding: record.json.canonicalBytes, as: UTF8.self)) }
      return
    }
    guard !records.isEmpty else {
      print(patient == nil ? "no reads recorded" : "no reads of this patient's record recorded")
      return
    }
    let header = ["recorded at", "position", "by", "purpose", "route", "as of", "patients"]
    let rows = records.map { record in
      [
        record.recordedAt, String(record.event.globalPosition),
        "\(record.subject) (\(record.role))", record.purpose ?? "-", record.route ?? "-",
        record.asOf ?? "-", record.allPatients ? "all" : record.patients.joined(separator: ","),
      ]
    }
    for line in AuditLogCommand.table(header: header, rows: rows) { print(line) }
  }
}
