import ArgumentParser
import Foundation
import TreatmentLedger

struct KeysCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "keys",
    abstract: "Manage the clinic's key-encryption key (the key file) and the store's signing key.",
    subcommands: [RotateKeys.self, PublicKeyCommand.self, NewSigningKey.self])
}

struct PublicKeyCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "public",
    abstract: "Print the store's Ed25519 public key, which audit verifiers check exports with.",
    discussion: """
      Prints the public key (64 hex digits) of the store's newest signing key, the one audit \
      exports are signed with (docs/AUDIT.md 2.5); with --all, every signing key the store has \
      published in $audit, oldest first, one per line with its version and when it was \
      published (a file of them is what `audit verify --public-key FILE` takes). The first \
      signing key is made, and published, by the store's first audit export or by this command.
      """)

  @OptionGroup var storeOptions: StoreOptions
  @Flag(help: "Every published key, oldest first, with its version and time.") var all = false
  @Flag(help: "Print JSON.") var json = false

  func run() async throws {
    let ledger = try storeOptions.open()
    defer { ledger.close() }
    let keys: [SigningKeyRecord]
    do {
      _ = try await ledger.auditSigner()
      keys = try ledger.signingKeys()
    } catch {
      throw Exit.report(error)
    }
    let shown = all ? keys : Array(keys.suffix(1))
    if json {
      let items: [JSONValue] = shown.map {
        .object([
          "version": .number(Double($0.version)), "publicKey": .string($0.publicKey),
          "publishedAt": .string($0.event.recordedAt), "reason": $0.event.data["reason"] ?? .null,
        ])
      }
      print(String(decoding: JSONValue.array(items).canonicalBytes, as: UTF8.self))
    } else if all {
      for key in shown {
        print("\(key.publicKey)  # version \(key.version), published \(key.event.recordedAt)")
      }
    } else if let key = shown.first {
      print(key.publicKey)
    }
  }
}

struct NewSigningKey: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "new-signing-key",
    abstract: "Make a new signing key for audit exports and publish it in $audit.",
    discussion: """
      Exports are signed with the new key from now on; earlier exports keep their signatures by \
      the earlier keys, which `keys public --all` still lists. Give auditors the new key. The \
      signing keys are kept wrapped by the key-encryption key, so `keys rotate` re-wraps them too.
      """)

  @OptionGroup var storeOptions: StoreOptions
  @Option(help: "Who makes the key (your user id).") var by: String
  @Option(help: "Why (recorded in $audit).") var reason: String

  func run() async throws {
    let ledger = try storeOptions.open()
    defer { ledger.close() }
    do {
      let record = try await ledger.rotateSigningKey(
        by: Recorder(id: by, name: by, role: "operator"), reason: reason)
      print("signing key version \(record.version): \(record.publicKey)")
    } catch {
      throw Exit.report(error)
    }
  }
}

struct RotateKeys: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "rotate",
    abstract: "Re-wrap every patient's data key under a new key file; no event is rewritten.",
    discussion: """
      Makes a new random key in KEYFILE.new (mode 0600), re-wraps every data key of the store \
      under it in one transaction, then renames it over the key file (default STORE.kek). The \
      old key no longer opens the store: back the new key file up, then destroy the old backups \
      of the key file. Should the command stop between the commit and the rename, the key that \
      opens the store is KEYFILE.new: rename it over KEYFILE.
      """)

  @OptionGroup var storeOptions: StoreOptions

  func run() async throws {
    let keyPath = storeOptions.keyFile ?? KeyFile.defaultPath(forStore: storeOptions.path)
    let ledger = try storeOptions.open()
    defer { ledger.close() }
    let rewrapped = try rotateKeyFile(of: ledger, keyPath)
    print("re-wrapped \(rewrapped) data keys under a new key; \(keyPath) replaced (back it up)")
  }
}

/// Re-wraps every data key of `ledger` under a new key staged beside `keyPath`, closes the ledger
/// and renames the new key over `keyPath`. Returns how many data keys were re-wrapped.
func rotateKeyFile(of ledger: Ledger, _ keyPath: String) throws -> Int {
  do {
    let staged = try KeyFile.staged(replacing: keyPath)
    let rewrapped: Int
    do { rewrapped = try ledger.store.rotateKeyEncryptionKey(to: staged) } catch {
      try? FileManager.default.removeItem(atPath: staged.path)
      throw error
    }
    ledger.close()
    _ = try staged.install()
    return rewrapped
  } catch let error as KeyProviderError {
    printError(error.reason)
    throw Exit.failure
  } catch let error as EventStoreError {
    throw Exit.report(error)
  }
}
