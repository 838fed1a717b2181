import Foundation
import LedgerLMDB
import LedgerTestSupport
import Testing
import TreatmentLedger

@testable import LedgerEventStore

/// A sealed derived value that no longer opens (a flipped byte in `data.mdb`, a restored page) is
/// derived state that differs from the log: `verify --derived` names its stream, and the repairs
/// replace it, instead of failing on it.
@Suite struct DamagedDerivedStateTests {
  /// Flips the last byte (the AEAD tag) of the stored value under `key` in `database`.
  static func damage(_ store: EventStore, _ database: Database, key: [UInt8]) throws {
    try store.withWrite { txn in
      var value = try #require(try txn.get(database, key))
      value[value.count - 1] ^= 0x01
      try txn.put(database, key, value)
    }
  }

  @Test func aDamagedSealedTimelineRecordIsNamedByVerifyAndReplacedByAStreamRebuild()
    async throws
  {
    let dir = TemporaryDirectory("damaged-derived-record")
    defer { dir.remove() }
    let ledger = try Ledger.open(Ledger.Configuration(path: dir.path))
    defer { ledger.close() }
    _ = try await ledger.record((0..<8).map(DerivedGrainTests.entry))
    let store = ledger.store
    let stream = Ledger.stream(forPatient: DerivedGrainTests.patient)
    let before = try ledger.timeline(of: DerivedGrainTests.patient)
    let keys = try store.withRead { txn in
      let meta = try #require(try store.layout.projectionMeta(txn, "patient-timeline"))
      return try store.storedRecordKeys("patient-timeline", slot: meta.slot, stream: stream, txn)
    }
    #expect(keys.count == 8)
    try Self.damage(store, store.layout.projectionState, key: keys[3])
    let report = try store.verifyDerived()
    #expect(
      report.projections.first { $0.projection == "patient-timeline" }?.firstDifferingStream
        == stream)
    #expect(report.firstDifferingReviewStream == nil)
    let kept = try store.rebuild(projection: "patient-timeline", stream: stream)
    #expect(kept.differingStreams == [stream] && !kept.replaced)
    let repaired = try store.rebuild(
      projection: "patient-timeline", stream: stream, replaceDiffering: true)
    #expect(repaired.replaced)
    #expect(try store.verifyDerived().isIntact)
    #expect(try ledger.timeline(of: DerivedGrainTests.patient) == before)
  }

  @Test func aDamagedSealedReviewFactIsNamedByVerifyAndRemovedByTheRepair() async throws {
    let dir = TemporaryDirectory("damaged-derived-fact")
    defer { dir.remove() }
    let ledger = try Ledger.open(Ledger.Configuration(path: dir.path))
    defer { ledger.close() }
    _ = try await ledger.record((0..<8).map(DerivedGrainTests.entry))
    let store = ledger.store
    let stream = Ledger.stream(forPatient: DerivedGrainTests.patient)
    let facts = try store.withRead { txn in try store.storedFactKeys(txn, stream: stream) }
    #expect(!facts.isEmpty)
    try Self.damage(store, store.layout.reviewState, key: facts[facts.count / 2])
    #expect(try store.verifyDerived().firstDifferingReviewStream == stream)
    #expect(try store.removeDifferingReviewStates() == [stream])
    #expect(try store.withRead { txn in try store.storedFactKeys(txn, stream: stream) }.isEmpty)
    #expect(try store.verifyDerived().isIntact)
    // The next append recomputes the state from the log and is judged as before.
    let next = DerivedGrainTests.entry(8)
    _ = try await ledger.record(
      next.event, patient: DerivedGrainTests.patient, occurredAt: next.occurredAt,
      by: next.recordedBy)
    #expect(try store.verifyDerived().isIntact)
    #expect(try ledger.timeline(of: DerivedGrainTests.patient).entries.count == 9)
  }
}
