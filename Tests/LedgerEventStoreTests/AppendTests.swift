import Foundation
import LedgerEventStore
import LedgerFoundation
import LedgerTestSupport
import Testing

@Suite struct AppendTests {
  @Test func appendAssignsPositionsAndVersionsAndReadsThemBack() async throws {
    let (store, dir) = try openStore()
    defer {
      store.close()
      dir.remove()
    }
    let first = try await store.append(
      [event(), event()], to: "patient-a", expectedVersion: .noStream)
    let second = try await store.append([event()], to: "patient-b")
    let third = try await store.append([event()], to: "patient-a", expectedVersion: .exact(1))
    #expect(first.positions.map(\.globalPosition) == [0, 1])
    #expect(first.positions.map(\.streamVersion) == [0, 1])
    #expect(second.positions == [EventPosition(globalPosition: 2, streamVersion: 0)])
    #expect(third.positions == [EventPosition(globalPosition: 3, streamVersion: 2)])
    #expect(try store.streamVersion("patient-a") == 2)
    #expect(try store.streamVersion("patient-none") == nil)
    #expect(try store.nextPosition() == 4)

    let forward = try store.readStream("patient-a")
    #expect(forward.map(\.streamVersion) == [0, 1, 2])
    #expect(forward.map(\.globalPosition) == [0, 1, 3])
    let backward = try store.readStream("patient-a", direction: .backward)
    #expect(backward.map(\.streamVersion) == [2, 1, 0])
    #expect(try store.readStream("patient-a", from: 1, limit: 1).map(\.streamVersion) == [1])
    #expect(
      try store.readStream("patient-a", from: 1, direction: .backward).map(\.streamVersion) == [
        1, 0,
      ])
    #expect(try store.readStream("patient").isEmpty, "a prefix of a stream name is another stream")
    #expect(try store.readAll(from: 2, limit: 10).map(\.globalPosition) == [2, 3])
    let byId = try store.event(id: forward[1].eventId)
    #expect(byId?.globalPosition == 1)
    #expect(try store.event(id: UUID()) == nil)
  }

  @Test func envelopeIsCompleteAndChained() async throws {
    let (store, dir) = try openStore()
    defer {
      store.close()
      dir.remove()
    }
    let correlation = UUID()
    var proposed = event(data: ["weightKg": .number(70.5), "note": .string("a \"quoted\" line\n")])
    proposed.correlationId = correlation
    _ = try await store.append([proposed], to: "patient-a")
    _ = try await store.append([event()], to: "patient-b")
    _ = try await store.append([event()], to: "patient-a")
    let all = try store.readAll()
    #expect(all[0].proposed == proposed)
    #expect(all[0].correlationId == correlation)
    #expect(all[0].previousHash == ChainHash.zero)
    #expect(all[1].previousHash == all[0].hash)
    #expect(all[2].previousHash == all[1].hash)
    #expect(all[1].previousStreamHash == ChainHash.zero)
    #expect(all[2].previousStreamHash == all[0].hash)
    for recorded in all {
      #expect(ChainHash.sha256(recorded.canonicalBytes) == recorded.hash)
      #expect(Timestamp.parseMicros(recorded.recordedAt) != nil)
      #expect(recorded.recordedAt.hasSuffix("Z"))
    }
    #expect(all.map(\.recordedAt) == all.map(\.recordedAt).sorted())
  }

  @Test func wrongExpectedVersionNamesBothVersionsAndWritesNothing() async throws {
    let (store, dir) = try openStore()
    defer {
      store.close()
      dir.remove()
    }
    _ = try await store.append([event(), event()], to: "patient-a")
    let before = try store.statistics()
    await #expect(
      throws: EventStoreError.wrongExpectedVersion(
        stream: "patient-a", expected: .exact(0), actual: 1)
    ) {
      try await store.append([event()], to: "patient-a", expectedVersion: .exact(0))
    }
    await #expect(
      throws: EventStoreError.wrongExpectedVersion(
        stream: "patient-a", expected: .noStream, actual: 1)
    ) {
      try await store.append([event()], to: "patient-a", expectedVersion: .noStream)
    }
    await #expect(
      throws: EventStoreError.wrongExpectedVersion(
        stream: "patient-x", expected: .exact(0), actual: nil)
    ) {
      try await store.append([event()], to: "patient-x", expectedVersion: .exact(0))
    }
    let message = EventStoreError.wrongExpectedVersion(
      stream: "patient-a", expected: .exact(0), actual: 1
    ).description
    #expect(
      message.contains("patient-a") && message.contains("expected 0")
        && message.contains("version 1"))
    #expect(try store.statistics() == before)
  }

  @Test func reappendingTheSameEventsIsIdempotentAcrossReopen() async throws {
    let dir = TemporaryDirectory()
    defer { dir.remove() }
    let events = [event(), event(), event()]
    let first: AppendResult
    do {
      let store = try EventStore.open(at: dir.path)
      first = try await store.append(events, to: "patient-a", expectedVersion: .noStream)
      let again = try await store.append(events, to: "patient-a", expectedVersion: .noStream)
      #expect(again.wasAlreadyStored && again.written == 0)
      #expect(again.positions == first.positions)
      store.close()
    }
    let reopened = try EventStore.open(at: dir.path)
    defer { reopened.close() }
    let head = try reopened.statistics()
    let retry = try await reopened.append(events, to: "patient-a", expectedVersion: .noStream)
    #expect(retry.wasAlreadyStored)
    #expect(retry.positions == first.positions)
    #expect(try reopened.statistics() == head)
    // A batch mixing stored and new events writes only the new ones.
    let extra = event()
    let mixed = try await reopened.append(events + [extra], to: "patient-a")
    #expect(mixed.written == 1)
    #expect(mixed.positions.map(\.streamVersion) == [0, 1, 2, 3])
    #expect(try reopened.nextPosition() == 4)
  }

  @Test func sameIdWithOtherContentOrStreamIsAConflict() async throws {
    let (store, dir) = try openStore()
    defer {
      store.close()
      dir.remove()
    }
    let id = UUID()
    _ = try await store.append(
      [event(id: id, data: ["heartRateBpm": .number(72)])], to: "patient-a")
    let before = try store.statistics()
    await #expect(throws: EventStoreError.eventIdConflict(eventId: id, storedAt: 0)) {
      try await store.append([event(id: id, data: ["heartRateBpm": .number(73)])], to: "patient-a")
    }
    await #expect(throws: EventStoreError.eventIdConflict(eventId: id, storedAt: 0)) {
      try await store.append([event(id: id, data: ["heartRateBpm": .number(72)])], to: "patient-b")
    }
    // Same content with members in another order and 72 written as 72.0 is the same event.
    let same = try await store.append(
      [event(id: id, data: ["heartRateBpm": .number(72.0)])], to: "patient-a")
    #expect(same.wasAlreadyStored)
    #expect(try store.statistics() == before)
  }

  @Test func badEnvelopesAreRejectedWithTheFieldAndWithoutValues() async throws {
    let (store, dir) = try openStore()
    defer {
      store.close()
      dir.remove()
    }
    let sentinel = "SENTINEL-93731"
    var cases: [(ProposedEvent, String)] = []
    cases.append((event(occurredAt: "2026-11-02T10:15:00"), "occurredAt"))
    cases.append((event(occurredAt: "2026-02-30T10:15:00Z"), "occurredAt"))
    cases.append((event("", data: ["x": .string(sentinel)]), "type"))
    cases.append((event("Has Space", data: ["x": .string(sentinel)]), "type"))
    var badData = event()
    badData.data = .string(sentinel)
    cases.append((badData, "data"))
    var badRecorder = event(data: ["x": .string(sentinel)])
    badRecorder.recordedBy = Recorder(id: " ", name: "n", role: "r")
    cases.append((badRecorder, "recordedBy.id"))
    var badVersion = event()
    badVersion.schemaVersion = 0
    cases.append((badVersion, "schemaVersion"))
    for (bad, field) in cases {
      do {
        _ = try await store.append([event(), bad], to: "patient-a")
        Issue.record("accepted a bad \(field)")
      } catch {
        guard case .invalidEvent(let index, _, let reported, _) = error else {
          Issue.record("unexpected error \(error)")
          continue
        }
        #expect(index == 1)
        #expect(reported == field)
        #expect(!error.description.contains(sentinel))
      }
    }
    #expect(try store.nextPosition() == 0)
  }

  @Test("Recorder fields of only spaces, tabs or Unicode spaces are refused; other text is kept")
  func recorderWhitespace() async throws {
    let (store, dir) = try openStore()
    defer {
      store.close()
      dir.remove()
    }
    for blank in ["", " ", "\t \t", "\u{00A0}", " \u{2003}\u{3000} "] {
      var bad = event()
      bad.recordedBy = Recorder(id: "u-1", name: blank, role: "nurse")
      await #expect(throws: EventStoreError.self) { try await store.append([bad], to: "patient-a") }
    }
    for text in ["n", " x ", "\n", "\u{00A0}é", "名", "\u{2003}a"] {
      var good = event()
      good.recordedBy = Recorder(id: "u-1", name: text, role: "nurse")
      _ = try await store.append([good], to: "patient-a")
    }
    #expect(try store.nextPosition() == 6)
  }

  @Test(
    "Stored bytes are the canonical form of the envelope's members, for every shape of envelope")
  func storedBytesAreCanonical() async throws {
    let dir = TemporaryDirectory("canonical")
    defer { dir.remove() }
    var options = EventStore.Options()
    options.reviewer = CountingReviewer()
    let store = try EventStore.open(at: dir.path, options: options)
    defer { store.close() }
    let texts = [
      "", "plain", "quote \" backslash \\ slash /", "tab\t newline\n nul\u{0} bell\u{7}",
      "é 名 😀 \u{E000} \u{10FFFF}",
    ]
    var proposed: [ProposedEvent] = []
    for (index, text) in texts.enumerated() {
      var item = event(
        "Type.\(index)-x_y",
        data: [
          "text": .string(text), text: .number(Double(index) * 0.1), "big": .number(1e21),
          "neg": .number(-0.000001),
          "int": .number(9_007_199_254_740_991),
          "nested": .object(["b": .array([.null, .bool(true), .string(text)]), "a": .bool(false)]),
          "n": .number(index.isMultiple(of: 2) ? 250 : 1),
        ])
      item.recordedBy = Recorder(id: "u-\(index)", name: "Name \(text)x", role: "role \\ \"x\"")
      item.schemaVersion = index + 1
      if index % 2 == 1 { item.correlationId = UUID() }
      if index % 3 == 1 { item.causationId = UUID() }
      proposed.append(item)
    }
    _ = try await store.append(proposed, to: "ward-canonical")
    let stored = try store.readStream("ward-canonical")
    #expect(stored.count == texts.count)
    #expect(stored.contains { !$0.flags.isEmpty } && stored.contains { $0.flags.isEmpty })
    for event in stored {
      guard case .object(var members) = event.envelopeJSON else {
        Issue.record("the envelope is not an object")
        continue
      }
      members["hash"] = nil
      #expect(JSONValue.object(members).canonicalBytes == event.canonicalBytes)
    }
    #expect(try store.verify().isIntact)
  }

  @Test func streamNamesAreCheckedAndSystemStreamsReserved() async throws {
    let (store, dir) = try openStore()
    defer {
      store.close()
      dir.remove()
    }
    for name in [
      "", "has space", "$audit", "$", String(repeating: "a", count: 201), "nul\u{0}x", "é",
    ] {
      await #expect(throws: EventStoreError.self) { try await store.append([event()], to: name) }
    }
    let audit = try await store.appendSystem([event("AuditExported")], to: StreamNames.audit)
    #expect(audit.positions.first?.globalPosition == 0)
    await #expect(throws: EventStoreError.emptyBatch) {
      try await store.append([], to: "patient-a")
    }
  }

  @Test func multiStreamBatchIsAllOrNothing() async throws {
    let (store, dir) = try openStore()
    defer {
      store.close()
      dir.remove()
    }
    _ = try await store.append([event()], to: "patient-b")
    await #expect(throws: EventStoreError.self) {
      try await store.append([
        StreamAppend(stream: "patient-a", events: [event(), event()]),
        StreamAppend(stream: "patient-b", expectedVersion: .noStream, events: [event()]),
      ])
    }
    #expect(try store.nextPosition() == 1)
    #expect(try store.streamVersion("patient-a") == nil)
    let results = try await store.append([
      StreamAppend(stream: "patient-a", events: [event(), event()]),
      StreamAppend(stream: "patient-b", expectedVersion: .exact(0), events: [event()]),
    ])
    #expect(results.map(\.written) == [2, 1])
    #expect(try store.verify().isIntact)
  }

  @Test func closedStoreRefusesAppendsAndReads() async throws {
    let (store, dir) = try openStore()
    defer { dir.remove() }
    store.close()
    await #expect(throws: EventStoreError.closed) {
      try await store.append([event()], to: "patient-a")
    }
    #expect(throws: EventStoreError.closed) { try store.readAll() }
    store.close()
  }

  @Test func missingAndReadOnlyStores() async throws {
    let dir = TemporaryDirectory()
    defer { dir.remove() }
    var options = EventStore.Options()
    options.createIfMissing = false
    #expect(throws: EventStoreError.storeNotFound(path: dir.path)) {
      try EventStore.open(at: dir.path, options: options)
    }
    let store = try EventStore.open(at: dir.path)
    _ = try await store.append([event()], to: "patient-a")
    store.close()
    options.readOnly = true
    let reader = try EventStore.open(at: dir.path, options: options)
    defer { reader.close() }
    #expect(reader.isReadOnly)
    #expect(try reader.readAll().count == 1)
    await #expect(throws: EventStoreError.readOnly) {
      try await reader.append([event()], to: "patient-a")
    }
  }

  @Test func readAsOfARecordedTimeShowsTheLogAsItWas() async throws {
    // An injected clock, so that the second commit is recorded after the cut without sleeping.
    let cut: Int64 = 1_793_613_600_000_000
    let dir = TemporaryDirectory("store")
    var options = EventStore.Options()
    options.initialMapSize = 1 << 20
    let clock = ScriptedClock([cut, cut + 1])
    options.clock = { clock.now() }
    let store = try EventStore.open(at: dir.path, options: options)
    defer {
      store.close()
      dir.remove()
    }
    _ = try await store.append([event(), event()], to: "patient-a")
    _ = try await store.append([event()], to: "patient-a")
    #expect(try store.readAll(recordedAtOrBefore: cut).count == 2)
    #expect(try store.readAll(recordedAtOrBefore: 0).isEmpty)
    #expect(try store.readAll(recordedAtOrBefore: Timestamp.nowMicros()).count == 3)
    #expect(try store.eventCount(recordedAtOrBefore: cut) == 2)
  }

  @Test func manyConcurrentAppendersShareCommitsAndEachGetsItsOwnResult() async throws {
    let (store, dir) = try openStore()
    defer {
      store.close()
      dir.remove()
    }
    _ = try await store.append([event()], to: "patient-0")
    let outcomes = await withTaskGroup(of: Result<AppendResult, EventStoreError>.self) { group in
      for i in 0..<200 {
        group.addTask {
          // Every tenth caller expects a version the stream cannot have: only it must fail.
          let expected: ExpectedVersion = i % 10 == 0 ? .exact(999) : .any
          do {
            return .success(
              try await store.append([event()], to: "patient-\(i % 7)", expectedVersion: expected))
          } catch let error as EventStoreError {
            return .failure(error)
          } catch {
            return .failure(.closed)
          }
        }
      }
      var all: [Result<AppendResult, EventStoreError>] = []
      for await outcome in group { all.append(outcome) }
      return all
    }
    let failures = outcomes.filter { if case .failure = $0 { true } else { false } }
    #expect(failures.count == 20)
    for failure in failures {
      if case .failure(let error) = failure, case .wrongExpectedVersion = error {
      } else {
        Issue.record("unexpected failure \(failure)")
      }
    }
    let positions = outcomes.compactMap { try? $0.get().positions.first?.globalPosition }.sorted()
    #expect(positions == Array(1...180))
    for stream in 0..<7 {
      let versions = try store.readStream("patient-\(stream)").map(\.streamVersion)
      #expect(versions == Array(0..<UInt64(versions.count)))
    }
    #expect(try store.verify().isIntact)
  }

  @Test func subscriptionCatchesUpThenDeliversLiveAppends() async throws {
    let (store, dir) = try openStore()
    defer {
      store.close()
      dir.remove()
    }
    _ = try await store.append([event(), event()], to: "patient-a")
    let received = Task {
      var positions: [UInt64] = []
      for try await recorded in store.subscribe(from: 1) {
        positions.append(recorded.globalPosition)
        if positions.count == 3 { break }
      }
      return positions
    }
    try await Task.sleep(for: .milliseconds(50))
    _ = try await store.append([event()], to: "patient-b")
    _ = try await store.append([event()], to: "patient-a")
    let positions = try await received.value
    #expect(positions == [1, 2, 3])
  }

  @Test func subscriptionEndsWhenCancelled() async throws {
    let (store, dir) = try openStore()
    defer {
      store.close()
      dir.remove()
    }
    let task = Task {
      var count = 0
      for try await _ in store.subscribe() { count += 1 }
      return count
    }
    try await Task.sleep(for: .milliseconds(30))
    task.cancel()
    #expect(try await task.value == 0)
  }
}
