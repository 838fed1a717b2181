import Foundation
import LedgerLMDB
import LedgerTestSupport
import Testing

@Suite struct EnvironmentTests {
  @Test func putThenGetAndCursorOrderIsNumeric() throws {
    let dir = TemporaryDirectory()
    defer { dir.remove() }
    let env = try Environment(path: dir.path)
    defer { env.close() }
    let db = try env.write { try $0.createDatabase("numbers") }
    try env.write { txn in
      for value: UInt64 in [300, 2, 70_000, 1, 256] {
        try txn.put(db, value.bigEndianBytes, Array("v\(value)".utf8))
      }
    }
    let keys = try env.read { txn in
      try txn.withCursor(db) { cursor in
        var keys: [UInt64] = []
        var entry = try cursor.first()
        while let current = entry {
          keys.append(UInt64(bigEndianBytes: current.key) ?? 0)
          entry = try cursor.next()
        }
        return keys
      }
    }
    #expect(keys == [1, 2, 256, 300, 70_000])
    let value = try env.read { try $0.get(db, UInt64(256).bigEndianBytes) }
    #expect(value == Array("v256".utf8))
    let missing = try env.read { try $0.get(db, UInt64(5).bigEndianBytes) }
    #expect(missing == nil)
    let seek = try env.read { txn in
      try txn.withCursor(db) { try $0.seek(atLeast: UInt64(3).bigEndianBytes) }
    }
    #expect(seek.flatMap { UInt64(bigEndianBytes: $0.key) } == 256)
  }

  @Test func writeThatThrowsLeavesNothing() throws {
    struct Boom: Error {}
    let dir = TemporaryDirectory()
    defer { dir.remove() }
    let env = try Environment(path: dir.path)
    defer { env.close() }
    let db = try env.write { try $0.createDatabase("d") }
    #expect(throws: Boom.self) {
      try env.write { txn in
        try txn.put(db, [1], [1])
        throw Boom()
      }
    }
    #expect(try env.read { try $0.count(db) } == 0)
  }

  @Test func nestedTransactionDiscardsOnlyItsOwnChanges() throws {
    struct Boom: Error {}
    let dir = TemporaryDirectory()
    defer { dir.remove() }
    let env = try Environment(path: dir.path)
    defer { env.close() }
    let db = try env.write { try $0.createDatabase("d") }
    try env.write { txn in
      try txn.put(db, [1], [1])
      try? txn.nested { child in
        try child.put(db, [2], [2])
        throw Boom()
      }
      try txn.nested { child in try child.put(db, [3], [3]) }
    }
    #expect(try env.read { try $0.get(db, [1]) } == [1])
    #expect(try env.read { try $0.get(db, [2]) } == nil)
    #expect(try env.read { try $0.get(db, [3]) } == [3])
  }

  @Test func secondOpenOfTheSamePathIsRefusedUntilClosed() throws {
    let dir = TemporaryDirectory()
    defer { dir.remove() }
    let env = try Environment(path: dir.path)
    #expect { try Environment(path: dir.path) } throws: {
      ($0 as? LMDBError)?.code == .pathAlreadyOpen
    }
    // The same directory through another spelling of the path is the same environment.
    #expect { try Environment(path: dir.path + "/.") } throws: {
      ($0 as? LMDBError)?.code == .pathAlreadyOpen
    }
    env.close()
    let again = try Environment(path: dir.path)
    again.close()
  }

  @Test func useAfterCloseThrowsInsteadOfCrashing() throws {
    let dir = TemporaryDirectory()
    defer { dir.remove() }
    let env = try Environment(path: dir.path)
    let db = try env.write { try $0.createDatabase("d") }
    nonisolated(unsafe) var escaped: ReadTransaction?
    try env.read { txn in escaped = txn }
    #expect { try escaped?.get(db, [1]) } throws: { ($0 as? LMDBError)?.code == .transactionEnded }
    env.close()
    #expect { try env.read { _ in 1 } } throws: { ($0 as? LMDBError)?.code == .environmentClosed }
    #expect { try env.write { _ in 1 } } throws: { ($0 as? LMDBError)?.code == .environmentClosed }
    #expect { try env.info() } throws: { ($0 as? LMDBError)?.code == .environmentClosed }
    env.close()  // twice is harmless
    #expect(!env.isOpen)
  }

  @Test func mapGrowsOnDemand() throws {
    let dir = TemporaryDirectory()
    defer { dir.remove() }
    var options = Environment.Options()
    options.mapSize = 256 * 1024
    options.durability = .unsafeNoSyncMayLoseRecentCommits
    let env = try Environment(path: dir.path, options: options)
    defer { env.close() }
    let db = try env.write { try $0.createDatabase("d") }
    let value = [UInt8](repeating: 7, count: 4_000)
    for batch in 0..<20 {
      try env.write { txn in
        for i in 0..<100 { try txn.put(db, UInt64(batch * 100 + i).bigEndianBytes, value) }
      }
    }
    #expect(try env.read { try $0.count(db) } == 2_000)
    #expect(try env.info().mapSize > 256 * 1024)
  }

  @Test func readOnlyEnvironmentRefusesWrites() throws {
    let dir = TemporaryDirectory()
    defer { dir.remove() }
    let env = try Environment(path: dir.path)
    _ = try env.write { try $0.createDatabase("d") }
    env.close()
    var options = Environment.Options()
    options.readOnly = true
    let reader = try Environment(path: dir.path, options: options)
    defer { reader.close() }
    #expect { try reader.write { _ in 1 } } throws: { ($0 as? LMDBError)?.code == .readOnly }
    #expect(try reader.read { try $0.openDatabase("d").name } == "d")
    #expect { try reader.read { try $0.openDatabase("missing") } } throws: {
      ($0 as? LMDBError)?.code == .notFound
    }
  }

  @Test func invalidKeysAreLMDBErrors() throws {
    let dir = TemporaryDirectory()
    defer { dir.remove() }
    let env = try Environment(path: dir.path)
    defer { env.close() }
    let db = try env.write { try $0.createDatabase("d") }
    #expect { try env.write { try $0.put(db, [], [1]) } } throws: {
      ($0 as? LMDBError)?.code == .badValueSize
    }
    #expect { try env.write { try $0.put(db, [UInt8](repeating: 1, count: 600), [1]) } } throws: {
      ($0 as? LMDBError)?.code == .badValueSize
    }
    try env.write { try $0.put(db, [9], [1]) }
    #expect { try env.write { try $0.put(db, [9], [2], options: .noOverwrite) } } throws: {
      ($0 as? LMDBError)?.code == .keyExists
    }
    #expect { try env.write { try $0.put(db, [1], [2], options: .append) } } throws: {
      ($0 as? LMDBError)?.code == .keyExists
    }
  }

  @Test func concurrentReadersSeeConsistentSnapshotsWhileAWriterCommits() async throws {
    let dir = TemporaryDirectory()
    defer { dir.remove() }
    let env = try Environment(path: dir.path)
    defer { env.close() }
    let db = try env.write { try $0.createDatabase("d") }
    // Each commit adds 10 keys and sets key [0xFF] to the number of other keys: a reader that
    // saw half a commit would count a different number than the one it reads.
    let total: [UInt8] = [0xFF]
    func commit(round: Int) throws {
      try env.write { txn in
        for i in 0..<10 { try txn.put(db, UInt64(round * 10 + i).bigEndianBytes, [1]) }
        try txn.put(db, total, UInt64((round + 1) * 10).bigEndianBytes)
      }
    }
    try commit(round: 0)
    let rounds = 60
    try await withThrowingTaskGroup(of: Void.self) { group in
      group.addTask {
        for round in 1..<rounds { try commit(round: round) }
      }
      for _ in 0..<16 {
        group.addTask {
          for _ in 0..<30 {
            let (count, stored) = try env.read { txn in
              (try txn.count(db), try txn.get(db, total))
            }
            let value = stored.map { $0.reduce(0) { $0 << 8 | Int($1) } }
            #expect(value == count - 1)
          }
        }
      }
      try await group.waitForAll()
    }
    #expect(try env.read { try $0.count(db) } == rounds * 10 + 1)
  }
}
