import Foundation
import Testing
import TreatmentRecords

@Suite("Clinical protocol")
struct ProtocolTests {
  @Test("Defaults are those of docs/CLINICAL-RULES.md")
  func defaults() {
    let clinic = ClinicalProtocol()
    let t = clinic.thresholds
    #expect(clinic.protocolVersion == "default-1")
    #expect(t.adultAgeYears == 18 && t.trdMinimumTrials == 2 && t.trdMinimumTrialWeeks == 6)
    #expect(t.maintenanceMaxSessionsPerWeek == 2 && t.weightChangePercent == 5)
    #expect(t.ivAlertMgPerKg == 0.75 && t.imAlertMgPerKg == 1)
    #expect(t.oralMinMgPerKg == 0.25 && t.oralMaxMgPerKg == 7)
    #expect(t.heartRateLowBpm == 50 && t.heartRateHighBpm == 111)
    #expect(
      t.systolicHighBaselineMmHg == 140 && t.systolicHighMmHg == 180 && t.systolicLowMmHg == 90)
    #expect(t.diastolicHighBaselineMmHg == 90 && t.diastolicHighMmHg == 110)
    #expect(t.spo2LowPercent == 93 && t.respiratoryRateLow == 8 && t.respiratoryRateHigh == 25)
    #expect(t.temperatureLowCelsius == 35.0 && t.temperatureHighCelsius == 38.1)
    #expect(t.esketamineMinObservationMinutes == 120)
    #expect(throws: Never.self) { try clinic.validate() }
  }

  @Test("A file without thresholds takes every default")
  func versionOnly() throws {
    let clinic = try ClinicalProtocol.load(json: Data(#"{"protocolVersion":"clinic-1"}"#.utf8))
    #expect(clinic.protocolVersion == "clinic-1")
    #expect(clinic.thresholds == ClinicalThresholds())
  }

  @Test("A custom file overrides some thresholds and keeps the rest")
  func custom() throws {
    let clinic = try ClinicalProtocol.load(
      json: Data(
        #"{"protocolVersion":"clinic-2","thresholds":{"heartRateHighBpm":100,"esketamineMinObservationMinutes":150,"ivAlertMgPerKg":0.6}}"#
          .utf8))
    #expect(clinic.thresholds.heartRateHighBpm == 100)
    #expect(clinic.thresholds.esketamineMinObservationMinutes == 150)
    #expect(clinic.thresholds.ivAlertMgPerKg == 0.6)
    #expect(clinic.thresholds.heartRateLowBpm == 50)
  }

  @Test("Encoding writes every threshold and loads back equal")
  func roundTrip() throws {
    var thresholds = ClinicalThresholds()
    thresholds.spo2LowPercent = 92
    let clinic = ClinicalProtocol(protocolVersion: "clinic-3", thresholds: thresholds)
    let json = try JSONEncoder().encode(clinic)
    let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
    #expect((object["thresholds"] as? [String: Any])?.count == 22)
    #expect(try ClinicalProtocol.load(json: json) == clinic)
  }

  @Test(
    "Invalid files are refused with a rule and a field",
    arguments: [
      (#"{"thresholds":{}}"#, "decode.field.missing", "protocolVersion"),
      (#"{"protocolVersion":"x","extra":1}"#, "decode.field.unknownKey", "extra"),
      (
        #"{"protocolVersion":"x","thresholds":{"heartRate":50}}"#, "decode.field.unknownKey",
        "thresholds.heartRate"
      ),
      (
        #"{"protocolVersion":"x","thresholds":{"heartRateLowBpm":"50"}}"#, "decode.field.wrongType",
        "thresholds.heartRateLowBpm"
      ),
      (
        #"{"protocolVersion":"x","thresholds":{"adultAgeYears":17.5}}"#, "decode.field.wrongType",
        "thresholds.adultAgeYears"
      ),
      (
        #"{"protocolVersion":"x","thresholds":{"spo2LowPercent":0}}"#,
        "protocol.threshold.positive", "thresholds.spo2LowPercent"
      ),
      (
        #"{"protocolVersion":"x","thresholds":{"oralMinMgPerKg":8}}"#, "protocol.threshold.order",
        "thresholds.oralMinMgPerKg"
      ),
      (
        #"{"protocolVersion":"x","thresholds":{"temperatureHighCelsius":34}}"#,
        "protocol.threshold.order", "thresholds.temperatureLowCelsius"
      ),
      (
        #"{"protocolVersion":"x","thresholds":{"systolicLowMmHg":150}}"#,
        "protocol.threshold.order", "thresholds.systolicLowMmHg"
      ),
      (#"{"protocolVersion":""}"#, "protocol.version.empty", "protocolVersion"),
      (#"["x"]"#, "decode.field.wrongType", ""),
      (#"{"protocolVersion":"x""#, "decode.json.invalid", ""),
    ])
  func invalid(_ json: String, _ rule: String, _ field: String) throws {
    let error = try #require(protocolError(json))
    #expect(error.rule == rule)
    #expect(error.field == field)
    #expect(error.eventType == "ClinicalProtocol")
  }
}
