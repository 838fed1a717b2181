import Foundation
import Hummingbird
import TreatmentLedger

/// One patient's part of a record request: the events and the version the record must be at.
struct PatientAppend {
  var patientId: String
  var expectedVersion: ExpectedVersion
  var events: [JSONValue]
}

extension LedgerServer {
  func addRecordingRoutes(to router: Router<BasicRequestContext>) {
    // One patient: several events, atomically.
    router.post("/v1/patients/:patientId/events") { request, context in
      _ = try authenticator.authorize(request, .record)
      let patientId = try pathPatientId(context)
      let body = try await body(of: request)
      let append = try Self.patientAppend(body, patientId: patientId, path: "")
      guard let result = try await record([append]).first else { throw Problem.internalError() }
      return json(result, status: result["alreadyStored"] == .bool(true) ? .ok : .created)
    }
    // Several patients in one atomic transaction.
    router.post("/v1/records") { request, context in
      _ = try authenticator.authorize(request, .record)
      let body = try await body(of: request)
      guard case .array(let items)? = body["appends"], !items.isEmpty, body.objectValue?.count == 1
      else {
        throw Problem.malformedJSON(
          "the body must be {\"appends\": [ … ]} with at least one append")
      }
      var appends: [PatientAppend] = []
      for (index, item) in items.enumerated() {
        guard let patientId = item["patientId"]?.stringValue else {
          throw Problem.malformedJSON("appends[\(index)].patientId must be a string")
        }
        do { try StreamNames.validate(Ledger.stream(forPatient: patientId)) } catch {
          throw Problem.invalidParameter("appends[\(index)].patientId", "is not a valid patient id")
        }
        guard !appends.contains(where: { $0.patientId == patientId }) else {
          throw Problem.malformedJSON("appends[\(index)] names a patient an earlier append names")
        }
        appends.append(
          try Self.patientAppend(item, patientId: patientId, path: "appends[\(index)]."))
      }
      let results = try await record(appends)
      let created = results.contains { $0["alreadyStored"] != .bool(true) }
      return json(.object(["appends": .array(results)]), status: created ? .created : .ok)
    }
  }

  /// Reads `{"expectedVersion"?, "events": [...]}` (and `patientId` when `path` is not empty).
  static func patientAppend(
    _ body: JSONValue, patientId: String, path: String
  ) throws(Problem) -> PatientAppend {
    guard case .object(let members) = body else {
      throw .malformedJSON(
        "\(path.isEmpty ? "the body" : String(path.dropLast())) must be an object")
    }
    let allowed: Set<String> =
      path.isEmpty ? ["expectedVersion", "events"] : ["expectedVersion", "events", "patientId"]
    if let unknown = members.keys.sorted().first(where: { !allowed.contains($0) }) {
      throw .malformedJSON(
        "\(path)\(EchoedName.escaped(unknown)) is not a member of a record request")
    }
    guard case .array(let events)? = members["events"], !events.isEmpty else {
      throw .malformedJSON("\(path)events must be an array of at least one event")
    }
    let expected: ExpectedVersion
    switch members["expectedVersion"] {
    case nil, .string("any")?: expected = .any
    case .string("noStream")?: expected = .noStream
    case .number(let number)? where number >= 0 && number == number.rounded() && number < 9e15:
      expected = .exact(UInt64(number))
    default:
      throw .malformedJSON(
        "\(path)expectedVersion must be \"any\", \"noStream\" or a version number")
    }
    return PatientAppend(patientId: patientId, expectedVersion: expected, events: events)
  }

  /// Records the appends in one atomic transaction; one result per patient.
  func record(_ appends: [PatientAppend]) async throws(Problem) -> [JSONValue] {
    var entries: [ClinicalEntry] = []
    var expected: [String: ExpectedVersion] = [:]
    for append in appends {
      expected[append.patientId] = append.expectedVersion
      for event in append.events {
        entries.append(try Self.entry(event, patientId: append.patientId, index: entries.count))
      }
    }
    let start = ContinuousClock.now
    let results: [AppendResult]
    do { results = try await ledger.record(entries, expectedVersions: expected) } catch {
      throw problem(error)
    }
    metrics.appended(
      events: results.reduce(0) { $0 + $1.written },
      nanoseconds: Self.nanoseconds(ContinuousClock.now - start))
    var out: [JSONValue] = []
    for (append, result) in zip(appends, results) {
      out.append(try describe(result, patientId: append.patientId))
    }
    return out
  }

  /// One event of a request as a clinical entry, or the 422 that names what is wrong with it.
  static func entry(_ value: JSONValue, patientId: String, index: Int) throws(Problem)
    -> ClinicalEntry
  {
    let decoded: (stream: String?, event: ProposedEvent)
    do { decoded = try InputLine.decode(value.canonicalBytes, line: index + 1) } catch {
      throw .refused(
        slug: "invalid-event", title: "An event is not valid", index: index, eventId: nil,
        type: value["type"]?.stringValue, field: error.field,
        rule: error.field == "-" ? "envelope" : "envelope.\(error.field)", limit: error.reason)
    }
    let proposed = decoded.event
    if let stream = decoded.stream, stream != Ledger.stream(forPatient: patientId) {
      throw .refused(
        slug: "invalid-event", title: "An event is not valid", index: index,
        eventId: proposed.eventId, type: proposed.type, field: "streamId",
        rule: "envelope.streamId", limit: "must be the stream of the patient the request names")
    }
    let event: ClinicalEvent
    do {
      event = try ClinicalEvent.decode(
        type: proposed.type, schemaVersion: proposed.schemaVersion,
        json: Data(proposed.data.canonicalBytes))
    } catch {
      throw .refused(
        slug: "rejected", title: "A clinical rule refused an event", index: index,
        eventId: proposed.eventId, type: proposed.type, field: error.field, rule: error.rule,
        limit: error.limit)
    }
    guard let occurredAt = ClinicalTime(proposed.occurredAt) else {
      throw .refused(
        slug: "invalid-event", title: "An event is not valid", index: index,
        eventId: proposed.eventId, type: proposed.type, field: "occurredAt",
        rule: "envelope.occurredAt", limit: "an RFC 3339 date-time with an explicit offset")
    }
    return ClinicalEntry(
      event, patient: patientId, occurredAt: occurredAt, by: proposed.recordedBy,
      eventId: proposed.eventId, correlationId: proposed.correlationId,
      causationId: proposed.causationId)
  }

  /// An append's result with each event's positions and the flags stored with it.
  func describe(_ result: AppendResult, patientId: String) throws(Problem) -> JSONValue {
    var events: [JSONValue] = []
    for position in result.positions {
      let stored: RecordedEvent?
      do { stored = try ledger.store.readAll(from: position.globalPosition, limit: 1).first } catch
      {
        throw problem(LedgerError(error))
      }
      var member: [String: JSONValue] = [
        "globalPosition": .number(Double(position.globalPosition)),
        "streamVersion": .number(Double(position.streamVersion)),
      ]
      if let stored {
        member["eventId"] = .string(stored.eventId.uuidString.lowercased())
        member["type"] = .string(stored.type)
        member["flags"] = .array(stored.flags)
      }
      events.append(.object(member))
    }
    return .object([
      "patientId": .string(patientId),
      "streamVersion": result.streamVersion.map { .number(Double($0)) } ?? .null,
      "alreadyStored": .bool(result.wasAlreadyStored),
      "written": .number(Double(result.written)),
      "events": .array(events),
    ])
  }
}
