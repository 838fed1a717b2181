import Crypto
import Foundation
import LedgerFoundation

/// The role a bearer token carries (docs/SERVER.md, "Roles").
public enum Role: String, Sendable, Codable, CaseIterable {
  /// Records events and reads patient records.
  case clinician
  /// A service: records only, or reads only, as its token's ``ServiceAccess`` says.
  case service
  /// Reads patient records, the audit log and the access log, and makes audit exports; never
  /// records events.
  case auditor
  /// Verifies the store and reads its statistics and metrics; never sees patient data.
  case `operator`
}

/// Why a token's holder reads patient data: recorded with every read in `$access`.
public enum Purpose: String, Sendable, Codable, CaseIterable {
  /// Treating the patient.
  case treatment
  /// Billing and payment.
  case payment
  /// The clinic's health-care operations (scheduling, quality review).
  case operations
  /// A compliance audit.
  case audit
  /// The patient asked for their own record.
  case patientRequest
}

/// What a ``Role/service`` token may do.
public enum ServiceAccess: String, Sendable, Codable, CaseIterable {
  /// Record events only.
  case record
  /// Read patient records only.
  case read
}

/// What a request asks to do, checked against the token's role.
public enum Permission: String, Sendable, CaseIterable {
  /// Record events in patient records.
  case record
  /// Read patient records (every such read is recorded in `$access`).
  case readPatientData
  /// Read the audit log and the access log, make and download audit exports.
  case audit
  /// Verify the store, read statistics and metrics.
  case operate
}

/// One issued token, as the auth file keeps it: who holds it, its role and purpose, and the
/// SHA-256 of the token (the token itself is never stored).
public struct TokenGrant: Sendable, Codable, Hashable {
  /// A short id naming the token in the auth file, in logs and in `$access` (not a secret).
  public var id: String
  /// Who holds the token: a person's user id or a service's name.
  public var subject: String
  /// The token's role.
  public var role: Role
  /// Why its holder reads patient data.
  public var purpose: Purpose
  /// For a ``Role/service`` token: record or read; nil for the other roles.
  public var access: ServiceAccess?
  /// Lower-case hex SHA-256 of the token's UTF-8 bytes.
  public var sha256: String
  /// When the token was issued (RFC 3339, UTC).
  public var issuedAt: String
  /// When the token was revoked; a revoked token is refused.
  public var revokedAt: String?

  /// Whether this token's role allows `permission`.
  public func allows(_ permission: Permission) -> Bool {
    switch (role, permission) {
    case (.clinician, .record), (.clinician, .readPatientData): return true
    case (.service, .record): return access == .record
    case (.service, .readPatientData): return access == .read
    case (.auditor, .readPatientData), (.auditor, .audit): return true
    case (.operator, .operate): return true
    default: return false
    }
  }
}

/// The auth file: a JSON document of ``TokenGrant``s that the server reads (and re-reads when it
/// changes). Tokens are issued and revoked with `treatment-ledger token issue|revoke|list`.
///
/// ```swift
/// var file = AuthFile()
/// let (token, grant) = try file.issue(subject: "dr-okafor", role: .clinician, purpose: .treatment)
/// print(grant.id, token)  // hand the token to its holder once; only its hash is kept
/// ```
public struct AuthFile: Sendable, Codable, Hashable {
  /// Every token issued, revoked ones included.
  public var tokens: [TokenGrant]

  /// An auth file with no token.
  public init(tokens: [TokenGrant] = []) { self.tokens = tokens }

  /// Reads the auth file at `path`; a missing file is an empty one when `missingIsEmpty`.
  public static func load(path: String, missingIsEmpty: Bool = false) throws(ServerError)
    -> AuthFile
  {
    guard let data = FileManager.default.contents(atPath: path) else {
      if missingIsEmpty && !FileManager.default.fileExists(atPath: path) { return AuthFile() }
      throw .authFile(path: path, reason: "cannot be read")
    }
    do {
      return try JSONDecoder().decode(AuthFile.self, from: data)
    } catch {
      throw .authFile(path: path, reason: "is not a valid auth file (JSON with a tokens array)")
    }
  }

  /// Writes the file atomically, readable by its owner only.
  public func save(path: String) throws(ServerError) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    do {
      let data = try encoder.encode(self)
      try data.write(to: URL(fileURLWithPath: path), options: [.atomic])
      try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
    } catch {
      throw .authFile(path: path, reason: "cannot be written")
    }
  }

  /// Issues a new token: returns the token (shown once, never stored) and its grant, which is
  /// added to ``tokens``.
  public mutating func issue(
    subject: String, role: Role, purpose: Purpose, access: ServiceAccess? = nil,
    now: Date = Date()
  ) throws(ServerError) -> (token: String, grant: TokenGrant) {
    guard !subject.isEmpty, subject.utf8.count <= 200 else {
      throw .invalidGrant(reason: "the subject must be 1 to 200 bytes")
    }
    guard (role == .service) == (access != nil) else {
      throw .invalidGrant(
        reason: "a service token needs --access record|read; other roles take none")
    }
    let id = Self.randomHex(bytes: 6)
    let token = "tl_" + Self.randomHex(bytes: 32)
    let grant = TokenGrant(
      id: id, subject: subject, role: role, purpose: purpose, access: access,
      sha256: Self.hash(token), issuedAt: ClinicalTime(now).text, revokedAt: nil)
    tokens.append(grant)
    return (token, grant)
  }

  /// Marks the token `id` revoked (it stays in the file, so its id keeps its meaning in
  /// `$access`); false when no unrevoked token has that id.
  public mutating func revoke(id: String, now: Date = Date()) -> Bool {
    guard let index = tokens.firstIndex(where: { $0.id == id && $0.revokedAt == nil }) else {
      return false
    }
    tokens[index].revokedAt = ClinicalTime(now).text
    return true
  }

  /// The unrevoked grant whose hash is that of `token`, or nil.
  public func grant(forToken token: String) -> TokenGrant? {
    let digest = Self.hash(token)
    return tokens.first { $0.sha256 == digest && $0.revokedAt == nil }
  }

  /// Lower-case hex SHA-256 of `token`.
  public static func hash(_ token: String) -> String {
    SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
  }

  private static func randomHex(bytes count: Int) -> String {
    var generator = SystemRandomNumberGenerator()
    return (0..<count).map { _ in
      String(format: "%02x", UInt8.random(in: 0...255, using: &generator))
    }
    .joined()
  }
}

/// The server's own errors (configuration, auth file, listening address); never patient data.
public enum ServerError: Error, Sendable, Hashable, CustomStringConvertible {
  /// The auth file cannot be read, parsed or written.
  case authFile(path: String, reason: String)
  /// A token cannot be issued as asked.
  case invalidGrant(reason: String)
  /// The listening address is not `HOST:PORT`.
  case invalidAddress(String)

  /// A one-line description.
  public var description: String {
    switch self {
    case .authFile(let path, let reason): return "auth file \(path) \(reason)"
    case .invalidGrant(let reason): return "cannot issue the token: \(reason)"
    case .invalidAddress(let text): return "'\(text)' is not HOST:PORT"
    }
  }
}
