import Foundation
import LedgerEventStore
import LedgerFoundation
import Testing
import TreatmentRecords

/// Unknown member names reach errors escaped and shortened, on both decoding paths (JSON text and
/// parsed payload), at the top of `data` and nested inside it.
@Suite struct EchoedFieldNameTests {
  static let names = [
    "nick\u{1B}[2Jname\u{7}", "a\u{202E}b\nc", String(repeating: "n", count: 200_000),
    String(repeating: "\u{1B}", count: 200_000),
  ]

  /// `text` as the inside of a JSON string.
  private func quoted(_ text: String) -> String {
    var result = "\""
    for scalar in text.unicodeScalars {
      if scalar.value < 0x20 || scalar == "\"" || scalar == "\\" {
        let hex = String(scalar.value, radix: 16)
        result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      } else {
        result.unicodeScalars.append(scalar)
      }
    }
    return result + "\""
  }

  private func errors(_ type: String, _ json: String) throws -> [ClinicalValidationError] {
    var found: [ClinicalValidationError] = []
    do { _ = try ClinicalEvent.decode(type: type, schemaVersion: 1, json: Data(json.utf8)) } catch {
      found.append(error)
    }
    let value = try JSONValue.parse(Array(json.utf8))
    do { _ = try ClinicalEvent.decode(type: type, schemaVersion: 1, value: value) } catch {
      found.append(error)
    }
    return found
  }

  private func isPrintable(_ text: String) -> Bool {
    !text.unicodeScalars.contains {
      $0.value < 0x20 || (0x7F...0x9F).contains($0.value) || $0 == "\u{202E}"
    }
  }

  @Test(arguments: 0..<names.count)
  func unknownKeysAreEscapedAndShortened(_ index: Int) throws {
    let name = quoted(Self.names[index])
    let cases = [
      ("data", #"{"patientId":"pt-1","birthYear":1987,"sexAtBirth":"male",\#(name):1}"#),
      (
        "nested",
        #"{"indication":"ptsd","diagnoses":[],"allergies":[],"currentMedications":[],"#
          + #""priorAntidepressantTrials":[{"drug":"a","weeks":8,"outcome":"none",\#(name):1}],"#
          + #""contraindications":[],"eligible":true}"#
      ),
    ]
    for (label, json) in cases {
      let type = label == "data" ? "PatientRegistered" : "ConsultationRecorded"
      let found = try errors(type, json)
      #expect(found.count == 2, "\(label): both paths refuse")
      for error in found {
        #expect(error.rule == "decode.field.unknownKey")
        #expect(isPrintable(error.field) && isPrintable(error.description), "\(label)")
        // At most 64 scalars of the name, a marker, and the path before it.
        #expect(error.field.unicodeScalars.count <= 100, "\(label): \(error.field.prefix(80))")
        #expect(error.description.unicodeScalars.count <= 220, "\(label)")
      }
      #expect(found.map(\.field).allSatisfy { $0 == found.first?.field }, "\(label): paths agree")
    }
  }
}
