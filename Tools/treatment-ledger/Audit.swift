import ArgumentParser

/// `treatment-ledger audit …`: audit export and verification (being written).
struct AuditCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "audit", abstract: "Audit export and verification for compliance officers.")
}
