import Foundation

/// A treatment session began: the pre-session check.
///
/// Hard limits: the course is planned and not completed; `weightKg` within 20–350; `sessionId`
/// not already started. Soft alerts: no escort arranged; weight changed by more than 5% since the
/// patient's previous session.
public struct SessionStarted: ClinicalEventData {
  /// `"SessionStarted"`.
  public static let eventType = "SessionStarted"
  /// Version 1.
  public static let schemaVersion = 1

  /// The session's identifier, unique within the patient.
  public var sessionId: String
  /// The course this session belongs to.
  public var courseId: String
  /// Body weight in kilograms (20–350).
  public var weightKg: Double
  /// Whether an escort home has been arranged.
  public var escortArranged: Bool
  /// Whether the patient has fasted.
  public var fasted: Bool

  /// Creates the payload.
  public init(
    sessionId: String, courseId: String, weightKg: Double, escortArranged: Bool, fasted: Bool
  ) {
    self.sessionId = sessionId
    self.courseId = courseId
    self.weightKg = weightKg
    self.escortArranged = escortArranged
    self.fasted = fasted
  }

  enum CodingKeys: String, CodingKey, CaseIterable {
    case sessionId, courseId, weightKg, escortArranged, fasted
  }

  /// Decodes strictly: unknown keys, nulls and wrong types are rejected.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
    sessionId = try c.required(.sessionId)
    courseId = try c.required(.courseId)
    weightKg = try c.required(.weightKg)
    escortArranged = try c.required(.escortArranged)
    fasted = try c.required(.fasted)
  }
}

/// A dose was given (a DEA-relevant administration record).
///
/// Hard limits: session started and of the same course; `doseMg` above 0; `weightKg` 20–350;
/// `doseMgPerKg` within 1% of `doseMg ÷ weightKg`; IV at most 2 mg/kg; esketamine a multiple of
/// 28 mg and at most 84 mg; consent to treatment in force; latest consultation eligible;
/// esketamine not given with aneurysmal vascular disease, intracerebral haemorrhage history or
/// ketamine hypersensitivity recorded; `plannedDurationMinutes` only for IV and above 0.
/// Soft alerts: IV over 0.75 mg/kg; IM over 1 mg/kg; oral outside 0.25–7 mg/kg (and the same
/// bands for SC and sublingual); route or drug differs from the course's.
public struct DoseAdministered: ClinicalEventData {
  /// `"DoseAdministered"`.
  public static let eventType = "DoseAdministered"
  /// Version 1.
  public static let schemaVersion = 1

  /// The session the dose was given in.
  public var sessionId: String
  /// The course of that session.
  public var courseId: String
  /// The drug given.
  public var drug: Drug
  /// The route used.
  public var route: Route
  /// Total dose in milligrams (above 0).
  public var doseMg: Double
  /// Body weight used for the calculation, in kilograms (20–350).
  public var weightKg: Double
  /// Dose in mg per kg; must agree with `doseMg ÷ weightKg` within 1%.
  public var doseMgPerKg: Double
  /// Planned infusion duration in minutes (IV only).
  public var plannedDurationMinutes: Double?
  /// The drug lot number (non-empty).
  public var lotNumber: String

  /// Creates the payload.
  public init(
    sessionId: String, courseId: String, drug: Drug, route: Route, doseMg: Double,
    weightKg: Double, doseMgPerKg: Double, plannedDurationMinutes: Double? = nil,
    lotNumber: String
  ) {
    self.sessionId = sessionId
    self.courseId = courseId
    self.drug = drug
    self.route = route
    self.doseMg = doseMg
    self.weightKg = weightKg
    self.doseMgPerKg = doseMgPerKg
    self.plannedDurationMinutes = plannedDurationMinutes
    self.lotNumber = lotNumber
  }

  enum CodingKeys: String, CodingKey, CaseIterable {
    case sessionId, courseId, drug, route, doseMg, weightKg, doseMgPerKg
    case plannedDurationMinutes, lotNumber
  }

  /// Decodes strictly: unknown keys, nulls and wrong types are rejected.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
    sessionId = try c.required(.sessionId)
    courseId = try c.required(.courseId)
    drug = try c.required(.drug)
    route = try c.required(.route)
    doseMg = try c.required(.doseMg)
    weightKg = try c.required(.weightKg)
    doseMgPerKg = try c.required(.doseMgPerKg)
    plannedDurationMinutes = try c.optional(.plannedDurationMinutes)
    lotNumber = try c.required(.lotNumber)
  }
}

/// A running IV infusion was changed, paused, resumed or stopped.
///
/// Hard limits: non-empty `reason`; the session has an IV dose; `newRateMgPerMinute` present
/// (and above 0) exactly when `action` is `rateChanged`. Soft alert: `stopped` (stopped early).
public struct InfusionAdjusted: ClinicalEventData {
  /// `"InfusionAdjusted"`.
  public static let eventType = "InfusionAdjusted"
  /// Version 1.
  public static let schemaVersion = 1

  /// The session of the infusion.
  public var sessionId: String
  /// What was done.
  public var action: InfusionAction
  /// The new rate in mg per minute (for `rateChanged` only).
  public var newRateMgPerMinute: Double?
  /// Why (non-empty after trimming).
  public var reason: String

  /// Creates the payload.
  public init(
    sessionId: String, action: InfusionAction, newRateMgPerMinute: Double? = nil, reason: String
  ) {
    self.sessionId = sessionId
    self.action = action
    self.newRateMgPerMinute = newRateMgPerMinute
    self.reason = reason
  }

  enum CodingKeys: String, CodingKey, CaseIterable {
    case sessionId, action, newRateMgPerMinute, reason
  }

  /// Decodes strictly: unknown keys, nulls and wrong types are rejected.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
    sessionId = try c.required(.sessionId)
    action = try c.required(.action)
    newRateMgPerMinute = try c.optional(.newRateMgPerMinute)
    reason = try c.required(.reason)
  }
}

/// The patient left the clinic after a session.
///
/// Hard limits: session started and not already discharged; `minutesObserved` ≥ 0.
/// Soft alerts: esketamine session observed under 120 minutes; no escort present; discharge
/// criteria not met.
public struct PatientDischarged: ClinicalEventData {
  /// `"PatientDischarged"`.
  public static let eventType = "PatientDischarged"
  /// Version 1.
  public static let schemaVersion = 1

  /// The session ending.
  public var sessionId: String
  /// Minutes observed after the dose (integer, ≥ 0).
  public var minutesObserved: Int
  /// Whether discharge criteria were met.
  public var criteriaMet: Bool
  /// Whether an escort was present.
  public var escortPresent: Bool
  /// Whether the patient was told not to drive until the next day.
  public var noDrivingAdviceGiven: Bool

  /// Creates the payload.
  public init(
    sessionId: String, minutesObserved: Int, criteriaMet: Bool, escortPresent: Bool,
    noDrivingAdviceGiven: Bool
  ) {
    self.sessionId = sessionId
    self.minutesObserved = minutesObserved
    self.criteriaMet = criteriaMet
    self.escortPresent = escortPresent
    self.noDrivingAdviceGiven = noDrivingAdviceGiven
  }

  enum CodingKeys: String, CodingKey, CaseIterable {
    case sessionId, minutesObserved, criteriaMet, escortPresent, noDrivingAdviceGiven
  }

  /// Decodes strictly: unknown keys, nulls and wrong types are rejected.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
    sessionId = try c.required(.sessionId)
    minutesObserved = try c.requiredInt(.minutesObserved)
    criteriaMet = try c.required(.criteriaMet)
    escortPresent = try c.required(.escortPresent)
    noDrivingAdviceGiven = try c.required(.noDrivingAdviceGiven)
  }
}
