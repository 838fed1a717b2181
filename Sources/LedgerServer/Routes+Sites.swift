import Foundation
import Hummingbird
import TreatmentLedger

extension LedgerServer {
  /// The `siteId` path parameter, percent-decoded, when `inventory-<siteId>` is a valid stream.
  func pathSiteId(_ context: BasicRequestContext) throws(Problem) -> String {
    guard let raw = context.parameters.get("siteId"), let id = raw.removingPercentEncoding else {
      throw .invalidParameter("siteId", "is missing")
    }
    do { try StreamNames.validate(Ledger.stream(forSite: id)) } catch {
      throw .invalidParameter("siteId", "is not a valid site id (letters, digits and . _ : @ -)")
    }
    return id
  }

  /// One event of a request as a controlled-substance entry of site `siteId`, or the 422 that
  /// names what is wrong with it (docs/DEA.md).
  static func inventoryEntry(_ value: JSONValue, siteId: String, index: Int) throws(Problem)
    -> InventoryEntry
  {
    let decoded: (stream: String?, event: ProposedEvent)
    do { decoded = try InputLine.decode(value.canonicalBytes, line: index + 1) } catch {
      throw .refused(
        slug: "invalid-event", title: "An event is not valid", index: index, eventId: nil,
        type: value["type"]?.stringValue, field: error.field,
        rule: error.field == "-" ? "envelope" : "envelope.\(error.field)", limit: error.reason)
    }
    let proposed = decoded.event
    if let stream = decoded.stream, stream != Ledger.stream(forSite: siteId) {
      throw .refused(
        slug: "invalid-event", title: "An event is not valid", index: index,
        eventId: proposed.eventId, type: proposed.type, field: "streamId",
        rule: "envelope.streamId", limit: "must be the stream of the site the request names")
    }
    let event: InventoryEvent
    do {
      event = try InventoryEvent.decode(
        type: proposed.type, schemaVersion: proposed.schemaVersion, value: proposed.data)
    } catch {
      throw .refused(
        slug: "rejected", title: "A controlled-substance rule refused an event", index: index,
        eventId: proposed.eventId, type: proposed.type, field: error.field, rule: error.rule,
        limit: error.limit)
    }
    guard let occurredAt = ClinicalTime(proposed.occurredAt) else {
      throw .refused(
        slug: "invalid-event", title: "An event is not valid", index: index,
        eventId: proposed.eventId, type: proposed.type, field: "occurredAt",
        rule: "envelope.occurredAt", limit: "an RFC 3339 date-time with an explicit offset")
    }
    return InventoryEntry(
      event, site: siteId, occurredAt: occurredAt, by: proposed.recordedBy,
      eventId: proposed.eventId, correlationId: proposed.correlationId,
      causationId: proposed.causationId)
  }
}
