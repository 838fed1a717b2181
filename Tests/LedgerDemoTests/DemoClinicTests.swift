import Foundation
import LedgerDemo
import LedgerTestSupport
import Testing
import TreatmentLedger

@Suite struct DemoClinicTests {
  @Test(arguments: [1, 7, 42, 2026] as [UInt64])
  func everySeedGeneratesAValidClinic(seed: UInt64) async throws {
    let clinic = DemoClinic(patients: 40, seed: seed)
    let dir = TemporaryDirectory("demo-clinic")
    defer { dir.remove() }
    let ledger = try Ledger.open(Ledger.Configuration(path: dir.path))
    defer { ledger.close() }
    let batches = clinic.allEvents().map { StreamAppend(stream: $0.stream, events: $0.events) }
    let results = try await ledger.store.append(batches)
    #expect(results.allSatisfy { $0.rejections.isEmpty && $0.written == $0.positions.count })
    #expect(
      clinic.allEvents().map(\.events)
        == DemoClinic(patients: 40, seed: seed).allEvents().map(\.events))
  }

  @Test func largeClinicsGenerateWithoutStalling() {
    // Extreme scores must never stall the generator (a PHQ-9 of 27 with item 9 at 0 cannot be met).
    for seed in 1...5 as ClosedRange<UInt64> {
      let events = DemoClinic(patients: 400, seed: seed).allEvents()
      #expect(events.count == 400)
    }
  }
}
