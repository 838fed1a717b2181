// A second process for LedgerLMDBTests (LMDB's multi-process behaviour cannot be shown in one
// process: one environment per path per process).
//
//   LedgerLMDBTestChild grow DIR MAP-BYTES FIRST COUNT
//     opens DIR with a MAP-BYTES map, writes COUNT values of 64 KiB into database "grown" (keys
//     FIRST..<FIRST+COUNT, big-endian; value i is byte i % 251 repeated), 8 per transaction,
//     growing the map as it fills, and prints `grown MAP` with the final map size.
//   LedgerLMDBTestChild hold-reader DIR
//     opens DIR, begins a read transaction, prints `reading`, and waits inside it until killed.
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

let arguments = Array(CommandLine.arguments.dropFirst())
do {
  if arguments.count == 5, arguments[0] == "grow" {
    guard let mapSize = Int(arguments[2]), let first = Int(arguments[3]),
      let entries = Int(arguments[4]), entries >= 0
    else { fail("bad numbers") }
    try grow(path: arguments[1], mapSize: mapSize, keys: first..<(first + entries))
  } else if arguments.count == 2, arguments[0] == "hold-reader" {
    try holdReader(path: arguments[1])
  } else {
    fail("usage: grow DIR MAP-BYTES FIRST COUNT | hold-reader DIR")
  }
} catch {
  fail("\(error)")
}
