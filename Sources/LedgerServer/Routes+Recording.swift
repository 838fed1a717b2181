import Foundation
import Hummingbird
import TreatmentLedger

/// One stream's part of a record request: whose stream (a patient's record or a site's
/// controlled-substance log), the events, and the version the stream must be at.
struct RecordAppend {
  /// Whose stream the events go to.
  enum Owner: Equatable {
    /// `patient-<id>`.
    case patient(String)
    /// `inventory-<id>`.
    case site(String)

    /// The stream name.
    var stream: String {
      switch self {
      case .patient(let id): return Ledger.stream(forPatient: id)
      case .site(let id): return Ledger.stream(forSite: id)
      }
    }
  }

  var owner: Owner
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
      let append = try Self.append(body, owner: .patient(patientId), path: "")
      guard let result = try await record([append]).first else { throw Problem.internalError() }
      return json(result, status: result["alreadyStored"] == .bool(true) ? .ok : .created)
    }
    // One site's controlled-substance log: several events, atomically.
    router.post("/v1/sites/:siteId/events") { request, context in
      _ = try authenticator.authorize(request, .record)
      let siteId = try pathSiteId(context)
      let body = try await body(of: request)
      let append = try Self.append(body, owner: .site(siteId), path: "")
      guard let result = try await record([append]).first else { throw Problem.internalError() }
      return json(result, status: result["alreadyStored"] == .bool(true) ? .ok : .created)
    }
    // Several patients and sites in one atomic transaction (a dose and its withdrawal).
    router.post("/v1/records") { request, context in
      _ = try authenticator.authorize(request, .record)
      let body = try await body(of: request)
      guard case .array(let items)? = body["appends"], !items.isEmpty, body.objectValue?.count == 1
      else {
        throw Problem.malformedJSON(
          "the body must be {\"appends\": [ … ]} with at least one append")
      }
      var appends: [RecordAppend] = []
      for (index, item) in items.enumerated() {
        let owner = try Self.owner(of: item, path: "appends[\(index)].")
        guard !appends.contains(where: { $0.owner == owner }) else {
          throw Problem.malformedJSON("appends[\(index)] names a stream an earlier append names")
        }
        appends.append(try Self.append(item, owner: owner, path: "appends[\(index)]."))
      }
      let results = try await record(appends)
      let created = results.contains { $0["alreadyStored"] != .bool(true) }
      return json(.object(["appends": .array(results)]), status: created ? .created : .ok)
    }
  }

  /// The patient (`patientId`) or site (`siteId`) an item of `/v1/records` names: exactly one.
  static func owner(of item: JSONValue, path: String) throws(Problem) -> RecordAppend.Owner {
    let owner: RecordAppend.Owner
    let field: String
    switch (item["patientId"], item["siteId"]) {
    case (.string(let id)?, nil):
      (owner, field) = (.patient(id), "patientId")
    case (nil, .string(let id)?):
      (owner, field) = (.site(id), "siteId")
    default:
      throw .malformedJSON("\(path)patientId or \(path)siteId (one of them) must be a string")
    }
    do { try StreamNames.validate(owner.stream) } catch {
      throw .invalidParameter(
        "\(path)\(field)", "is not a valid id (letters, digits and . _ : @ -)")
    }
    return owner
  }

  /// Reads `{"expectedVersion"?, "events": [...]}` (and `patientId` or `siteId` when `path` is
  /// not empty).
  static func append(
    _ body: JSONValue, owner: RecordAppend.Owner, path: String
  ) throws(Problem) -> RecordAppend {
    guard case .object(let members) = body else {
      throw .malformedJSON(
        "\(path.isEmpty ? "the body" : String(path.dropLast())) must be an object")
    }
    let ownerField: String
    switch owner {
    case .patient: ownerField = "patientId"
    case .site: ownerField = "siteId"
    }
    let allowed: Set<String> =
      path.isEmpty ? ["expectedVersion", "events"] : ["expectedVersion", "events", ownerField]
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
    return RecordAppend(owner: owner, expectedVersion: expected, events: events)
  }

  /// Records the appends in one atomic transaction; one result per append, in request order.
  /// A refusal names the event by its index in the request (events counted over the appends in
  /// order).
  func record(_ appends: [RecordAppend]) async throws(Problem) -> [JSONValue] {
    var clinical: [ClinicalEntry] = []
    var inventory: [InventoryEntry] = []
    // Request index of each clinical entry, then of each inventory entry.
    var clinicalIndex: [Int] = []
    var inventoryIndex: [Int] = []
    var expected: [String: ExpectedVersion] = [:]
    var index = 0
    for append in appends {
      expected[append.owner.stream] = append.expectedVersion
      for event in append.events {
        switch append.owner {
        case .patient(let id):
          clinical.append(try Self.entry(event, patientId: id, index: index))
          clinicalIndex.append(index)
        case .site(let id):
          inventory.append(try Self.inventoryEntry(event, siteId: id, index: index))
          inventoryIndex.append(index)
        }
        index += 1
      }
    }
    let start = ContinuousClock.now
    let results: [AppendResult]
    do {
      results = try await ledger.record(
        clinical: clinical, inventory: inventory, expectedVersions: expected)
    } catch {
      // The ledger counts clinical entries first, then inventory entries.
      let requestIndex = clinicalIndex + inventoryIndex
      throw problem(error, index: { requestIndex.indices.contains($0) ? requestIndex[$0] : $0 })
    }
    metrics.appended(
      events: results.reduce(0) { $0 + $1.written },
      nanoseconds: Self.nanoseconds(ContinuousClock.now - start))
    // One result per stream: patients in order of first appearance, then sites.
    let order =
      appends.filter { if case .patient = $0.owner { true } else { false } }
      + appends.filter { if case .site = $0.owner { true } else { false } }
    var byStream: [String: JSONValue] = [:]
    for (append, result) in zip(order, results) {
      byStream[append.owner.stream] = try describe(result, owner: append.owner)
    }
    return appends.map { byStream[$0.owner.stream] ?? .null }
  }

  /// One event of a request as a clinical entry, or the 422 that names what is wrong with it.
  static func entry(_ value: JSONValue, patientId: String, index: Int) throws(Problem)
    -> ClinicalEntry
  {
    let proposed = try inputEvent(
      value, stream: Ledger.stream(forPatient: patientId), owner: "patient", index: index)
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
    return ClinicalEntry(
      event, patient: patientId, occurredAt: try clinicalTime(proposed, index: index),
      by: proposed.recordedBy, eventId: proposed.eventId, correlationId: proposed.correlationId,
      causationId: proposed.causationId)
  }

  /// Event `index` of a request as an input line (`Schemas/input.v1.schema.json`) for `stream`,
  /// or the 422 that names what is wrong with its envelope; `owner` names whose stream it is.
  static func inputEvent(
    _ value: JSONValue, stream: String, owner: String, index: Int
  ) throws(Problem) -> ProposedEvent {
    let decoded: (stream: String?, event: ProposedEvent)
    do { decoded = try InputLine.decode(value.canonicalBytes, line: index + 1) } catch {
      throw .refused(
        slug: "invalid-event", title: "An event is not valid", index: index, eventId: nil,
        type: value["type"]?.stringValue, field: error.field,
        rule: error.field == "-" ? "envelope" : "envelope.\(error.field)", limit: error.reason)
    }
    let proposed = decoded.event
    if let named = decoded.stream, named != stream {
      throw .refused(
        slug: "invalid-event", title: "An event is not valid", index: index,
        eventId: proposed.eventId, type: proposed.type, field: "streamId",
        rule: "envelope.streamId", limit: "must be the stream of the \(owner) the request names")
    }
    return proposed
  }

  /// The event's `occurredAt` as a clinical time, or the 422 that says it has no offset.
  static func clinicalTime(_ proposed: ProposedEvent, index: Int) throws(Problem) -> ClinicalTime {
    guard let occurredAt = ClinicalTime(proposed.occurredAt) else {
      throw .refused(
        slug: "invalid-event", title: "An event is not valid", index: index,
        eventId: proposed.eventId, type: proposed.type, field: "occurredAt",
        rule: "envelope.occurredAt", limit: "an RFC 3339 date-time with an explicit offset")
    }
    return occurredAt
  }

  /// An append's result with each event's positions and the flags stored with it.
  func describe(_ result: AppendResult, owner: RecordAppend.Owner) throws(Problem) -> JSONValue {
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
        member["eventId"] = .string(stored.eventId.lowercasedString)
        member["type"] = .string(stored.type)
        member["flags"] = .array(stored.flags)
      }
      events.append(.object(member))
    }
    var described: [String: JSONValue] = [
      "streamVersion": result.streamVersion.map { .number(Double($0)) } ?? .null,
      "alreadyStored": .bool(result.wasAlreadyStored),
      "written": .number(Double(result.written)),
      "events": .array(events),
    ]
    switch owner {
    case .patient(let id): described["patientId"] = .string(id)
    case .site(let id): described["siteId"] = .string(id)
    }
    return .object(described)
  }
}
