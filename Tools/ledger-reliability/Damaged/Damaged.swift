import ArgumentParser
import Crypto
import Foundation
import LedgerLMDB
import TreatmentLedger

/// `damaged`: stores with damaged or foreign files. Every command-like operation, run in a child
/// process, must end with a clear error (never a signal such as SIGBUS), and no file may change.
struct Damaged: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "damaged",
    abstract: "Truncated, empty, zeroed, random and foreign store files: errors, never signals.",
    discussion: """
      A demo clinic is made once. Each case copies it and damages the copy: data.mdb truncated \
      at a random length (page-aligned or not), emptied, zeroed, overwritten with random bytes, \
      replaced by a foreign LMDB environment, or removed with lock.mdb left behind. Then each \
      operation (open read-only and verify, open read-write, summary and timeline reads, a \
      rebuild, an append) runs in its own child process. Checks per case and operation: the \
      child ended with an exit status (no signal) and refused the store with a storage or \
      incompatible-store error (exit 2), and the store's files are byte for byte unchanged.
      """)

  @Option(help: "Damage cases (each a fresh copy).") var cases: Int = 12
  @Option(help: "Seed for truncation lengths and random bytes (default: random, printed).")
  var seed: UInt64?
  @Option(help: "Keep stores and logs in this folder.") var workDir: String?

  static let operations = ["verify", "open-write", "summary", "rebuild", "append"]

  func run() async throws {
    let seed = self.seed ?? UInt64.random(in: 0...UInt64.max)
    var random = SeededGenerator(seed: seed)
    let work = try WorkFolder(workDir, label: "damaged")
    var tally = Tally()
    let original = work.appending("original")
    try await Maintenance.fill(original, patients: 12)
    print("damaged: \(cases) cases × \(Self.operations.count) operations, seed \(seed)")
    var signals = 0
    for index in 0..<cases {
      let kind = DamageKind.allCases[index % DamageKind.allCases.count]
      let store = work.appending("case-\(index)")
      try FileManager.default.copyItem(atPath: original, toPath: store)
      let detail = try kind.apply(to: store, random: &random)
      let before = Self.fingerprint(store)
      for operation in Self.operations {
        let child = try ChildProcess(
          ["damaged-child", "--store", store, "--operation", operation],
          logPrefix: work.appending("case-\(index)-\(operation)"))
        let ended = await child.waitForExit(timeout: .seconds(120))
        if ended?.bySignal == true { signals += 1 }
        tally.check(
          ended?.bySignal == false && ended?.status == 2,
          "case \(index) (\(kind.rawValue) \(detail)), \(operation): refused with an error",
          "\(ended?.description ?? "hung"): \(child.errorTail)")
      }
      tally.check(
        Self.fingerprint(store) == before, "case \(index) (\(kind.rawValue)): files unchanged")
    }
    print("operations ended by a signal: \(signals)")
    work.finish(tally)
    try tally.finish()
  }

  /// Name, size and SHA-256 of every file in the store's directory except `lock.mdb` (LMDB
  /// rewrites its reader table), so any change to the store's own files shows.
  static func fingerprint(_ path: String) -> [String: String] {
    var result: [String: String] = [:]
    for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
    where name != "lock.mdb" {
      let data = FileManager.default.contents(atPath: path + "/" + name) ?? Data()
      result[name] =
        "\(data.count):" + SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }
    return result
  }
}

/// The ways a store's files are damaged.
enum DamageKind: String, CaseIterable {
  case truncatedAtPage = "truncated at a page boundary"
  case truncatedMidPage = "truncated mid-page"
  case emptied
  case zeroed
  case randomBytes = "random bytes"
  case foreign = "foreign environment"
  case dataFileRemoved = "data.mdb removed"

  /// Damages the store in `path`; returns a detail for messages.
  func apply(to path: String, random: inout SeededGenerator) throws -> String {
    let file = path + "/data.mdb"
    let size =
      (try FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.intValue ?? 0
    switch self {
    case .truncatedAtPage, .truncatedMidPage:
      let pages = size / 4096
      var length = Int.random(in: 0..<pages, using: &random) * 4096
      if self == .truncatedMidPage { length += Int.random(in: 1..<4096, using: &random) }
      guard truncate(file, off_t(length)) == 0 else { throw ChildError("truncate failed") }
      return "to \(length) of \(size) bytes"
    case .emptied:
      guard truncate(file, 0) == 0 else { throw ChildError("truncate failed") }
      return ""
    case .zeroed:
      try Data(count: size).write(to: URL(fileURLWithPath: file))
      return "\(size) bytes"
    case .randomBytes:
      let bytes = (0..<size).map { _ in UInt8.random(in: 0...255, using: &random) }
      try Data(bytes).write(to: URL(fileURLWithPath: file))
      return "\(size) bytes"
    case .foreign:
      try FileManager.default.removeItem(atPath: path)
      let env = try Environment(path: path)
      defer { env.close() }
      let database = try env.write { try $0.createDatabase("someone-elses") }
      try env.write { try $0.put(database, Array("key".utf8), Array("value".utf8)) }
      return ""
    case .dataFileRemoved:
      try FileManager.default.removeItem(atPath: file)
      return ""
    }
  }
}

/// One operation on a damaged store (spawned by `damaged`): exit 0 when it worked, 2 when the
/// store was refused with an error.
struct DamagedChild: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "damaged-child",
    abstract: "One operation on a damaged store (spawned by damaged).",
    shouldDisplay: false)

  @Option(help: "The store directory.") var store: String
  @Option(help: "verify, open-write, summary, rebuild or append.") var operation: String

  func run() async throws {
    let readOnly = operation == "verify" || operation == "summary"
    do {
      let ledger = try Ledger.open(
        Ledger.Configuration(
          path: store, readOnly: readOnly, createIfMissing: false, logger: quietLogger()))
      defer { ledger.close() }
      switch operation {
      case "verify": _ = try ledger.store.verify()
      case "summary":
        _ = try ledger.summary(of: "demo-0001")
        _ = try ledger.timeline(of: "demo-0001")
      case "rebuild": _ = try await ledger.store.rebuild(projections: ledger.projectionNames)
      case "append":
        _ = try await ledger.store.append([TrialEvents.make(sequence: 0)], to: "note-damaged")
      default: break
      }
    } catch {
      diagnose("damaged-child \(operation): \(error)")
      throw ExitCode(2)
    }
  }
}
