import Foundation
import LedgerFoundation
import Testing
import TreatmentRecords

@Suite("Encoding and decoding")
struct RoundTripTests {
  @Test("allTypes lists the sixteen types of docs/CLINICAL-RULES.md, all at version 1")
  func allTypes() {
    let names = ClinicalEvent.allTypes.map(\.type)
    #expect(
      names == [
        "PatientRegistered", "ConsultationRecorded", "ConsentRecorded", "CoursePlanned",
        "SessionStarted", "DoseAdministered", "InfusionAdjusted", "VitalsRecorded",
        "SideEffectObserved", "AssessmentRecorded", "PatientDischarged", "FollowUpScheduled",
        "FollowUpCompleted", "CourseCompleted", "EntryCorrected", "EntryVoided",
      ])
    #expect(ClinicalEvent.allTypes.allSatisfy { $0.schemaVersion == 1 })
  }

  @Test(
    "Random payloads of every type survive encode then decode unchanged",
    arguments: ClinicalEvent.allTypes.map(\.type))
  func randomRoundTrip(_ type: String) throws {
    var generator = ClinicalEventGenerator(seed: stableSeed(type))
    for _ in 0..<200 {
      guard let event = generator.event(ofType: type) else {
        Issue.record("no generator for \(type)")
        return
      }
      #expect(event.eventType == type)
      let json = try event.jsonData()
      let decoded = try ClinicalEvent.decode(type: type, schemaVersion: 1, json: json)
      #expect(decoded == event)
      // Encoding is deterministic: sorted keys, so the same event gives the same bytes.
      #expect(try decoded.jsonData() == json)
    }
  }

  @Test("Field names are exactly those of docs/CLINICAL-RULES.md")
  func fieldNames() throws {
    let dose = Fixture.dose()
    let object = try JSONSerialization.jsonObject(
      with: ClinicalEvent.doseAdministered(dose).jsonData())
    let keys = try #require(object as? [String: Any]).keys.sorted()
    #expect(
      keys == [
        "courseId", "doseMg", "doseMgPerKg", "drug", "lotNumber", "plannedDurationMinutes",
        "route", "sessionId", "weightKg",
      ])
    let vitals = try JSONSerialization.jsonObject(
      with: ClinicalEvent.vitalsRecorded(
        VitalsRecorded(sessionId: "s1", timepoint: .baseline, spo2Percent: 97)
      ).jsonData())
    // Absent measurements are absent, not null.
    #expect(
      try #require(vitals as? [String: Any]).keys.sorted() == [
        "sessionId", "spo2Percent", "timepoint",
      ])
  }

  @Test("UUIDs are written in lowercase and read in either case")
  func uuidCase() throws {
    let id = try #require(UUID(uuidString: "6F1C2B3A-4D5E-4F60-8A7B-9C0D1E2F3A4B"))
    let json = try ClinicalEvent.entryVoided(EntryVoided(voidedEventId: id, reason: "dup"))
      .jsonData()
    #expect(String(decoding: json, as: UTF8.self).contains("6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b"))
    let upper = try ClinicalEvent.from(
      "EntryVoided", #"{"voidedEventId":"6F1C2B3A-4D5E-4F60-8A7B-9C0D1E2F3A4B","reason":"dup"}"#)
    #expect(upper == .entryVoided(EntryVoided(voidedEventId: id, reason: "dup")))
  }

  @Test("Integers may be written as 3.0 but not as 3.5")
  func integers() throws {
    let event = try ClinicalEvent.from(
      "PatientRegistered", #"{"patientId":"p1","birthYear":1987.0,"sexAtBirth":"male"}"#)
    #expect(
      event
        == .patientRegistered(
          PatientRegistered(patientId: "p1", birthYear: 1987, sexAtBirth: .male)))
    #expect(
      decodeError(
        "PatientRegistered", #"{"patientId":"p1","birthYear":1987.5,"sexAtBirth":"male"}"#)?.rule
        == "decode.field.wrongType")
  }

  @Test("An absent optional is nil; a present one round-trips")
  func optionals() throws {
    let event = try ClinicalEvent.from(
      "SideEffectObserved",
      #"{"sessionId":"s1","effect":"nausea","severity":"mild","serious":false,"actionTaken":"ondansetron","resolvedAt":"2026-03-02T10:40:00+01:00"}"#
    )
    guard case .sideEffectObserved(let data) = event else {
      Issue.record("wrong case")
      return
    }
    #expect(data.resolvedAt?.text == "2026-03-02T10:40:00+01:00")
    #expect(data.resolvedAt?.date == Date(timeIntervalSince1970: 1_772_444_400))
  }

  @Test("A correction's replacement keeps any JSON and converts from a typed payload")
  func replacement() throws {
    let correction = try EntryCorrected(
      correctedEventId: UUID(), reason: "typo", replacement: Fixture.session(weightKg: 71.5))
    #expect(correction.replacement["weightKg"] == .number(71.5))
    #expect(correction.replacement["escortArranged"] == .bool(true))
    #expect(correction.replacement["sessionId"] == .string("s1"))
    let json = try ClinicalEvent.entryCorrected(correction).jsonData()
    #expect(
      try ClinicalEvent.decode(type: "EntryCorrected", schemaVersion: 1, json: json)
        == .entryCorrected(correction))
  }
}

/// A seed derived from a string with FNV-1a (Swift's `hashValue` changes between runs).
func stableSeed(_ text: String) -> UInt64 {
  text.utf8.reduce(0xCBF2_9CE4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01B3 }
}
