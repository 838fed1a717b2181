import Foundation
import LedgerDemo
import LedgerTestSupport
import Testing
import TreatmentLedger

/// A request of many events over several streams (an import) has its events' envelope checks,
/// typed decodes and canonical data prepared on another thread ahead of the writer. These tests
/// hold it to what the same streams appended one request each (too small to be prepared ahead,
/// so checked on the writer thread) give: the same stored events and the same refusals.
@Suite struct PreparedAppendTests {
  /// The demo clinic's streams: six patients, far more than the 64 events and two batches from
  /// which a request is prepared ahead.
  private static func clinic() -> [StreamAppend] {
    DemoClinic(patients: 6, seed: 13).allEvents().map {
      StreamAppend(stream: $0.stream, events: $0.events)
    }
  }

  /// What the tests compare of a stored event: all but its `recordedAt` and hashes.
  private static func content(_ event: RecordedEvent) -> [String] {
    [
      event.streamId, "\(event.streamVersion)", event.eventId.uuidString, event.type,
      event.occurredAt, String(decoding: event.data.canonicalBytes, as: UTF8.self),
      String(decoding: JSONValue.array(event.flags).canonicalBytes, as: UTF8.self),
    ]
  }

  @Test func aLargeRequestStoresWhatOneRequestPerStreamStores() async throws {
    let batches = Self.clinic()
    #expect(batches.count == 6 && batches.reduce(0) { $0 + $1.events.count } >= 200)
    let dir = TemporaryDirectory("prepared")
    defer { dir.remove() }
    let whole = try Ledger.open(Ledger.Configuration(path: dir.appending("whole")))
    defer { whole.close() }
    let results = try await whole.store.append(batches)
    let single = try Ledger.open(Ledger.Configuration(path: dir.appending("single")))
    defer { single.close() }
    for batch in batches { _ = try await single.store.append([batch]) }
    #expect(results.map(\.written) == batches.map(\.events.count))
    let stored = try whole.store.readAll(from: 0, limit: 100_000)
    let expected = try single.store.readAll(from: 0, limit: 100_000)
    #expect(stored.count == results.reduce(0) { $0 + $1.written })
    #expect(stored.map(Self.content) == expected.map(Self.content))
    #expect(stored.contains { !$0.flags.isEmpty }, "the clinical rules flagged some events")
    #expect(try whole.store.verify().isIntact)
    #expect(try whole.store.verifyDerived().isIntact)
  }

  @Test func aLargeRequestRefusesTheSameEventFieldAndRule() async throws {
    // In the fourth stream's batch: an envelope the store refuses, data the clinical rules
    // cannot decode, and a schema version they do not know.
    let breaks: [(Int, (inout ProposedEvent) -> Void)] = [
      (3, { $0.occurredAt = "yesterday" }),
      (4, { $0.data = .object(["unexpected": .number(1)]) }),
      (2, { $0.schemaVersion = 999 }),
    ]
    for (index, breakEvent) in breaks {
      var batches = Self.clinic()
      breakEvent(&batches[3].events[index])
      let dir = TemporaryDirectory("prepared")
      defer { dir.remove() }
      let ledger = try Ledger.open(Ledger.Configuration(path: dir.path))
      defer { ledger.close() }
      let alone = await refusal { _ = try await ledger.store.append([batches[3]]) }
      let whole = await refusal { _ = try await ledger.store.append(batches) }
      #expect(alone != nil)
      #expect(whole == alone)
      #expect(try ledger.store.nextPosition() == 0, "nothing of a refused request is stored")
      // Skipping refused events (a dry run): the same rejections, in that stream only.
      let options = AppendOptions(skipRejected: true, dryRun: true)
      let skipped = try await ledger.store.append(batches, options: options)
      let skippedAlone = try await ledger.store.append([batches[3]], options: options)
      #expect(skipped[3].rejections == skippedAlone[0].rejections)
      #expect(skipped[3].rejections.first?.index == index)
      #expect(skipped[3].rejections.first?.error == alone)
      #expect(skipped.enumerated().allSatisfy { $1.rejections.isEmpty || $0 == 3 })
    }
  }

  private func refusal(_ body: () async throws -> Void) async -> EventStoreError? {
    do {
      try await body()
      return nil
    } catch let error as EventStoreError {
      return error
    } catch {
      Issue.record("unexpected error \(error)")
      return nil
    }
  }
}
