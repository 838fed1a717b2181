import Crypto
import Foundation
import LedgerEventStore
import LedgerFoundation

/// Signs audit exports: the exact bytes of `manifest.json`, and a statement of the store's chain
/// head when the export began (docs/AUDIT.md 2.5). A store's signing key is an Ed25519 key kept
/// with its other keys; its public key is published in `$audit` and by the clinic.
public protocol AuditSigner: Sendable {
  /// The Ed25519 public key (32 bytes) that checks this signer's signatures.
  var publicKey: [UInt8] { get }
  /// The Ed25519 signature (64 bytes) of `message`.
  func sign(_ message: [UInt8]) throws(AuditError) -> [UInt8]
}

/// An ``AuditSigner`` holding an Ed25519 private key in memory (swift-crypto).
public struct Ed25519AuditSigner: AuditSigner {
  /// The private key's 32-byte seed: kept inside the signer, never handed out (the store keeps
  /// its own copy wrapped by the key-encryption key).
  private let seed: [UInt8]
  /// The Ed25519 public key.
  public let publicKey: [UInt8]

  /// A signer for the private key whose 32-byte seed is `seed`; nil when it is not 32 bytes.
  public init?(seed: [UInt8]) {
    guard seed.count == 32, let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed)
    else { return nil }
    self.seed = seed
    publicKey = Array(key.publicKey.rawRepresentation)
  }

  /// A signer for a new random key.
  public init() {
    let key = Curve25519.Signing.PrivateKey()
    seed = Array(key.rawRepresentation)
    publicKey = Array(key.publicKey.rawRepresentation)
  }

  /// The Ed25519 signature of `message`.
  public func sign(_ message: [UInt8]) throws(AuditError) -> [UInt8] {
    do {
      let key = try Curve25519.Signing.PrivateKey(rawRepresentation: seed)
      return Array(try key.signature(for: message))
    } catch {
      throw .output(path: AuditSignature.fileName, reason: "the manifest could not be signed")
    }
  }
}

/// `signature.json` of a signed export: the manifest's signature and a signed statement of the
/// store's chain head, by the store's signing key (docs/AUDIT.md 2.5).
public struct AuditSignature: Sendable, Hashable, Codable {
  /// `treatment-ledger-audit-signature-1`.
  public static let formatName = "treatment-ledger-audit-signature-1"
  /// The file's name in the export directory.
  public static let fileName = "signature.json"
  /// The type of the `$audit` event that publishes a signing key's public key before it signs.
  public static let publicationEventType = "SigningKeyPublished"

  /// The store's chain head when the export began, as the export states it.
  public struct Head: Sendable, Hashable, Codable {
    /// The export's id (the manifest's `exportId`).
    public var exportId: String
    /// Events in the store (`anchors.store.events`).
    public var events: UInt64
    /// The last event's hash (`anchors.store.chainHead`).
    public var chainHead: String
    /// The last event's recordedAt, or nil for an empty store (`anchors.store.lastRecordedAt`).
    public var lastRecordedAt: String?

    /// Creates a head statement.
    public init(exportId: String, events: UInt64, chainHead: String, lastRecordedAt: String?) {
      self.exportId = exportId
      self.events = events
      self.chainHead = chainHead
      self.lastRecordedAt = lastRecordedAt
    }

    /// The bytes that ``headSignature`` signs: RFC 8785 canonical JSON of these members
    /// (`lastRecordedAt` is `null` for an empty store).
    public var signedBytes: [UInt8] {
      JSONValue.object([
        "chainHead": .string(chainHead), "events": .number(Double(events)),
        "exportId": .string(exportId),
        "lastRecordedAt": lastRecordedAt.map(JSONValue.string) ?? .null,
      ]).canonicalBytes
    }
  }

  /// ``formatName``.
  public var format: String
  /// `Ed25519`.
  public var algorithm: String
  /// The signing key's public key, 64 lowercase hex digits.
  public var publicKey: String
  /// SHA-256 of `manifest.json`, 64 lowercase hex digits.
  public var manifestSHA256: String
  /// Ed25519 signature of the exact bytes of `manifest.json`, 128 lowercase hex digits.
  public var manifestSignature: String
  /// The store's chain head when the export began.
  public var head: Head
  /// Ed25519 signature of ``Head/signedBytes``, 128 lowercase hex digits.
  public var headSignature: String

  /// Signs `manifestBytes` and the head they state with `signer`.
  public static func make(
    manifest: AuditManifest, manifestBytes: [UInt8], signer: any AuditSigner
  ) throws(AuditError) -> AuditSignature {
    let store = manifest.anchors.store
    let head = Head(
      exportId: manifest.exportId, events: store.events, chainHead: store.chainHead,
      lastRecordedAt: store.lastRecordedAt)
    return AuditSignature(
      format: formatName, algorithm: "Ed25519", publicKey: Hex.encode(signer.publicKey),
      manifestSHA256: ChainHash.sha256(manifestBytes).hex,
      manifestSignature: Hex.encode(try signer.sign(manifestBytes)), head: head,
      headSignature: Hex.encode(try signer.sign(head.signedBytes)))
  }

  /// The file's bytes: sorted, indented JSON ending with a newline.
  public func encoded() -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    // Strings and integers only: encoding cannot fail.
    let data = (try? encoder.encode(self)) ?? Data("{}".utf8)
    return Array(data) + [0x0A]
  }
}

extension AuditExport {
  /// Signs a finished export that is not recorded yet: writes `signature.json` beside its
  /// manifest in the staging directory (``AuditExport/stagingDirectory``) and returns the export
  /// with ``signature`` set. A caller that makes the signing key on first use signs here, after
  /// the export succeeded, so a refused export leaves nothing behind in the store.
  public func signed(by signer: any AuditSigner) throws(AuditError) -> AuditExport {
    let path = stagingDirectory + "/" + AuditManifest.fileName
    guard let data = FileManager.default.contents(atPath: path) else {
      throw .output(path: path, reason: "the manifest cannot be read back to sign it")
    }
    let signature = try AuditSignature.make(
      manifest: manifest, manifestBytes: Array(data), signer: signer)
    let target = stagingDirectory + "/" + AuditSignature.fileName
    do {
      try Data(signature.encoded()).write(to: URL(fileURLWithPath: target), options: .atomic)
      _ = chmod(target, 0o600)
    } catch {
      throw .output(path: target, reason: "the signature cannot be written")
    }
    var signed = self
    signed.signature = signature
    return signed
  }
}

extension VerificationRun {
  /// With trusted keys: `signature.json` must be present and sign this very manifest and the
  /// store head it states, by one of the keys (docs/AUDIT.md 2.5).
  mutating func checkSignature(
    manifest: AuditManifest, manifestBytes: [UInt8], trustedKeys: [[UInt8]]
  ) throws(Stop) {
    guard !trustedKeys.isEmpty else { return }
    let name = AuditSignature.fileName
    guard let data = FileManager.default.contents(atPath: directory + "/" + name) else {
      throw Stop(.signatureMissing, name, "the export has no \(name), and a public key was given")
    }
    let signature: AuditSignature
    do { signature = try JSONDecoder().decode(AuditSignature.self, from: data) } catch {
      throw Stop(.signatureInvalid, name, "\(name) is not a signature of this format")
    }
    guard signature.format == AuditSignature.formatName, signature.algorithm == "Ed25519" else {
      throw Stop(.signatureInvalid, name, "\(name) is not an Ed25519 signature of this format")
    }
    let key = Hex.decode(signature.publicKey).flatMap { $0.count == 32 ? $0 : nil }
    guard let key, trustedKeys.contains(key) else {
      throw Stop(
        .signatureKeyUnknown, name,
        "the export is signed by key "
          + (key.map(Hex.encode) ?? "that is not 64 hex digits") + ", not by a key given")
    }
    guard signature.manifestSHA256 == ChainHash.sha256(manifestBytes).hex,
      Self.valid(signature.manifestSignature, of: manifestBytes, by: key)
    else {
      throw Stop(.signatureInvalid, name, "the manifest's signature does not check: it was edited")
    }
    let store = manifest.anchors.store
    let stated = AuditSignature.Head(
      exportId: manifest.exportId, events: store.events, chainHead: store.chainHead,
      lastRecordedAt: store.lastRecordedAt)
    guard signature.head == stated,
      Self.valid(signature.headSignature, of: stated.signedBytes, by: key)
    else {
      throw Stop(
        .signatureInvalid, name,
        "the signed head is not the manifest's store head, or its signature does not check")
    }
    report.signedBy = signature.publicKey
  }

  private static func valid(_ signature: String, of message: [UInt8], by key: [UInt8]) -> Bool {
    guard let bytes = Hex.decode(signature), bytes.count == 64,
      let publicKey = try? Curve25519.Signing.PublicKey(rawRepresentation: key)
    else { return false }
    return publicKey.isValidSignature(bytes, for: message)
  }
}
