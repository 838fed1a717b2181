import Foundation
import LedgerLMDB
import LedgerTestSupport
import Testing

/// Damaged `data.mdb` files and a replaced `lock.mdb` give errors, never signals or lost commits.
@Suite struct FileCheckTests {
  /// An environment with some pages of data, closed; returns its directory.
  private func filledEnvironment() throws -> TemporaryDirectory {
    let dir = TemporaryDirectory("filecheck")
    let env = try Environment(path: dir.path)
    defer { env.close() }
    let db = try env.write { try $0.createDatabase("values") }
    try env.write { txn in
      for index: UInt64 in 0..<2_000 {
        try txn.put(db, index.bigEndianBytes, [UInt8](repeating: UInt8(index % 251), count: 200))
      }
    }
    return dir
  }

  private func size(_ path: String) -> Int {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? -1
  }

  private func expectDamaged(_ dir: TemporaryDirectory, mentioning words: String, readOnly: Bool) {
    var options = Environment.Options()
    options.readOnly = readOnly
    do {
      let env = try Environment(path: dir.path, options: options)
      env.close()
      Issue.record("a damaged data.mdb was opened")
    } catch {
      guard case .damagedFile(let reason) = error.code else {
        Issue.record("expected damagedFile, got \(error)")
        return
      }
      #expect(reason.contains(words), "\(reason)")
    }
  }

  @Test(arguments: [false, true]) func truncatedFileIsRefusedBeforeMapping(readOnly: Bool) throws {
    let dir = try filledEnvironment()
    defer { dir.remove() }
    let file = dir.appending("data.mdb")
    let full = size(file)
    #expect(full > 64 * 4096)
    #expect(truncate(file, off_t(full / 2)) == 0)
    expectDamaged(dir, mentioning: "truncated", readOnly: readOnly)
    #expect(size(file) == full / 2, "the check must not change the file")
  }

  @Test func truncationByOnePageIsCaught() throws {
    let dir = try filledEnvironment()
    defer { dir.remove() }
    let file = dir.appending("data.mdb")
    #expect(truncate(file, off_t(size(file) - 4096)) == 0)
    expectDamaged(dir, mentioning: "truncated", readOnly: false)
  }

  @Test func emptyFileIsNotInitialisedAsANewEnvironment() throws {
    let dir = TemporaryDirectory("filecheck-empty")
    defer { dir.remove() }
    #expect(FileManager.default.createFile(atPath: dir.appending("data.mdb"), contents: Data()))
    expectDamaged(dir, mentioning: "empty", readOnly: false)
    #expect(size(dir.appending("data.mdb")) == 0)
  }

  @Test func foreignBytesAreNotAnLMDBFile() throws {
    let dir = TemporaryDirectory("filecheck-random")
    defer { dir.remove() }
    var random = SeededGenerator(seed: 7)
    let bytes = (0..<(3 * 4096)).map { _ in UInt8.random(in: 0...255, using: &random) }
    #expect(
      FileManager.default.createFile(atPath: dir.appending("data.mdb"), contents: Data(bytes)))
    expectDamaged(dir, mentioning: "not an LMDB file", readOnly: false)
  }

  @Test func intactFileOpensAndKeepsItsData() throws {
    let dir = try filledEnvironment()
    defer { dir.remove() }
    let env = try Environment(path: dir.path)
    defer { env.close() }
    let value = try env.read { txn in
      try txn.get(try txn.openDatabase("values"), UInt64(1_999).bigEndianBytes)
    }
    #expect(value?.count == 200)
  }

  @Test func commitIsRefusedAfterTheLockFileIsReplaced() throws {
    let dir = try filledEnvironment()
    defer { dir.remove() }
    let env = try Environment(path: dir.path)
    defer { env.close() }
    let db = try env.write { try $0.openDatabase("values") }
    try env.write { try $0.put(db, [1], [1]) }
    // A cleanup script deletes the lock file; the next process to open the store makes a new one.
    try FileManager.default.removeItem(atPath: dir.appending("lock.mdb"))
    #expect(
      FileManager.default.createFile(atPath: dir.appending("lock.mdb"), contents: Data(count: 8192))
    )
    do {
      try env.write { try $0.put(db, [2], [2]) }
      Issue.record("a commit went through after lock.mdb was replaced")
    } catch let error as LMDBError {
      #expect(error.code == .lockFileReplaced)
      #expect(error.description.contains("Stop every process"))
    }
    let stored = try env.read { try $0.get(db, [2]) }
    #expect(stored == nil, "the refused commit must leave nothing")
    #expect(try env.read { try $0.get(db, [1]) } == [1])
  }

  @Test func commitIsRefusedWhileTheLockFileIsMissing() throws {
    let dir = try filledEnvironment()
    defer { dir.remove() }
    let env = try Environment(path: dir.path)
    defer { env.close() }
    let db = try env.write { try $0.openDatabase("values") }
    try FileManager.default.removeItem(atPath: dir.appending("lock.mdb"))
    #expect(throws: LMDBError.self) { try env.write { try $0.put(db, [3], [3]) } }
    // Reads go on (they cannot corrupt anything).
    #expect(try env.read { try $0.get(db, [3]) } == nil)
  }
}
