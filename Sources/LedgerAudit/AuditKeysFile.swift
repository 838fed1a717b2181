import Crypto
import Foundation
import LedgerEventStore
import LedgerFoundation

/// `keys.json` of an export made for auditors (format `treatment-ledger-audit-3`): for every
/// sealed stream of the export, the data key versions its exported events use, each sealed to
/// every auditor's public key; an erased stream is listed with no key (docs/AUDIT.md 2.7).
public struct AuditKeysFile: Sendable, Hashable, Codable {
  /// `treatment-ledger-audit-keys-1`.
  public static let formatName = "treatment-ledger-audit-keys-1"
  /// The file's name in the export directory.
  public static let fileName = "keys.json"

  /// One sealed stream of the export.
  public struct Stream: Sendable, Hashable, Codable {
    /// The stream's name.
    public var stream: String
    /// The data key versions the exported events of the stream use, ascending.
    public var keyVersions: [UInt64]
    /// True when the stream's keys were erased: no key of it is in the file.
    public var erased: Bool

    /// Creates a stream entry.
    public init(stream: String, keyVersions: [UInt64], erased: Bool) {
      self.stream = stream
      self.keyVersions = keyVersions
      self.erased = erased
    }
  }

  /// One data key sealed to one auditor.
  public struct SealedKey: Sendable, Hashable, Codable {
    /// The stream the key belongs to.
    public var stream: String
    /// Its version.
    public var keyVersion: UInt64
    /// Base64 (RFC 4648, padded) of the AES-256-GCM nonce (12 bytes), the sealed key (32) and
    /// the tag (16).
    public var sealedKey: String

    /// Creates a sealed key entry.
    public init(stream: String, keyVersion: UInt64, sealedKey: String) {
      self.stream = stream
      self.keyVersion = keyVersion
      self.sealedKey = sealedKey
    }
  }

  /// One auditor the keys are sealed to.
  public struct Recipient: Sendable, Hashable, Codable {
    /// The auditor's X25519 public key, 64 lowercase hex digits.
    public var publicKey: String
    /// The ephemeral X25519 public key of this export for this auditor, 64 lowercase hex digits.
    public var ephemeralPublicKey: String
    /// Every data key of ``AuditKeysFile/streams`` that is not erased, sealed to this auditor.
    public var sealedKeys: [SealedKey]

    /// Creates a recipient entry.
    public init(publicKey: String, ephemeralPublicKey: String, sealedKeys: [SealedKey]) {
      self.publicKey = publicKey
      self.ephemeralPublicKey = ephemeralPublicKey
      self.sealedKeys = sealedKeys
    }
  }

  /// ``formatName``.
  public var format: String
  /// `X25519-HKDF-SHA256-A256GCM`.
  public var algorithm: String
  /// The export's id (the manifest's `exportId`), bound into every sealed key.
  public var exportId: String
  /// The sealed streams of the export, by name.
  public var streams: [Stream]
  /// The auditors, in the order their keys were given.
  public var recipients: [Recipient]

  /// Creates a keys file.
  public init(exportId: String, streams: [Stream], recipients: [Recipient]) {
    format = Self.formatName
    algorithm = AuditorKeySeal.algorithm
    self.exportId = exportId
    self.streams = streams
    self.recipients = recipients
  }

  /// The file's bytes: sorted, indented JSON ending with a newline.
  public func encoded() -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    // Strings, integers and booleans only: encoding cannot fail.
    let data = (try? encoder.encode(self)) ?? Data("{}".utf8)
    return Array(data) + [0x0A]
  }

  /// The keys file of export `exportId` for `used` (stream → key versions of its exported
  /// events), with each key that `store` still holds sealed to every key of `auditors`.
  static func make(
    exportId: String, used: [String: Set<UInt64>], auditors: [[UInt8]], store: EventStore
  ) throws(AuditError) -> AuditKeysFile {
    var streams: [Stream] = []
    var keys: [(stream: String, version: UInt64, key: [UInt8])] = []
    for name in used.keys.sorted() {
      let versions = (used[name] ?? []).sorted()
      var erased = false
      for version in versions {
        let lookup: EventStore.DataKeyLookup
        do { lookup = try store.dataKeyForAuditor(stream: name, version: version) } catch {
          throw .store(error)
        }
        switch lookup {
        case .key(let key): keys.append((name, version, key))
        case .erased: erased = true
        case .missing:
          throw .store(
            .keyUnavailable(reason: "data key \(version) of stream \(name) is missing"))
        }
      }
      streams.append(Stream(stream: name, keyVersions: versions, erased: erased))
    }
    var recipients: [Recipient] = []
    for auditor in auditors {
      let ephemeral = Curve25519.KeyAgreement.PrivateKey()
      let ephemeralPublic = Array(ephemeral.publicKey.rawRepresentation)
      guard let secret = AuditorKeySeal.agreement(ephemeral, auditor) else {
        throw .invalidRequest(reason: "an auditor's public key is not an X25519 public key")
      }
      var sealed: [SealedKey] = []
      for (stream, version, key) in keys {
        let info = AuditorKeySeal.info(exportId: exportId, stream: stream, version: version)
        let wrapping = AuditorKeySeal.wrappingKey(
          secret, ephemeralPublicKey: ephemeralPublic, recipient: auditor, info: info)
        guard let box = try? AES.GCM.seal(key, using: wrapping, authenticating: info).combined
        else { throw .output(path: fileName, reason: "a data key could not be sealed") }
        sealed.append(
          SealedKey(stream: stream, keyVersion: version, sealedKey: box.base64EncodedString()))
      }
      recipients.append(
        Recipient(
          publicKey: Hex.encode(auditor), ephemeralPublicKey: Hex.encode(ephemeralPublic),
          sealedKeys: sealed))
    }
    return AuditKeysFile(exportId: exportId, streams: streams, recipients: recipients)
  }

  /// The data keys sealed to `auditor`, by stream and version, after checking that the file
  /// fits the manifest of export `exportId`. Throws the problem a verifier reports.
  func open(
    by auditor: AuditorKeyPair, exportId: String
  ) throws(Stop) -> [String: [UInt64: SymmetricKey]] {
    let file = Self.fileName
    guard format == Self.formatName, algorithm == AuditorKeySeal.algorithm else {
      throw Stop(.keysInvalid, file, "\(file) is not of format \(Self.formatName)")
    }
    guard self.exportId == exportId else {
      throw Stop(.keysInvalid, file, "\(file) belongs to another export than the manifest's")
    }
    let publicHex = Hex.encode(auditor.publicKey)
    guard let recipient = recipients.first(where: { $0.publicKey == publicHex }) else {
      throw Stop(
        .auditorKeyUnknown, file,
        "the export's keys are not sealed to the auditor key \(publicHex) (sealed to: "
          + recipients.map(\.publicKey).joined(separator: ", ") + ")")
    }
    guard let ephemeral = Hex.decode(recipient.ephemeralPublicKey), ephemeral.count == 32,
      let secret = auditor.sharedSecret(with: ephemeral)
    else {
      throw Stop(.keysInvalid, file, "the ephemeral public key is not an X25519 key")
    }
    var opened: [String: [UInt64: SymmetricKey]] = [:]
    for entry in recipient.sealedKeys {
      let info = AuditorKeySeal.info(
        exportId: exportId, stream: entry.stream, version: entry.keyVersion)
      let wrapping = AuditorKeySeal.wrappingKey(
        secret, ephemeralPublicKey: ephemeral, recipient: auditor.publicKey, info: info)
      guard let bytes = Data(base64Encoded: entry.sealedKey),
        let box = try? AES.GCM.SealedBox(combined: bytes),
        let key = try? AES.GCM.open(box, using: wrapping, authenticating: info), key.count == 32
      else {
        throw Stop(
          .keysInvalid, file,
          "data key \(entry.keyVersion) of \(entry.stream) does not open with the auditor's key")
      }
      opened[entry.stream, default: [:]][entry.keyVersion] = SymmetricKey(data: key)
    }
    for stream in streams where !stream.erased {
      for version in stream.keyVersions where opened[stream.stream]?[version] == nil {
        throw Stop(
          .keysInvalid, file,
          "data key \(version) of \(stream.stream) is listed but not sealed to this auditor")
      }
    }
    return opened
  }
}
