import Foundation
import LedgerEventStore
import LedgerFoundation
import TreatmentRecords

/// One controlled-substance event of an `inventory-<site>` stream, tagged by type: the seven
/// types of docs/DEA.md.
///
/// ```swift
/// let event = try InventoryEvent.decode(type: "StockReceived", schemaVersion: 1, value: data)
/// let data = event.json
/// ```
public enum InventoryEvent: Sendable, Hashable {
  /// ``RegistrationRecorded``.
  case registrationRecorded(RegistrationRecorded)
  /// ``StockReceived``.
  case stockReceived(StockReceived)
  /// ``StockAdministered``.
  case stockAdministered(StockAdministered)
  /// ``WasteRecorded``.
  case wasteRecorded(WasteRecorded)
  /// ``InventoryCounted``.
  case inventoryCounted(InventoryCounted)
  /// ``LossReported``.
  case lossReported(LossReported)
  /// ``StockDisposed``.
  case stockDisposed(StockDisposed)

  /// Every type name with its schema version, in catalogue order.
  public static let allTypes: [(type: String, schemaVersion: Int)] = payloadTypes.map {
    (type: $0.eventType, schemaVersion: $0.schemaVersion)
  }

  static let payloadTypes: [any InventoryEventData.Type] = [
    RegistrationRecorded.self, StockReceived.self, StockAdministered.self, WasteRecorded.self,
    InventoryCounted.self, LossReported.self, StockDisposed.self,
  ]

  /// The payload as its concrete type.
  public var payload: any InventoryEventData {
    switch self {
    case .registrationRecorded(let data): data
    case .stockReceived(let data): data
    case .stockAdministered(let data): data
    case .wasteRecorded(let data): data
    case .inventoryCounted(let data): data
    case .lossReported(let data): data
    case .stockDisposed(let data): data
    }
  }

  /// The envelope's `type`.
  public var eventType: String { type(of: payload).eventType }

  /// The payload's schema version.
  public var schemaVersion: Int { type(of: payload).schemaVersion }

  /// The payload as the envelope's `data`.
  public var json: JSONValue { payload.json }

  /// Reads a `data` payload of the given type and version.
  ///
  /// - Throws: `decode.type.unknown`, `decode.schemaVersion.unsupported`, or the payload's own
  ///   `decode.*` / `format.*` refusal, naming the field and never its value.
  public static func decode(
    type: String, schemaVersion: Int, value: JSONValue
  ) throws(ClinicalValidationError) -> InventoryEvent {
    guard let payloadType = payloadTypes.first(where: { $0.eventType == type }) else {
      throw ClinicalValidationError(
        eventType: "(unknown)", field: "type", rule: "decode.type.unknown",
        limit: "one of the controlled-substance event types")
    }
    guard schemaVersion == payloadType.schemaVersion else {
      throw ClinicalValidationError(
        eventType: type, field: "schemaVersion", rule: "decode.schemaVersion.unsupported",
        limit: "must be \(payloadType.schemaVersion)")
    }
    switch try payloadType.init(json: value) {
    case let data as RegistrationRecorded: return .registrationRecorded(data)
    case let data as StockReceived: return .stockReceived(data)
    case let data as StockAdministered: return .stockAdministered(data)
    case let data as WasteRecorded: return .wasteRecorded(data)
    case let data as InventoryCounted: return .inventoryCounted(data)
    case let data as LossReported: return .lossReported(data)
    case let data as StockDisposed: return .stockDisposed(data)
    default:
      throw ClinicalValidationError(
        eventType: type, field: "type", rule: "decode.type.unknown",
        limit: "one of the controlled-substance event types")
    }
  }

  /// The containers the event names.
  public var containerIds: [String] {
    switch self {
    case .registrationRecorded: []
    case .stockReceived(let data): data.containerIds
    case .stockAdministered(let data): [data.containerId]
    case .wasteRecorded(let data): [data.containerId]
    case .inventoryCounted(let data): data.lines.map(\.containerId)
    case .lossReported(let data): data.containerIds
    case .stockDisposed(let data): data.containerIds
    }
  }
}
