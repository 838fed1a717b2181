import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization
import TreatmentLedger

/// Turns every error into a problem document, logs server failures (without request bodies),
/// and counts requests and their latencies by route pattern.
struct ProblemAndMetricsMiddleware: RouterMiddleware {
  typealias Context = BasicRequestContext
  let metrics: ServerMetrics
  let logger: Logger
  let routes: RouteTable

  func handle(
    _ request: Request, context: Context,
    next: (Request, Context) async throws -> Response
  ) async throws -> Response {
    let start = ContinuousClock.now
    let status: HTTPResponse.Status
    defer {
      let elapsed = ContinuousClock.now - start
      metrics.request(
        route: context.endpointPath ?? "unmatched", method: request.method.rawValue,
        status: Int(status.code),
        nanoseconds: elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds
          / 1_000_000_000)
    }
    do {
      let response = try await next(request, context)
      status = response.status
      return response
    } catch {
      var problem = Self.problem(for: error, logger: logger, route: context.endpointPath)
      if problem.status == .notFound {
        let allowed = routes.methods(forPath: request.uri.path)
        if !allowed.isEmpty && !allowed.contains(request.method.rawValue) {
          problem = Problem(
            .methodNotAllowed, slug: "method-not-allowed", title: "Method not allowed",
            detail: "this route takes \(allowed.joined(separator: ", "))",
            extensions: ["allow": .array(allowed.map(JSONValue.string))])
        }
      }
      status = problem.status
      throw problem
    }
  }

  static func problem(for error: any Error, logger: Logger, route: String?) -> Problem {
    switch error {
    case let problem as Problem:
      if problem.status.code >= 500 {
        logger.error(
          "request failed", metadata: ["route": "\(route ?? "-")", "problem": "\(problem.slug)"])
      }
      return problem
    case let error as LedgerError:
      let problem = Problem.from(error)
      if problem.status.code >= 500 {
        logger.error(
          "ledger error", metadata: ["route": "\(route ?? "-")", "error": "\(error.description)"])
      }
      return problem
    case let error as any HTTPResponseError:
      switch error.status {
      case .notFound: return .notFound("no such route")
      case .methodNotAllowed:
        return Problem(
          .methodNotAllowed, slug: "method-not-allowed", title: "Method not allowed",
          detail: "the route does not take this method")
      case .contentTooLarge:
        return Problem(
          .contentTooLarge, slug: "payload-too-large", title: "The body is too large",
          detail: "the body is over the server's limit")
      default:
        return Problem(
          error.status, slug: "http-\(error.status.code)", title: error.status.reasonPhrase,
          detail: error.status.reasonPhrase)
      }
    default:
      logger.error(
        "request failed", metadata: ["route": "\(route ?? "-")", "error": "\(type(of: error))"])
      return .internalError()
    }
  }
}

/// The routes' path patterns and methods, for a 405 (with `Allow`) where the path exists.
final class RouteTable: Sendable {
  private let patterns = Mutex<[(segments: [Substring], method: String)]>([])

  /// Keeps the router's routes (`{name}` or `:name` segments match any segment).
  func set(_ routes: [(path: String, method: String)]) {
    patterns.withLock { table in
      table = routes.map { ($0.path.split(separator: "/"), $0.method) }
    }
  }

  /// The methods of the routes whose pattern matches `path`, sorted.
  func methods(forPath path: String) -> [String] {
    let segments = path.split(separator: "/")
    return patterns.withLock { table in
      table.filter { pattern in
        pattern.segments.count == segments.count
          && zip(pattern.segments, segments).allSatisfy {
            $0.hasPrefix(":") || $0.hasPrefix("{") || $0 == $1
          }
      }.map(\.method)
    }.sorted()
  }
}

extension LedgerServer {
  /// A JSON response of `value`.
  func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
    Response(
      status: status, headers: [.contentType: "application/json"],
      body: ResponseBody(byteBuffer: ByteBuffer(bytes: value.canonicalBytes)))
  }

  /// A JSON response of an `Encodable` value (keys sorted).
  func json(encoding value: some Encodable) throws(Problem) -> Response {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    do {
      let data = try encoder.encode(value)
      return Response(
        status: .ok, headers: [.contentType: "application/json"],
        body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    } catch {
      throw .internalError()
    }
  }

  /// The request's body as JSON, at most ``Configuration/maximumBodyBytes``.
  func body(of request: Request) async throws(Problem) -> JSONValue {
    var request = request
    let buffer: ByteBuffer
    do {
      buffer = try await request.collectBody(upTo: configuration.maximumBodyBytes)
    } catch is NIOTooManyBytesError {
      throw .tooLarge(limit: configuration.maximumBodyBytes)
    } catch {
      throw .malformedJSON("the body could not be read")
    }
    do {
      return try JSONValue.parse(buffer.readableBytesView)
    } catch {
      throw .malformedJSON("the body is not JSON: \(error.description)")
    }
  }

  /// The path's patient id, checked as a stream name.
  func pathPatientId(_ context: BasicRequestContext) throws(Problem) -> String {
    guard let raw = context.parameters.get("patientId"), let id = raw.removingPercentEncoding
    else {
      throw .invalidParameter("patientId", "is missing")
    }
    do { try StreamNames.validate(Ledger.stream(forPatient: id)) } catch {
      throw .invalidParameter(
        "patientId", "is not a valid patient id (letters, digits and . _ : @ -)")
    }
    return id
  }

  /// The largest position or version a request may name (JSON's exact integers: 2^53 − 1).
  static let maximumPosition: UInt64 = (1 << 53) - 1

  /// A non-negative integer query parameter, `fallback` when absent.
  func integer(
    _ request: Request, _ name: String, fallback: UInt64, maximum: UInt64 = maximumPosition
  ) throws(Problem) -> UInt64 {
    guard let text = request.uri.queryParameters.get(name) else { return fallback }
    guard let value = UInt64(text), value <= maximum else {
      throw .invalidParameter(name, "must be an integer from 0 to \(maximum)")
    }
    return value
  }

  /// An RFC 3339 time query parameter, nil when absent.
  func time(_ request: Request, _ name: String) throws(Problem) -> ClinicalTime? {
    guard let text = request.uri.queryParameters.get(name) else { return nil }
    guard let time = ClinicalTime(text) else {
      throw .invalidParameter(name, "must be an RFC 3339 date-time with an offset")
    }
    return time
  }

  /// Records the read in `$access`, durably, before the caller sends the data.
  func recordAccess(
    _ grant: TokenGrant, patients: [String], allPatients: Bool = false, route: String,
    asOf: String? = nil
  ) async throws(Problem) {
    guard configuration.recordsReads else { return }
    let start = ContinuousClock.now
    do {
      try await AccessLog.record(
        grant, patients: patients, allPatients: allPatients, route: route, asOf: asOf,
        in: ledger.store)
    } catch {
      logger.error(
        "the access record failed; the data is not sent",
        metadata: ["error": "\(error.description)"])
      throw .unavailable("the read could not be recorded, so its data is not sent")
    }
    let elapsed = ContinuousClock.now - start
    metrics.accessRecorded(nanoseconds: Self.nanoseconds(elapsed))
  }

  static func nanoseconds(_ duration: Duration) -> Int64 {
    duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
  }

  /// A ledger call's error as a problem.
  func problem(_ error: LedgerError, index: (Int) -> Int = { $0 }) -> Problem {
    let problem = Problem.from(error, index: index)
    if problem.status.code >= 500 {
      logger.error("ledger error", metadata: ["error": "\(error.description)"])
    }
    return problem
  }
}
