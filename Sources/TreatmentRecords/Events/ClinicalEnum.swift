import Foundation

/// A closed set of string codes from docs/CLINICAL-RULES.md sections 1-5.
///
/// Decoding an unknown code fails with the rule `decode.field.unknownEnumValue`, naming the field
/// but never the value that was sent.
public protocol ClinicalEnum: RawRepresentable<String>, CaseIterable, Codable, Sendable, Hashable {}

extension ClinicalEnum {
  /// Decodes the code, rejecting values outside the catalogue without echoing them.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    if container.decodeNil() {
      throw FieldIssue.wrongType(decoder.codingPath, expected: "a string, not null")
    }
    let text: String
    do {
      text = try container.decode(String.self)
    } catch {
      throw FieldIssue.wrongType(decoder.codingPath, expected: "a string")
    }
    guard let value = Self(rawValue: text) else {
      throw FieldIssue(
        path: decoder.codingPath,
        rule: HardLimit.unknownEnumValue.rawValue,
        limit: "must be one of: " + Self.allCases.map(\.rawValue).joined(separator: ", ")
      )
    }
    self = value
  }
}

/// Sex recorded at birth.
public enum SexAtBirth: String, ClinicalEnum {
  /// Female.
  case female
  /// Male.
  case male
  /// Intersex.
  case intersex
  /// Not known or not stated.
  case unknown
}

/// Why the patient is being considered for ketamine therapy.
public enum Indication: String, ClinicalEnum {
  /// Treatment-resistant depression (at least two adequate antidepressant trials).
  case treatmentResistantDepression
  /// Major depressive disorder.
  case majorDepression
  /// Depression in bipolar disorder.
  case bipolarDepression
  /// Anxiety disorder.
  case anxiety
  /// Post-traumatic stress disorder.
  case ptsd
  /// Obsessive-compulsive disorder.
  case ocd
  /// Chronic pain.
  case chronicPain
  /// Substance use disorder.
  case substanceUse
  /// Any other indication.
  case other
}

/// The outcome of an earlier antidepressant trial.
public enum TrialOutcome: String, ClinicalEnum {
  /// No response.
  case none
  /// Partial response.
  case partial
  /// Full response.
  case full
}

/// A contraindication recorded at consultation.
public enum Contraindication: String, ClinicalEnum {
  /// Hypertension that is not controlled.
  case uncontrolledHypertension
  /// A history of psychosis.
  case psychosisHistory
  /// Pregnancy.
  case pregnancy
  /// Active substance use.
  case activeSubstanceUse
  /// Aneurysmal vascular disease (an absolute contraindication for esketamine).
  case aneurysmalVascularDisease
  /// Earlier intracerebral haemorrhage (an absolute contraindication for esketamine).
  case intracerebralHemorrhageHistory
  /// Hypersensitivity to ketamine (an absolute contraindication for esketamine).
  case ketamineHypersensitivity
  /// Raised intracranial pressure.
  case raisedIntracranialPressure
  /// Severe liver disease.
  case severeLiverDisease
  /// Any other contraindication.
  case other
}

/// What a consent covers.
public enum ConsentScope: String, ClinicalEnum {
  /// Consent to treatment; a dose needs this scope in force.
  case treatment
  /// Consent to off-label use.
  case offLabelUse
  /// Enrolment under the esketamine REMS programme.
  case rems
  /// Consent to share data.
  case dataSharing
}

/// The drug given.
public enum Drug: String, ClinicalEnum {
  /// Racemic ketamine.
  case ketamine
  /// Esketamine (intranasal, 28 mg devices).
  case esketamine
}

/// The route of administration.
public enum Route: String, ClinicalEnum {
  /// Intravenous infusion.
  case iv
  /// Intramuscular bolus.
  case im
  /// Subcutaneous bolus.
  case sc
  /// Intranasal.
  case intranasal
  /// Oral.
  case oral
  /// Sublingual.
  case sublingual
}

/// The phase of a course.
public enum CoursePhase: String, ClinicalEnum {
  /// Induction: typically 4–6 sessions at 2–3 a week.
  case induction
  /// Maintenance: sessions weeks apart.
  case maintenance
  /// Booster sessions.
  case booster
}

/// A change made to a running IV infusion.
public enum InfusionAction: String, ClinicalEnum {
  /// The rate was changed (`newRateMgPerMinute` is then required).
  case rateChanged
  /// The infusion was paused.
  case paused
  /// The infusion was resumed.
  case resumed
  /// The infusion was stopped before the planned dose (flagged).
  case stopped
}

/// When a set of vital signs was taken.
public enum VitalsTimepoint: String, ClinicalEnum {
  /// Before the dose.
  case baseline
  /// During the dose.
  case during
  /// At the end of the dose.
  case endOfDose
  /// During recovery.
  case recovery
  /// At discharge.
  case discharge
}

/// A side effect.
public enum SideEffectKind: String, ClinicalEnum {
  /// Dissociation.
  case dissociation
  /// Nausea.
  case nausea
  /// Vomiting.
  case vomiting
  /// Raised blood pressure.
  case hypertension
  /// Raised heart rate.
  case tachycardia
  /// Dizziness.
  case dizziness
  /// Confusion.
  case confusion
  /// Hallucinations.
  case hallucinations
  /// Headache.
  case headache
  /// Anxiety.
  case anxiety
  /// Allergic reaction.
  case allergicReaction
  /// Any other side effect.
  case other
}

/// How severe a side effect was.
public enum Severity: String, ClinicalEnum {
  /// Mild.
  case mild
  /// Moderate.
  case moderate
  /// Severe (flagged).
  case severe
}

/// An outcome measure.
public enum Instrument: String, ClinicalEnum {
  /// PHQ-9: 9 items scored 0–3, total 0–27.
  case phq9
  /// GAD-7: 7 items scored 0–3, total 0–21.
  case gad7
  /// PCL-5: 20 items scored 0–4, total 0–80.
  case pcl5
  /// MADRS: 10 items scored 0–6, total 0–60.
  case madrs
  /// QIDS-SR16: 16 items scored 0–3, total 0–27 over 9 domains (see the conventions).
  case qidsSr16
  /// CADSS: 23 items scored 0–4, total 0–92.
  case cadss
}

/// When an assessment was taken.
public enum AssessmentTimepoint: String, ClinicalEnum {
  /// Before the course.
  case baseline
  /// Before a session.
  case preSession
  /// After a session.
  case postSession
  /// At a follow-up.
  case followUp
  /// At the end of the course.
  case endOfCourse
}

/// What kind of follow-up is scheduled.
public enum FollowUpKind: String, ClinicalEnum {
  /// A telephone call.
  case call
  /// A visit.
  case visit
  /// An assessment.
  case assessment
}

/// Why a course ended.
public enum CourseCompletionReason: String, ClinicalEnum {
  /// All planned sessions were given.
  case completed
  /// Stopped by the clinic.
  case discontinued
  /// Stopped because the patient did not respond.
  case nonResponse
  /// Stopped after an adverse event.
  case adverseEvent
  /// Stopped at the patient's choice.
  case patientChoice
}
