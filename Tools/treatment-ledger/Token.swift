import ArgumentParser
import Foundation
import LedgerServer

/// `treatment-ledger token issue|revoke|list`: the server's bearer tokens, kept hashed in the
/// auth file.
struct TokenCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "token",
    abstract: "Issue, revoke and list the server's bearer tokens (kept hashed in the auth file).",
    discussion: """
      A token has a subject (who holds it), a role (clinician, service, auditor, operator), a \
      purpose (treatment, payment, operations, audit, patientRequest) and, for a service, \
      --access record or read. `issue` prints the token once: only its SHA-256 is kept. \
      `revoke` marks a token revoked by its id; a running server refuses it from its next \
      request. See docs/SERVER.md.
      """,
    subcommands: [Issue.self, Revoke.self, List.self])

  struct Issue: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Issue a token: prints `TOKEN-ID TOKEN`; the token is not shown again.")
    @Option(help: "The auth file (created if missing).") var auth: String
    @Option(help: "Who holds the token.") var subject: String
    @Option(help: "clinician, service, auditor or operator.") var role: String
    @Option(help: "treatment, payment, operations, audit or patientRequest.") var purpose: String
    @Option(help: "For a service token: record or read.") var access: String?

    func run() throws {
      guard let role = Role(rawValue: role) else {
        throw ValidationError("--role must be clinician, service, auditor or operator")
      }
      guard let purpose = Purpose(rawValue: purpose) else {
        throw ValidationError(
          "--purpose must be treatment, payment, operations, audit or patientRequest")
      }
      var grantAccess: ServiceAccess?
      if let access {
        guard let parsed = ServiceAccess(rawValue: access) else {
          throw ValidationError("--access must be record or read")
        }
        grantAccess = parsed
      }
      do {
        var file = try AuthFile.load(path: auth, missingIsEmpty: true)
        let (token, grant) = try file.issue(
          subject: subject, role: role, purpose: purpose, access: grantAccess)
        try file.save(path: auth)
        print("\(grant.id) \(token)")
      } catch {
        printError(error.description)
        throw Exit.usage
      }
    }
  }

  struct Revoke: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Revoke a token by its id.")
    @Option(help: "The auth file.") var auth: String
    @Argument(help: "The token's id (the first word `issue` printed).") var id: String

    func run() throws {
      do {
        var file = try AuthFile.load(path: auth)
        guard file.revoke(id: id) else {
          printError("no unrevoked token has id \(id)")
          throw Exit.usage
        }
        try file.save(path: auth)
        print("revoked \(id)")
      } catch let error as ServerError {
        printError(error.description)
        throw Exit.usage
      }
    }
  }

  struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "List the tokens (never the tokens themselves).")
    @Option(help: "The auth file.") var auth: String

    func run() throws {
      let file: AuthFile
      do { file = try AuthFile.load(path: auth) } catch {
        printError(error.description)
        throw Exit.usage
      }
      let header = ["id", "subject", "role", "access", "purpose", "issued", "revoked"]
      let rows = file.tokens.map {
        [
          $0.id, $0.subject, $0.role.rawValue, $0.access?.rawValue ?? "-", $0.purpose.rawValue,
          $0.issuedAt, $0.revokedAt ?? "-",
        ]
      }
      for line in AuditLogCommand.table(header: header, rows: rows) { print(line) }
    }
  }
}
