import Foundation
import LedgerEventStore
import LedgerTestSupport
import Testing

/// The worked example of docs/SCHEMA-EVOLUTION.md: a hypothetical `SessionStarted` v2 that
/// replaces the boolean `fasted` with `fastingHours` (a number, absent when unknown).
let sessionStartedV1toV2 = Upcaster(type: "SessionStarted", fromVersion: 1) {
  data throws(EventStoreError) in
  guard var members = data.objectValue else {
    throw .malformedJSON(reason: "SessionStarted v1 data is not an object")
  }
  let fasted = members.removeValue(forKey: "fasted")
  if case .bool(true) = fasted { members["fastingHours"] = .number(6) }
  return .object(members)
}

@Suite struct UpcastingTests {
  @Test func storedV1EventsReadAsV2WithoutRewritingTheirBytes() async throws {
    let (store, dir) = try openStore("upcast")
    defer {
      store.close()
      dir.remove()
    }
    let v1 = event(
      "SessionStarted",
      data: [
        "sessionId": .string("s-1"), "courseId": .string("c-1"), "weightKg": .number(70),
        "escortArranged": .bool(true), "fasted": .bool(true),
      ])
    _ = try await store.append([v1, event()], to: "trial-1")
    let chain = UpcasterChain([sessionStartedV1toV2])
    let stored = try store.readStream("trial-1")
    let read = try stored.map { try chain.upcast($0) }

    #expect(read[0].schemaVersion == 2)
    #expect(read[0].data["fasted"] == nil)
    #expect(read[0].data["fastingHours"] == .number(6))
    #expect(read[0].canonicalBytes == stored[0].canonicalBytes)
    #expect(read[1] == stored[1], "other types pass through unchanged")
    // The stored bytes are still v1 and still verify.
    #expect(try store.readStream("trial-1")[0].schemaVersion == 1)
    #expect(try store.verify().isIntact)
  }
}
