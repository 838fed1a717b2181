import Foundation

/// A patient joined the clinic's records. The first event of every patient stream.
///
/// Hard limits: `birthYear` not before 1900 and not after the current year.
/// Soft alert: the patient may be under the protocol's adult age (18 by default).
public struct PatientRegistered: ClinicalEventData {
  /// `"PatientRegistered"`.
  public static let eventType = "PatientRegistered"
  /// Version 1.
  public static let schemaVersion = 1

  /// The pseudonymous patient identifier; the stream is `patient-<patientId>`.
  public var patientId: String
  /// Year of birth (integer, 1900 … current year). Only the year is kept, by design.
  public var birthYear: Int
  /// Sex recorded at birth.
  public var sexAtBirth: SexAtBirth

  /// Creates the payload.
  public init(patientId: String, birthYear: Int, sexAtBirth: SexAtBirth) {
    self.patientId = patientId
    self.birthYear = birthYear
    self.sexAtBirth = sexAtBirth
  }

  enum CodingKeys: String, CodingKey, CaseIterable {
    case patientId, birthYear, sexAtBirth
  }

  /// Decodes strictly: unknown keys, nulls and wrong types are rejected.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
    patientId = try c.required(.patientId)
    birthYear = try c.requiredInt(.birthYear)
    sexAtBirth = try c.required(.sexAtBirth)
  }
}

/// One earlier antidepressant trial, as told at consultation.
public struct PriorAntidepressantTrial: Codable, Sendable, Hashable {
  /// The drug's name (free text, non-empty).
  public var drug: String
  /// How long the trial lasted, in whole weeks (≥ 0).
  public var weeks: Int
  /// How the patient responded.
  public var outcome: TrialOutcome

  /// Creates a trial record.
  public init(drug: String, weeks: Int, outcome: TrialOutcome) {
    self.drug = drug
    self.weeks = weeks
    self.outcome = outcome
  }

  enum CodingKeys: String, CodingKey, CaseIterable {
    case drug, weeks, outcome
  }

  /// Decodes strictly: unknown keys, nulls and wrong types are rejected.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
    drug = try c.required(.drug)
    weeks = try c.requiredInt(.weeks)
    outcome = try c.required(.outcome)
  }
}

/// A prescriber's consultation: history, contraindications and the eligibility decision.
///
/// Hard limits: `allergies` and `currentMedications` must be present (an empty list states
/// "none known"). Soft alerts: treatment-resistant depression with fewer than 2 trials of at
/// least 6 weeks; eligible despite a recorded contraindication.
public struct ConsultationRecorded: ClinicalEventData {
  /// `"ConsultationRecorded"`.
  public static let eventType = "ConsultationRecorded"
  /// Version 1.
  public static let schemaVersion = 1

  /// The main indication.
  public var indication: Indication
  /// ICD-10 codes, e.g. `F33.2`.
  public var diagnoses: [String]
  /// Known allergies; empty means none known.
  public var allergies: [String]
  /// Current medications; empty means none.
  public var currentMedications: [String]
  /// Earlier antidepressant trials.
  public var priorAntidepressantTrials: [PriorAntidepressantTrial]
  /// Contraindications found; empty means none.
  public var contraindications: [Contraindication]
  /// Whether the prescriber found the patient eligible. A dose needs the latest consultation
  /// (at or before its time) to say `true`.
  public var eligible: Bool
  /// The prescriber's note on eligibility (optional, non-empty when present).
  public var eligibilityNote: String?

  /// Creates the payload.
  public init(
    indication: Indication, diagnoses: [String], allergies: [String],
    currentMedications: [String], priorAntidepressantTrials: [PriorAntidepressantTrial],
    contraindications: [Contraindication], eligible: Bool, eligibilityNote: String? = nil
  ) {
    self.indication = indication
    self.diagnoses = diagnoses
    self.allergies = allergies
    self.currentMedications = currentMedications
    self.priorAntidepressantTrials = priorAntidepressantTrials
    self.contraindications = contraindications
    self.eligible = eligible
    self.eligibilityNote = eligibilityNote
  }

  enum CodingKeys: String, CodingKey, CaseIterable {
    case indication, diagnoses, allergies, currentMedications, priorAntidepressantTrials
    case contraindications, eligible, eligibilityNote
  }

  /// Decodes strictly. A missing `allergies` or `currentMedications` is reported with the
  /// domain rule (`consultation.allergies.missing`, `consultation.currentMedications.missing`).
  public init(from decoder: any Decoder) throws {
    let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
    indication = try c.required(.indication)
    diagnoses = try c.required(.diagnoses)
    guard c.contains(.allergies) else {
      throw FieldIssue(
        path: c.codingPath + [CodingKeys.allergies], rule: HardLimit.allergiesMissing.rawValue,
        limit: HardLimit.allergiesMissing.limit)
    }
    allergies = try c.required(.allergies)
    guard c.contains(.currentMedications) else {
      throw FieldIssue(
        path: c.codingPath + [CodingKeys.currentMedications],
        rule: HardLimit.medicationsMissing.rawValue, limit: HardLimit.medicationsMissing.limit)
    }
    currentMedications = try c.required(.currentMedications)
    priorAntidepressantTrials = try c.required(.priorAntidepressantTrials)
    contraindications = try c.required(.contraindications)
    eligible = try c.required(.eligible)
    eligibilityNote = try c.optional(.eligibilityNote)
  }
}

/// Consent given or withdrawn for one scope. The latest consent per scope (at or before a given
/// time) is the one in force; `given: false` withdraws.
public struct ConsentRecorded: ClinicalEventData {
  /// `"ConsentRecorded"`.
  public static let eventType = "ConsentRecorded"
  /// Version 1.
  public static let schemaVersion = 1

  /// The consent form's identifier.
  public var consentId: String
  /// What the consent covers.
  public var scope: ConsentScope
  /// The version of the consent form used (non-empty).
  public var formVersion: String
  /// `true` gives consent, `false` withdraws it.
  public var given: Bool

  /// Creates the payload.
  public init(consentId: String, scope: ConsentScope, formVersion: String, given: Bool) {
    self.consentId = consentId
    self.scope = scope
    self.formVersion = formVersion
    self.given = given
  }

  enum CodingKeys: String, CodingKey, CaseIterable {
    case consentId, scope, formVersion, given
  }

  /// Decodes strictly: unknown keys, nulls and wrong types are rejected.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
    consentId = try c.required(.consentId)
    scope = try c.required(.scope)
    formVersion = try c.required(.formVersion)
    given = try c.required(.given)
  }
}
