import Foundation
import LedgerFoundation

/// A set of vital signs. Each measurement may be absent, but not all of them.
///
/// Hard limits (impossible values): heart rate 0–300 bpm; systolic 0–300 mmHg; diastolic 0–200
/// mmHg; systolic above diastolic; SpO2 0–100%; respiratory rate 0–80 a minute; temperature
/// 25–45 °C; the session started. Alarming but possible values are accepted and flagged using
/// the protocol's thresholds (NEWS2-like bands by default).
public struct VitalsRecorded: ClinicalEventData {
  /// `"VitalsRecorded"`.
  public static let eventType = "VitalsRecorded"
  /// Version 1.
  public static let schemaVersion = 1

  /// The session.
  public var sessionId: String
  /// When in the session the reading was taken.
  public var timepoint: VitalsTimepoint
  /// Heart rate in beats a minute (0–300).
  public var heartRateBpm: Double?
  /// Systolic blood pressure in mmHg (0–300).
  public var systolicMmHg: Double?
  /// Diastolic blood pressure in mmHg (0–200).
  public var diastolicMmHg: Double?
  /// Oxygen saturation in percent (0–100).
  public var spo2Percent: Double?
  /// Breaths a minute (0–80).
  public var respiratoryRatePerMinute: Double?
  /// Body temperature in degrees Celsius (25–45).
  public var temperatureCelsius: Double?

  /// Creates the payload.
  public init(
    sessionId: String, timepoint: VitalsTimepoint, heartRateBpm: Double? = nil,
    systolicMmHg: Double? = nil, diastolicMmHg: Double? = nil, spo2Percent: Double? = nil,
    respiratoryRatePerMinute: Double? = nil, temperatureCelsius: Double? = nil
  ) {
    self.sessionId = sessionId
    self.timepoint = timepoint
    self.heartRateBpm = heartRateBpm
    self.systolicMmHg = systolicMmHg
    self.diastolicMmHg = diastolicMmHg
    self.spo2Percent = spo2Percent
    self.respiratoryRatePerMinute = respiratoryRatePerMinute
    self.temperatureCelsius = temperatureCelsius
  }

  enum CodingKeys: String, CodingKey, CaseIterable {
    case sessionId, timepoint, heartRateBpm, systolicMmHg, diastolicMmHg, spo2Percent
    case respiratoryRatePerMinute, temperatureCelsius
  }

  /// Decodes strictly: unknown keys, nulls and wrong types are rejected.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
    sessionId = try c.required(.sessionId)
    timepoint = try c.required(.timepoint)
    heartRateBpm = try c.optional(.heartRateBpm)
    systolicMmHg = try c.optional(.systolicMmHg)
    diastolicMmHg = try c.optional(.diastolicMmHg)
    spo2Percent = try c.optional(.spo2Percent)
    respiratoryRatePerMinute = try c.optional(.respiratoryRatePerMinute)
    temperatureCelsius = try c.optional(.temperatureCelsius)
  }
}

/// A side effect was observed during or after a session.
///
/// Hard limit: the session started. Soft alerts: `severe`; `serious: true`.
public struct SideEffectObserved: ClinicalEventData {
  /// `"SideEffectObserved"`.
  public static let eventType = "SideEffectObserved"
  /// Version 1.
  public static let schemaVersion = 1

  /// The session.
  public var sessionId: String
  /// What was observed.
  public var effect: SideEffectKind
  /// How severe it was.
  public var severity: Severity
  /// Whether it is a serious adverse event.
  public var serious: Bool
  /// What was done about it (non-empty).
  public var actionTaken: String
  /// When it resolved, if it has.
  public var resolvedAt: ClinicalTime?

  /// Creates the payload.
  public init(
    sessionId: String, effect: SideEffectKind, severity: Severity, serious: Bool,
    actionTaken: String, resolvedAt: ClinicalTime? = nil
  ) {
    self.sessionId = sessionId
    self.effect = effect
    self.severity = severity
    self.serious = serious
    self.actionTaken = actionTaken
    self.resolvedAt = resolvedAt
  }

  enum CodingKeys: String, CodingKey, CaseIterable {
    case sessionId, effect, severity, serious, actionTaken, resolvedAt
  }

  /// Decodes strictly: unknown keys, nulls and wrong types are rejected.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
    sessionId = try c.required(.sessionId)
    effect = try c.required(.effect)
    severity = try c.required(.severity)
    serious = try c.required(.serious)
    actionTaken = try c.required(.actionTaken)
    resolvedAt = try c.optional(.resolvedAt)
  }
}

/// An outcome measure was scored.
///
/// Hard limits: the instrument's item count and item range; `totalScore` within the
/// instrument's range and equal to its scoring of `itemScores` (the sum, except QIDS-SR16's nine
/// domains); a given `courseId` is planned and a given `sessionId` started.
/// Soft alert: PHQ-9 item 9 (thoughts of self-harm) at 1 or more.
public struct AssessmentRecorded: ClinicalEventData {
  /// `"AssessmentRecorded"`.
  public static let eventType = "AssessmentRecorded"
  /// Version 1.
  public static let schemaVersion = 1

  /// The instrument.
  public var instrument: Instrument
  /// The item scores in the instrument's order (integers).
  public var itemScores: [Int]
  /// The total score (integer).
  public var totalScore: Int
  /// When the assessment was taken.
  public var timepoint: AssessmentTimepoint
  /// The course it belongs to, if any.
  public var courseId: String?
  /// The session it belongs to, if any.
  public var sessionId: String?

  /// Creates the payload.
  public init(
    instrument: Instrument, itemScores: [Int], totalScore: Int, timepoint: AssessmentTimepoint,
    courseId: String? = nil, sessionId: String? = nil
  ) {
    self.instrument = instrument
    self.itemScores = itemScores
    self.totalScore = totalScore
    self.timepoint = timepoint
    self.courseId = courseId
    self.sessionId = sessionId
  }

  enum CodingKeys: String, CodingKey, CaseIterable {
    case instrument, itemScores, totalScore, timepoint, courseId, sessionId
  }

  /// Decodes strictly: unknown keys, nulls and wrong types are rejected.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
    instrument = try c.required(.instrument)
    itemScores = try c.requiredInts(.itemScores)
    totalScore = try c.requiredInt(.totalScore)
    timepoint = try c.required(.timepoint)
    courseId = try c.optional(.courseId)
    sessionId = try c.optional(.sessionId)
  }
}
