import Foundation
import LedgerFoundation

/// The words of one event's data for people: its clinically important fields first, labelled
/// and with units (`BP 146/104 mmHg`, `SpO2 93 %`, `PHQ-9 17, item 9 = 1`), free text quoted.
///
/// ```swift
/// EntryText.parts(type: "VitalsRecorded", data: data)
/// // ["during", "BP 146/104 mmHg", "HR 88 bpm", "SpO2 93 %", "RR 14 /min"]
/// ```
public enum EntryText {
  /// The primary parts of `data` for an event of `type`, in the order a clinician reads them.
  /// Fields the type does not show here are in ``secondaryParts(type:data:)``.
  public static func parts(type: String, data: JSONValue) -> [String] {
    var parts: [String] = []
    for key in primaryKeys[type] ?? [] {
      if let part = part(type: type, key: key, data: data) { parts.append(part) }
    }
    return parts
  }

  /// The fields not in ``parts(type:data:)`` (ids, lot numbers, notes), as `name value`.
  public static func secondaryParts(type: String, data: JSONValue) -> [String] {
    guard case .object(let members) = data else { return [] }
    let shown = Set((primaryKeys[type] ?? []).flatMap { coveredKeys[$0] ?? [$0] })
    return members.keys.sorted().filter { !shown.contains($0) }.compactMap { key in
      guard let value = members[key], value != .null else { return nil }
      return "\(key) \(generic(value))"
    }
  }

  /// One field as `label value unit`, e.g. `HR 73 bpm`, for the fields of a correction.
  public static func field(_ key: String, _ value: JSONValue) -> String {
    if let (name, unit) = units[key], let amount = value.numberValue {
      return "\(name) \(Self.number(amount))\(unit.isEmpty ? "" : " " + unit)"
    }
    return "\(label(key)) \(generic(value))"
  }

  /// The value at a flag's field path (`spo2Percent`, `itemScores[8]`, `replacement.heartRateBpm`).
  public static func value(at path: String, in data: JSONValue) -> JSONValue? {
    var current: JSONValue? = data
    for component in path.split(separator: ".") {
      var name = Substring(component)
      var index: Int?
      if let open = component.firstIndex(of: "["), component.hasSuffix("]") {
        name = component[..<open]
        index = Int(
          component[component.index(after: open)..<component.index(before: component.endIndex)])
      }
      current = current?[String(name)]
      if let index {
        guard case .array(let items) = current, items.indices.contains(index) else { return nil }
        current = items[index]
      }
    }
    return current
  }

  /// A number without needless digits: `57.3`, `0.5`, `93` (at most `digits` decimals).
  public static func number(_ value: Double, digits: Int = 2) -> String {
    var text = String(format: "%.\(digits)f", value)
    if text.contains(".") {
      while text.hasSuffix("0") { text.removeLast() }
      if text.hasSuffix(".") { text.removeLast() }
    }
    return text == "-0" ? "0" : text
  }

  /// Text in double quotes, with quotes and control characters escaped, so that free text can
  /// never be mistaken for the labels around it.
  public static func quoted(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      default:
        out.unicodeScalars.append(scalar.properties.generalCategory == .control ? "?" : scalar)
      }
    }
    return out + "\""
  }

  static let primaryKeys: [String: [String]] = [
    "PatientRegistered": ["birthYear", "sexAtBirth"],
    "ConsultationRecorded": [
      "indication", "eligible", "contraindications", "allergies", "currentMedications",
      "priorAntidepressantTrials",
      "diagnoses", "eligibilityNote",
    ],
    "ConsentRecorded": ["scope", "given", "formVersion"],
    "CoursePlanned": [
      "drug", "route", "phase", "plannedSessions", "targetDoseMgPerKg", "indication",
    ],
    "SessionStarted": ["sessionId", "weightKg", "escortArranged", "fasted"],
    "DoseAdministered": ["doseMg", "drug", "route", "plannedDurationMinutes", "lotNumber"],
    "InfusionAdjusted": ["action", "newRateMgPerMinute", "reason"],
    "VitalsRecorded": [
      "timepoint", "systolicMmHg", "heartRateBpm", "spo2Percent", "respiratoryRatePerMinute",
      "temperatureCelsius",
    ],
    "SideEffectObserved": ["effect", "severity", "serious", "actionTaken", "resolvedAt"],
    "AssessmentRecorded": ["totalScore", "timepoint"],
    "PatientDischarged": [
      "minutesObserved", "criteriaMet", "escortPresent", "noDrivingAdviceGiven",
    ],
    "FollowUpScheduled": ["kind", "dueAt"],
    "FollowUpCompleted": ["outcome", "newSideEffects"],
    "CourseCompleted": ["reason"],
    "EntryCorrected": ["correctedEventId", "reason"],
    "EntryVoided": ["voidedEventId", "reason"],
  ]

  /// Primary keys whose part shows more than their own field.
  static let coveredKeys: [String: [String]] = [
    "systolicMmHg": ["systolicMmHg", "diastolicMmHg"], "doseMg": ["doseMg", "doseMgPerKg"],
    "totalScore": ["totalScore", "instrument", "itemScores"],
    "plannedSessions": ["plannedSessions", "sessionsPerWeek"],
    "correctedEventId": ["correctedEventId", "replacement"],
  ]

  static let units: [String: (String, String)] = [
    "heartRateBpm": ("HR", "bpm"), "systolicMmHg": ("systolic", "mmHg"),
    "diastolicMmHg": ("diastolic", "mmHg"),
    "spo2Percent": ("SpO2", "%"), "respiratoryRatePerMinute": ("RR", "/min"),
    "temperatureCelsius": ("T", "°C"),
    "weightKg": ("weight", "kg"), "doseMg": ("dose", "mg"), "doseMgPerKg": ("dose", "mg/kg"),
    "plannedDurationMinutes": ("over", "min"), "newRateMgPerMinute": ("new rate", "mg/min"),
    "minutesObserved": ("observed", "min"), "targetDoseMgPerKg": ("target", "mg/kg"),
    "totalScore": ("total", ""),
    "birthYear": ("born", ""),
  ]

  static func label(_ key: String) -> String { ClinicalLabels.code(key) }

  static func generic(_ value: JSONValue) -> String {
    switch value {
    case .string(let text): return quoted(text)
    case .number(let number): return Self.number(number, digits: 4)
    case .bool(let flag): return flag ? "yes" : "no"
    case .null: return "–"
    case .array(let items):
      return items.isEmpty ? "none" : "[" + items.map(generic).joined(separator: ", ") + "]"
    case .object(let members):
      return "{"
        + members.keys.sorted().map { "\($0) \(members[$0].map(generic) ?? "")" }.joined(
          separator: ", ") + "}"
    }
  }
}
