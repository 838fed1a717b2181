// A second process for LedgerLMDBTests (LMDB's multi-process behaviour cannot be shown in one
// process: one environment per path per process).
//
//   LedgerLMDBTestChild grow DIR MAP-BYTES FIRST COUNT
//     opens DIR with a MAP-BYTES map, writes COUNT values of 64 KiB into database "grown" (keys
//     FIRST..<FIRST+COUNT, big-endian; value i is byte i % 251 repeated), 8 per transaction,
//     growing the map as it fills, and prints `grown MAP` with the final map size.
//   LedgerLMDBTestChild hold-reader DIR
//     opens DIR, begins a read transaction, prints `reading`, and waits inside it until killed.
//   LedgerLMDBTestChild create-slowly DIR SOURCE MILLIS
//     does what LMDB does when it creates an environment, slowly: writes DIR/lock.mdb as a copy
//     of SOURCE/lock.mdb (LMDB initialises its lock file first), takes the exclusive lock on its
//     byte 0, creates DIR/data.mdb empty, prints `creating`, waits MILLIS, writes the bytes of
//     SOURCE/data.mdb into it, prints `created` and exits (releasing the lock).
import Foundation
import LedgerLMDB

func fail(_ message: String) -> Never {
  FileHandle.standardError.write(Data(("LedgerLMDBTestChild: " + message + "\n").utf8))
  exit(2)
}

func grow(path: String, mapSize: Int, keys: Range<Int>) throws {
  var options = Environment.Options()
  options.mapSize = mapSize
  options.durability = .unsafeNoSyncMayLoseRecentCommits
  let env = try Environment(path: path, options: options)
  defer { env.close() }
  let db = try env.write { try $0.createDatabase("grown") }
  var next = keys.lowerBound
  while next < keys.upperBound {
    let end = min(next + 8, keys.upperBound)
    try env.write { txn in
      for i in next..<end {
        try txn.put(db, UInt64(i).bigEndianBytes, [UInt8](repeating: UInt8(i % 251), count: 65_536))
      }
    }
    next = end
  }
  try env.sync()
  print("grown \(try env.info().mapSize)")
}

func holdReader(path: String) throws -> Never {
  let env = try Environment(path: path)
  try env.read { _ in
    FileHandle.standardOutput.write(Data("reading\n".utf8))  // unbuffered
    // Blocks inside the read transaction; the test ends this process with SIGKILL.
    while true { pause() }
  }
  fail("the read transaction ended")
}

func createSlowly(path: String, source: String, millis: UInt32) {
  guard let lockBytes = FileManager.default.contents(atPath: source + "/lock.mdb"),
    let bytes = FileManager.default.contents(atPath: source + "/data.mdb")
  else { fail("cannot read SOURCE") }
  let lockFile = open(path + "/lock.mdb", O_RDWR | O_CREAT, 0o600)
  guard lockFile >= 0 else { fail("cannot create lock.mdb") }
  let copied = lockBytes.withUnsafeBytes { write(lockFile, $0.baseAddress, $0.count) }
  guard copied == lockBytes.count else { fail("short write") }
  var lock = flock()
  lock.l_type = Int16(F_WRLCK)
  lock.l_whence = Int16(SEEK_SET)
  lock.l_start = 0
  lock.l_len = 1
  guard fcntl(lockFile, F_SETLK, &lock) == 0 else { fail("cannot lock lock.mdb") }
  let data = open(path + "/data.mdb", O_RDWR | O_CREAT | O_EXCL, 0o600)
  guard data >= 0 else { fail("cannot create data.mdb") }
  FileHandle.standardOutput.write(Data("creating\n".utf8))
  usleep(millis * 1_000)
  let written = bytes.withUnsafeBytes { write(data, $0.baseAddress, $0.count) }
  guard written == bytes.count else { fail("short write") }
  close(data)
  FileHandle.standardOutput.write(Data("created\n".utf8))
  exit(0)
}

let arguments = Array(CommandLine.arguments.dropFirst())
do {
  if arguments.count == 5, arguments[0] == "grow" {
    guard let mapSize = Int(arguments[2]), let first = Int(arguments[3]),
      let entries = Int(arguments[4]), entries >= 0
    else { fail("bad numbers") }
    try grow(path: arguments[1], mapSize: mapSize, keys: first..<(first + entries))
  } else if arguments.count == 2, arguments[0] == "hold-reader" {
    try holdReader(path: arguments[1])
  } else if arguments.count == 4, arguments[0] == "create-slowly", let millis = UInt32(arguments[3])
  {
    createSlowly(path: arguments[1], source: arguments[2], millis: millis)
  } else {
    fail(
      "usage: grow DIR MAP-BYTES FIRST COUNT | hold-reader DIR | create-slowly DIR SOURCE MILLIS")
  }
} catch {
  fail("\(error)")
}
