import Crypto
import Foundation
import LedgerEventStore
import LedgerFoundation

/// An auditor's X25519 key pair: an export made with its public key carries the exported
/// patients' data keys sealed to it (`keys.json`, docs/AUDIT.md 2.7), and only its private key
/// opens them. The auditor makes the pair (`treatment-ledger audit keygen`) and keeps the private
/// key; the clinic only ever sees the public key.
///
/// ```swift
/// let pair = AuditorKeyPair()
/// try pair.write(privateKeyTo: "auditor.key")  // and auditor.key.pub beside it
/// let again = try AuditorKeyPair.read(privateKeyFile: "auditor.key")
/// print(Hex.encode(again.publicKey))
/// ```
public struct AuditorKeyPair: Sendable {
  /// The raw 32-byte X25519 private key: kept inside, never handed out.
  private let privateBytes: [UInt8]
  /// The 32-byte X25519 public key.
  public let publicKey: [UInt8]

  /// A new random key pair.
  public init() {
    let key = Curve25519.KeyAgreement.PrivateKey()
    privateBytes = Array(key.rawRepresentation)
    publicKey = Array(key.publicKey.rawRepresentation)
  }

  /// The pair of a raw 32-byte X25519 private key; nil when it is not 32 bytes.
  public init?(privateKey raw: [UInt8]) {
    guard raw.count == 32, let key = try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: raw)
    else { return nil }
    privateBytes = raw
    publicKey = Array(key.publicKey.rawRepresentation)
  }

  /// The file of the public key written beside a private key file: `<path>.pub`.
  public static func publicKeyPath(forPrivateKey path: String) -> String { path + ".pub" }

  /// Reads a private key file: 64 hexadecimal digits (and a line feed), mode 0600. Throws
  /// ``AuditError/invalidRequest(reason:)`` naming the file, never its bytes.
  public static func read(privateKeyFile path: String) throws(AuditError) -> AuditorKeyPair {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw .invalidRequest(reason: "the auditor's private key file \(path) cannot be read")
    }
    let attributes = try? FileManager.default.attributesOfItem(atPath: path)
    if let mode = (attributes?[.posixPermissions] as? NSNumber)?.intValue, mode & 0o077 != 0 {
      throw .invalidRequest(
        reason: "the auditor's private key file \(path) is readable by group or others "
          + "(chmod 600 it)")
    }
    let text = String(decoding: data, as: UTF8.self)
    guard let raw = Hex.decode(text.trimmingCharacters(in: .whitespacesAndNewlines)),
      let pair = AuditorKeyPair(privateKey: raw)
    else {
      throw .invalidRequest(
        reason: "the auditor's private key file \(path) does not hold 64 hexadecimal digits")
    }
    return pair
  }

  /// Writes the private key to `path` (created, never replaced, mode 0600) and the public key to
  /// ``publicKeyPath(forPrivateKey:)`` (mode 0644), each as 64 lowercase hex digits and a line
  /// feed.
  public func write(privateKeyTo path: String) throws(AuditError) {
    let publicPath = Self.publicKeyPath(forPrivateKey: path)
    for existing in [path, publicPath] where FileManager.default.fileExists(atPath: existing) {
      throw .outputExists(path: existing)
    }
    try Self.create(path, Array((Hex.encode(privateBytes) + "\n").utf8), mode: 0o600)
    do {
      try Self.create(publicPath, Array((Hex.encode(publicKey) + "\n").utf8), mode: 0o644)
    } catch {
      unlink(path)
      throw error
    }
  }

  private static func create(_ path: String, _ bytes: [UInt8], mode: mode_t) throws(AuditError) {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
    guard descriptor >= 0 else {
      throw .output(path: path, reason: String(cString: strerror(errno)))
    }
    defer { close(descriptor) }
    _ = fchmod(descriptor, mode)
    let written = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
    guard written == bytes.count, fsync(descriptor) == 0 else {
      unlink(path)
      throw .output(path: path, reason: "the key could not be written")
    }
  }

  /// The shared secret with `ephemeralPublicKey` (X25519), or nil when that is not a key.
  func sharedSecret(with ephemeralPublicKey: [UInt8]) -> SharedSecret? {
    guard let key = try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: privateBytes),
      let peer = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: ephemeralPublicKey)
    else { return nil }
    return try? key.sharedSecretFromKeyAgreement(with: peer)
  }

  /// An auditor's X25519 public key from 64 hexadecimal digits (either case), or nil when it is
  /// not one a data key can be sealed to: not 32 bytes, or a low-order point (such as 64 zeros),
  /// with which X25519 gives the all-zero shared secret whatever the other key, so anyone could
  /// unseal what was sealed to it.
  public static func publicKey(hex text: String) -> [UInt8]? {
    guard let key = Hex.decode(text), key.count == 32,
      AuditorKeySeal.agreement(Curve25519.KeyAgreement.PrivateKey(), key) != nil
    else { return nil }
    return key
  }

  /// Reads auditor public keys: each value 64 hex digits, or a file of such keys one per line
  /// (what follows a key on its line, and lines starting with `#`, are comments).
  public static func publicKeys(_ values: [String]) throws(AuditError) -> [[UInt8]] {
    var keys: [[UInt8]] = []
    for value in values {
      var lines = [value]
      if Hex.decode(value)?.count != 32 {
        guard let text = try? String(contentsOfFile: value, encoding: .utf8) else {
          throw .invalidRequest(
            reason: "the auditor key \(value) is neither 64 hex digits nor a readable file")
        }
        lines = text.split(whereSeparator: \.isNewline).compactMap {
          $0.split(whereSeparator: \.isWhitespace).first.map(String.init)
        }.filter { !$0.hasPrefix("#") }
      }
      for line in lines {
        guard let key = publicKey(hex: line) else {
          throw .invalidRequest(reason: "an auditor's public key is 64 hex digits (X25519)")
        }
        if !keys.contains(key) { keys.append(key) }
      }
    }
    return keys
  }
}

/// How a data key is sealed to an auditor (docs/AUDIT.md 2.7): X25519 between an ephemeral key
/// and the auditor's public key, HKDF-SHA256, AES-256-GCM.
enum AuditorKeySeal {
  /// The algorithm's name in `keys.json`.
  static let algorithm = "X25519-HKDF-SHA256-A256GCM"
  /// The label that starts every `info`.
  static let label = "treatment-ledger-audit-keys-1"

  /// X25519 of `privateKey` and `publicKey`, or nil when `publicKey` is not a key or the secret
  /// is all zeros (a low-order point: the secret is then known to everyone).
  static func agreement(
    _ privateKey: Curve25519.KeyAgreement.PrivateKey, _ publicKey: [UInt8]
  ) -> SharedSecret? {
    guard let peer = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: publicKey),
      let secret = try? privateKey.sharedSecretFromKeyAgreement(with: peer),
      secret.withUnsafeBytes({ bytes in bytes.contains { $0 != 0 } })
    else { return nil }
    return secret
  }

  /// HKDF's `info`, also the AEAD's associated data: the label, `0x00`, the export id, `0x00`,
  /// the stream, `0x00`, the key version (u64 big-endian).
  static func info(exportId: String, stream: String, version: UInt64) -> [UInt8] {
    Array(label.utf8) + [0] + Array(exportId.utf8) + [0] + Array(stream.utf8) + [0]
      + (0..<8).reversed().map { UInt8((version >> ($0 * 8)) & 0xFF) }
  }

  /// The AES-256-GCM key that seals one data key.
  static func wrappingKey(
    _ secret: SharedSecret, ephemeralPublicKey: [UInt8], recipient: [UInt8], info: [UInt8]
  ) -> SymmetricKey {
    secret.hkdfDerivedSymmetricKey(
      using: SHA256.self, salt: ephemeralPublicKey + recipient, sharedInfo: info,
      outputByteCount: 32)
  }
}
