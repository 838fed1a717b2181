import Foundation
import LedgerTestSupport
import Testing
import TreatmentLedger

/// The store's `occurredAt` check, the clinical validation of times inside `data` and the
/// readers use one RFC 3339 parser (LedgerFoundation), so they agree on leap seconds.
@Suite struct ClinicalTimeRuleTests {
  private func registration(at occurredAt: String) -> ProposedEvent {
    ProposedEvent(
      type: "PatientRegistered", occurredAt: occurredAt, recordedBy: nurse,
      data: .object([
        "patientId": .string(patient), "birthYear": .number(1984), "sexAtBirth": .string("female"),
      ]))
  }

  private func followUp(dueAt: String) -> ProposedEvent {
    ProposedEvent(
      type: "FollowUpScheduled", occurredAt: "2026-11-04T11:40:00-05:00", recordedBy: nurse,
      data: .object([
        "followUpId": .string("fu-leap"), "dueAt": .string(dueAt), "kind": .string("call"),
      ]))
  }

  @Test func aLeapSecondIsAcceptedByTheStoreAndTheClinicalRulesAlike() async throws {
    let dir = TemporaryDirectory("clinical-time")
    defer { dir.remove() }
    let ledger = try openLedger(dir)
    defer { ledger.close() }
    let leap = "2016-12-31T18:59:60-05:00"
    _ = try await ledger.store.append(
      [registration(at: leap), followUp(dueAt: "2016-12-31T23:59:60Z")], to: stream)
    let stored = try ledger.store.readStream(stream)
    #expect(stored.map(\.occurredAt).first == leap)
    #expect(Timestamp.parseMicros(leap) == ClinicalTime(leap)?.micros)
    #expect(ClinicalTime(leap)?.micros == RFC3339.micros("2017-01-01T00:00:00Z"))
  }

  @Test func secondSixtyElsewhereIsRefusedByTheStoreAndTheClinicalRulesAlike() async throws {
    let dir = TemporaryDirectory("clinical-time")
    defer { dir.remove() }
    let ledger = try openLedger(dir)
    defer { ledger.close() }
    let impossible = "2026-03-02T09:15:60Z"
    await #expect {
      try await ledger.store.append([registration(at: impossible)], to: stream)
    } throws: { error in
      guard case EventStoreError.invalidEvent(_, _, let field, _) = error else { return false }
      return field == "occurredAt"
    }
    _ = try await ledger.store.append([registration(at: "2026-03-02T09:15:00Z")], to: stream)
    await #expect {
      try await ledger.store.append([followUp(dueAt: impossible)], to: stream)
    } throws: { error in
      guard case EventStoreError.rejected(_, _, _, let field, let rule, let limit) = error else {
        return false
      }
      return field == "dueAt" && rule == "decode.field.invalidFormat"
        && limit == "must be an RFC 3339 date-time with an explicit offset"
    }
    #expect(try ledger.store.readStream(stream).count == 1)
  }
}
