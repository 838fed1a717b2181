import Foundation

/// One rule of the catalogue: a stable code, the field it concerns and its sentence.
public struct ClinicalRuleDescription: Sendable, Hashable, Codable {
  /// The stable dotted code.
  public var code: String
  /// The data field path it concerns (`""` for the entry as a whole; `[]` marks any item).
  public var field: String
  /// The rule in words.
  public var sentence: String

  /// Creates a description.
  public init(code: String, field: String, sentence: String) {
    self.code = code
    self.field = field
    self.sentence = sentence
  }
}

/// Every hard-limit rule code and every flag code, with its sentence: the catalogue the docs
/// cite.
///
/// Errors from rules applied to an ``EntryCorrected/replacement`` carry the inner rule's code
/// with the field prefixed by `replacement.`; the same holds for flags.
public enum ClinicalRuleCatalogue {
  /// Every hard limit (the event is rejected), in catalogue order.
  public static let hardLimits: [ClinicalRuleDescription] = HardLimit.allCases.map {
    ClinicalRuleDescription(code: $0.rawValue, field: $0.field, sentence: $0.limit)
  }

  /// Every soft alert (the event is accepted and flagged), with the thresholds of `protocol`.
  public static func softAlerts(
    protocol clinicalProtocol: ClinicalProtocol = ClinicalProtocol()
  ) -> [ClinicalRuleDescription] {
    FlagCode.allCases.map {
      ClinicalRuleDescription(
        code: $0.rawValue, field: $0.field, sentence: $0.rule(clinicalProtocol.thresholds))
    }
  }
}

/// Hard limits: the rule code is the raw value; `limit` is the sentence stated in errors.
enum HardLimit: String, CaseIterable, Sendable {
  // Decoding and encoding.
  case invalidJSON = "decode.json.invalid"
  case unknownType = "decode.type.unknown"
  case unsupportedVersion = "decode.schemaVersion.unsupported"
  case missing = "decode.field.missing"
  case wrongType = "decode.field.wrongType"
  case unknownEnumValue = "decode.field.unknownEnumValue"
  case unknownKey = "decode.field.unknownKey"
  case invalidFormat = "decode.field.invalidFormat"
  case notFinite = "encode.number.notFinite"
  // Formats shared by all types.
  case idFormat = "format.id"
  case textEmpty = "format.text.empty"
  case icd10 = "format.diagnosis.icd10"
  // PatientRegistered and registration.
  case notRegistered = "patient.notRegistered"
  case alreadyRegistered = "patient.alreadyRegistered"
  case birthYearFuture = "patient.birthYear.future"
  case birthYearMin = "patient.birthYear.min"
  // ConsultationRecorded.
  case allergiesMissing = "consultation.allergies.missing"
  case medicationsMissing = "consultation.currentMedications.missing"
  case trialWeeksMin = "consultation.trial.weeks.min"
  // CoursePlanned.
  case plannedSessionsMin = "course.plannedSessions.min"
  case courseDuplicate = "course.courseId.duplicate"
  case sessionsPerWeekPositive = "course.sessionsPerWeek.positive"
  case targetDosePositive = "course.targetDoseMgPerKg.positive"
  case targetDoseEsketamine = "course.targetDoseMgPerKg.esketamine"
  // SessionStarted.
  case sessionCourseUnknown = "session.course.unknown"
  case sessionCourseCompleted = "session.course.completed"
  case sessionWeightRange = "session.weightKg.range"
  case sessionDuplicate = "session.sessionId.duplicate"
  // DoseAdministered.
  case doseSessionNotStarted = "dose.session.notStarted"
  case doseCourseMismatch = "dose.course.mismatch"
  case doseMgPositive = "dose.doseMg.positive"
  case doseWeightRange = "dose.weightKg.range"
  case doseMgPerKgMismatch = "dose.doseMgPerKg.mismatch"
  case ivMax = "dose.iv.maxMgPerKg"
  case esketamineMultiple = "dose.esketamine.multipleOf28"
  case esketamineMax = "dose.esketamine.maxMg"
  case consentNotInForce = "dose.consent.notInForce"
  case notEligible = "dose.consultation.notEligible"
  case esketamineContraindicated = "dose.esketamine.contraindicated"
  case plannedDurationNotIV = "dose.plannedDurationMinutes.notIV"
  case plannedDurationPositive = "dose.plannedDurationMinutes.positive"
  // InfusionAdjusted.
  case infusionReasonEmpty = "infusion.reason.empty"
  case infusionSessionNotStarted = "infusion.session.notStarted"
  case infusionNoIVDose = "infusion.session.noIVDose"
  case newRateRequired = "infusion.newRate.required"
  case newRateNotAllowed = "infusion.newRate.notAllowed"
  case newRatePositive = "infusion.newRate.positive"
  // VitalsRecorded.
  case vitalsSessionNotStarted = "vitals.session.notStarted"
  case vitalsNone = "vitals.measurements.none"
  case heartRateRange = "vitals.heartRate.range"
  case systolicRange = "vitals.systolic.range"
  case diastolicRange = "vitals.diastolic.range"
  case bloodPressureOrder = "vitals.bloodPressure.order"
  case spo2Range = "vitals.spo2.range"
  case respiratoryRateRange = "vitals.respiratoryRate.range"
  case temperatureRange = "vitals.temperature.range"
  // SideEffectObserved.
  case sideEffectSessionNotStarted = "sideEffect.session.notStarted"
  // AssessmentRecorded.
  case itemCount = "assessment.itemCount"
  case itemRange = "assessment.itemRange"
  case totalRange = "assessment.totalScore.range"
  case totalMismatch = "assessment.totalScore.mismatch"
  case assessmentCourseUnknown = "assessment.course.unknown"
  case assessmentSessionNotStarted = "assessment.session.notStarted"
  // PatientDischarged.
  case dischargeSessionNotStarted = "discharge.session.notStarted"
  case alreadyDischarged = "discharge.session.alreadyDischarged"
  case minutesObservedMin = "discharge.minutesObserved.min"
  // FollowUpScheduled and FollowUpCompleted.
  case followUpDuplicate = "followUp.followUpId.duplicate"
  case followUpSessionNotStarted = "followUp.session.notStarted"
  case followUpUnknown = "followUp.unknown"
  case followUpAlreadyCompleted = "followUp.alreadyCompleted"
  // CourseCompleted.
  case completionCourseUnknown = "courseCompleted.course.unknown"
  case completionAlreadyCompleted = "courseCompleted.course.alreadyCompleted"
  // EntryCorrected.
  case correctionReasonEmpty = "correction.reason.empty"
  case correctionTargetUnknown = "correction.target.unknown"
  case correctionTargetOtherStream = "correction.target.otherStream"
  case correctionTargetVoided = "correction.target.voided"
  case correctionTargetIsCorrection = "correction.target.isCorrection"
  // EntryVoided.
  case voidReasonEmpty = "void.reason.empty"
  case voidTargetUnknown = "void.target.unknown"
  case voidTargetOtherStream = "void.target.otherStream"
  case voidTargetAlreadyVoided = "void.target.alreadyVoided"
  case voidTargetIsVoid = "void.target.isVoid"
  // ClinicalProtocol files.
  case protocolVersionEmpty = "protocol.version.empty"
  case thresholdPositive = "protocol.threshold.positive"
  case thresholdOrder = "protocol.threshold.order"
  case thresholdRange = "protocol.threshold.range"

  /// The field the rule usually concerns (errors give the exact path).
  var field: String {
    switch self {
    case .invalidJSON, .missing, .wrongType, .unknownEnumValue, .unknownKey, .invalidFormat,
      .notFinite, .idFormat, .textEmpty, .notRegistered, .consentNotInForce, .notEligible,
      .vitalsNone, .thresholdPositive, .thresholdOrder, .thresholdRange:
      return ""
    case .unknownType: return "type"
    case .unsupportedVersion: return "schemaVersion"
    case .icd10: return "diagnoses[]"
    case .alreadyRegistered: return "patientId"
    case .birthYearFuture, .birthYearMin: return "birthYear"
    case .allergiesMissing: return "allergies"
    case .medicationsMissing: return "currentMedications"
    case .trialWeeksMin: return "priorAntidepressantTrials[].weeks"
    case .plannedSessionsMin: return "plannedSessions"
    case .courseDuplicate, .sessionCourseUnknown, .sessionCourseCompleted, .doseCourseMismatch,
      .assessmentCourseUnknown, .completionCourseUnknown, .completionAlreadyCompleted:
      return "courseId"
    case .sessionsPerWeekPositive: return "sessionsPerWeek"
    case .targetDosePositive, .targetDoseEsketamine: return "targetDoseMgPerKg"
    case .sessionWeightRange, .doseWeightRange: return "weightKg"
    case .sessionDuplicate, .doseSessionNotStarted, .infusionSessionNotStarted, .infusionNoIVDose,
      .vitalsSessionNotStarted, .sideEffectSessionNotStarted, .assessmentSessionNotStarted,
      .dischargeSessionNotStarted, .alreadyDischarged, .followUpSessionNotStarted:
      return "sessionId"
    case .doseMgPositive, .esketamineMultiple, .esketamineMax: return "doseMg"
    case .doseMgPerKgMismatch, .ivMax: return "doseMgPerKg"
    case .esketamineContraindicated: return "drug"
    case .plannedDurationNotIV, .plannedDurationPositive: return "plannedDurationMinutes"
    case .infusionReasonEmpty, .correctionReasonEmpty, .voidReasonEmpty: return "reason"
    case .newRateRequired, .newRateNotAllowed, .newRatePositive: return "newRateMgPerMinute"
    case .heartRateRange: return "heartRateBpm"
    case .systolicRange, .bloodPressureOrder: return "systolicMmHg"
    case .diastolicRange: return "diastolicMmHg"
    case .spo2Range: return "spo2Percent"
    case .respiratoryRateRange: return "respiratoryRatePerMinute"
    case .temperatureRange: return "temperatureCelsius"
    case .itemCount: return "itemScores"
    case .itemRange: return "itemScores[]"
    case .totalRange, .totalMismatch: return "totalScore"
    case .minutesObservedMin: return "minutesObserved"
    case .followUpDuplicate, .followUpUnknown, .followUpAlreadyCompleted: return "followUpId"
    case .correctionTargetUnknown, .correctionTargetOtherStream, .correctionTargetVoided,
      .correctionTargetIsCorrection:
      return "correctedEventId"
    case .voidTargetUnknown, .voidTargetOtherStream, .voidTargetAlreadyVoided, .voidTargetIsVoid:
      return "voidedEventId"
    case .protocolVersionEmpty: return "protocolVersion"
    }
  }

  /// The limit in words; errors may state it more precisely (e.g. the instrument's item count).
  /// Over 80 lines, knowingly: a table, one line per rule.
  var limit: String {
    switch self {
    case .invalidJSON: "must be well-formed JSON whose numbers fit a double"
    case .unknownType: "must be an event type of the catalogue"
    case .unsupportedVersion: "must be a schema version this library knows"
    case .missing: "is required"
    case .wrongType: "must have the JSON type of the schema (null is not allowed)"
    case .unknownEnumValue: "must be one of the codes listed by the schema"
    case .unknownKey: "is not a field of this type; no other keys are allowed"
    case .invalidFormat: "must be a UUID or an RFC 3339 date-time with an explicit offset"
    case .notFinite: "must be a finite number"
    case .idFormat: "must be 1 to 128 characters from A-Z a-z 0-9 . _ : -"
    case .textEmpty: "must not be empty or blank"
    case .icd10: "must be an ICD-10 code such as F33.2"
    case .notRegistered: "the patient must be registered (PatientRegistered) first"
    case .alreadyRegistered: "a patient is registered once"
    case .birthYearFuture: "not after the current year"
    case .birthYearMin: "1900 or later"
    case .allergiesMissing: "must be present; an empty list states no known allergies"
    case .medicationsMissing: "must be present; an empty list states no current medications"
    case .trialWeeksMin: "0 weeks or more"
    case .plannedSessionsMin: "at least 1 session"
    case .courseDuplicate: "a course id already planned cannot be planned again"
    case .sessionsPerWeekPositive: "above 0 sessions a week"
    case .targetDosePositive: "above 0 mg/kg"
    case .targetDoseEsketamine: "absent for esketamine (dosed in fixed 28 mg devices)"
    case .sessionCourseUnknown: "must name a planned course"
    case .sessionCourseCompleted: "must name a course not yet completed"
    case .sessionWeightRange: "20 to 350 kg"
    case .sessionDuplicate: "a session id already started cannot be started again"
    case .doseSessionNotStarted: "must name a started session"
    case .doseCourseMismatch: "must be the course of the dose's session"
    case .doseMgPositive: "above 0 mg"
    case .doseWeightRange: "20 to 350 kg"
    case .doseMgPerKgMismatch: "within 1% of doseMg divided by weightKg"
    case .ivMax: "at most 2 mg/kg for IV"
    case .esketamineMultiple: "a multiple of 28 mg for esketamine"
    case .esketamineMax: "at most 84 mg for esketamine"
    case .consentNotInForce: "consent to treatment must be in force at the time of the dose"
    case .notEligible:
      "the latest consultation at the time of the dose must have found the patient eligible"
    case .esketamineContraindicated:
      "esketamine must not be given with aneurysmal vascular disease, intracerebral haemorrhage"
        + " history or ketamine hypersensitivity recorded"
    case .plannedDurationNotIV: "only for route iv"
    case .plannedDurationPositive: "above 0 minutes"
    case .infusionReasonEmpty, .correctionReasonEmpty, .voidReasonEmpty:
      "must not be empty or blank"
    case .infusionSessionNotStarted: "must name a started session"
    case .infusionNoIVDose: "the session must have an IV dose"
    case .newRateRequired: "required when action is rateChanged"
    case .newRateNotAllowed: "only when action is rateChanged"
    case .newRatePositive: "above 0 mg/min"
    case .vitalsSessionNotStarted: "must name a started session"
    case .vitalsNone: "at least one measurement"
    case .heartRateRange: "0 to 300 bpm"
    case .systolicRange: "0 to 300 mmHg"
    case .diastolicRange: "0 to 200 mmHg"
    case .bloodPressureOrder: "systolic above diastolic"
    case .spo2Range: "0 to 100 %"
    case .respiratoryRateRange: "0 to 80 a minute"
    case .temperatureRange: "25 to 45 °C"
    case .sideEffectSessionNotStarted: "must name a started session"
    case .itemCount:
      "the instrument's item count (PHQ-9 9, GAD-7 7, PCL-5 20, MADRS 10, QIDS-SR16 16, CADSS 23)"
    case .itemRange:
      "the instrument's item range (PHQ-9 0-3, GAD-7 0-3, PCL-5 0-4, MADRS 0-6, QIDS-SR16 0-3,"
        + " CADSS 0-4)"
    case .totalRange:
      "the instrument's total range (PHQ-9 0-27, GAD-7 0-21, PCL-5 0-80, MADRS 0-60,"
        + " QIDS-SR16 0-27, CADSS 0-92)"
    case .totalMismatch:
      "the instrument's scoring of itemScores (the sum; QIDS-SR16: its nine domains)"
    case .assessmentCourseUnknown: "must name a planned course"
    case .assessmentSessionNotStarted: "must name a started session"
    case .dischargeSessionNotStarted: "must name a started session"
    case .alreadyDischarged: "a session is discharged once"
    case .minutesObservedMin: "0 minutes or more"
    case .followUpDuplicate: "a follow-up id already scheduled cannot be scheduled again"
    case .followUpSessionNotStarted: "must name a started session"
    case .followUpUnknown: "must name a scheduled follow-up"
    case .followUpAlreadyCompleted: "a follow-up is completed once"
    case .completionCourseUnknown: "must name a planned course"
    case .completionAlreadyCompleted: "a course is completed once"
    case .correctionTargetUnknown: "must name an entry of this patient's stream"
    case .correctionTargetOtherStream: "must name an entry of the same stream, not of another"
    case .correctionTargetVoided: "must name an entry that is not voided"
    case .correctionTargetIsCorrection:
      "must name an original entry, not a correction or a void"
    case .voidTargetUnknown: "must name an entry of this patient's stream"
    case .voidTargetOtherStream: "must name an entry of the same stream, not of another"
    case .voidTargetAlreadyVoided: "must name an entry that is not already voided"
    case .voidTargetIsVoid: "must not name a void"
    case .protocolVersionEmpty: "must be a non-empty string"
    case .thresholdPositive: "must be a finite number above 0"
    case .thresholdOrder: "a low threshold must be below its high threshold"
    case .thresholdRange: "a vital-sign threshold must lie within that sign's possible range"
    }
  }
}

/// Soft alerts: the flag code is the raw value.
enum FlagCode: String, CaseIterable, Sendable {
  case minor = "patient.age.minor"
  case trdInsufficientTrials = "consultation.trd.insufficientTrials"
  case eligibleWithContraindication = "consultation.eligible.withContraindication"
  case maintenanceFrequency = "course.maintenance.frequency"
  case escortNotArranged = "session.escort.notArranged"
  case weightChanged = "session.weight.changed"
  case ivHigh = "dose.iv.high"
  case imHigh = "dose.im.high"
  case scHigh = "dose.sc.high"
  case oralOutOfRange = "dose.oral.outOfRange"
  case sublingualOutOfRange = "dose.sublingual.outOfRange"
  case routeDiffers = "dose.route.differsFromCourse"
  case drugDiffers = "dose.drug.differsFromCourse"
  case stoppedEarly = "infusion.stoppedEarly"
  case heartRateLow = "vitals.heartRate.low"
  case heartRateHigh = "vitals.heartRate.high"
  case systolicHighAtBaseline = "vitals.systolic.highAtBaseline"
  case systolicHigh = "vitals.systolic.high"
  case systolicLow = "vitals.systolic.low"
  case diastolicHighAtBaseline = "vitals.diastolic.highAtBaseline"
  case diastolicHigh = "vitals.diastolic.high"
  case spo2Low = "vitals.spo2.low"
  case respiratoryRateLow = "vitals.respiratoryRate.low"
  case respiratoryRateHigh = "vitals.respiratoryRate.high"
  case temperatureLow = "vitals.temperature.low"
  case temperatureHigh = "vitals.temperature.high"
  case sideEffectSevere = "sideEffect.severe"
  case sideEffectSerious = "sideEffect.serious"
  case suicidalThoughts = "assessment.phq9.suicidalThoughts"
  case esketamineShortObservation = "discharge.esketamine.shortObservation"
  case escortAbsent = "discharge.escort.absent"
  case criteriaNotMet = "discharge.criteria.notMet"
  case completedLate = "followUp.completedLate"

  var field: String {
    switch self {
    case .minor: "birthYear"
    case .trdInsufficientTrials: "priorAntidepressantTrials"
    case .eligibleWithContraindication: "contraindications"
    case .maintenanceFrequency: "sessionsPerWeek"
    case .escortNotArranged: "escortArranged"
    case .weightChanged: "weightKg"
    case .ivHigh, .imHigh, .scHigh, .oralOutOfRange, .sublingualOutOfRange: "doseMgPerKg"
    case .routeDiffers: "route"
    case .drugDiffers: "drug"
    case .stoppedEarly: "action"
    case .heartRateLow, .heartRateHigh: "heartRateBpm"
    case .systolicHighAtBaseline, .systolicHigh, .systolicLow: "systolicMmHg"
    case .diastolicHighAtBaseline, .diastolicHigh: "diastolicMmHg"
    case .spo2Low: "spo2Percent"
    case .respiratoryRateLow, .respiratoryRateHigh: "respiratoryRatePerMinute"
    case .temperatureLow, .temperatureHigh: "temperatureCelsius"
    case .sideEffectSevere: "severity"
    case .sideEffectSerious: "serious"
    case .suicidalThoughts: "itemScores[8]"
    case .esketamineShortObservation: "minutesObserved"
    case .escortAbsent: "escortPresent"
    case .criteriaNotMet: "criteriaMet"
    case .completedLate: "followUpId"
    }
  }

  /// The rule in words with the protocol's thresholds; never a patient value.
  func rule(_ t: ClinicalThresholds) -> String {
    switch self {
    case .minor:
      "patient under \(t.adultAgeYears) years old (current year minus birth year)"
    case .trdInsufficientTrials:
      "treatment-resistant depression with fewer than \(t.trdMinimumTrials) antidepressant"
        + " trials of at least \(t.trdMinimumTrialWeeks) weeks"
    case .eligibleWithContraindication: "found eligible with a contraindication recorded"
    case .maintenanceFrequency:
      "more than \(number(t.maintenanceMaxSessionsPerWeek)) sessions a week in maintenance"
    case .escortNotArranged: "no escort home arranged"
    case .weightChanged:
      "weight changed by more than \(number(t.weightChangePercent))% since the previous session"
    case .ivHigh: "IV dose over \(number(t.ivAlertMgPerKg)) mg/kg"
    case .imHigh: "IM dose over \(number(t.imAlertMgPerKg)) mg/kg"
    case .scHigh: "SC dose over \(number(t.imAlertMgPerKg)) mg/kg"
    case .oralOutOfRange:
      "oral dose outside \(number(t.oralMinMgPerKg))-\(number(t.oralMaxMgPerKg)) mg/kg"
    case .sublingualOutOfRange:
      "sublingual dose outside \(number(t.oralMinMgPerKg))-\(number(t.oralMaxMgPerKg)) mg/kg"
    case .routeDiffers: "route differs from the course's route"
    case .drugDiffers: "drug differs from the course's drug"
    case .stoppedEarly: "infusion stopped early"
    case .heartRateLow: "heart rate at or below \(number(t.heartRateLowBpm)) bpm"
    case .heartRateHigh: "heart rate at or above \(number(t.heartRateHighBpm)) bpm"
    case .systolicHighAtBaseline:
      "systolic pressure at or above \(number(t.systolicHighBaselineMmHg)) mmHg at baseline"
    case .systolicHigh:
      "systolic pressure at or above \(number(t.systolicHighMmHg)) mmHg after baseline"
    case .systolicLow: "systolic pressure at or below \(number(t.systolicLowMmHg)) mmHg"
    case .diastolicHighAtBaseline:
      "diastolic pressure at or above \(number(t.diastolicHighBaselineMmHg)) mmHg at baseline"
    case .diastolicHigh:
      "diastolic pressure at or above \(number(t.diastolicHighMmHg)) mmHg after baseline"
    case .spo2Low: "SpO2 at or below \(number(t.spo2LowPercent))%"
    case .respiratoryRateLow:
      "respiratory rate at or below \(number(t.respiratoryRateLow)) a minute"
    case .respiratoryRateHigh:
      "respiratory rate at or above \(number(t.respiratoryRateHigh)) a minute"
    case .temperatureLow: "temperature at or below \(number(t.temperatureLowCelsius)) °C"
    case .temperatureHigh: "temperature at or above \(number(t.temperatureHighCelsius)) °C"
    case .sideEffectSevere: "severe side effect"
    case .sideEffectSerious: "serious adverse event"
    case .suicidalThoughts: "PHQ-9 item 9 (thoughts of self-harm) scored 1 or more"
    case .esketamineShortObservation:
      "esketamine session observed for under \(t.esketamineMinObservationMinutes) minutes"
    case .escortAbsent: "discharged without an escort present"
    case .criteriaNotMet: "discharged with discharge criteria not met"
    case .completedLate: "follow-up completed after its due time"
    }
  }
}

/// Formats a threshold without a needless fraction: `50`, `0.75`, `38.1`.
func number(_ value: Double) -> String {
  if value.isFinite, value == value.rounded(), abs(value) < 1e15 {
    return String(Int(value))
  }
  return String(value)
}
