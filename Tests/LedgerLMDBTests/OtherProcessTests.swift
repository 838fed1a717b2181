import Foundation
import LedgerLMDB
import LedgerTestSupport
import Testing

/// What another process does to an environment this process holds open: it grows the map past
/// this process's map (`MDB_MAP_RESIZED`), or it dies inside a read transaction and leaves its
/// reader slot behind. The other process is `LedgerLMDBTestChild` (Tests/LedgerLMDBTestChild).
@Suite struct OtherProcessTests {
  static let child = RepositoryPaths.executable("LedgerLMDBTestChild")

  /// A running child process whose standard output is read line by line.
  final class Child {
    let process = Process()
    private let output = Pipe()
    private var buffer = Data()
    private let watchdog: DispatchWorkItem

    init(_ arguments: [String]) throws {
      process.executableURL = URL(fileURLWithPath: OtherProcessTests.child)
      process.arguments = arguments
      process.standardOutput = output
      try process.run()
      // Whatever happens to the test, the child does not outlive a minute.
      let pid = process.processIdentifier
      watchdog = DispatchWorkItem { kill(pid, SIGKILL) }
      DispatchQueue.global().asyncAfter(deadline: .now() + 60, execute: watchdog)
    }

    deinit {
      if process.isRunning { kill(process.processIdentifier, SIGKILL) }
      process.waitUntilExit()
      watchdog.cancel()
    }

    /// The next line of output, or nil when the child closed its output (it exited).
    func line() -> String? {
      while true {
        if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
          let line = String(decoding: buffer[..<newline], as: UTF8.self)
          buffer.removeSubrange(...newline)
          return line
        }
        let more = output.fileHandleForReading.availableData
        if more.isEmpty { return nil }
        buffer.append(more)
      }
    }

    /// Waits for the child to exit and returns its status.
    func wait() -> Int32 {
      process.waitUntilExit()
      watchdog.cancel()
      return process.terminationStatus
    }
  }

  static func value(_ key: Int) -> [UInt8] { [UInt8](repeating: UInt8(key % 251), count: 65_536) }

  static func options(mapSize: Int) -> Environment.Options {
    var options = Environment.Options()
    options.mapSize = mapSize
    options.durability = .unsafeNoSyncMayLoseRecentCommits
    return options
  }

  /// The child writes 4 MiB into an environment this process holds open with a 1 MiB map. This
  /// process's next transaction gets `MDB_MAP_RESIZED`; the wrapper adopts the larger map and
  /// goes on, for a read first and for a write first.
  @Test func aMapGrownByAnotherProcessIsAdopted() throws {
    let dir = TemporaryDirectory("lmdb-resize")
    defer { dir.remove() }
    let megabyte = 1 << 20
    let env = try Environment(path: dir.path, options: Self.options(mapSize: megabyte))
    defer { env.close() }
    let own = try env.write { try $0.createDatabase("own") }
    try env.write { try $0.put(own, [1], [1]) }
    #expect(try env.info().mapSize == megabyte)

    // 1. The child grows the map; this process reads first.
    let first = try Child(["grow", dir.path, String(megabyte), "0", "64"])
    let grown = try #require(first.line(), "the child printed nothing")
    #expect(first.wait() == 0)
    let childMap = try #require(Int(grown.dropFirst("grown ".count)), "\(grown)")
    #expect(childMap > 4 * megabyte)
    let read = try env.read { txn in
      let db = try txn.openDatabase("grown")
      return try (0..<64).allSatisfy {
        try txn.get(db, UInt64($0).bigEndianBytes) == Self.value($0)
      }
    }
    #expect(read)
    #expect(try env.info().mapSize >= childMap)

    // 2. The child grows it again (it opens with the 1 MiB it was given and adopts the file's
    //    size, then grows past it); this process writes first, then fills its own map too.
    let second = try Child(["grow", dir.path, String(megabyte), "64", "192"])
    let again = try #require(second.line())
    #expect(second.wait() == 0)
    let secondMap = try #require(Int(again.dropFirst("grown ".count)))
    #expect(secondMap > childMap)
    try env.write { try $0.put(own, [2], [2]) }
    #expect(try env.info().mapSize >= secondMap)
    for key in 256..<320 {
      try env.write { txn in try txn.put(own, UInt64(key).bigEndianBytes, Self.value(key)) }
    }
    try env.read { txn in
      let grownDB = try txn.openDatabase("grown")
      #expect(try txn.count(grownDB) == 256)
      #expect(try txn.get(grownDB, UInt64(255).bigEndianBytes) == Self.value(255))
      #expect(try txn.count(own) == 66)
    }
  }

  /// Rewrites one 64 KiB value `times` times and returns how many pages the file grew by.
  static func rewrite(_ env: Environment, _ db: Database, times: Int) throws -> Int {
    let before = try env.info().lastPageNumber
    for round in 0..<times {
      try env.write { txn in try txn.put(db, [0], Self.value(round)) }
    }
    return try env.info().lastPageNumber - before
  }

  /// A reader killed with SIGKILL inside its transaction keeps its slot, and its snapshot pins
  /// every page freed after it, so the file grows with each rewrite. `clearStaleReaders()`
  /// (`mdb_reader_check`) reclaims the slot; writes then reuse the freed pages.
  @Test func aKilledReadersSlotIsReclaimedAndWritesGoOn() throws {
    let dir = TemporaryDirectory("lmdb-stale-reader")
    defer { dir.remove() }
    let env = try Environment(path: dir.path, options: Self.options(mapSize: 64 << 20))
    defer { env.close() }
    let db = try env.write { try $0.createDatabase("d") }
    _ = try Self.rewrite(env, db, times: 4)
    // Without a reader, rewriting reuses pages: the file stays the size it is.
    let steady = try Self.rewrite(env, db, times: 30)
    #expect(try env.clearStaleReaders() == 0)

    let reader = try Child(["hold-reader", dir.path])
    #expect(reader.line() == "reading")
    kill(reader.process.processIdentifier, SIGKILL)
    #expect(reader.wait() == SIGKILL)
    #expect(reader.process.terminationReason == .uncaughtSignal)

    // The dead reader still pins its snapshot: each rewrite takes fresh pages (17 for 64 KiB).
    let pinned = try Self.rewrite(env, db, times: 30)
    #expect(pinned >= 30 * 16, "grew \(pinned) pages with a dead reader (\(steady) without)")

    #expect(try env.clearStaleReaders() == 1)
    #expect(try env.clearStaleReaders() == 0)
    let reclaimed = try Self.rewrite(env, db, times: 30)
    #expect(reclaimed <= steady + 17, "grew \(reclaimed) pages after the slot was reclaimed")
    #expect(try env.read { try $0.get(db, [0]) } == Self.value(29))
  }

  /// Another process is creating the environment (it holds LMDB's exclusive lock and `data.mdb`
  /// is still empty): opening waits for it instead of calling the file damaged, and then sees
  /// what the creator wrote.
  @Test func aFileBeingCreatedByAnotherProcessIsWaitedFor() throws {
    let source = TemporaryDirectory("lmdb-create-source")
    defer { source.remove() }
    do {
      let env = try Environment(path: source.path)
      defer { env.close() }
      let db = try env.write { try $0.createDatabase("made") }
      try env.write { try $0.put(db, [1], [42]) }
    }
    let dir = TemporaryDirectory("lmdb-create-slowly")
    defer { dir.remove() }
    let creator = try Child(["create-slowly", dir.path, source.path, "400"])
    #expect(creator.line() == "creating")
    let env = try Environment(path: dir.path)
    defer { env.close() }
    #expect(creator.line() == "created")
    #expect(creator.wait() == 0)
    let value = try env.read { txn in try txn.get(try txn.openDatabase("made"), [1]) }
    #expect(value == [42])
  }

  /// An empty `data.mdb` with nobody creating it (no process holds the exclusive lock, here
  /// after the creator died before writing) is damaged, reported without waiting.
  @Test func anEmptyFileWhoseCreatorDiedIsDamaged() throws {
    let source = TemporaryDirectory("lmdb-create-died-source")
    defer { source.remove() }
    let made = try Environment(path: source.path)
    made.close()
    let dir = TemporaryDirectory("lmdb-create-died")
    defer { dir.remove() }
    let creator = try Child(["create-slowly", dir.path, source.path, "60000"])
    #expect(creator.line() == "creating")
    kill(creator.process.processIdentifier, SIGKILL)
    #expect(creator.wait() == SIGKILL)
    let started = ContinuousClock.now
    do {
      let env = try Environment(path: dir.path)
      env.close()
      Issue.record("an empty data.mdb was opened")
    } catch {
      #expect(error.code == .damagedFile(reason: "data.mdb is empty (0 bytes)"), "\(error)")
    }
    #expect(ContinuousClock.now - started < .seconds(5))
  }
}
