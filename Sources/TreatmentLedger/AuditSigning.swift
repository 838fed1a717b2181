import Foundation
import LedgerAudit
import LedgerEventStore
import LedgerFoundation

/// One of the store's signing keys as `$audit` published it (docs/AUDIT.md 2.5).
public struct SigningKeyRecord: Sendable, Hashable {
  /// The key's version in the store (1 for the first).
  public var version: UInt64
  /// The Ed25519 public key, 64 lowercase hex digits.
  public var publicKey: String
  /// The `$audit` event that published it.
  public var event: RecordedEvent

  /// The record of `event`, or nil when it is not a `SigningKeyPublished` event.
  public init?(_ event: RecordedEvent) {
    guard event.type == Ledger.signingKeyEventType,
      let key = event.data["publicKey"]?.stringValue, Hex.decode(key)?.count == 32,
      let version = event.data["version"]?.numberValue.flatMap(UInt64.init(exactly:))
    else { return nil }
    self.version = version
    publicKey = key
    self.event = event
  }
}

extension Ledger {
  /// The `$audit` event type that publishes a signing key's public key: {version, publicKey,
  /// algorithm, reason}.
  public static let signingKeyEventType = AuditSignature.publicationEventType

  /// Who publishes the first signing key, made by the store itself.
  static let storeRecorder = Recorder(
    id: "treatment-ledger", name: "TreatmentLedger", role: "system")

  /// The store's audit signer: its newest signing key (an Ed25519 key kept wrapped by the
  /// key-encryption key, like the patients' data keys). The first is made on first use, and every
  /// key is published in `$audit` (``signingKeys()``) before it signs anything.
  public func auditSigner() async throws(LedgerError) -> Ed25519AuditSigner {
    let key: (version: UInt64, seed: [UInt8])
    do throws(EventStoreError) {
      guard let found = try store.signingKey(create: true) else {
        throw .keyUnavailable(reason: "the store has no signing key")
      }
      key = found
    } catch {
      throw LedgerError(error)
    }
    guard let signer = Ed25519AuditSigner(seed: key.seed) else {
      throw LedgerError(.keyUnavailable(reason: "the stored signing key is not 32 bytes"))
    }
    if try newestPublishedSigningKey() != key.version {
      try await publish(signer, version: key.version, by: Self.storeRecorder, reason: "first use")
    }
    return signer
  }

  /// Every signing key the store has published in `$audit`, oldest first: the keys an auditor
  /// gives a verifier (`keys public --all`).
  public func signingKeys() throws(LedgerError) -> [SigningKeyRecord] {
    do {
      return try store.readStream(StreamNames.audit).compactMap(SigningKeyRecord.init)
    } catch {
      throw LedgerError(error)
    }
  }

  /// The version of the newest signing key published in `$audit`, or nil: read from the end of
  /// `$audit` back to the newest publication, so the exports recorded since cost one page each.
  func newestPublishedSigningKey() throws(LedgerError) -> UInt64? {
    var before: UInt64?
    while true {
      let page: [RecordedEvent]
      do {
        page = try store.readStream(
          StreamNames.audit, from: before, direction: .backward, limit: 256)
      } catch {
        throw LedgerError(error)
      }
      if let record = page.lazy.compactMap(SigningKeyRecord.init).first { return record.version }
      guard let oldest = page.last, oldest.streamVersion > 0, page.count == 256 else { return nil }
      before = oldest.streamVersion - 1
    }
  }

  /// Signs a finished, not yet recorded export with the store's signing key
  /// (``auditSigner()``): writes its `signature.json`, or removes its files when it cannot.
  /// ``exportAudit(_:progress:)`` calls it; so does a tool that exports from a read-only handle
  /// and records with a writable one.
  public func sign(_ export: AuditExport) async throws(AuditError) -> AuditExport {
    do {
      return try export.signed(by: try await auditSigner())
    } catch let error as AuditError {
      export.removeFiles()
      throw error
    } catch let error as LedgerError {
      export.removeFiles()
      throw .store(error.underlying)
    } catch {
      export.removeFiles()
      throw .invalidRequest(reason: "the export could not be signed")
    }
  }

  /// Makes the store's next signing key and publishes it in `$audit` with who and why; exports
  /// are signed with it from now on. Earlier exports keep their signatures by the earlier keys.
  @discardableResult
  public func rotateSigningKey(by recorder: Recorder, reason: String) async throws(LedgerError)
    -> SigningKeyRecord
  {
    let key: (version: UInt64, seed: [UInt8])
    do throws(EventStoreError) { key = try store.newSigningKey() } catch {
      throw LedgerError(error)
    }
    guard let signer = Ed25519AuditSigner(seed: key.seed) else {
      throw LedgerError(.keyUnavailable(reason: "the new signing key is not 32 bytes"))
    }
    return try await publish(signer, version: key.version, by: recorder, reason: reason)
  }

  @discardableResult
  private func publish(
    _ signer: Ed25519AuditSigner, version: UInt64, by recorder: Recorder, reason: String
  ) async throws(LedgerError) -> SigningKeyRecord {
    let now = Int64((Date().timeIntervalSince1970 * 1_000_000).rounded(.down))
    let event = ProposedEvent(
      type: Self.signingKeyEventType,
      occurredAt: RFC3339.format(micros: now) ?? "1970-01-01T00:00:00.000000Z",
      recordedBy: recorder,
      data: .object([
        "version": .number(Double(version)), "publicKey": .string(Hex.encode(signer.publicKey)),
        "algorithm": .string("Ed25519"), "reason": .string(reason),
      ]))
    do throws(EventStoreError) {
      let result = try await store.appendSystem([event], to: StreamNames.audit)
      guard let position = result.positions.first,
        let stored = try store.readAll(from: position.globalPosition, limit: 1).first,
        let record = SigningKeyRecord(stored)
      else { throw .emptyBatch }
      return record
    } catch {
      throw LedgerError(error)
    }
  }
}
