import Foundation
import LedgerEventStore
import LedgerFoundation
import LedgerLMDB
import LedgerTestSupport

let nurse = Recorder(id: "u-17", name: "Nurse Example", role: "nurse")

func event(
  _ type: String = "VitalsRecorded", id: UUID = UUID(),
  data: [String: JSONValue] = ["heartRateBpm": .number(72)],
  occurredAt: String = "2026-11-02T10:15:00-05:00"
) -> ProposedEvent {
  ProposedEvent(
    eventId: id, type: type, occurredAt: occurredAt, recordedBy: nurse, data: .object(data))
}

/// Opens a store in a fresh directory; the caller closes it and removes the directory.
func openStore(_ label: String = "store") throws -> (EventStore, TemporaryDirectory) {
  let dir = TemporaryDirectory(label)
  var options = EventStore.Options()
  options.initialMapSize = 1 << 20
  return (try EventStore.open(at: dir.path, options: options), dir)
}

/// Rewrites the stored newest event `last` of the closed store in `directory` as a forger who
/// knows the format would: `old` replaced by `new` in its canonical bytes, its hash recomputed,
/// and its stream head and the log head (hash, and `recordedAtMicros` when given) rewritten to
/// match. What is left for `verify` to find is only what the replacement itself breaks.
func rewriteNewestEvent(
  in directory: TemporaryDirectory, _ last: RecordedEvent, replacing old: String, with new: String,
  recordedAtMicros: Int64? = nil
) throws {
  var bytes = last.canonicalBytes
  guard let range = bytes.firstRange(of: Array(old.utf8)) else {
    throw LMDBError(.notFound, operation: "find the text to replace in the stored event")
  }
  bytes.replaceSubrange(range, with: Array(new.utf8))
  let hash = ChainHash.sha256(bytes)
  let env = try Environment(path: directory.path)
  defer { env.close() }
  try env.write { txn in
    try txn.put(
      try txn.openDatabase("log"), last.globalPosition.bigEndianBytes, [1] + hash.bytes + bytes)
    try txn.put(
      try txn.openDatabase("stream-heads"), Array(last.streamId.utf8),
      last.streamVersion.bigEndianBytes + hash.bytes)
    let meta = try txn.openDatabase("meta")
    guard var head = try txn.get(meta, Array("head".utf8)) else {
      throw LMDBError(.notFound, operation: "read meta/head")
    }
    head.replaceSubrange(8..<40, with: hash.bytes)
    if let recordedAtMicros {
      head.replaceSubrange(40..<48, with: UInt64(bitPattern: recordedAtMicros).bigEndianBytes)
    }
    try txn.put(meta, Array("head".utf8), head)
  }
}
