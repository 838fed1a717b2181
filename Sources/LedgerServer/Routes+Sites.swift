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
    let proposed = try inputEvent(
      value, stream: Ledger.stream(forSite: siteId), owner: "site", index: index)
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
    return InventoryEntry(
      event, site: siteId, occurredAt: try clinicalTime(proposed, index: index),
      by: proposed.recordedBy,
      eventId: proposed.eventId, correlationId: proposed.correlationId,
      causationId: proposed.causationId)
  }
}
