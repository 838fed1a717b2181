import Crypto
import Foundation
import LedgerFoundation

/// Why a key-encryption key could not be used. Messages name files and operations, never key
/// bytes.
public struct KeyProviderError: Error, Sendable, Hashable, CustomStringConvertible {
  /// What went wrong.
  public enum Kind: Sendable, Hashable {
    /// The key (file) does not exist.
    case missing
    /// The key exists but cannot be read or has the wrong form or permissions.
    case unreadable
    /// The key does not open what was wrapped with the store's key (another clinic's key file,
    /// or an old one after `keys rotate`).
    case wrongKey
    /// The provider (a KMS or HSM) did not answer.
    case unavailable
  }

  /// What went wrong.
  public var kind: Kind
  /// A sentence for an operator: which file or service, and what to do.
  public var reason: String

  /// Creates an error.
  public init(_ kind: Kind, reason: String) {
    self.kind = kind
    self.reason = reason
  }

  /// The reason.
  public var description: String { reason }
}

/// The clinic's key-encryption key (KEK): wraps and unwraps the per-patient data keys that the
/// store keeps in its `keys` database. The default is ``KeyFile``; a KMS or an HSM implements the
/// same two operations (its `Encrypt`/`Decrypt` with `context` as the encryption context), so the
/// key never has to leave it.
///
/// Implementations must be deterministic in what they accept: `unwrap` of `wrap(key, context)`
/// with the same `context` gives `key` back, and `unwrap` with another `context`, or of bytes
/// wrapped under another KEK, throws a ``KeyProviderError`` of kind `wrongKey`.
public protocol KeyProvider: Sendable {
  /// `key` encrypted and authenticated under the KEK, bound to `context`.
  func wrap(_ key: [UInt8], context: [UInt8]) throws(KeyProviderError) -> [UInt8]
  /// The key that `wrap` was given, when `wrapped` was made by this KEK with this `context`.
  func unwrap(_ wrapped: [UInt8], context: [UInt8]) throws(KeyProviderError) -> [UInt8]
}

/// A key-encryption key kept in a file of its own: 32 random bytes, written as 64 hexadecimal
/// digits and a line feed, mode 0600. It wraps data keys with AES-256-GCM.
///
/// The file must never be stored inside the store's directory (a copy of the store must not carry
/// its key): by default it is the sibling file `<store>.kek` (``defaultPath(forStore:)``). Back it
/// up separately from the store; without it the patients' data cannot be read.
///
/// ```swift
/// let kek = try KeyFile.create(at: "/var/lib/clinic/ledger.kek")
/// let same = try KeyFile(path: "/var/lib/clinic/ledger.kek")
/// ```
public struct KeyFile: KeyProvider {
  /// The file the key was read from.
  public let path: String
  private let keyBytes: [UInt8]
  private var key: SymmetricKey { SymmetricKey(data: keyBytes) }

  /// Reads the key file at `path`. Throws `.missing` when there is none, `.unreadable` when it is
  /// not 64 hex digits or is readable by group or others.
  public init(path: String) throws(KeyProviderError) {
    self.path = path
    guard FileManager.default.fileExists(atPath: path) else {
      throw KeyProviderError(
        .missing,
        reason: "the key file \(path) does not exist (restore it from its backup, or give "
          + "--key-file)")
    }
    let attributes = try? FileManager.default.attributesOfItem(atPath: path)
    if let mode = (attributes?[.posixPermissions] as? NSNumber)?.intValue, mode & 0o077 != 0 {
      throw KeyProviderError(
        .unreadable,
        reason: "the key file \(path) is readable by group or others (chmod 600 it)")
    }
    guard let text = try? String(contentsOfFile: path, encoding: .utf8),
      let bytes = Hex.decode(text.trimmingCharacters(in: .whitespacesAndNewlines)),
      bytes.count == 32
    else {
      throw KeyProviderError(
        .unreadable, reason: "the key file \(path) does not hold 64 hexadecimal digits")
    }
    keyBytes = bytes
  }

  private init(path: String, key: SymmetricKey) {
    self.path = path
    self.keyBytes = key.withUnsafeBytes { Array($0) }
  }

  /// The default key file of the store at `storePath`: `<storePath>.kek`, beside the store's
  /// directory, never inside it.
  public static func defaultPath(forStore storePath: String) -> String {
    var trimmed = storePath
    while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
    return trimmed + ".kek"
  }

  /// Creates a new key file at `path` with a fresh random key, mode 0600. Refuses to replace an
  /// existing file.
  @discardableResult
  public static func create(at path: String) throws(KeyProviderError) -> KeyFile {
    let key = SymmetricKey(size: .bits256)
    // Written whole to a file of its own, then linked into place: a process that races to make
    // the same key file never reads half of one, and only one link succeeds.
    let temporary = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try write(key, to: temporary, exclusive: true)
    defer { unlink(temporary) }
    guard link(temporary, path) == 0 else {
      throw KeyProviderError(
        .unreadable, reason: "could not create the key file \(path) (it may exist already)")
    }
    return KeyFile(path: path, key: key)
  }

  /// The key file at `path`, created (``create(at:)``) when there is none; when another process
  /// creates it at the same moment, that process's key is read.
  public static func openOrCreate(at path: String) throws(KeyProviderError) -> KeyFile {
    if FileManager.default.fileExists(atPath: path) { return try KeyFile(path: path) }
    do { return try create(at: path) } catch {
      guard FileManager.default.fileExists(atPath: path) else { throw error }
      return try KeyFile(path: path)
    }
  }

  /// A new random key written to a temporary file beside `path` (mode 0600); ``install()`` of
  /// the result renames it over `path` atomically. Used by `keys rotate`.
  public static func staged(replacing path: String) throws(KeyProviderError) -> KeyFile {
    let key = SymmetricKey(size: .bits256)
    let temporary = path + ".new"
    try? FileManager.default.removeItem(atPath: temporary)
    try write(key, to: temporary, exclusive: true)
    return KeyFile(path: temporary, key: key)
  }

  /// Renames a key file made by ``staged(replacing:)`` over the file it replaces (atomic on one
  /// file system) and returns the installed key file.
  public func install() throws(KeyProviderError) -> KeyFile {
    guard path.hasSuffix(".new") else {
      throw KeyProviderError(.unreadable, reason: "\(path) is not a staged key file")
    }
    let target = String(path.dropLast(4))
    guard rename(path, target) == 0 else {
      throw KeyProviderError(.unreadable, reason: "could not rename \(path) to \(target)")
    }
    return KeyFile(path: target, key: key)
  }

  private static func write(
    _ key: SymmetricKey, to path: String, exclusive: Bool
  ) throws(KeyProviderError) {
    let hex = key.withUnsafeBytes { Hex.encode(Array($0)) } + "\n"
    let descriptor = open(path, O_WRONLY | O_CREAT | (exclusive ? O_EXCL : O_TRUNC), 0o600)
    guard descriptor >= 0 else {
      throw KeyProviderError(
        .unreadable, reason: "could not create the key file \(path) (it may exist already)")
    }
    defer { close(descriptor) }
    let bytes = Array(hex.utf8)
    let written = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
    guard written == bytes.count, fsync(descriptor) == 0 else {
      throw KeyProviderError(.unreadable, reason: "could not write the key file \(path)")
    }
  }

  /// AES-256-GCM under the file's key, `context` as associated data: nonce, ciphertext, tag.
  public func wrap(_ key: [UInt8], context: [UInt8]) throws(KeyProviderError) -> [UInt8] {
    do {
      guard let combined = try AES.GCM.seal(key, using: self.key, authenticating: context).combined
      else { throw KeyProviderError(.unavailable, reason: "AES-GCM gave no combined box") }
      return Array(combined)
    } catch let error as KeyProviderError {
      throw error
    } catch {
      throw KeyProviderError(.unavailable, reason: "AES-GCM could not wrap a data key")
    }
  }

  /// Opens what ``wrap(_:context:)`` made; `.wrongKey` when this file's key did not make it.
  public func unwrap(_ wrapped: [UInt8], context: [UInt8]) throws(KeyProviderError) -> [UInt8] {
    do {
      let box = try AES.GCM.SealedBox(combined: wrapped)
      return Array(try AES.GCM.open(box, using: key, authenticating: context))
    } catch {
      throw KeyProviderError(
        .wrongKey,
        reason: "the key file \(path) is not the key this store's data keys are wrapped with")
    }
  }
}
