import Foundation
import LedgerEventStore
import LedgerLMDB
import LedgerTestSupport
import Testing

/// Tampering is done below the store, through the LMDB wrapper, as an attacker with file access
/// would; the store is closed first (one environment per path per process).
@Suite struct VerificationTests {
  private func makeStore() async throws -> (TemporaryDirectory, [RecordedEvent]) {
    let dir = TemporaryDirectory("verify")
    let store = try EventStore.open(at: dir.path)
    for i in 0..<12 {
      _ = try await store.append([event(data: ["n": .number(Double(i))])], to: "patient-\(i % 3)")
    }
    let events = try store.readAll()
    #expect(try store.verify().isIntact)
    store.close()
    return (dir, events)
  }

  private func tamper(
    _ dir: TemporaryDirectory, _ body: (WriteTransaction, Database) throws -> Void
  ) throws {
    let env = try Environment(path: dir.path)
    defer { env.close() }
    try env.write { txn in try body(txn, try txn.openDatabase("log")) }
  }

  private func verify(_ dir: TemporaryDirectory, anchor: ChainAnchor? = nil) throws
    -> VerificationReport
  {
    let store = try EventStore.open(at: dir.path)
    defer { store.close() }
    return try store.verify(anchor: anchor)
  }

  @Test func intactStoreVerifiesWholeAndPerStream() async throws {
    let (dir, events) = try await makeStore()
    defer { dir.remove() }
    let store = try EventStore.open(at: dir.path)
    defer { store.close() }
    let report = try store.verify()
    #expect(report.isIntact)
    #expect(report.eventsChecked == 12)
    #expect(report.streamsChecked == 3)
    #expect(report.chainHead == events.last?.hash.hex)
    let stream = try store.verifyStream("patient-1")
    #expect(stream.isIntact && stream.eventsChecked == 4)
    #expect(try store.verifyStream("patient-none").eventsChecked == 0)
  }

  @Test func everySingleFlippedByteOfAStoredEventIsDetected() async throws {
    let (dir, _) = try await makeStore()
    defer { dir.remove() }
    let target: UInt64 = 5
    let original = try {
      let env = try Environment(path: dir.path)
      defer { env.close() }
      return try env.read { txn in
        try txn.get(try txn.openDatabase("log"), target.bigEndianBytes) ?? []
      }
    }()
    #expect(original.count > 100)
    // Every byte position of the stored value, flipped one at a time.
    for offset in stride(from: 0, to: original.count, by: 1) {
      var changed = original
      changed[offset] ^= 0x01
      try tamper(dir) { txn, log in try txn.put(log, target.bigEndianBytes, changed) }
      let report = try verify(dir)
      #expect(report.problem?.position == target, "byte \(offset) flipped")
    }
  }

  @Test func removedEventIsDetected() async throws {
    let (dir, _) = try await makeStore()
    defer { dir.remove() }
    try tamper(dir) { txn, log in try txn.delete(log, UInt64(7).bigEndianBytes) }
    let problem = try verify(dir).problem
    #expect(problem?.kind == .missingEvent)
    #expect(problem?.position == 7)
  }

  @Test func swappedEventsAreDetected() async throws {
    let (dir, _) = try await makeStore()
    defer { dir.remove() }
    try tamper(dir) { txn, log in
      let a = try txn.get(log, UInt64(3).bigEndianBytes) ?? []
      let b = try txn.get(log, UInt64(4).bigEndianBytes) ?? []
      try txn.put(log, UInt64(3).bigEndianBytes, b)
      try txn.put(log, UInt64(4).bigEndianBytes, a)
    }
    let problem = try verify(dir).problem
    #expect(problem?.kind == .positionMismatch)
    #expect(problem?.position == 3)
  }

  @Test func truncationOfTheNewestEventsIsDetectedAgainstAnAnchor() async throws {
    let (dir, events) = try await makeStore()
    defer { dir.remove() }
    let anchor = ChainAnchor(events: 12, chainHead: events[11].hash.hex)
    #expect(try verify(dir, anchor: anchor).isIntact)
    // A careful attacker removes the two newest events and rewrites every index and the head
    // so that the store is consistent on its own.
    let env = try Environment(path: dir.path)
    try env.write { txn in
      let log = try txn.openDatabase("log")
      let streams = try txn.openDatabase("streams")
      let ids = try txn.openDatabase("event-ids")
      let heads = try txn.openDatabase("stream-heads")
      let meta = try txn.openDatabase("meta")
      for recorded in events.suffix(2) {
        try txn.delete(log, recorded.globalPosition.bigEndianBytes)
        try txn.delete(
          streams, Array(recorded.streamId.utf8) + [0] + recorded.streamVersion.bigEndianBytes)
        let idKey = withUnsafeBytes(of: recorded.eventId.uuid) { Array($0) }
        try txn.delete(ids, idKey)
      }
      for recorded in events[6..<10] where recorded.globalPosition >= 7 {
        try txn.put(
          heads, Array(recorded.streamId.utf8),
          recorded.streamVersion.bigEndianBytes + recorded.hash.bytes)
      }
      let last = events[9]
      let micros = UInt64(Timestamp.parseMicros(last.recordedAt) ?? 0)
      try txn.put(
        meta, Array("head".utf8),
        UInt64(10).bigEndianBytes + last.hash.bytes + micros.bigEndianBytes)
    }
    env.close()
    #expect(try verify(dir).isIntact, "without an anchor a consistent truncation cannot be seen")
    let problem = try verify(dir, anchor: anchor).problem
    #expect(problem?.kind == .anchorMismatch)
  }

  @Test func indexesThatDisagreeWithTheLogAreDetected() async throws {
    let (dir, events) = try await makeStore()
    defer { dir.remove() }
    let env = try Environment(path: dir.path)
    try env.write { txn in
      let streams = try txn.openDatabase("streams")
      let recorded = events[4]
      try txn.put(
        streams, Array(recorded.streamId.utf8) + [0] + recorded.streamVersion.bigEndianBytes,
        UInt64(2).bigEndianBytes)
    }
    env.close()
    let problem = try verify(dir).problem
    #expect(problem?.kind == .streamIndexMismatch)
    #expect(problem?.position == 4)
  }
}

@Suite struct VerificationGapTests {
  @Test func aStreamHeadAheadOfItsStreamIsDetected() async throws {
    let dir = TemporaryDirectory("verify-head")
    defer { dir.remove() }
    let store = try EventStore.open(at: dir.path)
    _ = try await store.append([event(), event()], to: "ward-1")
    let last = try #require(try store.readStream("ward-1").last)
    store.close()
    let env = try Environment(path: dir.path)
    try env.write { txn in
      try txn.put(
        try txn.openDatabase("stream-heads"), Array("ward-1".utf8),
        UInt64(5).bigEndianBytes + last.hash.bytes)
    }
    env.close()
    let reopened = try EventStore.open(at: dir.path)
    defer { reopened.close() }
    #expect(try reopened.verify().problem?.kind == .streamHeadMismatch)
    #expect(try reopened.verifyStream("ward-1").problem?.kind == .streamHeadMismatch)
  }

  @Test func aRewrittenEventWithRecomputedHashesIsNotCanonical() async throws {
    let dir = TemporaryDirectory("verify-canonical")
    defer { dir.remove() }
    let store = try EventStore.open(at: dir.path)
    _ = try await store.append([event(), event()], to: "ward-1")
    let last = try #require(try store.readAll().last)
    store.close()
    // Insert a space into the newest event, then recompute its hash and both heads.
    var bytes = last.canonicalBytes
    bytes.insert(UInt8(ascii: " "), at: 1)
    let hash = ChainHash.sha256(bytes)
    let env = try Environment(path: dir.path)
    try env.write { txn in
      try txn.put(
        try txn.openDatabase("log"), last.globalPosition.bigEndianBytes, [1] + hash.bytes + bytes)
      try txn.put(
        try txn.openDatabase("stream-heads"), Array("ward-1".utf8),
        last.streamVersion.bigEndianBytes + hash.bytes)
      let meta = try txn.openDatabase("meta")
      var head = try #require(try txn.get(meta, Array("head".utf8)))
      head.replaceSubrange(8..<40, with: hash.bytes)
      try txn.put(meta, Array("head".utf8), head)
    }
    env.close()
    let reopened = try EventStore.open(at: dir.path)
    defer { reopened.close() }
    let problem = try reopened.verify().problem
    #expect(problem?.kind == .notCanonical)
    #expect(problem?.position == last.globalPosition)
  }
}
