import Foundation
import LedgerEventStore
import LedgerFoundation
import LedgerLMDB
import LedgerTestSupport
import Testing

/// The tally of ``TallyProjection`` as faulty code would fold it: same name and version, but it
/// counts every event twice. State it writes is "damaged" as far as a correct build is concerned.
private struct FaultyTally: StreamProjection {
  var name = "tally"
  var version = 1
  func includes(stream: String) -> Bool { stream.hasPrefix("ward-") }
  func initialState(stream: String) -> [Double] { [0, 0] }
  func apply(_ event: RecordedEvent, to state: inout [Double]) throws(EventStoreError) {
    state[0] += 2
    state[1] += event.data["n"]?.numberValue ?? 0
    state.append(Double(event.globalPosition))
  }
  func encode(_ state: [Double]) -> [UInt8] { TallyProjection().encode(state) }
  func decode(_ bytes: [UInt8], stream: String) throws(EventStoreError) -> [Double] {
    try TallyProjection().decode(bytes, stream: stream)
  }
}

private func open(
  _ dir: TemporaryDirectory, _ projections: [any StreamProjection] = [TallyProjection()],
  readOnly: Bool = false
) throws -> EventStore {
  var options = EventStore.Options()
  options.projections = projections
  options.readOnly = readOnly
  return try EventStore.open(at: dir.path, options: options)
}

private func appendWards(_ store: EventStore, count: Int, first: Int = 0) async throws {
  for i in first..<(first + count) {
    _ = try await store.append([event(data: ["n": .number(Double(i))])], to: "ward-\(i % 3)")
  }
}

/// A store whose tally state was written by ``FaultyTally`` for `faulty` events after `good`.
private func storeWithFaultyState(_ dir: TemporaryDirectory) async throws {
  let good = try open(dir)
  try await appendWards(good, count: 6)
  good.close()
  let faulty = try open(dir, [FaultyTally()])
  try await appendWards(faulty, count: 3, first: 6)
  faulty.close()
}

@Suite struct MaintenanceTests {
  @Test func aSecondRebuildIsRefusedWhileTheFirstHoldsTheClaim() async throws {
    let dir = TemporaryDirectory("maintenance")
    defer { dir.remove() }
    let store = try open(dir)
    defer { store.close() }
    try await appendWards(store, count: 5)
    // Another holder of the claim: a second open file description, as another process has.
    let fd = Glibc.open(dir.appending("maintenance.lock"), O_RDWR | O_CREAT, 0o600)
    #expect(fd >= 0)
    #expect(flock(fd, LOCK_EX | LOCK_NB) == 0)
    await #expect {
      _ = try await store.rebuild(projections: ["tally"])
    } throws: { error in
      guard case .maintenanceInProgress(let reason) = error as? EventStoreError else {
        return false
      }
      return reason.contains("maintenance lock")
    }
    #expect(throws: Never.self) { _ = try store.projectionState("tally", stream: "ward-0") }
    close(fd)
    // Once the holder is gone, a rebuild runs; the claim file is private.
    let report = try await store.rebuild(projection: "tally")
    #expect(report.replaced && report.differingStreams.isEmpty)
    let mode =
      (try FileManager.default.attributesOfItem(atPath: dir.appending("maintenance.lock")))[
        .posixPermissions] as? NSNumber
    #expect(mode?.intValue == 0o600)
  }

  @Test func concurrentRebuildsNeverDoubleCount() async throws {
    let dir = TemporaryDirectory("maintenance")
    defer { dir.remove() }
    let store = try open(dir)
    defer { store.close() }
    try await appendWards(store, count: 60)
    let expected = try store.projectionState("tally", stream: "ward-1")
    let outcomes = await withTaskGroup(of: Bool.self) { group in
      for _ in 0..<4 {
        group.addTask {
          do {
            _ = try await store.rebuild(projections: ["tally"])
            return true
          } catch {
            guard case .maintenanceInProgress = error as? EventStoreError else { return false }
            return true
          }
        }
      }
      return await group.reduce(into: [Bool]()) { $0.append($1) }
    }
    #expect(outcomes == [true, true, true, true], "each rebuild either ran or was refused cleanly")
    #expect(try store.projectionState("tally", stream: "ward-1") == expected)
    #expect(try store.verifyDerived().isIntact)
  }

  @Test func aDifferingLiveStateIsReportedAndKeptUnlessReplacementIsAsked() async throws {
    let dir = TemporaryDirectory("maintenance")
    defer { dir.remove() }
    try await storeWithFaultyState(dir)
    let store = try open(dir)
    defer { store.close() }
    let damaged = try store.projectionState("tally", stream: "ward-0")
    let derived = try store.verifyDerived()
    #expect(!derived.isIntact)
    #expect(derived.projections.first?.firstDifferingStream == "ward-0")

    let kept = try await store.rebuild(projection: "tally")
    #expect(!kept.replaced)
    #expect(kept.differingStreams == ["ward-0", "ward-1", "ward-2"])
    #expect(try store.projectionState("tally", stream: "ward-0") == damaged)

    let single = try store.rebuild(projection: "tally", stream: "ward-1")
    #expect(!single.replaced && single.differingStreams == ["ward-1"])

    let replaced = try await store.rebuild(projection: "tally", replaceDiffering: true)
    #expect(replaced.replaced)
    #expect(try store.verifyDerived().isIntact)
    #expect(
      try store.projectionState("tally", stream: "ward-0") == Array("3.0,9.0,0.0,3.0,6.0".utf8))
  }

  @Test func aRebuildOverManyTransactionsFindsExactlyTheDifferingStreams() async throws {
    // More events than two rebuild transactions fold: the rebuilt slot's records are
    // overwritten from one transaction to the next (the tally's whole state, the keyed count),
    // and the digests the rebuild keeps of them while folding must still match the live slot's.
    let dir = TemporaryDirectory("maintenance")
    defer { dir.remove() }
    var options = EventStore.Options()
    options.projections = [TallyProjection(), CountedPositions()]
    do {
      let store = try EventStore.open(at: dir.path, options: options)
      for round in 0..<9 {
        let events = (0..<500).map { event(data: ["n": .number(Double($0 % 7))]) }
        _ = try await store.append(events, to: "ward-\(round % 3)")
      }
      let reports = try await store.rebuild(projections: ["tally", "counted-positions"])
      for report in reports {
        #expect(report.replaced && report.differingStreams.isEmpty && report.missingStreams.isEmpty)
        #expect(report.streams == 3 && report.eventsRead == 4_500)
      }
      store.close()
    }
    // Faulty code of the same version folds one more event of ward-1 into the live tally.
    let faulty = try open(dir, [FaultyTally()])
    _ = try await faulty.append([event(data: ["n": .number(1)])], to: "ward-1")
    faulty.close()
    let store = try EventStore.open(at: dir.path, options: options)
    defer { store.close() }
    let reports = try await store.rebuild(projections: ["tally", "counted-positions"])
    #expect(reports.map(\.differingStreams) == [["ward-1"], []])
    #expect(reports.map(\.replaced) == [false, true])
    #expect(reports.allSatisfy { $0.missingStreams.isEmpty && $0.eventsRead == 4_501 })
  }

  @Test func aProjectionBehindTheLogIsCaughtUpBeforeItIsCompared() async throws {
    // The crash-trial failure: clinical appends after plain ones left the projection behind;
    // a rebuild compared the state at its checkpoint with one at the head.
    let dir = TemporaryDirectory("maintenance")
    defer { dir.remove() }
    let first = try open(dir)
    try await appendWards(first, count: 4)
    first.close()
    let plain = try EventStore.open(at: dir.path)
    try await appendWards(plain, count: 5, first: 4)
    plain.close()
    let store = try open(dir)
    defer { store.close() }
    #expect(try store.status(projection: "tally").checkpoint == 4)
    #expect(
      try store.verifyDerived().isIntact, "state behind the log is checked as of its checkpoint")
    let report = try await store.rebuild(projection: "tally")
    #expect(report.replaced && report.differingStreams.isEmpty && report.missingStreams.isEmpty)
    #expect(try store.status(projection: "tally").isCurrent)
  }

  @Test func aReadOnlyHandleNeverServesStateBehindTheLog() async throws {
    let dir = TemporaryDirectory("maintenance")
    defer { dir.remove() }
    let first = try open(dir)
    try await appendWards(first, count: 3)
    first.close()
    let plain = try EventStore.open(at: dir.path)
    try await appendWards(plain, count: 3, first: 3)
    plain.close()
    let reader = try open(dir, readOnly: true)
    let seen = try reader.projectionState("tally", stream: "ward-0")
    reader.close()
    #expect(seen == Array("2.0,3.0,0.0,3.0".utf8))
    let writer = try open(dir)
    defer { writer.close() }
    #expect(try writer.projectionState("tally", stream: "ward-0") == seen)
  }

  @Test func verifyDerivedNamesADifferingReviewState() async throws {
    let dir = TemporaryDirectory("maintenance")
    defer { dir.remove() }
    var options = EventStore.Options()
    options.reviewer = CountingReviewer()
    do {
      let store = try EventStore.open(at: dir.path, options: options)
      try await appendWards(store, count: 4)
      #expect(try store.verifyDerived().reviewStatesChecked == 3)
      #expect(try store.verifyDerived().isIntact)
      store.close()
    }
    // Overwrite one stream's review state behind the store's back.
    let env = try Environment(path: dir.path)
    try env.write { txn in
      try txn.put(try txn.openDatabase("review-state"), Array("ward-1".utf8), Array("99".utf8))
    }
    env.close()
    let store = try EventStore.open(at: dir.path, options: options)
    defer { store.close() }
    let report = try store.verifyDerived()
    #expect(report.firstDifferingReviewStream == "ward-1")
    #expect(!report.isIntact)
  }
}

/// ``CountingReviewer`` that asks the store to record it as required for `ward-` streams (and,
/// as a later release of the same rule set might, for more prefixes).
private struct RequiredCountingReviewer: AppendReviewer {
  let base = CountingReviewer()
  var prefixes = ["ward-"]
  var requirement: ReviewerRequirement? {
    ReviewerRequirement(name: "test.counting", streamPrefixes: prefixes)
  }
  func reviews(stream: String) -> Bool { prefixes.contains { stream.hasPrefix($0) } }
  func decodeState(_ bytes: [UInt8]?, stream: String) throws(EventStoreError) -> Int {
    try base.decodeState(bytes, stream: stream)
  }
  func encodeState(_ state: Int) -> [UInt8] { base.encodeState(state) }
  func absorb(_ event: RecordedEvent, stream: String, state: inout Int) { state += 1 }
  func review(
    _ event: ProposedEvent, index: Int, stream: String, state: inout Int, context: ReviewContext
  ) throws(EventStoreError) -> [JSONValue] {
    try base.review(event, index: index, stream: stream, state: &state, context: context)
  }
}

@Suite struct StoreOwnershipTests {
  @Test func aRequiredRuleSetCannotBeBypassedByOpeningTheStoreWithoutIt() async throws {
    let dir = TemporaryDirectory("ownership")
    defer { dir.remove() }
    var options = EventStore.Options()
    options.reviewer = RequiredCountingReviewer()
    do {
      let guarded = try EventStore.open(at: dir.path, options: options)
      _ = try await guarded.append([event(data: ["n": .number(1)])], to: "ward-1")
      guarded.close()
    }
    let plain = try EventStore.open(at: dir.path)
    let before = try plain.nextPosition()
    await #expect {
      _ = try await plain.append([event(data: ["n": .number(-5)])], to: "ward-1")
    } throws: { error in
      guard case .reviewerRequired(let stream, let reviewer) = error as? EventStoreError else {
        return false
      }
      return stream == "ward-1" && reviewer == "test.counting"
    }
    // Several callers in one group commit: only the governed one is refused.
    let refused = Task { try await plain.append([event()], to: "ward-2") }
    let accepted = Task { try await plain.append([event()], to: "other-1") }
    #expect(try await accepted.value.written == 1)
    let refusal = await refused.result
    #expect(throws: EventStoreError.self) { try refusal.get() }
    #expect(try plain.nextPosition() == before + 1)
    #expect(try plain.readStream("ward-2").isEmpty)
    plain.close()
    // The rule set itself still appends.
    let guarded = try EventStore.open(at: dir.path, options: options)
    defer { guarded.close() }
    _ = try await guarded.append([event(data: ["n": .number(2)])], to: "ward-1")
    #expect(try guarded.readStream("ward-1").count == 2)
  }

  /// A newer release of the rule set governs one more prefix: opening an older store with it
  /// widens the store's record, after which a handle with the older rules (same name) may no
  /// longer write the new prefix's streams, and neither may a handle without rules.
  @Test func aWiderReleaseOfTheRuleSetWidensTheRecordAndTheOlderOneCannotBypassIt() async throws {
    let dir = TemporaryDirectory("ownership-widened")
    defer { dir.remove() }
    var older = EventStore.Options()
    older.reviewer = RequiredCountingReviewer()
    var newer = EventStore.Options()
    newer.reviewer = RequiredCountingReviewer(prefixes: ["ward-", "stock-"])
    do {
      let store = try EventStore.open(at: dir.path, options: older)
      _ = try await store.append([event()], to: "stock-1")  // not governed yet
      store.close()
    }
    do {
      let store = try EventStore.open(at: dir.path, options: newer)
      _ = try await store.append([event(data: ["n": .number(1)])], to: "stock-1")
      store.close()
    }
    for options in [older, EventStore.Options()] {
      let store = try EventStore.open(at: dir.path, options: options)
      await #expect {
        _ = try await store.append([event()], to: "stock-2")
      } throws: { error in
        guard case .reviewerRequired(let stream, let reviewer) = error as? EventStoreError else {
          return false
        }
        return stream == "stock-2" && reviewer == "test.counting"
      }
      #expect(try store.readStream("stock-2").isEmpty)
      store.close()
    }
    // The older rules still write the streams they review.
    let store = try EventStore.open(at: dir.path, options: older)
    defer { store.close() }
    _ = try await store.append([event(data: ["n": .number(2)])], to: "ward-1")
    #expect(try store.readStream("ward-1").count == 1)
  }

  @Test func aForeignEnvironmentIsRefusedAndLeftUntouched() throws {
    let dir = TemporaryDirectory("ownership")
    defer { dir.remove() }
    do {
      let env = try Environment(path: dir.path)
      let db = try env.write { try $0.createDatabase("someone-elses") }
      try env.write { try $0.put(db, [1], [2]) }
      env.close()
    }
    for readOnly in [false, true] {
      var options = EventStore.Options()
      options.readOnly = readOnly
      #expect {
        _ = try EventStore.open(at: dir.path, options: options)
      } throws: { error in
        guard case .incompatibleStore(let reason) = error as? EventStoreError else { return false }
        return reason.contains("holds no TreatmentLedger store")
      }
    }
    let env = try Environment(path: dir.path)
    defer { env.close() }
    #expect(throws: LMDBError.self) { try env.read { try $0.openDatabase("meta") } }
  }

  @Test func anEmptyEnvironmentBecomesAStoreOnlyWhenCreationIsAllowed() throws {
    let dir = TemporaryDirectory("ownership")
    defer { dir.remove() }
    // An LMDB environment with nothing in it: what an interrupted `init` leaves, or what a
    // concurrent `init` has made but not yet committed its first transaction to.
    try Environment(path: dir.path).close()
    var noCreation = EventStore.Options()
    noCreation.createIfMissing = false
    #expect(throws: EventStoreError.storeNotFound(path: dir.path)) {
      _ = try EventStore.open(at: dir.path, options: noCreation)
    }
    let completed = try EventStore.open(at: dir.path)
    completed.close()
    _ = try EventStore.open(at: dir.path, options: noCreation).close()
    // A missing store is created.
    let other = TemporaryDirectory("ownership-new")
    defer { other.remove() }
    let store = try EventStore.open(at: other.path)
    store.close()
    let again = try EventStore.open(at: other.path)
    again.close()
  }
}

/// One record per event (keyed by its position) and a count record rewritten by every event:
/// a keyed projection whose records are both added and overwritten.
private struct CountedPositions: KeyedStreamProjection {
  let name = "counted-positions"
  let version = 1
  func includes(stream: String) -> Bool { stream.hasPrefix("ward-") }
  func apply(_ event: RecordedEvent, to records: ProjectionRecords) throws(EventStoreError) {
    try records.setRecord(ProjectionRecords.key(event.globalPosition), Array(event.type.utf8))
    let count = try records.record([0xFF]).flatMap { UInt64(String(decoding: $0, as: UTF8.self)) }
    try records.setRecord([0xFF], Array(String((count ?? 0) + 1).utf8))
  }
  func state(stream: String, records: [ProjectionRecord]) -> Int { records.count }
}
