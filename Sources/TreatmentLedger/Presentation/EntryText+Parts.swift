import Foundation
import LedgerFoundation

extension EntryText {
  /// One primary part, or nil when the field is absent.
  static func part(type: String, key: String, data: JSONValue) -> String? {
    guard let value = data[key], value != .null else { return nil }
    let string = value.stringValue
    let number = value.numberValue
    switch key {
    case "systolicMmHg":
      guard let systolic = number else { return nil }
      let diastolic = data["diastolicMmHg"]?.numberValue.map { "/" + Self.number($0) } ?? ""
      return "BP \(Self.number(systolic))\(diastolic) mmHg"
    case "doseMg":
      let perKg =
        data["doseMgPerKg"]?.numberValue.map { " (\(Self.number($0, digits: 3)) mg/kg)" } ?? ""
      return number.map { "\(Self.number($0)) mg\(perKg)" }
    case "totalScore":
      return assessmentPart(data)
    case "plannedSessions":
      let perWeek = data["sessionsPerWeek"]?.numberValue.map { ", \(Self.number($0))/week" } ?? ""
      return number.map { "\(Self.number($0)) sessions\(perWeek)" }
    case "sessionId":
      return string.map { "session \($0)" }
    case "correctedEventId":
      return string.map { "corrects \(shortId($0))" }
    case "voidedEventId":
      return string.map { "voids \(shortId($0))" }
    case "reason" where type == "CourseCompleted":
      return string.map { "reason: \(ClinicalLabels.code($0))" }
    case "reason", "actionTaken", "outcome", "eligibilityNote":
      return string.map { "\(key == "actionTaken" ? "action" : label(key)) \(quoted($0))" }
    case "serious":
      return value == .bool(true) ? "SERIOUS" : nil
    case "eligible":
      return value == .bool(true) ? "eligible" : "NOT eligible"
    case "given":
      return value == .bool(true) ? "given" : "WITHDRAWN"
    case "escortArranged", "escortPresent", "criteriaMet", "fasted", "noDrivingAdviceGiven":
      return yesNo(key, value)
    case "dueAt", "resolvedAt":
      return string.map { "\(key == "dueAt" ? "due" : "resolved") \(clinicalTime($0))" }
    case "lotNumber", "formVersion":
      return string.map { "\(key == "lotNumber" ? "lot" : "form") \($0)" }
    case "priorAntidepressantTrials":
      return trialsPart(value)
    case "allergies", "currentMedications", "diagnoses", "contraindications", "newSideEffects":
      return listPart(key, value)
    default:
      if let (label, unit) = units[key], let number {
        return "\(label) \(Self.number(number))\(unit.isEmpty ? "" : " " + unit)"
      }
      if let string {
        return key == "route" ? ClinicalLabels.route(string) : ClinicalLabels.code(string)
      }
      return "\(label(key)) \(generic(value))"
    }
  }

  /// `PHQ-9 17, item 9 = 1`; `GAD-7 12`.
  static func assessmentPart(_ data: JSONValue) -> String? {
    guard let total = data["totalScore"]?.numberValue else { return nil }
    let instrument = data["instrument"]?.stringValue ?? "?"
    var text = "\(ClinicalLabels.instrument(instrument)) \(number(total))"
    if let max = ClinicalLabels.maxScore(instrument) { text += "/\(number(max))" }
    if instrument == "phq9", let item9 = value(at: "itemScores[8]", in: data)?.numberValue {
      text += ", item 9 = \(number(item9))"
    }
    return text
  }

  static func yesNo(_ key: String, _ value: JSONValue) -> String {
    let yes = value == .bool(true)
    switch key {
    case "escortArranged": return yes ? "escort arranged" : "NO escort arranged"
    case "escortPresent": return yes ? "escort present" : "NO escort present"
    case "criteriaMet": return yes ? "criteria met" : "criteria NOT met"
    case "fasted": return yes ? "fasted" : "not fasted"
    default: return yes ? "no-driving advice given" : "NO no-driving advice"
    }
  }

  /// `allergies none` (an empty list is a statement) or `allergies "penicillin", "latex"`.
  static func listPart(_ key: String, _ value: JSONValue) -> String {
    guard case .array(let items) = value else { return "\(label(key)) \(generic(value))" }
    let name =
      key == "currentMedications"
      ? "medications" : key == "newSideEffects" ? "new side effects" : label(key)
    if items.isEmpty { return "\(name) none" }
    let words = items.map { item in
      guard let text = item.stringValue else { return generic(item) }
      return key == "contraindications" ? ClinicalLabels.code(text) : quoted(text)
    }
    return "\(name) " + words.joined(separator: ", ")
  }

  /// `prior trials: "venlafaxine" 12 wk partial; …`.
  static func trialsPart(_ value: JSONValue) -> String {
    guard case .array(let trials) = value else { return "prior trials \(generic(value))" }
    if trials.isEmpty { return "prior trials none" }
    let words = trials.map { trial in
      let drug = trial["drug"]?.stringValue.map(quoted) ?? "?"
      let weeks = trial["weeks"]?.numberValue.map { " \(number($0)) wk" } ?? ""
      let outcome = trial["outcome"]?.stringValue.map { " \(ClinicalLabels.code($0))" } ?? ""
      return drug + weeks + outcome
    }
    return "prior trials " + words.joined(separator: "; ")
  }

  /// The first 8 hex digits of an event id, lower case: enough to tie a correction to its target.
  public static func shortId(_ id: String) -> String { String(id.lowercased().prefix(8)) }

  /// A clinical time as `2026-07-09 09:10` (the offset is dropped; `--wide` shows it).
  public static func clinicalTime(_ text: String, withOffset: Bool = false) -> String {
    guard text.count >= 16 else { return text }
    let minute = text.prefix(10) + " " + text.dropFirst(11).prefix(5)
    guard withOffset else { return String(minute) }
    let offset = text.hasSuffix("Z") ? "Z" : String(text.suffix(6))
    return "\(minute) \(offset)"
  }
}
