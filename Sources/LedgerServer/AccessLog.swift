import Foundation
import LedgerFoundation
import TreatmentLedger

/// One read of patient data through the server, as recorded in the reserved `$access` stream:
/// who (token subject, role and id), which patients, what (route, as-of), why (purpose) and when.
/// It holds no patient data value.
public struct AccessRecord: Sendable, Hashable {
  /// The stored event.
  public var event: RecordedEvent
  /// The token's subject.
  public var subject: String { event.recordedBy.id }
  /// The token's role.
  public var role: String { event.recordedBy.role }
  /// The token's id in the auth file.
  public var tokenId: String? { event.data["tokenId"]?.stringValue }
  /// Why the data was read.
  public var purpose: String? { event.data["purpose"]?.stringValue }
  /// The route read, such as `GET /v1/patients/{patientId}/timeline`.
  public var route: String? { event.data["route"]?.stringValue }
  /// The as-of time asked for, if any.
  public var asOf: String? { event.data["asOf"]?.stringValue }
  /// True when the read covered every patient (an audit export of the whole log).
  public var allPatients: Bool { event.data["allPatients"] == .bool(true) }
  /// The patients whose data was sent (empty with ``allPatients``).
  public var patients: [String] {
    guard case .array(let ids)? = event.data["patients"] else { return [] }
    return ids.compactMap(\.stringValue)
  }
  /// When the store recorded the read (before the data was sent).
  public var recordedAt: String { event.recordedAt }

  /// The record as JSON (for the access route and `audit access --json`).
  public var json: JSONValue {
    var members: [String: JSONValue] = [
      "subject": .string(subject), "role": .string(role), "recordedAt": .string(recordedAt),
      "patients": .array(patients.map(JSONValue.string)),
      "position": .number(Double(event.globalPosition)),
    ]
    if allPatients { members["allPatients"] = .bool(true) }
    members["tokenId"] = tokenId.map(JSONValue.string)
    members["purpose"] = purpose.map(JSONValue.string)
    members["route"] = route.map(JSONValue.string)
    members["asOf"] = asOf.map(JSONValue.string)
    return .object(members)
  }
}

/// Writing and reading the `$access` stream (HIPAA §164.312(b) and the accounting of
/// disclosures): the server records every read of patient data there, durably, before it sends
/// the data.
public enum AccessLog {
  /// The type of `$access` events.
  public static let eventType = "PatientDataRead"

  /// Records that `grant`'s holder is reading `patients`' data through `route`; returns once the
  /// record is on disk (through the store's group commit).
  static func record(
    _ grant: TokenGrant, patients: [String], allPatients: Bool = false, route: String,
    asOf: String?, in store: EventStore
  ) async throws(LedgerError) {
    var data: [String: JSONValue] = [
      "patients": .array(patients.map(JSONValue.string)), "route": .string(route),
      "purpose": .string(grant.purpose.rawValue), "tokenId": .string(grant.id),
    ]
    data["asOf"] = asOf.map(JSONValue.string)
    if allPatients { data["allPatients"] = .bool(true) }
    let event = ProposedEvent(
      eventId: UUID(), type: eventType, occurredAt: ClinicalTime(Date()).text,
      recordedBy: Recorder(id: grant.subject, name: grant.subject, role: grant.role.rawValue),
      data: .object(data))
    do { _ = try await store.appendSystem([event], to: StreamNames.access) } catch {
      throw LedgerError(error)
    }
  }

  /// The reads of `patientId`'s record (every read when nil; reads of every patient count for
  /// each), oldest first, scanning `$access`
  /// from stream version `version` in pages of `pageSize`.
  public static func records(
    in store: EventStore, patient patientId: String? = nil, from version: UInt64 = 0,
    limit: Int = Int.max, pageSize: Int = 1_000
  ) throws(LedgerError) -> [AccessRecord] {
    var found: [AccessRecord] = []
    var next = version
    while found.count < limit {
      let page: [RecordedEvent]
      do { page = try store.readStream(StreamNames.access, from: next, limit: pageSize) } catch {
        throw LedgerError(error)
      }
      for event in page where event.type == eventType {
        let record = AccessRecord(event: event)
        if let patientId, !record.allPatients, !record.patients.contains(patientId) { continue }
        found.append(record)
        if found.count == limit { break }
      }
      guard page.count == pageSize, let last = page.last else { break }
      next = last.streamVersion + 1
    }
    return found
  }
}
