import Foundation
import LedgerLMDB
import LedgerTestSupport
import Testing

/// Cursor moves and deletes. The wrapper opens databases without `MDB_DUPSORT` (one value per
/// key), so there is no duplicate-key case to test.
@Suite struct CursorTests {
  /// An environment in a fresh directory, with database `d` holding `keys` (big-endian), each
  /// with the value `v<key>`.
  static func environment(
    _ label: String, keys: [UInt64], valueBytes: Int = 0
  ) throws -> (TemporaryDirectory, Environment, Database) {
    let dir = TemporaryDirectory(label)
    var options = Environment.Options()
    options.durability = .unsafeNoSyncMayLoseRecentCommits
    let env = try Environment(path: dir.path, options: options)
    let db = try env.write { txn throws in
      let db = try txn.createDatabase("d")
      for key in keys {
        let padding = [UInt8](repeating: UInt8(key % 251), count: valueBytes)
        try txn.put(db, key.bigEndianBytes, Array("v\(key)".utf8) + padding)
      }
      return db
    }
    return (dir, env, db)
  }

  static func number(_ entry: Entry?) -> UInt64? {
    entry.flatMap { UInt64(bigEndianBytes: $0.key) }
  }

  /// Every key from `first()` onwards with `next()`, or from `last()` with `previous()`.
  static func walk(_ cursor: Cursor, backward: Bool = false) throws -> [UInt64] {
    var keys: [UInt64] = []
    var entry = backward ? try cursor.last() : try cursor.first()
    while let current = entry {
      keys.append(number(current) ?? .max)
      entry = backward ? try cursor.previous() : try cursor.next()
    }
    return keys
  }

  @Test func firstLastNextAndPreviousVisitEveryKeyInOrder() throws {
    let keys: [UInt64] = (0..<500).map { $0 * 10 }
    let (dir, env, db) = try Self.environment("cursor-walk", keys: keys.shuffled())
    defer {
      env.close()
      dir.remove()
    }
    try env.read { txn throws in
      try txn.withCursor(db) { cursor throws in
        #expect(try Self.walk(cursor) == keys)
        #expect(try cursor.next() == nil)  // it stays past the end
        #expect(try Self.walk(cursor, backward: true) == keys.reversed())
        #expect(try cursor.previous() == nil)  // and before the start
        // Moves after either end answer nil again, and the cursor stays usable.
        #expect(Self.number(try cursor.first()) == 0)
        #expect(try cursor.previous() == nil)
        #expect(Self.number(try cursor.last()) == 4_990)
        #expect(try cursor.next() == nil)
        let last = try #require(try cursor.last())
        #expect(last.value == Array("v4990".utf8))
      }
    }
  }

  @Test func seekFindsTheFirstKeyAtLeastTheOneGiven() throws {
    let keys: [UInt64] = (0..<100).map { $0 * 10 + 10 }  // 10, 20, …, 1000
    let (dir, env, db) = try Self.environment("cursor-seek", keys: keys)
    defer {
      env.close()
      dir.remove()
    }
    try env.read { txn throws in
      try txn.withCursor(db) { cursor throws in
        #expect(Self.number(try cursor.seek(atLeast: UInt64(0).bigEndianBytes)) == 10)
        #expect(Self.number(try cursor.seek(atLeast: UInt64(10).bigEndianBytes)) == 10)
        #expect(Self.number(try cursor.seek(atLeast: UInt64(15).bigEndianBytes)) == 20)
        // The move after a seek continues from the found key, in both directions.
        #expect(Self.number(try cursor.next()) == 30)
        #expect(Self.number(try cursor.seek(atLeast: UInt64(555).bigEndianBytes)) == 560)
        #expect(Self.number(try cursor.previous()) == 550)
        #expect(Self.number(try cursor.seek(atLeast: UInt64(1_000).bigEndianBytes)) == 1_000)
        #expect(try cursor.seek(atLeast: UInt64(1_001).bigEndianBytes) == nil)
        #expect(Self.number(try cursor.seek(exactly: UInt64(500).bigEndianBytes)) == 500)
        #expect(try cursor.seek(exactly: UInt64(505).bigEndianBytes) == nil)
        // A shorter key sorts before every longer key it prefixes (bytewise order).
        #expect(Self.number(try cursor.seek(atLeast: [0, 0, 0, 0, 0, 0, 0x02])) == 520)
      }
    }
  }

  @Test func anEmptyDatabaseHasNoEntries() throws {
    let (dir, env, db) = try Self.environment("cursor-empty", keys: [])
    defer {
      env.close()
      dir.remove()
    }
    try env.read { txn throws in
      try txn.withCursor(db) { cursor throws in
        #expect(try cursor.first() == nil)
        #expect(try cursor.last() == nil)
        #expect(try cursor.next() == nil)
        #expect(try cursor.previous() == nil)
        #expect(try cursor.seek(atLeast: UInt64(0).bigEndianBytes) == nil)
        #expect(try cursor.seek(exactly: UInt64(0).bigEndianBytes) == nil)
      }
    }
  }

  @Test func aCursorInAWriteSeesTheTransactionsOwnChanges() throws {
    let (dir, env, db) = try Self.environment("cursor-own", keys: [1, 3])
    defer {
      env.close()
      dir.remove()
    }
    try env.write { txn throws in
      try txn.put(db, UInt64(2).bigEndianBytes, [2])
      try txn.delete(db, UInt64(3).bigEndianBytes)
      try txn.withCursor(db) { cursor throws in #expect(try Self.walk(cursor) == [1, 2]) }
    }
    // Committed, the same changes are what a later read sees.
    try env.read { txn throws in
      try txn.withCursor(db) { cursor throws in #expect(try Self.walk(cursor) == [1, 2]) }
    }
  }

  @Test func anEscapedCursorThrowsAndAnEmptyKeyIsRefused() throws {
    let (dir, env, db) = try Self.environment("cursor-escape", keys: [1])
    defer {
      env.close()
      dir.remove()
    }
    let escaped = try env.read { txn throws in try txn.withCursor(db) { $0 } }
    #expect { try escaped.first() } throws: { ($0 as? LMDBError)?.code == .transactionEnded }
    _ = try env.read { txn throws in
      try txn.withCursor(db) { cursor throws in
        #expect { try cursor.seek(atLeast: []) } throws: {
          ($0 as? LMDBError)?.code == .badValueSize
        }
      }
    }
  }

  @Test func deleteByKeyAndOfAMissingKey() throws {
    let (dir, env, db) = try Self.environment("delete", keys: [1, 2, 3])
    defer {
      env.close()
      dir.remove()
    }
    let removed = try env.write { try $0.delete(db, UInt64(2).bigEndianBytes) }
    #expect(removed)
    let again = try env.write { try $0.delete(db, UInt64(2).bigEndianBytes) }
    #expect(!again)
    let never = try env.write { try $0.delete(db, UInt64(99).bigEndianBytes) }
    #expect(!never)
    try env.read { txn throws in
      #expect(try txn.get(db, UInt64(2).bigEndianBytes) == nil)
      #expect(try txn.count(db) == 2)
      try txn.withCursor(db) { cursor throws in #expect(try Self.walk(cursor) == [1, 3]) }
    }
    // A delete in a write that throws is rolled back with it.
    struct Abandon: Error {}
    #expect(throws: Abandon.self) {
      try env.write { txn throws in
        #expect(try txn.delete(db, UInt64(1).bigEndianBytes))
        throw Abandon()
      }
    }
    #expect(try env.read { try $0.get(db, UInt64(1).bigEndianBytes) } == Array("v1".utf8))
    // An empty key is refused as LMDB refuses it (MDB_BAD_VALSIZE).
    #expect { try env.write { txn throws in try txn.delete(db, []) } } throws: {
      ($0 as? LMDBError)?.code == .badValueSize
    }
  }

  /// Deleting keys under a live cursor of the same write transaction (every other key of a
  /// database spanning many pages, so that pages are merged as they empty): the cursor still
  /// visits every key once, in order.
  @Test func deletingUnderALiveCursorKeepsItsPlace() throws {
    let keys: [UInt64] = Array(0..<2_000)
    let (dir, env, db) = try Self.environment("delete-cursor", keys: keys, valueBytes: 100)
    defer {
      env.close()
      dir.remove()
    }
    let visited = try env.write { txn throws in
      try txn.withCursor(db) { cursor throws in
        var visited: [UInt64] = []
        var entry = try cursor.first()
        while let current = entry, let key = Self.number(current) {
          visited.append(key)
          if key % 2 == 0 { try txn.delete(db, current.key) }
          entry = try cursor.next()
        }
        return visited
      }
    }
    #expect(visited == keys)
    try env.read { txn throws in
      #expect(try txn.count(db) == 1_000)
      try txn.withCursor(db) { cursor throws in
        #expect(try Self.walk(cursor) == keys.filter { $0 % 2 == 1 })
      }
    }
  }
}
