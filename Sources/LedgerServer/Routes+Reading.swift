import Foundation
import Hummingbird
import TreatmentLedger

extension LedgerServer {
  func addReadingRoutes(to router: Router<BasicRequestContext>) {
    router.get("/v1/patients/:patientId/events") { request, context in
      let grant = try authenticator.authorize(request, .readPatientData)
      let patientId = try pathPatientId(context)
      let from = try integer(request, "from", fallback: 0)
      let limit = try integer(
        request, "limit", fallback: 100, maximum: UInt64(configuration.maximumPageSize))
      let events: [RecordedEvent]
      do throws(EventStoreError) {
        events = try ledger.store.readStream(
          Ledger.stream(forPatient: patientId), from: from, limit: Int(limit))
      } catch {
        throw problem(LedgerError(error))
      }
      try await recordAccess(
        grant, patients: [patientId], route: "GET /v1/patients/{patientId}/events")
      let next: JSONValue =
        events.count == Int(limit) && limit > 0
        ? .number(Double((events.last?.streamVersion ?? from) + 1)) : .null
      return json(
        .object([
          "patientId": .string(patientId), "events": .array(events.map(\.envelopeJSON)),
          "next": next,
        ]))
    }
    router.get("/v1/log") { request, _ in try await readLog(request) }
    router.get("/v1/patients/:patientId/timeline") { request, context in
      let grant = try authenticator.authorize(request, .readPatientData)
      let patientId = try pathPatientId(context)
      let asOf = try time(request, "asOf")
      let timeline: PatientTimeline
      do throws(LedgerError) {
        timeline = try ledger.timeline(of: patientId, asOf: asOf)
      } catch {
        throw problem(error)
      }
      let response = try json(encoding: timeline)
      try await recordAccess(
        grant, patients: [patientId], route: "GET /v1/patients/{patientId}/timeline",
        asOf: asOf?.text)
      return response
    }
    router.get("/v1/patients/:patientId/summary") { request, context in
      let grant = try authenticator.authorize(request, .readPatientData)
      let patientId = try pathPatientId(context)
      let now = try time(request, "now")
      let summary: PatientSummary
      do throws(LedgerError) {
        summary = try ledger.summary(of: patientId, now: now?.date ?? Date())
      } catch {
        throw problem(error)
      }
      let response = try json(encoding: summary)
      try await recordAccess(
        grant, patients: [patientId], route: "GET /v1/patients/{patientId}/summary",
        asOf: now?.text)
      return response
    }
  }

  /// `GET /v1/log`: a page of the whole log; the patients of the page are recorded in `$access`.
  /// Events of the system streams (`$access`, `$audit`: who read and exported what) are left out
  /// of the page; auditors read them through `/v1/audit/log` and the access routes.
  func readLog(_ request: Request) async throws -> Response {
    let grant = try authenticator.authorize(request, .readPatientData)
    let from = try integer(request, "from", fallback: 0)
    let limit = try integer(
      request, "limit", fallback: 100, maximum: UInt64(configuration.maximumPageSize))
    let events: [RecordedEvent]
    do throws(EventStoreError) {
      events = try ledger.store.readAll(from: from, limit: Int(limit))
    } catch {
      throw problem(LedgerError(error))
    }
    var patients: [String] = []
    let prefix = Ledger.stream(forPatient: "")
    for event in events where event.streamId.hasPrefix(prefix) {
      let id = String(event.streamId.dropFirst(prefix.count))
      if !patients.contains(id) { patients.append(id) }
    }
    if !patients.isEmpty {
      try await recordAccess(grant, patients: patients, route: "GET /v1/log")
    }
    let next: JSONValue =
      events.count == Int(limit) && limit > 0
      ? .number(Double((events.last?.globalPosition ?? from) + 1)) : .null
    let page = events.filter { !$0.streamId.hasPrefix(StreamNames.systemPrefix) }
    return json(.object(["events": .array(page.map(\.envelopeJSON)), "next": next]))
  }
}
