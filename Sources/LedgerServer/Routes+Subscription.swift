import Foundation
import HTTPTypes
import Hummingbird
import TreatmentLedger

extension LedgerServer {
  /// `GET /v1/subscription`: the patient events of the log as server-sent events, from `from`
  /// (or after the `Last-Event-ID` the client sends when it reconnects), then live. Each event's
  /// `id` is its global position; a comment line is sent as a heartbeat when nothing else was
  /// sent for ``Configuration/heartbeatInterval``. Each batch is recorded in `$access` before it
  /// is sent; the system streams' own events are not sent.
  func addSubscriptionRoute(to router: Router<BasicRequestContext>) {
    router.get("/v1/subscription") { request, _ in
      let grant = try authenticator.authorize(request, .readPatientData)
      var start = try integer(request, "from", fallback: 0)
      if let field = HTTPField.Name("Last-Event-ID"), let last = request.headers[field] {
        guard let position = UInt64(last.trimmingCharacters(in: .whitespaces)),
          position < Self.maximumPosition
        else {
          throw Problem.invalidParameter("Last-Event-ID", "must be an event's global position")
        }
        start = position + 1
      }
      let subscription = ledger.store.subscribe(from: start)
      let server = self
      return Response(
        status: .ok,
        headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
        body: ResponseBody { writer in
          try await server.stream(subscription, to: &writer, grant: grant)
          try await writer.finish(nil)
        })
    }
  }

  /// Sends the subscription's patient events until the client leaves or the server stops.
  func stream(
    _ subscription: EventSubscription, to writer: inout any ResponseBodyWriter, grant: TokenGrant
  ) async throws {
    metrics.subscriptions(1)
    defer { metrics.subscriptions(-1) }
    var iterator = subscription.makeAsyncIterator()
    let slice = min(configuration.heartbeatInterval, .seconds(1))
    var lastSent = ContinuousClock.now
    try await writer.write(ByteBuffer(string: "retry: 1000\n: subscribed\n\n"))
    // The stop signal is looked at after each batch sent and after each idle wait, so a stopping
    // server ends every stream within one heartbeat slice.
    while true {
      guard let batch = try await iterator.nextBatch(waitingAtMost: slice) else { break }
      let events = batch.filter { ClinicalAuditSemantics().patientId(ofStream: $0.streamId) != nil }
      if batch.isEmpty {
        if ContinuousClock.now - lastSent >= configuration.heartbeatInterval {
          try await writer.write(ByteBuffer(string: ": heartbeat\n\n"))
          lastSent = .now
        }
        if stopping.isStopped { break }
        continue
      }
      if events.isEmpty { continue }
      var patients: [String] = []
      for event in events {
        if let id = ClinicalAuditSemantics().patientId(ofStream: event.streamId),
          !patients.contains(id)
        {
          patients.append(id)
        }
      }
      try await recordAccess(grant, patients: patients, route: "GET /v1/subscription")
      var text = ""
      for event in events {
        let data = String(decoding: event.envelopeJSON.canonicalBytes, as: UTF8.self)
        text += "id: \(event.globalPosition)\nevent: \(event.type)\ndata: \(data)\n\n"
      }
      try await writer.write(ByteBuffer(string: text))
      lastSent = .now
      metrics.sent(events: events.count)
      if let last = events.last, let next = try? ledger.nextPosition() {
        metrics.subscriptionLag(next > last.globalPosition ? next - last.globalPosition - 1 : 0)
      }
      if stopping.isStopped { break }
    }
  }
}
