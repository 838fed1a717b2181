import Foundation
import LedgerEventStore
import LedgerFoundation
import LedgerTestSupport
import Testing

/// A small rule set: in `ward-*` streams, `n` must not be negative; `n` over 100 is flagged; the
/// state counts accepted events, so the test can see it is kept in step with the log.
struct CountingReviewer: AppendReviewer {
  func reviews(stream: String) -> Bool { stream.hasPrefix("ward-") }

  func decodeState(_ bytes: [UInt8]?, stream: String) throws(EventStoreError) -> Int {
    guard let bytes else { return 0 }
    guard let count = Int(String(decoding: bytes, as: UTF8.self)) else {
      throw .incompatibleStore(reason: "bad review state")
    }
    return count
  }

  func encodeState(_ state: Int) -> [UInt8] { Array(String(state).utf8) }

  func absorb(_ event: RecordedEvent, stream: String, state: inout Int) { state += 1 }

  func review(
    _ event: ProposedEvent, index: Int, stream: String, state: inout Int, context: ReviewContext
  ) throws(EventStoreError) -> [JSONValue] {
    let n = event.data["n"]?.numberValue ?? 0
    if n < 0 {
      throw .rejected(
        index: index, eventId: event.eventId, type: event.type, field: "n", rule: "n.nonNegative",
        limit: "at least 0")
    }
    if let target = event.data["corrects"]?.stringValue.flatMap(UUID.init(uuidString:)) {
      guard let stored = try context.storedEvent(target), stored.stream == stream else {
        throw .rejected(
          index: index, eventId: event.eventId, type: event.type, field: "corrects",
          rule: "corrects.sameStream", limit: "an event of the same stream")
      }
    }
    state += 1
    return n > 100 ? [.object(["code": .string("n.high"), "count": .number(Double(state))])] : []
  }
}

/// Counts before it checks, so a refusal has already changed `state` when it throws: the store
/// must review a copy (it does not claim `leavesStateUnchangedWhenRefusing`).
struct CountFirstReviewer: AppendReviewer {
  var inPlace = false
  var leavesStateUnchangedWhenRefusing: Bool { inPlace }
  func reviews(stream: String) -> Bool { true }
  func decodeState(_ bytes: [UInt8]?, stream: String) throws(EventStoreError) -> Int {
    bytes.flatMap { Int(String(decoding: $0, as: UTF8.self)) } ?? 0
  }
  func encodeState(_ state: Int) -> [UInt8] { Array(String(state).utf8) }
  func absorb(_ event: RecordedEvent, stream: String, state: inout Int) { state += 1 }
  func review(
    _ event: ProposedEvent, index: Int, stream: String, state: inout Int, context: ReviewContext
  ) throws(EventStoreError) -> [JSONValue] {
    if inPlace {
      guard (event.data["n"]?.numberValue ?? 0) >= 0 else {
        throw .rejected(
          index: index, eventId: event.eventId, type: event.type, field: "n", rule: "n",
          limit: "≥ 0")
      }
      state += 1
    } else {
      state += 1
      guard (event.data["n"]?.numberValue ?? 0) >= 0 else {
        throw .rejected(
          index: index, eventId: event.eventId, type: event.type, field: "n", rule: "n",
          limit: "≥ 0")
      }
    }
    return [.object(["count": .number(Double(state))])]
  }
}

@Suite struct ReviewTests {
  @Test(
    "A refused event leaves the review state as it was, whether reviewed in place or on a copy",
    arguments: [false, true])
  func refusalsLeaveTheState(inPlace: Bool) async throws {
    let dir = TemporaryDirectory("review")
    defer { dir.remove() }
    var options = EventStore.Options()
    options.reviewer = CountFirstReviewer(inPlace: inPlace)
    let store = try EventStore.open(at: dir.path, options: options)
    defer { store.close() }
    let events = [
      event(data: ["n": .number(1)]), event(data: ["n": .number(-1)]),
      event(data: ["n": .number(2)]),
    ]
    _ = try await store.append(
      [StreamAppend(stream: "s-1", events: events)], options: AppendOptions(skipRejected: true))
    await #expect(throws: EventStoreError.self) {
      try await store.append([event(data: ["n": .number(-5)])], to: "s-1")
    }
    _ = try await store.append([event(data: ["n": .number(3)])], to: "s-1")
    let counts = try store.readStream("s-1").map { $0.flags.first?["count"]?.numberValue }
    #expect(counts == [1, 2, 3])
  }

  private func open() throws -> (EventStore, TemporaryDirectory) {
    let dir = TemporaryDirectory("review")
    var options = EventStore.Options()
    options.reviewer = CountingReviewer()
    return (try EventStore.open(at: dir.path, options: options), dir)
  }

  @Test func rejectionRefusesTheBatchAndFlagsAreStoredAndHashed() async throws {
    let (store, dir) = try open()
    defer {
      store.close()
      dir.remove()
    }
    _ = try await store.append(
      [event(data: ["n": .number(5)]), event(data: ["n": .number(500)])], to: "ward-1")
    let rejected = event(data: ["n": .number(-1)])
    await #expect(
      throws: EventStoreError.rejected(
        index: 1, eventId: rejected.eventId, type: "VitalsRecorded", field: "n",
        rule: "n.nonNegative",
        limit: "at least 0")
    ) {
      try await store.append([event(data: ["n": .number(1)]), rejected], to: "ward-1")
    }
    #expect(try store.nextPosition() == 2)
    // Unreviewed streams accept anything.
    _ = try await store.append([event(data: ["n": .number(-1)])], to: "other-1")
    let stored = try store.readStream("ward-1")
    #expect(stored[0].flags.isEmpty)
    #expect(stored[1].flags == [.object(["code": .string("n.high"), "count": .number(2)])])
    #expect(String(decoding: stored[1].canonicalBytes, as: UTF8.self).contains("\"flags\""))
    #expect(try store.verify().isIntact)
    // The state continued from the stored one (count 3 at the next flagged event).
    _ = try await store.append([event(data: ["n": .number(101)])], to: "ward-1")
    #expect(try store.readStream("ward-1").last?.flags.first?["count"] == .number(3))
  }

  @Test func aStreamWrittenBeforeTheReviewerHasItsStateRebuiltFromItsEvents() async throws {
    let dir = TemporaryDirectory("review")
    defer { dir.remove() }
    do {
      let plain = try EventStore.open(at: dir.path)
      _ = try await plain.append([event(), event(), event()], to: "ward-1")
      plain.close()
    }
    var options = EventStore.Options()
    options.reviewer = CountingReviewer()
    let store = try EventStore.open(at: dir.path, options: options)
    defer { store.close() }
    _ = try await store.append([event(data: ["n": .number(500)])], to: "ward-1")
    #expect(try store.readStream("ward-1").last?.flags.first?["count"] == .number(4))
  }

  @Test func reviewerSeesEarlierEventsOfTheSameTransaction() async throws {
    let (store, dir) = try open()
    defer {
      store.close()
      dir.remove()
    }
    let first = event()
    let correction = event(data: ["corrects": .string(first.eventId.uuidString)])
    _ = try await store.append([first, correction], to: "ward-1")
    let elsewhere = event()
    _ = try await store.append([elsewhere], to: "ward-2")
    await #expect(throws: EventStoreError.self) {
      try await store.append(
        [event(data: ["corrects": .string(elsewhere.eventId.uuidString)])], to: "ward-1")
    }
  }

  @Test func skipRejectedWritesTheRestAndReportsEachRefusal() async throws {
    let (store, dir) = try open()
    defer {
      store.close()
      dir.remove()
    }
    let events = [
      event(data: ["n": .number(1)]), event(data: ["n": .number(-1)]), event(occurredAt: "noon"),
      event(data: ["n": .number(2)]),
    ]
    let results = try await store.append(
      [StreamAppend(stream: "ward-1", events: events)], options: AppendOptions(skipRejected: true))
    #expect(results[0].written == 2)
    #expect(results[0].rejections.map(\.index).sorted() == [1, 2])
    #expect(results[0].positions.map(\.streamVersion) == [0, 1])
    #expect(
      try store.readStream("ward-1").map(\.eventId) == [events[0].eventId, events[3].eventId])
  }

  @Test func dryRunDecidesLikeAnAppendAndWritesNothing() async throws {
    let (store, dir) = try open()
    defer {
      store.close()
      dir.remove()
    }
    _ = try await store.append([event()], to: "ward-1")
    let before = try store.statistics()
    let events = [
      event(data: ["n": .number(1)]), event(data: ["n": .number(-1)]),
      event(data: ["n": .number(300)]),
    ]
    let preview = try await store.append(
      [StreamAppend(stream: "ward-1", events: events)],
      options: AppendOptions(skipRejected: true, dryRun: true))
    #expect(preview[0].written == 2)
    #expect(preview[0].rejections.map(\.index) == [1])
    #expect(preview[0].positions.map(\.streamVersion) == [1, 2])
    #expect(try store.statistics() == before)
    // The same batch for real gives the same verdicts.
    let real = try await store.append(
      [StreamAppend(stream: "ward-1", events: events)], options: AppendOptions(skipRejected: true))
    #expect(real[0].positions == preview[0].positions)
    #expect(real[0].rejections == preview[0].rejections)
  }

  @Test func concurrentRequestsAreIsolatedInOneGroup() async throws {
    let (store, dir) = try open()
    defer {
      store.close()
      dir.remove()
    }
    let outcomes = await withTaskGroup(of: Bool.self) { group in
      for i in 0..<60 {
        group.addTask {
          let n: Double = i % 6 == 0 ? -1 : Double(i)
          return (try? await store.append([event(data: ["n": .number(n)])], to: "ward-\(i % 3)"))
            != nil
        }
      }
      var accepted = 0
      for await ok in group where ok { accepted += 1 }
      return accepted
    }
    #expect(outcomes == 50)
    #expect(try store.nextPosition() == 50)
    #expect(try store.verify().isIntact)
  }
}
