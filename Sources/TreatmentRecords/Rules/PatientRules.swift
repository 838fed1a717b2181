import Foundation
import LedgerFoundation

extension RuleContext {
  mutating func check(_ data: PatientRegistered) throws(ClinicalValidationError) {
    try require(!state.isPatientRegistered, .alreadyRegistered)
    try requireId(data.patientId, field: "patientId")
    try require(data.birthYear >= 1900, .birthYearMin)
    let currentYear = Int(RFC3339.utcYear(micros: ClinicalTime(now).micros))
    try require(data.birthYear <= currentYear, .birthYearFuture)
    // Only the year is known: age is the current year minus the birth year (as the protocol
    // schema defines it), judged against `now`.
    flag(.minor, when: currentYear - data.birthYear < thresholds.adultAgeYears)
  }

  mutating func check(_ data: ConsultationRecorded) throws(ClinicalValidationError) {
    for (index, code) in data.diagnoses.enumerated() {
      try require(ICD10.isValid(code), .icd10, field: "diagnoses[\(index)]")
    }
    for (index, allergy) in data.allergies.enumerated() {
      try requireText(allergy, field: "allergies[\(index)]")
    }
    for (index, medication) in data.currentMedications.enumerated() {
      try requireText(medication, field: "currentMedications[\(index)]")
    }
    for (index, trial) in data.priorAntidepressantTrials.enumerated() {
      let path = "priorAntidepressantTrials[\(index)]"
      try requireText(trial.drug, field: path + ".drug")
      try require(trial.weeks >= 0, .trialWeeksMin, field: path + ".weeks")
    }
    if let note = data.eligibilityNote {
      try requireText(note, field: "eligibilityNote")
    }
    let adequateTrials = data.priorAntidepressantTrials.filter {
      $0.weeks >= thresholds.trdMinimumTrialWeeks
    }.count
    flag(
      .trdInsufficientTrials,
      when: data.indication == .treatmentResistantDepression
        && adequateTrials < thresholds.trdMinimumTrials)
    flag(.eligibleWithContraindication, when: data.eligible && !data.contraindications.isEmpty)
  }

  mutating func check(_ data: ConsentRecorded) throws(ClinicalValidationError) {
    try requireId(data.consentId, field: "consentId")
    try requireText(data.formVersion, field: "formVersion")
  }
}

/// The ICD-10 pattern of the conventions: `^[A-TV-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$`.
enum ICD10 {
  static func isValid(_ code: String) -> Bool {
    let bytes = Array(code.utf8)
    func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
    func isUpper(_ byte: UInt8) -> Bool { byte >= 0x41 && byte <= 0x5A }
    guard bytes.count >= 3, isUpper(bytes[0]), bytes[0] != UInt8(ascii: "U"), isDigit(bytes[1]),
      isDigit(bytes[2]) || isUpper(bytes[2])
    else { return false }
    if bytes.count == 3 { return true }
    guard bytes[3] == UInt8(ascii: "."), (5...8).contains(bytes.count) else { return false }
    return bytes[4...].allSatisfy { isDigit($0) || isUpper($0) }
  }
}
