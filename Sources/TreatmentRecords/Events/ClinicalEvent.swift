import Foundation
import LedgerFoundation

/// One clinical event's payload, tagged by type: the sixteen types of
/// docs/CLINICAL-RULES.md section 1.
///
/// ```swift
/// let event = try ClinicalEvent.decode(type: "SessionStarted", schemaVersion: 1, json: bytes)
/// let bytes = try event.jsonData()
/// ```
public enum ClinicalEvent: Sendable, Hashable {
  /// ``PatientRegistered``.
  case patientRegistered(PatientRegistered)
  /// ``ConsultationRecorded``.
  case consultationRecorded(ConsultationRecorded)
  /// ``ConsentRecorded``.
  case consentRecorded(ConsentRecorded)
  /// ``CoursePlanned``.
  case coursePlanned(CoursePlanned)
  /// ``SessionStarted``.
  case sessionStarted(SessionStarted)
  /// ``DoseAdministered``.
  case doseAdministered(DoseAdministered)
  /// ``InfusionAdjusted``.
  case infusionAdjusted(InfusionAdjusted)
  /// ``VitalsRecorded``.
  case vitalsRecorded(VitalsRecorded)
  /// ``SideEffectObserved``.
  case sideEffectObserved(SideEffectObserved)
  /// ``AssessmentRecorded``.
  case assessmentRecorded(AssessmentRecorded)
  /// ``PatientDischarged``.
  case patientDischarged(PatientDischarged)
  /// ``FollowUpScheduled``.
  case followUpScheduled(FollowUpScheduled)
  /// ``FollowUpCompleted``.
  case followUpCompleted(FollowUpCompleted)
  /// ``CourseCompleted``.
  case courseCompleted(CourseCompleted)
  /// ``EntryCorrected``.
  case entryCorrected(EntryCorrected)
  /// ``EntryVoided``.
  case entryVoided(EntryVoided)

  /// Every event type name with its current schema version, in catalogue order.
  public static let allTypes: [(type: String, schemaVersion: Int)] = payloadTypes.map {
    (type: $0.eventType, schemaVersion: $0.schemaVersion)
  }

  static let payloadTypes: [any ClinicalEventData.Type] = [
    PatientRegistered.self, ConsultationRecorded.self, ConsentRecorded.self, CoursePlanned.self,
    SessionStarted.self, DoseAdministered.self, InfusionAdjusted.self, VitalsRecorded.self,
    SideEffectObserved.self, AssessmentRecorded.self, PatientDischarged.self,
    FollowUpScheduled.self, FollowUpCompleted.self, CourseCompleted.self, EntryCorrected.self,
    EntryVoided.self,
  ]

  /// The payload as its concrete type.
  public var payload: any ClinicalEventData {
    switch self {
    case .patientRegistered(let data): data
    case .consultationRecorded(let data): data
    case .consentRecorded(let data): data
    case .coursePlanned(let data): data
    case .sessionStarted(let data): data
    case .doseAdministered(let data): data
    case .infusionAdjusted(let data): data
    case .vitalsRecorded(let data): data
    case .sideEffectObserved(let data): data
    case .assessmentRecorded(let data): data
    case .patientDischarged(let data): data
    case .followUpScheduled(let data): data
    case .followUpCompleted(let data): data
    case .courseCompleted(let data): data
    case .entryCorrected(let data): data
    case .entryVoided(let data): data
    }
  }

  /// The envelope's `type`, e.g. `"DoseAdministered"`.
  public var eventType: String { type(of: payload).eventType }

  /// The payload's schema version.
  public var schemaVersion: Int { type(of: payload).schemaVersion }

  /// The payload as the envelope's `data` JSON: sorted keys, UUIDs in lowercase.
  ///
  /// Throws `encode.number.notFinite` when a number is NaN or infinite (JSON cannot carry it).
  public func jsonData() throws(ClinicalValidationError) -> Data {
    try ClinicalCoding.encode(payload, eventType: eventType)
  }

  /// Decodes a `data` payload of the given type and schema version.
  ///
  /// Errors name the field path (e.g. `priorAntidepressantTrials[0].weeks`) and what was wrong:
  /// `decode.field.missing`, `decode.field.wrongType`, `decode.field.unknownEnumValue`,
  /// `decode.field.unknownKey`, `decode.field.invalidFormat`, `decode.json.invalid`,
  /// `decode.type.unknown`, `decode.schemaVersion.unsupported` (and the consultation's
  /// `consultation.allergies.missing` / `consultation.currentMedications.missing`). They never
  /// contain the value that was sent.
  public static func decode(
    type: String, schemaVersion: Int, json: Data
  ) throws(ClinicalValidationError) -> ClinicalEvent {
    guard let payloadType = payloadTypes.first(where: { $0.eventType == type }) else {
      throw ClinicalValidationError(
        eventType: "(unknown)", field: "type", rule: HardLimit.unknownType.rawValue,
        limit: HardLimit.unknownType.limit)
    }
    guard schemaVersion == payloadType.schemaVersion else {
      throw ClinicalValidationError(
        eventType: type, field: "schemaVersion", rule: HardLimit.unsupportedVersion.rawValue,
        limit: "must be \(payloadType.schemaVersion)")
    }
    return try decode(payloadType, json: json)
  }

  private static func decode<T: ClinicalEventData>(
    _ payloadType: T.Type, json: Data
  ) throws(ClinicalValidationError) -> ClinicalEvent {
    try wrap(try ClinicalCoding.decode(T.self, from: json, eventType: T.eventType))
  }

  /// The case of a decoded payload.
  static func wrap(
    _ value: some ClinicalEventData
  ) throws(ClinicalValidationError) -> ClinicalEvent {
    switch value {
    case let data as PatientRegistered: return .patientRegistered(data)
    case let data as ConsultationRecorded: return .consultationRecorded(data)
    case let data as ConsentRecorded: return .consentRecorded(data)
    case let data as CoursePlanned: return .coursePlanned(data)
    case let data as SessionStarted: return .sessionStarted(data)
    case let data as DoseAdministered: return .doseAdministered(data)
    case let data as InfusionAdjusted: return .infusionAdjusted(data)
    case let data as VitalsRecorded: return .vitalsRecorded(data)
    case let data as SideEffectObserved: return .sideEffectObserved(data)
    case let data as AssessmentRecorded: return .assessmentRecorded(data)
    case let data as PatientDischarged: return .patientDischarged(data)
    case let data as FollowUpScheduled: return .followUpScheduled(data)
    case let data as FollowUpCompleted: return .followUpCompleted(data)
    case let data as CourseCompleted: return .courseCompleted(data)
    case let data as EntryCorrected: return .entryCorrected(data)
    case let data as EntryVoided: return .entryVoided(data)
    default:
      throw ClinicalValidationError(
        eventType: type(of: value).eventType, field: "type", rule: HardLimit.unknownType.rawValue,
        limit: HardLimit.unknownType.limit)
    }
  }
}

/// JSON coding with errors mapped to field paths and rule codes, never values.
enum ClinicalCoding {
  static func encode(
    _ value: some Encodable, eventType: String
  ) throws(ClinicalValidationError) -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    do {
      return try encoder.encode(value)
    } catch let EncodingError.invalidValue(_, context) {
      throw ClinicalValidationError(
        eventType: eventType,
        field: FieldPath.render(context.codingPath.map(FieldPath.component)),
        rule: HardLimit.notFinite.rawValue, limit: HardLimit.notFinite.limit)
    } catch {
      throw ClinicalValidationError(
        eventType: eventType, field: "", rule: HardLimit.notFinite.rawValue,
        limit: HardLimit.notFinite.limit)
    }
  }

  static func decode<T: Decodable>(
    _ type: T.Type, from json: Data, eventType: String, fieldPrefix: String = ""
  ) throws(ClinicalValidationError) -> T {
    do {
      return try JSONDecoder().decode(T.self, from: json)
    } catch {
      throw map(error, eventType: eventType, fieldPrefix: fieldPrefix)
    }
  }

  static func map(
    _ error: any Error, eventType: String, fieldPrefix: String
  ) -> ClinicalValidationError {
    func make(_ path: [any CodingKey], _ rule: HardLimit, _ limit: String? = nil)
      -> ClinicalValidationError
    {
      ClinicalValidationError(
        eventType: eventType,
        field: FieldPath.join(fieldPrefix, FieldPath.render(path.map(FieldPath.component))),
        rule: rule.rawValue, limit: limit ?? rule.limit)
    }
    switch error {
    case let issue as FieldIssue:
      return ClinicalValidationError(
        eventType: eventType, field: FieldPath.join(fieldPrefix, FieldPath.render(issue.path)),
        rule: issue.rule, limit: issue.limit)
    case DecodingError.keyNotFound(let key, let context):
      return make(context.codingPath + [key], .missing)
    case DecodingError.typeMismatch(let type, let context):
      if context.codingPath.isEmpty, fieldPrefix.isEmpty {
        return make([], .wrongType, "data must be a JSON object")
      }
      return make(context.codingPath, .wrongType, "must be " + JSONTypeName.of(type))
    case DecodingError.valueNotFound(let type, let context):
      return make(context.codingPath, .wrongType, "must be \(JSONTypeName.of(type)), not null")
    case DecodingError.dataCorrupted(let context)
    where !context.codingPath.isEmpty
      && (context.underlyingError as? LedgerParseError)?.kind == .time:
      return make(
        context.codingPath, .invalidFormat,
        "must be an RFC 3339 date-time with an explicit offset")
    case DecodingError.dataCorrupted(let context) where !context.codingPath.isEmpty:
      return make(context.codingPath, .invalidFormat, "must be a valid value of its type")
    default:
      return make([], .invalidJSON)
    }
  }
}
