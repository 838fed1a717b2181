import Foundation

/// Words for people: the catalogue's codes (`nonResponse`, `gad7`, `vitals.spo2.low`) as a
/// clinician reads them, and which flags are safety flags.
///
/// ```swift
/// ClinicalLabels.code("nonResponse")   // "no response"
/// ClinicalLabels.instrument("gad7")    // "GAD-7"
/// ```
public enum ClinicalLabels {
  /// Flag codes that concern the patient's safety now: suicidal thoughts, serious or severe side
  /// effects, an infusion stopped early, a discharge without an escort or with criteria not met,
  /// a short esketamine observation, and every vital-signs flag. Summaries list them first and
  /// the example alert service alerts on them.
  public static func isSafetyFlag(_ code: String) -> Bool {
    code.hasPrefix("vitals.") || safetyCodes.contains(code)
  }

  static let safetyCodes: Set<String> = [
    "assessment.phq9.suicidalThoughts", "sideEffect.severe", "sideEffect.serious",
    "infusion.stoppedEarly", "discharge.escort.absent", "discharge.criteria.notMet",
    "discharge.esketamine.shortObservation",
  ]

  /// A flag code in words, e.g. `vitals.spo2.low` → "low SpO2"; the code itself when unknown.
  public static func flag(_ code: String) -> String {
    flagWords[code.hasPrefix("replacement.") ? String(code.dropFirst(12)) : code] ?? code
  }

  static let flagWords: [String: String] = [
    "patient.age.minor": "minor", "consultation.trd.insufficientTrials": "too few prior trials",
    "consultation.eligible.withContraindication": "eligible despite a contraindication",
    "course.maintenance.frequency": "maintenance too frequent",
    "session.escort.notArranged": "no escort arranged",
    "session.weight.changed": "weight changed", "dose.iv.high": "high IV dose",
    "dose.im.high": "high IM dose",
    "dose.sc.high": "high SC dose", "dose.oral.outOfRange": "oral dose out of range",
    "dose.sublingual.outOfRange": "sublingual dose out of range",
    "dose.route.differsFromCourse": "route differs from the course",
    "dose.drug.differsFromCourse": "drug differs from the course",
    "infusion.stoppedEarly": "infusion stopped early", "vitals.heartRate.low": "low heart rate",
    "vitals.heartRate.high": "high heart rate",
    "vitals.systolic.highAtBaseline": "high systolic at baseline",
    "vitals.systolic.high": "high systolic", "vitals.systolic.low": "low systolic",
    "vitals.diastolic.highAtBaseline": "high diastolic at baseline",
    "vitals.diastolic.high": "high diastolic",
    "vitals.spo2.low": "low SpO2", "vitals.respiratoryRate.low": "low respiratory rate",
    "vitals.respiratoryRate.high": "high respiratory rate",
    "vitals.temperature.low": "low temperature",
    "vitals.temperature.high": "high temperature", "sideEffect.severe": "severe side effect",
    "sideEffect.serious": "serious side effect",
    "assessment.phq9.suicidalThoughts": "suicidal thoughts (PHQ-9 item 9)",
    "discharge.esketamine.shortObservation": "esketamine observed under 2 h",
    "discharge.escort.absent": "discharged without an escort",
    "discharge.criteria.notMet": "discharge criteria not met",
    "followUp.completedLate": "follow-up completed late",
  ]

  /// An instrument code as printed on its form: `phq9` → "PHQ-9".
  public static func instrument(_ code: String) -> String {
    [
      "phq9": "PHQ-9", "gad7": "GAD-7", "pcl5": "PCL-5", "madrs": "MADRS", "qidsSr16": "QIDS-SR16",
      "cadss": "CADSS",
    ][code]
      ?? code
  }

  /// The order instruments are listed in: PHQ-9, GAD-7, then the others by code.
  public static func instrumentOrder(_ a: String, _ b: String) -> Bool {
    let rank = ["phq9": 0, "gad7": 1]
    return (rank[a] ?? 2, a) < (rank[b] ?? 2, b)
  }

  /// The highest total score of an instrument (DOMAIN.md 3), when known.
  public static func maxScore(_ instrument: String) -> Double? {
    ["phq9": 27, "gad7": 21, "pcl5": 80, "madrs": 60, "qidsSr16": 27, "cadss": 92][instrument]
  }

  /// A route code: `iv` → "IV", `intranasal` → "intranasal".
  public static func route(_ code: String) -> String {
    ["iv": "IV", "im": "IM", "sc": "SC"][code] ?? code
  }

  /// An event type as a short label: `VitalsRecorded` → "Vitals".
  public static func eventType(_ type: String) -> String {
    typeWords[type] ?? type
  }

  static let typeWords: [String: String] = [
    "PatientRegistered": "Registered", "ConsultationRecorded": "Consultation",
    "ConsentRecorded": "Consent",
    "CoursePlanned": "Course planned", "SessionStarted": "Session start",
    "DoseAdministered": "Dose",
    "InfusionAdjusted": "Infusion", "VitalsRecorded": "Vitals", "SideEffectObserved": "Side effect",
    "AssessmentRecorded": "Assessment", "PatientDischarged": "Discharge",
    "FollowUpScheduled": "Follow-up due",
    "FollowUpCompleted": "Follow-up done", "CourseCompleted": "Course ended",
    "EntryCorrected": "Correction",
    "EntryVoided": "Void",
  ]

  /// Any other catalogue code in words (`nonResponse` → "no response", `endOfDose` → "end of
  /// dose", `treatmentResistantDepression` → "treatment-resistant depression"): camel case
  /// split into lower-case words, with the catalogue's few special cases.
  public static func code(_ code: String) -> String {
    if let word = specialWords[code] { return word }
    var words = ""
    for character in code {
      if character.isUppercase, !words.isEmpty { words.append(" ") }
      words.append(contentsOf: character.lowercased())
    }
    return words
  }

  static let specialWords: [String: String] = [
    "nonResponse": "no response", "treatmentResistantDepression": "treatment-resistant depression",
    "ptsd": "PTSD", "ocd": "OCD", "patientChoice": "patient's choice",
    "adverseEvent": "adverse event",
    "offLabelUse": "off-label use", "rems": "REMS", "dataSharing": "data sharing", "iv": "IV",
    "im": "IM",
    "sc": "SC", "intracerebralHemorrhageHistory": "history of brain haemorrhage",
    "aneurysmalVascularDisease": "aneurysmal vascular disease", "qidsSr16": "QIDS-SR16",
  ]
}
