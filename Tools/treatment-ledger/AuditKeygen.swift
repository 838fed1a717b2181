import ArgumentParser
import Foundation
import TreatmentLedger

/// `treatment-ledger audit keygen`: an auditor's X25519 key pair (docs/AUDIT.md 2.7).
struct AuditKeygenCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "keygen",
    abstract: "Make an auditor's X25519 key pair: the private key file (0600) and FILE.pub.",
    discussion: """
      Run by the auditor, not by the clinic. Writes the private key to --out (64 hex digits, \
      mode 0600, never replacing a file) and the public key to --out.pub (64 hex digits, mode \
      0644), and prints the public key in hex. Give the clinic the public key only: `audit \
      export --auditor-key KEY|FILE` seals the exported patients' data keys to it, and `audit \
      verify --auditor-private-key FILE` (or verify_export.py) opens them. Keep the private key \
      as you keep the exports themselves: with an export, it reads the patients' data.
      """)

  @Option(help: "The private key file to create (the public key goes to FILE.pub).") var out: String

  func run() throws {
    let pair = AuditorKeyPair()
    do { try pair.write(privateKeyTo: out) } catch {
      throw Exit.report(error)
    }
    let publicPath = AuditorKeyPair.publicKeyPath(forPrivateKey: out)
    print(Hex.encode(pair.publicKey))
    printError("private key \(out) (mode 0600: keep it; never send it)")
    printError("public key  \(publicPath) (give it to the clinic: audit export --auditor-key)")
  }

  /// The line of `audit verify` that says what an auditor's key opened (verify_export.py prints
  /// the same words).
  static func openedLine(_ opened: AuditOpenedCounts) -> String {
    var text =
      "opened: \(opened.eventsOpened) events' data with \(opened.keys) data keys (AEAD tags "
      + "checked, canonical JSON objects); \(opened.eventsErased) erased, "
      + "\(opened.eventsPlain) plain"
    if let path = opened.writtenTo { text += "; written to \(path)" }
    return text
  }
}
