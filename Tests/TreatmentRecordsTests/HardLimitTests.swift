import Foundation
import LedgerFoundation
import Testing
import TreatmentRecords

/// One bad input: the rule it must break and the values its error must not repeat.
struct BadInput: Sendable, CustomTestStringConvertible {
  let rule: String
  /// The expected field path, when the case pins it.
  let field: String?
  /// Values that appear in the input and must not appear in the error's description.
  let sentinels: [String]
  let attempt: @Sendable () throws -> ClinicalValidationError?

  init(
    _ rule: String, field: String? = nil, sentinels: [String] = [],
    _ attempt: @escaping @Sendable () throws -> ClinicalValidationError?
  ) {
    self.rule = rule
    self.field = field
    self.sentinels = sentinels
    self.attempt = attempt
  }

  var testDescription: String { rule + (field.map { " @ \($0)" } ?? "") }
}

/// The error of decoding a JSON literal, or `nil` if it decoded.
func decodeError(_ type: String, _ json: String, version: Int = 1) -> ClinicalValidationError? {
  do {
    _ = try ClinicalEvent.decode(type: type, schemaVersion: version, json: Data(json.utf8))
    return nil
  } catch {
    return error
  }
}

/// The error of validating `event` against `fixture`, or `nil` if it was accepted.
func rejection(
  _ fixture: Fixture, _ event: ClinicalEvent, at time: ClinicalTime? = nil,
  otherStreamHas: Set<UUID> = []
) -> ClinicalValidationError? {
  var copy = fixture
  if case .failure(let error) = copy.attempt(event, at: time, otherStreamHas: otherStreamHas) {
    return error
  }
  return nil
}

func encodeError(_ event: ClinicalEvent) -> ClinicalValidationError? {
  do {
    _ = try event.jsonData()
    return nil
  } catch {
    return error
  }
}

func protocolError(_ json: String) -> ClinicalValidationError? {
  do {
    _ = try ClinicalProtocol.load(json: Data(json.utf8))
    return nil
  } catch {
    return error
  }
}

let validPatient = #"{"patientId":"pt-SENTINEL-1","birthYear":1987,"sexAtBirth":"female"}"#

/// One case per hard limit of docs/CLINICAL-RULES.md sections 1-5, plus decoding, format and
/// protocol rules; listed by subject in HardLimitIntakeCases.swift, HardLimitSessionCases.swift
/// and HardLimitRecordCases.swift.
let badInputs: [BadInput] = intakeBadInputs + sessionBadInputs + recordBadInputs

@Suite("Hard limits")
struct HardLimitTests {
  @Test(
    "Each bad input is rejected with its rule code, and the error never repeats a value",
    arguments: badInputs)
  func rejected(_ input: BadInput) throws {
    let error = try #require(try input.attempt(), "\(input.rule) was accepted")
    #expect(error.rule == input.rule, "\(error)")
    if let field = input.field {
      #expect(error.field == field, "\(error)")
    }
    for sentinel in input.sentinels {
      #expect(!error.description.contains(sentinel), "\(error.description) repeats a value")
      #expect(!error.limit.contains(sentinel))
      #expect(!error.field.contains(sentinel))
    }
  }

  @Test("Every hard limit of the catalogue has a bad-input case")
  func catalogueCovered() {
    let covered = Set(badInputs.map(\.rule))
    let catalogue = Set(ClinicalRuleCatalogue.hardLimits.map(\.code))
    #expect(catalogue.subtracting(covered).sorted() == [])
    #expect(covered.subtracting(catalogue).sorted() == [])
  }

  @Test("Rule codes are unique, dotted and documented")
  func catalogueShape() {
    let codes =
      ClinicalRuleCatalogue.hardLimits.map(\.code)
      + ClinicalRuleCatalogue.softAlerts().map(\.code)
    #expect(Set(codes).count == codes.count)
    for entry in ClinicalRuleCatalogue.hardLimits + ClinicalRuleCatalogue.softAlerts() {
      #expect(entry.code.split(separator: ".").count >= 2, "\(entry.code)")
      #expect(!entry.sentence.isEmpty)
    }
  }

  @Test("Errors name the event id when validation rejects")
  func errorNamesEvent() throws {
    var fixture = try Fixture.inSession()
    let eventId = UUID()
    let time = fixture.nextTime()
    #expect {
      _ = try fixture.state.validate(
        .sessionStarted(Fixture.session("s2", weightKg: 9999.125)), eventId: eventId,
        occurredAt: time, now: fixture.now, protocol: fixture.clinic,
        otherStreamHasEvent: { _ in false })
    } throws: { error in
      guard let error = error as? ClinicalValidationError else { return false }
      return error.eventId == eventId && error.eventType == "SessionStarted"
        && error.description.contains(eventId.uuidString.lowercased())
        && !error.description.contains("9999")
    }
  }
}
