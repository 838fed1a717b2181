import Foundation
import LedgerEventStore
import LedgerFoundation

/// The clinical rules as the event store's `AppendReviewer`: every append to a `patient-<id>`
/// stream is decoded into the catalogue's types and checked against the hard limits of
/// docs/CLINICAL-RULES.md and
/// soft alerts inside the append's own write transaction, with the patient's
/// ``PatientDecisionState`` kept beside the events in that transaction.
///
/// - A hard limit refuses the event with `EventStoreError/rejected(index:eventId:type:field:rule:limit:)`
///   naming the event id, the field, the rule code and the limit, never the patient's value.
/// - A soft alert accepts the event and stores its flags with it (`code`, `field`, `rule`,
///   `protocolVersion`), where `read --json`, subscribers and exports see them.
/// - Besides the catalogue (``ClinicalRuleCatalogue``), one rule needs the stream's name:
///   `PatientRegistered.patientId` must equal the `<id>` of `patient-<id>`
///   (``patientIdStreamRule``).
///
/// Streams that are not patient streams (`inventory-<site>`, system streams) are not reviewed.
public struct ClinicalReviewer: AppendReviewer {
  /// The prefix of the streams this reviewer governs.
  public static let patientStreamPrefix = "patient-"
  /// Rule code: the registered `patientId` differs from the stream's id.
  public static let patientIdStreamRule = "patient.patientId.stream"
  /// Rule code: the stream name is `patient-` followed by something that is not a valid id.
  public static let streamNameRule = "patient.stream.name"

  /// The clinic's soft-alert thresholds; their version is stored in every flag.
  public let clinicalProtocol: ClinicalProtocol

  /// Creates a reviewer with `protocol`'s thresholds (docs/CLINICAL-RULES.md defaults unless
  /// given).
  public init(protocol clinicalProtocol: ClinicalProtocol = ClinicalProtocol()) {
    self.clinicalProtocol = clinicalProtocol
  }

  /// True: `review` changes the state only after every check has passed, so the store lets it
  /// update the state in place.
  public var leavesStateUnchangedWhenRefusing: Bool { true }

  /// Recorded in every store opened with the clinical rules: afterwards a handle opened without
  /// them (for example `EventStore.open(at:)`) is refused appends to `patient-*` streams.
  public var requirement: ReviewerRequirement? {
    ReviewerRequirement(
      name: "treatment-records.clinical", streamPrefixes: [Self.patientStreamPrefix])
  }

  /// True for `patient-*` streams.
  public func reviews(stream: String) -> Bool { stream.hasPrefix(Self.patientStreamPrefix) }

  /// True: the decision state is kept at the grain it changes. The stored value is a small head
  /// (format `0x03`: the number of entries and the last one's id) and each entry is a keyed fact
  /// (`e` and its position), so an append writes its own entry and, for a correction or void,
  /// the entry it supersedes, whatever the patient's history.
  public var keepsStateInFacts: Bool { true }

  /// True for a head of format `0x03`; false for the whole states of earlier versions (binary
  /// `0x02` or JSON), which the next append replaces by a head and the entries' facts.
  public func storedStateHasFacts(_ bytes: [UInt8], stream: String) -> Bool {
    bytes.first == PatientDecisionState.factsFormat
  }

  /// Decodes a stored head with the entries' facts; the whole forms of earlier versions as
  /// ``decodeState(_:stream:)`` does.
  public func decodeState(
    _ bytes: [UInt8]?, stream: String, facts: [(key: [UInt8], value: [UInt8])]
  ) throws(EventStoreError) -> PatientDecisionState {
    guard let bytes, bytes.first == PatientDecisionState.factsFormat else {
      return try decodeState(bytes, stream: stream)
    }
    do {
      return try PatientDecisionState(head: bytes, facts: facts)
    } catch {
      throw .incompatibleStore(
        reason: "the decision state of stream '\(stream)' does not decode (\(error))")
    }
  }

  /// The entries of the state as keyed facts.
  public func stateFacts(_ state: PatientDecisionState, stream: String) -> [[UInt8]: [UInt8]] {
    state.entryFacts()
  }

  /// The entries' facts that reviewing `events` leaves in the store.
  public func facts(of events: [RecordedEvent], stream: String) -> [[UInt8]: [UInt8]]? {
    var state = PatientDecisionState()
    for event in events { absorb(event, stream: stream, state: &state) }
    return state.entryFacts()
  }

  /// Decodes the stored decision state: the compact binary form, or the JSON form that earlier
  /// versions stored (recognised by its leading `{`); an empty state for a new stream.
  public func decodeState(
    _ bytes: [UInt8]?, stream: String
  ) throws(EventStoreError) -> PatientDecisionState {
    guard let bytes else { return PatientDecisionState() }
    if bytes.first == UInt8(ascii: "{") {
      do {
        return try JSONDecoder().decode(PatientDecisionState.self, from: Data(bytes))
      } catch {
        throw .incompatibleStore(reason: "the decision state of stream '\(stream)' does not decode")
      }
    }
    do {
      return try PatientDecisionState(binary: bytes)
    } catch {
      throw .incompatibleStore(
        reason: "the decision state of stream '\(stream)' does not decode (\(error))")
    }
  }

  /// Encodes the stored head of the decision state (its entries are keyed facts).
  public func encodeState(_ state: PatientDecisionState) -> [UInt8] { state.headEncoded() }

  /// Folds a stored event into the state without judging it (rebuilding a missing state).
  /// Events that are not catalogue events are skipped: they cannot affect a rule.
  public func absorb(_ event: RecordedEvent, stream: String, state: inout PatientDecisionState) {
    guard let occurredAt = ClinicalTime(event.occurredAt),
      let clinical = try? ClinicalEvent.decode(
        type: event.type, schemaVersion: event.schemaVersion, value: event.data)
    else { return }
    state.apply(clinical, eventId: event.eventId, occurredAt: occurredAt)
  }

  /// The typed decode of `event`'s data, made ahead of its review (on another thread during a
  /// large append); a decode failure is kept and reported by the review.
  public func prepare(_ event: ProposedEvent, stream: String) -> (any Sendable)? {
    PreparedClinicalEvent(event)
  }

  /// Validates one event against the patient's state and returns its flags as JSON objects.
  public func review(
    _ event: ProposedEvent, index: Int, stream: String, state: inout PatientDecisionState,
    context: ReviewContext
  ) throws(EventStoreError) -> [JSONValue] {
    try review(event, index: index, stream: stream, state: &state, context: context, prepared: nil)
  }

  /// Validates one event against the patient's state with its typed decode made ahead
  /// (``prepare(_:stream:)``; decoded here when `prepared` is nil) and returns its flags.
  public func review(
    _ event: ProposedEvent, index: Int, stream: String, state: inout PatientDecisionState,
    context: ReviewContext, prepared: (any Sendable)?
  ) throws(EventStoreError) -> [JSONValue] {
    func reject(_ field: String, _ rule: String, _ limit: String) -> EventStoreError {
      .rejected(
        index: index, eventId: event.eventId, type: event.type, field: field, rule: rule,
        limit: limit)
    }
    guard let patientId = PatientDecisionState.patientId(fromStream: stream) else {
      throw reject(
        "streamId", Self.streamNameRule, "patient-<id> with an id of 1–128 of A–Z a–z 0–9 . _ : -")
    }
    guard let occurredAt = ClinicalTime(event.occurredAt) else {
      throw reject(
        "occurredAt", "decode.field.invalidFormat", "an RFC 3339 date-time with an offset")
    }
    let clinical: ClinicalEvent
    let flags: [ClinicalFlag]
    do {
      let decoded =
        (prepared as? PreparedClinicalEvent).flatMap { $0.decoded(for: event) }
        ?? PreparedClinicalEvent(event).decoded
      clinical = try decoded.get()
      if case .patientRegistered(let registration) = clinical, registration.patientId != patientId {
        throw ClinicalValidationError(
          eventId: event.eventId, eventType: event.type, field: "patientId",
          rule: Self.patientIdStreamRule, limit: "must equal the id in the stream name patient-<id>"
        )
      }
      var lookupError: EventStoreError?
      flags = try state.validate(
        clinical, eventId: event.eventId, occurredAt: occurredAt,
        now: Date(timeIntervalSince1970: Double(context.recordedAtMicros) / 1_000_000),
        protocol: clinicalProtocol,
        otherStreamHasEvent: { id in
          switch Result(catching: { () throws(EventStoreError) in try context.storedEvent(id) }) {
          case .success(let stored): return stored.map { $0.stream != stream } ?? false
          case .failure(let error):
            lookupError = error
            return false
          }
        })
      if let lookupError { throw lookupError }
    } catch let error as ClinicalValidationError {
      throw reject(error.field, error.rule, error.limit)
    } catch let error as EventStoreError {
      throw error
    } catch {
      throw reject("data", "decode.json.invalid", "a JSON object of the type's fields")
    }
    // Nothing below throws: the state changes only for an accepted event.
    let count = state.entries.count
    state.apply(clinical, eventId: event.eventId, occurredAt: occurredAt)
    if state.entries.count > count {
      // The new entry, and the entry a correction or void marks, as keyed facts.
      let added = state.entryFact(count)
      context.setFact(added.key, added.value)
      if let target = state.entries[count].targetId, let position = state.positions[target],
        position < count
      {
        let marked = state.entryFact(position)
        context.setFact(marked.key, marked.value)
      }
    }
    return flags.map { flag in
      .object([
        "code": .string(flag.code), "field": .string(flag.field), "rule": .string(flag.rule),
        "protocolVersion": .string(flag.protocolVersion),
      ])
    }
  }
}

/// An event's typed decode, made ahead of its review (``ClinicalReviewer/prepare(_:stream:)``).
struct PreparedClinicalEvent: Sendable {
  /// The event it was made for.
  let eventId: UUID
  /// The decoded event, or what the decode threw.
  let decoded: Result<ClinicalEvent, any Error>

  init(_ event: ProposedEvent) {
    eventId = event.eventId
    decoded = Result {
      try ClinicalEvent.decode(
        type: event.type, schemaVersion: event.schemaVersion, value: event.data)
    }
  }

  /// The decode, when it was made for `event`.
  func decoded(for event: ProposedEvent) -> Result<ClinicalEvent, any Error>? {
    event.eventId == eventId ? decoded : nil
  }
}
