import Foundation
import LedgerEventStore
import LedgerLMDB
import LedgerTestSupport
import Testing

/// Per stream: how many events, the sum of `n`, and the positions seen, as text.
struct TallyProjection: StreamProjection {
  var name = "tally"
  var version = 1
  /// When set, folding an event whose `n` equals it fails (to test failure handling).
  var failOn: Double?

  func includes(stream: String) -> Bool { stream.hasPrefix("ward-") }
  func initialState(stream: String) -> [Double] { [0, 0] }
  func apply(_ event: RecordedEvent, to state: inout [Double]) throws(EventStoreError) {
    let n = event.data["n"]?.numberValue ?? 0
    if let failOn, n == failOn { throw .malformedJSON(reason: "refused by the test") }
    state[0] += 1
    state[1] += n
    state.append(Double(event.globalPosition))
  }
  func encode(_ state: [Double]) -> [UInt8] {
    Array(state.map { String($0) }.joined(separator: ",").utf8)
  }
  func decode(_ bytes: [UInt8], stream: String) throws(EventStoreError) -> [Double] {
    String(decoding: bytes, as: UTF8.self).split(separator: ",").compactMap { Double($0) }
  }
}

private func open(
  _ dir: TemporaryDirectory, _ projections: [any StreamProjection] = [TallyProjection()]
) throws -> EventStore {
  var options = EventStore.Options()
  options.projections = projections
  return try EventStore.open(at: dir.path, options: options)
}

private func tally(_ store: EventStore, _ stream: String) throws -> String? {
  try store.projectionState("tally", stream: stream).map { String(decoding: $0, as: UTF8.self) }
}

/// Every stream's stored state, read straight from LMDB after closing the store.
private func allStates(
  _ dir: TemporaryDirectory, streams: [String], projection: any StreamProjection = TallyProjection()
) throws -> [String: String] {
  let store = try open(dir, [projection])
  defer { store.close() }
  var result: [String: String] = [:]
  for stream in streams {
    result[stream] = try store.projectionState(projection.name, stream: stream).map {
      String(decoding: $0, as: UTF8.self)
    }
  }
  return result
}

@Suite struct ProjectionTests {
  @Test func appendsUpdateTheProjectionInTheirOwnTransaction() async throws {
    let dir = TemporaryDirectory("projection")
    defer { dir.remove() }
    let store = try open(dir)
    defer { store.close() }
    _ = try await store.append(
      [event(data: ["n": .number(2)]), event(data: ["n": .number(3)])], to: "ward-1")
    #expect(try tally(store, "ward-1") == "2.0,5.0,0.0,1.0")
    _ = try await store.append([event(data: ["n": .number(1)])], to: "other-1")
    #expect(try tally(store, "other-1") == nil)
    let status = try store.status(projection: "tally")
    #expect(status.isCurrent && status.checkpoint == 3)
    // A refused append leaves the projection as it was.
    await #expect(throws: EventStoreError.self) {
      try await store.append(
        [event(data: ["n": .number(9)])], to: "ward-1", expectedVersion: .exact(7))
    }
    #expect(try tally(store, "ward-1") == "2.0,5.0,0.0,1.0")
  }

  @Test func aProjectionAddedLaterCatchesUpFromTheLog() async throws {
    let dir = TemporaryDirectory("projection")
    defer { dir.remove() }
    do {
      let plain = try EventStore.open(at: dir.path)
      for i in 0..<5 {
        _ = try await plain.append([event(data: ["n": .number(Double(i))])], to: "ward-\(i % 2)")
      }
      plain.close()
    }
    let store = try open(dir)
    defer { store.close() }
    #expect(try store.status(projection: "tally").checkpoint == 0)
    #expect(try tally(store, "ward-0") == "3.0,6.0,0.0,2.0,4.0")
    #expect(try store.status(projection: "tally").isCurrent)
    _ = try await store.append([event(data: ["n": .number(10)])], to: "ward-1")
    #expect(try tally(store, "ward-1") == "3.0,14.0,1.0,3.0,5.0")
  }

  @Test func staleStateIsRefusedUntilRebuilt() async throws {
    let dir = TemporaryDirectory("projection")
    defer { dir.remove() }
    do {
      let store = try open(dir)
      _ = try await store.append([event(data: ["n": .number(4)])], to: "ward-1")
      store.close()
    }
    var v2 = TallyProjection()
    v2.version = 2
    let store = try open(dir, [v2])
    defer { store.close() }
    #expect(
      throws: EventStoreError.projectionStale(name: "tally", storedVersion: 1, codeVersion: 2)
    ) {
      try store.projectionState("tally", stream: "ward-1")
    }
    // Appends go on while it is stale, without touching it.
    _ = try await store.append([event(data: ["n": .number(6)])], to: "ward-1")
    let report = try await store.rebuild(projection: "tally")
    #expect(report.replacedVersion == 1)
    #expect(report.eventsRead == 2)
    #expect(report.differingStreams == ["ward-1"])
    #expect(try tally(store, "ward-1") == "2.0,10.0,0.0,1.0")
    #expect(try store.status(projection: "tally").isCurrent)
  }

  @Test func rebuildGivesExactlyWhatIncrementalUpdatesGave() async throws {
    let dir = TemporaryDirectory("projection")
    defer { dir.remove() }
    var generator = SeededGenerator(seed: 40)
    let streams = (0..<6).map { "ward-\($0)" }
    do {
      let store = try open(dir)
      // Random batches, some refused, some concurrent, some multi-stream.
      for round in 0..<40 {
        let count = Int.random(in: 1...4, using: &generator)
        let events = (0..<count).map { _ in
          event(data: ["n": .number(Double(Int.random(in: -5...50, using: &generator)))])
        }
        let stream = streams[Int.random(in: 0..<streams.count, using: &generator)]
        if round % 7 == 0 {
          _ = try? await store.append(events, to: stream, expectedVersion: .exact(999))
        } else if round % 5 == 0 {
          async let a = store.append(events, to: stream)
          async let b = store.append([event(data: ["n": .number(1)])], to: streams[0])
          _ = try await (a, b)
        } else {
          _ = try await store.append([
            StreamAppend(stream: stream, events: events),
            StreamAppend(stream: "other", events: [event()]),
          ])
        }
      }
      store.close()
    }
    let incremental = try allStates(dir, streams: streams)
    do {
      let store = try open(dir)
      let report = try await store.rebuild(projection: "tally")
      #expect(report.differingStreams.isEmpty)
      #expect(report.missingStreams.isEmpty)
      store.close()
    }
    let rebuilt = try allStates(dir, streams: streams)
    #expect(rebuilt == incremental)
    #expect(incremental.values.allSatisfy { !$0.isEmpty })
  }

  @Test func rebuildWhileAnotherTaskAppendsLosesNothing() async throws {
    let dir = TemporaryDirectory("projection")
    defer { dir.remove() }
    let store = try open(dir)
    defer { store.close() }
    for i in 0..<3_000 where i % 500 == 0 {
      _ = try await store.append(
        (0..<500).map { _ in event(data: ["n": .number(1)]) }, to: "ward-\(i / 500)")
    }
    let appender = Task {
      for i in 0..<200 {
        _ = try await store.append([event(data: ["n": .number(1)])], to: "ward-\(i % 6)")
        // Live reads never fail during the rebuild, and they show this task's own appends.
        let state = try tally(store, "ward-\(i % 6)")
        let count = state?.split(separator: ",").first.flatMap { Double($0) }
        #expect(count == Double(500 + i / 6 + 1), "ward-\(i % 6) after append \(i)")
      }
    }
    let report = try await store.rebuild(projection: "tally")
    try await appender.value
    #expect(report.differingStreams.isEmpty)
    let total = try (0..<6).map { try store.projectionState("tally", stream: "ward-\($0)") }
      .compactMap {
        $0.map {
          String(decoding: $0, as: UTF8.self).split(separator: ",").first.flatMap { Double($0) }
            ?? 0
        }
      }
      .reduce(0, +)
    #expect(total == 3_200)
  }

  @Test func aFailingRebuildLeavesTheLiveStateAndNamesTheEvent() async throws {
    let dir = TemporaryDirectory("projection")
    defer { dir.remove() }
    do {
      let store = try open(dir)
      _ = try await store.append(
        [event(data: ["n": .number(1)]), event(data: ["n": .number(13)])], to: "ward-1")
      store.close()
    }
    var failing = TallyProjection()
    failing.failOn = 13
    let store = try open(dir, [failing])
    defer { store.close() }
    await #expect(
      throws: EventStoreError.projectionFailed(
        name: "tally", position: 1, reason: "refused by the test")
    ) {
      try await store.rebuild(projection: "tally")
    }
    #expect(try tally(store, "ward-1") == "2.0,14.0,0.0,1.0")
  }

  @Test(
    "Several projections rebuilt in one pass give what incremental updates gave; a failure of one leaves all live"
  )
  func onePassRebuildOfSeveralProjections() async throws {
    let dir = TemporaryDirectory("projection")
    defer { dir.remove() }
    let second = TallyProjection(name: "tally-2", version: 3)
    let streams = (0..<4).map { "ward-\($0)" }
    do {
      let store = try open(dir, [TallyProjection(), second])
      for round in 0..<30 {
        let events = (0..<(round % 3 + 1)).map { _ in event(data: ["n": .number(Double(round))]) }
        _ = try await store.append(
          [
            StreamAppend(stream: streams[round % 4], events: events),
            StreamAppend(stream: "other", events: [event()]),
          ])
      }
      store.close()
    }
    let incremental = try allStates(dir, streams: streams)
    let incrementalSecond = try allStates(dir, streams: streams, projection: second)
    #expect(incremental == incrementalSecond)
    do {
      let store = try open(dir, [TallyProjection(), second])
      defer { store.close() }
      let reports = try await store.rebuild(projections: ["tally-2", "tally", "tally-2"])
      #expect(reports.map(\.projection) == ["tally-2", "tally"])
      #expect(
        reports.allSatisfy {
          $0.differingStreams.isEmpty && $0.missingStreams.isEmpty && $0.eventsRead == 90
        })
      #expect(reports.allSatisfy { $0.streams == 4 })
      #expect(
        try store.status(projection: "tally").isCurrent
          && store.status(projection: "tally-2").isCurrent)
      #expect(try await store.rebuild(projections: []).isEmpty)
      await #expect(throws: EventStoreError.unknownProjection(name: "nope")) {
        try await store.rebuild(projections: ["tally", "nope"])
      }
    }
    #expect(try allStates(dir, streams: streams) == incremental)
    #expect(try allStates(dir, streams: streams, projection: second) == incrementalSecond)
    var failing = TallyProjection()
    failing.failOn = 29
    do {
      let store = try open(dir, [failing, second])
      defer { store.close() }
      await #expect(throws: EventStoreError.self) {
        try await store.rebuild(projections: ["tally-2", "tally"])
      }
    }
    #expect(try allStates(dir, streams: streams) == incremental)
    #expect(try allStates(dir, streams: streams, projection: second) == incrementalSecond)
  }

  @Test(
    "Typed state reads give what decoding the stored bytes gives, after appends, refusals and rebuilds"
  )
  func typedStateReads() async throws {
    let dir = TemporaryDirectory("projection")
    defer { dir.remove() }
    let store = try open(dir)
    defer { store.close() }
    let projection = TallyProjection()
    func check(_ stream: String) throws {
      let bytes = try store.projectionState("tally", stream: stream)
      let typed = try store.projectionState(projection, stream: stream)
      #expect(
        typed
          == (try bytes.map { bytes throws(EventStoreError) in
            try projection.decode(bytes, stream: stream)
          }))
    }
    try check("ward-1")
    #expect(try store.projectionState(projection, stream: "ward-1") == nil)
    for round in 0..<5 {
      _ = try await store.append([event(data: ["n": .number(Double(round))])], to: "ward-1")
      try check("ward-1")
      try check("ward-1")
      _ = try? await store.append(
        [event(data: ["n": .number(99)])], to: "ward-1", expectedVersion: .exact(99))
      try check("ward-1")
      _ = try await store.append([event(data: ["n": .number(1)])], to: "ward-\(round % 2 + 2)")
    }
    #expect(try store.projectionState(projection, stream: "ward-1") == [5, 10, 0, 2, 4, 6, 8])
    _ = try await store.rebuild(projection: "tally")
    for stream in ["ward-1", "ward-2", "ward-3"] { try check(stream) }
    _ = try store.rebuild(projection: "tally", stream: "ward-2")
    try check("ward-2")
    // Another projection type under a registered name is decoded with its own code.
    var other = TallyProjection()
    other.version = 7
    #expect(throws: EventStoreError.self) {
      try store.projectionState(TallyProjection(name: "nope"), stream: "ward-1")
    }
    #expect(try store.projectionState(other, stream: "ward-1") == [5, 10, 0, 2, 4, 6, 8])
  }

  @Test(
    "projection-meta stays the sorted-key JSON documented in FORMAT.md, and other spellings of it are read"
  )
  func projectionMetaFormat() async throws {
    let dir = TemporaryDirectory("projection")
    defer { dir.remove() }
    do {
      let store = try open(dir)
      _ = try await store.append(
        [event(data: ["n": .number(2)]), event(data: ["n": .number(3)])], to: "ward-1")
      store.close()
    }
    let key = Array("tally".utf8)
    var stored: [UInt8]?
    do {
      let env = try Environment(path: dir.path)
      defer { env.close() }
      try env.read { txn in stored = try txn.get(try txn.openDatabase("projection-meta"), key) }
    }
    #expect(
      stored.map { String(decoding: $0, as: UTF8.self) }
        == #"{"checkpoint":2,"slot":0,"version":1}"#)
    for spelling in [
      #"{ "version" : 1, "slot" : 0, "checkpoint" : 2 }"#,
      #"{"checkpoint":2.0,"slot":0,"version":1,"x":null}"#,
    ] {
      do {
        let env = try Environment(path: dir.path)
        defer { env.close() }
        try env.write { txn in
          try txn.put(try txn.openDatabase("projection-meta"), key, Array(spelling.utf8))
        }
      }
      let store = try open(dir)
      defer { store.close() }
      let status = try store.status(projection: "tally")
      #expect(status.isCurrent && status.checkpoint == 2 && status.storedVersion == 1)
      #expect(try tally(store, "ward-1") == "2.0,5.0,0.0,1.0")
    }
  }

  @Test func oneStreamCanBeRebuiltOnItsOwn() async throws {
    let dir = TemporaryDirectory("projection")
    defer { dir.remove() }
    let store = try open(dir)
    _ = try await store.append(
      [event(data: ["n": .number(1)]), event(data: ["n": .number(2)])], to: "ward-1")
    store.close()
    // Damage the live state of ward-1 behind the store's back.
    let env = try Environment(path: dir.path)
    try env.write { txn in
      let states = try txn.openDatabase("projection-state")
      try txn.put(
        states, Array("tally".utf8) + [0, 0] + Array("ward-1".utf8), Array("9.0,9.0".utf8))
    }
    env.close()
    let reopened = try open(dir)
    defer { reopened.close() }
    // Damage is reported and kept until replacement is asked for.
    let report = try reopened.rebuild(projection: "tally", stream: "ward-1")
    #expect(report.differingStreams == ["ward-1"] && !report.replaced)
    #expect(try tally(reopened, "ward-1") == "9.0,9.0")
    let replaced = try reopened.rebuild(
      projection: "tally", stream: "ward-1", replaceDiffering: true)
    #expect(replaced.differingStreams == ["ward-1"] && replaced.replaced)
    #expect(try tally(reopened, "ward-1") == "2.0,3.0,0.0,1.0")
    await #expect(throws: EventStoreError.unknownProjection(name: "nope")) {
      try await reopened.rebuild(projection: "nope")
    }
  }

  @Test func derivedStateThatFillsTheMapGrowsItInAppendsAndRebuilds() async throws {
    // A small map and a projection whose states (not the log) fill it: the full map reaches
    // the store as a `storage` error of a projection write, which must still grow the map.
    let dir = TemporaryDirectory("projection")
    defer { dir.remove() }
    var options = EventStore.Options()
    options.initialMapSize = 1 << 20
    options.projections = [BulkyProjection(), BulkyKeyedProjection()]
    let store = try EventStore.open(at: dir.path, options: options)
    defer { store.close() }
    for ward in 0..<4 {
      _ = try await store.append([event(data: ["n": .number(Double(ward))])], to: "ward-\(ward)")
    }
    let reports = try await store.rebuild(projections: ["bulky", "bulky-keyed"])
    for report in reports {
      #expect(report.replaced && report.differingStreams.isEmpty && report.missingStreams.isEmpty)
      #expect(report.eventsRead == 4)
    }
    #expect(try store.projectionState("bulky", stream: "ward-3")?.count == BulkyProjection.size)
    let records = try store.projectionRecords("bulky-keyed", stream: "ward-3")
    #expect(records.map(\.value.count) == [BulkyProjection.size])
  }
}

/// ``BulkyProjection`` as keyed records: one 400 KB record per event.
struct BulkyKeyedProjection: KeyedStreamProjection {
  var name = "bulky-keyed"
  var version = 1
  func includes(stream: String) -> Bool { stream.hasPrefix("ward-") }
  func apply(_ event: RecordedEvent, to records: ProjectionRecords) throws(EventStoreError) {
    try records.setRecord(
      ProjectionRecords.key(event.globalPosition),
      [UInt8](
        repeating: UInt8(truncatingIfNeeded: event.globalPosition), count: BulkyProjection.size))
  }
  func state(stream: String, records: [ProjectionRecord]) -> Int { records.count }
}

/// A projection whose state is 400 KB per stream, so that a few streams' states outgrow a 1 MiB
/// map.
struct BulkyProjection: StreamProjection {
  static let size = 400_000
  var name = "bulky"
  var version = 1
  func includes(stream: String) -> Bool { stream.hasPrefix("ward-") }
  func initialState(stream: String) -> [UInt8] { [] }
  func apply(_ event: RecordedEvent, to state: inout [UInt8]) throws(EventStoreError) {
    state = [UInt8](repeating: UInt8(truncatingIfNeeded: event.globalPosition), count: Self.size)
  }
  func encode(_ state: [UInt8]) -> [UInt8] { state }
  func decode(_ bytes: [UInt8], stream: String) throws(EventStoreError) -> [UInt8] { bytes }
}
