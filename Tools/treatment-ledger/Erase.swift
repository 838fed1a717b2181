import ArgumentParser
import Foundation
import TreatmentLedger

struct Erase: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Erase a patient's clinical data by destroying their keys; the record stays.",
    discussion: """
      Destroys the patient's data keys and appends PatientDataErased (who, when, why; no \
      patient data) to their stream in one transaction, then rotates the key file (as keys \
      rotate does) so that copies of the destroyed keys in the store's free pages and in \
      backups taken from now on are wrapped by a key that no longer exists. The patient's \
      events keep their envelopes and hashes: verify and earlier audit exports still verify; \
      read shows them marked erased, without data. Backups of the store and of the key file \
      taken before the erasure can still recover the data: destroy them or let them expire. \
      First the retention rules (--policy, default DOMAIN.md 8) and legal holds are checked: \
      while retention runs or a hold is in force the command exits 65 naming the rule and the \
      day it ends (or the hold), and nothing is destroyed.
      """)

  @OptionGroup var storeOptions: StoreOptions
  @Option(help: "The patient's pseudonymous id.") var patient: String
  @Option(help: "Who erases (your user id in the clinic's systems).") var by: String
  @Option(help: "Why (recorded in the PatientDataErased event).") var reason: String
  @Option(
    help: "A retention policy file (JSON, Schemas/retention.v1.schema.json); default: DOMAIN.md 8.")
  var policy: String?

  func run() async throws {
    let keyPath = storeOptions.keyFile ?? KeyFile.defaultPath(forStore: storeOptions.path)
    let retention: RetentionPolicy
    do { retention = try policy.map(RetentionPolicy.load(path:)) ?? .defaults } catch {
      printError("retention policy \(policy ?? "-"): \(error)")
      throw Exit.invalidInput
    }
    let ledger = try storeOptions.open()
    defer { ledger.close() }
    let result: AppendResult
    do {
      result = try await ledger.erase(
        patient: patient, by: Recorder(id: by, name: by, role: "operator"), reason: reason,
        policy: retention)
    } catch {
      throw Exit.report(error)
    }
    let position = result.positions.first?.globalPosition ?? 0
    print("erased patient \(patient): PatientDataErased at position \(position)")
    let rewrapped = try rotateKeyFile(of: ledger, keyPath)
    print("re-wrapped \(rewrapped) data keys under a new key; \(keyPath) replaced (back it up)")
  }
}
