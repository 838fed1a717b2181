import Foundation

/// The soft-alert thresholds of a clinic's protocol, with the defaults of
/// docs/CLINICAL-RULES.md section 5.
///
/// Comparisons follow docs/CLINICAL-RULES.md section 5: "HR ≤ 50 or ≥ 111" flags a value at or
/// below
/// ``heartRateLowBpm`` or at or above ``heartRateHighBpm``; "over" means strictly greater.
public struct ClinicalThresholds: Codable, Sendable, Hashable {
  /// Age in years below which a patient is flagged as a minor (default 18).
  public var adultAgeYears: Int = 18
  /// Trials needed for treatment-resistant depression (default 2).
  public var trdMinimumTrials: Int = 2
  /// Weeks a trial must last to count (default 6).
  public var trdMinimumTrialWeeks: Int = 6
  /// Sessions a week above which a maintenance course is flagged (default 2).
  public var maintenanceMaxSessionsPerWeek: Double = 2
  /// Weight change in percent since the previous session above which a session is flagged
  /// (default 5).
  public var weightChangePercent: Double = 5
  /// IV dose in mg/kg above which a dose is flagged (default 0.75).
  public var ivAlertMgPerKg: Double = 0.75
  /// IM (and SC) dose in mg/kg above which a dose is flagged (default 1).
  public var imAlertMgPerKg: Double = 1
  /// Oral (and sublingual) dose in mg/kg below which a dose is flagged (default 0.25).
  public var oralMinMgPerKg: Double = 0.25
  /// Oral (and sublingual) dose in mg/kg above which a dose is flagged (default 7).
  public var oralMaxMgPerKg: Double = 7
  /// Heart rate in bpm at or below which a reading is flagged (default 50).
  public var heartRateLowBpm: Double = 50
  /// Heart rate in bpm at or above which a reading is flagged (default 111).
  public var heartRateHighBpm: Double = 111
  /// Systolic mmHg at or above which a baseline reading is flagged (default 140).
  public var systolicHighBaselineMmHg: Double = 140
  /// Systolic mmHg at or above which a later reading is flagged (default 180).
  public var systolicHighMmHg: Double = 180
  /// Systolic mmHg at or below which any reading is flagged (default 90).
  public var systolicLowMmHg: Double = 90
  /// Diastolic mmHg at or above which a baseline reading is flagged (default 90).
  public var diastolicHighBaselineMmHg: Double = 90
  /// Diastolic mmHg at or above which a later reading is flagged (default 110).
  public var diastolicHighMmHg: Double = 110
  /// SpO2 percent at or below which a reading is flagged (default 93).
  public var spo2LowPercent: Double = 93
  /// Breaths a minute at or below which a reading is flagged (default 8).
  public var respiratoryRateLow: Double = 8
  /// Breaths a minute at or above which a reading is flagged (default 25).
  public var respiratoryRateHigh: Double = 25
  /// Temperature in °C at or below which a reading is flagged (default 35.0).
  public var temperatureLowCelsius: Double = 35.0
  /// Temperature in °C at or above which a reading is flagged (default 38.1).
  public var temperatureHighCelsius: Double = 38.1
  /// Minutes of observation below which an esketamine discharge is flagged (default 120, the
  /// REMS minimum).
  public var esketamineMinObservationMinutes: Int = 120

  /// The defaults of docs/CLINICAL-RULES.md section 5.
  public init() {}

  enum CodingKeys: String, CodingKey, CaseIterable {
    case adultAgeYears, trdMinimumTrials, trdMinimumTrialWeeks, maintenanceMaxSessionsPerWeek
    case weightChangePercent, ivAlertMgPerKg, imAlertMgPerKg, oralMinMgPerKg, oralMaxMgPerKg
    case heartRateLowBpm, heartRateHighBpm, systolicHighBaselineMmHg, systolicHighMmHg
    case systolicLowMmHg, diastolicHighBaselineMmHg, diastolicHighMmHg, spo2LowPercent
    case respiratoryRateLow, respiratoryRateHigh, temperatureLowCelsius, temperatureHighCelsius
    case esketamineMinObservationMinutes
  }

  /// Decodes strictly: unknown keys are rejected; a missing threshold keeps its default.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
    func int(_ key: CodingKeys, _ fallback: Int) throws -> Int {
      try c.optional(key, as: JSONInteger.self)?.value ?? fallback
    }
    func double(_ key: CodingKeys, _ fallback: Double) throws -> Double {
      try c.optional(key, as: Double.self) ?? fallback
    }
    adultAgeYears = try int(.adultAgeYears, adultAgeYears)
    trdMinimumTrials = try int(.trdMinimumTrials, trdMinimumTrials)
    trdMinimumTrialWeeks = try int(.trdMinimumTrialWeeks, trdMinimumTrialWeeks)
    maintenanceMaxSessionsPerWeek = try double(
      .maintenanceMaxSessionsPerWeek, maintenanceMaxSessionsPerWeek)
    weightChangePercent = try double(.weightChangePercent, weightChangePercent)
    ivAlertMgPerKg = try double(.ivAlertMgPerKg, ivAlertMgPerKg)
    imAlertMgPerKg = try double(.imAlertMgPerKg, imAlertMgPerKg)
    oralMinMgPerKg = try double(.oralMinMgPerKg, oralMinMgPerKg)
    oralMaxMgPerKg = try double(.oralMaxMgPerKg, oralMaxMgPerKg)
    heartRateLowBpm = try double(.heartRateLowBpm, heartRateLowBpm)
    heartRateHighBpm = try double(.heartRateHighBpm, heartRateHighBpm)
    systolicHighBaselineMmHg = try double(.systolicHighBaselineMmHg, systolicHighBaselineMmHg)
    systolicHighMmHg = try double(.systolicHighMmHg, systolicHighMmHg)
    systolicLowMmHg = try double(.systolicLowMmHg, systolicLowMmHg)
    diastolicHighBaselineMmHg = try double(.diastolicHighBaselineMmHg, diastolicHighBaselineMmHg)
    diastolicHighMmHg = try double(.diastolicHighMmHg, diastolicHighMmHg)
    spo2LowPercent = try double(.spo2LowPercent, spo2LowPercent)
    respiratoryRateLow = try double(.respiratoryRateLow, respiratoryRateLow)
    respiratoryRateHigh = try double(.respiratoryRateHigh, respiratoryRateHigh)
    temperatureLowCelsius = try double(.temperatureLowCelsius, temperatureLowCelsius)
    temperatureHighCelsius = try double(.temperatureHighCelsius, temperatureHighCelsius)
    esketamineMinObservationMinutes = try int(
      .esketamineMinObservationMinutes, esketamineMinObservationMinutes)
  }

  /// Every threshold by key, for validation.
  var numericValues: [(key: String, value: Double)] {
    [
      ("adultAgeYears", Double(adultAgeYears)), ("trdMinimumTrials", Double(trdMinimumTrials)),
      ("trdMinimumTrialWeeks", Double(trdMinimumTrialWeeks)),
      ("maintenanceMaxSessionsPerWeek", maintenanceMaxSessionsPerWeek),
      ("weightChangePercent", weightChangePercent), ("ivAlertMgPerKg", ivAlertMgPerKg),
      ("imAlertMgPerKg", imAlertMgPerKg), ("oralMinMgPerKg", oralMinMgPerKg),
      ("oralMaxMgPerKg", oralMaxMgPerKg), ("heartRateLowBpm", heartRateLowBpm),
      ("heartRateHighBpm", heartRateHighBpm),
      ("systolicHighBaselineMmHg", systolicHighBaselineMmHg),
      ("systolicHighMmHg", systolicHighMmHg), ("systolicLowMmHg", systolicLowMmHg),
      ("diastolicHighBaselineMmHg", diastolicHighBaselineMmHg),
      ("diastolicHighMmHg", diastolicHighMmHg), ("spo2LowPercent", spo2LowPercent),
      ("respiratoryRateLow", respiratoryRateLow), ("respiratoryRateHigh", respiratoryRateHigh),
      ("temperatureLowCelsius", temperatureLowCelsius),
      ("temperatureHighCelsius", temperatureHighCelsius),
      ("esketamineMinObservationMinutes", Double(esketamineMinObservationMinutes)),
    ]
  }

  /// Vital-sign thresholds and the range of values the sign can take (the hard limits).
  var vitalRanges: [(key: String, value: Double, range: ClosedRange<Double>)] {
    [
      ("heartRateLowBpm", heartRateLowBpm, 0...300),
      ("heartRateHighBpm", heartRateHighBpm, 0...300),
      ("systolicHighBaselineMmHg", systolicHighBaselineMmHg, 0...300),
      ("systolicHighMmHg", systolicHighMmHg, 0...300),
      ("systolicLowMmHg", systolicLowMmHg, 0...300),
      ("diastolicHighBaselineMmHg", diastolicHighBaselineMmHg, 0...200),
      ("diastolicHighMmHg", diastolicHighMmHg, 0...200),
      ("spo2LowPercent", spo2LowPercent, 0...100),
      ("respiratoryRateLow", respiratoryRateLow, 0...80),
      ("respiratoryRateHigh", respiratoryRateHigh, 0...80),
      ("temperatureLowCelsius", temperatureLowCelsius, 25...45),
      ("temperatureHighCelsius", temperatureHighCelsius, 25...45),
    ]
  }

  /// Pairs that must be ordered low < high.
  var orderedPairs: [(low: String, lowValue: Double, high: String, highValue: Double)] {
    [
      ("oralMinMgPerKg", oralMinMgPerKg, "oralMaxMgPerKg", oralMaxMgPerKg),
      ("heartRateLowBpm", heartRateLowBpm, "heartRateHighBpm", heartRateHighBpm),
      ("systolicLowMmHg", systolicLowMmHg, "systolicHighBaselineMmHg", systolicHighBaselineMmHg),
      ("systolicLowMmHg", systolicLowMmHg, "systolicHighMmHg", systolicHighMmHg),
      ("respiratoryRateLow", respiratoryRateLow, "respiratoryRateHigh", respiratoryRateHigh),
      (
        "temperatureLowCelsius", temperatureLowCelsius, "temperatureHighCelsius",
        temperatureHighCelsius
      ),
    ]
  }
}
