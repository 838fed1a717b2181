import ArgumentParser
import Foundation
import TreatmentLedger

struct KeysCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "keys", abstract: "Manage the clinic's key-encryption key (the key file).",
    subcommands: [RotateKeys.self])
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
