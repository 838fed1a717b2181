import Foundation
import Hummingbird
import TreatmentLedger

extension LedgerServer {
  func addHealthRoutes(to router: Router<BasicRequestContext>) {
    router.get("/v1/health/live") { _, _ in
      json(.object(["status": .string("live")]))
    }
    router.get("/v1/health/ready") { _, _ in
      do {
        let next = try ledger.nextPosition()
        guard !ledger.store.isReadOnly else {
          throw Problem.unavailable("the ledger is open read-only")
        }
        return json(.object(["status": .string("ready"), "events": .number(Double(next))]))
      } catch let error as LedgerError {
        throw Problem.unavailable(
          error.code == .closed ? "the ledger is closed" : "the ledger cannot be read")
      }
    }
  }

  func addOperatorRoutes(to router: Router<BasicRequestContext>) {
    router.post("/v1/verify") { request, _ in
      _ = try authenticator.authorize(request, .operate)
      let report: VerificationReport
      do throws(LedgerError) { report = try ledger.verify() } catch { throw problem(error) }
      return try json(encoding: report)
    }
    // Rebuilds a projection beside the live one; the report gives counts, not stream names.
    router.post("/v1/projections/:name/rebuild") { request, context in
      _ = try authenticator.authorize(request, .operate)
      guard let name = context.parameters.get("name"), ledger.projectionNames.contains(name) else {
        throw Problem.notFound("no projection of that name (see GET /v1/stats for the store)")
      }
      let report: RebuildReport
      do throws(EventStoreError) {
        report = try await ledger.store.rebuild(projection: name)
      } catch {
        throw problem(LedgerError(error))
      }
      return json(
        .object([
          "projection": .string(report.projection),
          "eventsRead": .number(Double(report.eventsRead)),
          "streams": .number(Double(report.streams)),
          "differingStreams": .number(Double(report.differingStreams.count)),
          "missingStreams": .number(Double(report.missingStreams.count)),
          "replaced": .bool(report.replaced), "seconds": .number(report.seconds),
        ]))
    }
    router.get("/v1/stats") { request, _ in
      _ = try authenticator.authorize(request, .operate)
      let statistics: EventStore.Statistics
      do throws(EventStoreError) { statistics = try ledger.store.statistics() } catch {
        throw problem(LedgerError(error))
      }
      return try json(encoding: statistics)
    }
    router.get("/v1/metrics") { request, _ in
      _ = try authenticator.authorize(request, .operate)
      return Response(
        status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
        body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.scrape(store: ledger.store))))
    }
  }
}
