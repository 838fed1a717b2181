import Foundation

/// One stored event of a patient's record, decoded: the typed clinical event with its envelope
/// and its flags.
public struct PatientEvent: Sendable, Hashable {
  /// The typed event, as recorded (a corrected event keeps its original data; the correction is
  /// an event of its own).
  public var event: ClinicalEvent
  /// The event's id.
  public var eventId: UUID
  /// Its position in the whole log.
  public var globalPosition: UInt64
  /// Its position in the patient's record (0 for the first event).
  public var version: UInt64
  /// When it happened, as written.
  public var occurredAt: ClinicalTime
  /// When the store recorded it (UTC).
  public var recordedAt: ClinicalTime
  /// Who entered it.
  public var recordedBy: Recorder
  /// Soft alerts the clinical rules stored with it.
  public var flags: [ClinicalFlag]
  /// The workflow it belongs to, if the writer said.
  public var correlationId: UUID?
  /// The event that caused it, if the writer said.
  public var causationId: UUID?

  /// Decodes a stored event of a patient stream; nil for an event of another kind (an event
  /// type this build does not know is reported as `.needsOperator`).
  static func decode(_ recorded: RecordedEvent) throws(LedgerError) -> PatientEvent {
    if recorded.dataForm.isErased || recorded.type == Ledger.erasureEventType {
      throw LedgerError(.streamErased(stream: recorded.streamId))
    }
    let event: ClinicalEvent
    do {
      event = try ClinicalEvent.decode(
        type: recorded.type, schemaVersion: recorded.schemaVersion,
        json: Data(recorded.data.canonicalBytes))
    } catch {
      throw LedgerError(
        .corruptRecord(
          position: recorded.globalPosition,
          reason: "its data does not decode as \(recorded.type) (rule \(error.rule))"))
    }
    let (occurredAt, recordedAt) = try Ledger.storedTimes(of: recorded)
    return PatientEvent(
      event: event, eventId: recorded.eventId, globalPosition: recorded.globalPosition,
      version: recorded.streamVersion, occurredAt: occurredAt, recordedAt: recordedAt,
      recordedBy: recorded.recordedBy, flags: recorded.flags.compactMap(ClinicalFlag.init(json:)),
      correlationId: recorded.correlationId, causationId: recorded.causationId)
  }
}

extension Ledger {
  /// A stored event's clinical and recorded times; a time that does not parse is a corrupt record.
  static func storedTimes(of recorded: RecordedEvent) throws(LedgerError) -> (
    occurredAt: ClinicalTime, recordedAt: ClinicalTime
  ) {
    guard let occurredAt = ClinicalTime(recorded.occurredAt),
      let recordedAt = ClinicalTime(recorded.recordedAt)
    else {
      throw LedgerError(
        .corruptRecord(position: recorded.globalPosition, reason: "a stored time does not parse"))
    }
    return (occurredAt, recordedAt)
  }

  /// The patient's events in the order they were recorded, typed; empty for an unknown patient.
  ///
  /// ```swift
  /// for stored in try ledger.events(of: "7f3a") {
  ///   if case .vitalsRecorded(let vitals) = stored.event { print(vitals.heartRateBpm ?? 0) }
  /// }
  /// ```
  public func events(of patientId: String) throws(LedgerError) -> [PatientEvent] {
    let recorded: [RecordedEvent]
    do { recorded = try store.readStream(Self.stream(forPatient: patientId)) } catch {
      throw LedgerError(error)
    }
    var events: [PatientEvent] = []
    events.reserveCapacity(recorded.count)
    for event in recorded { events.append(try PatientEvent.decode(event)) }
    return events
  }

  /// The patient's timeline in clinical order, with flags, corrections and voids; with `asOf`,
  /// as the record showed it at that recorded time. An unknown patient has an empty timeline; an
  /// erased one throws ``LedgerError/Code/erased`` (their events read as erased envelopes).
  public func timeline(of patientId: String, asOf: ClinicalTime? = nil) throws(LedgerError)
    -> PatientTimeline
  {
    let projection = PatientTimelineProjection()
    let stream = Self.stream(forPatient: patientId)
    let timeline: PatientTimeline
    do throws(EventStoreError) {
      if try store.isErased(stream: stream) { throw EventStoreError.streamErased(stream: stream) }
      timeline =
        try store.projectionState(projection, stream: stream)
        ?? projection.initialState(stream: stream)
    } catch {
      throw LedgerError(error)
    }
    guard let asOf else { return timeline }
    guard let micros = Timestamp.parseMicros(asOf.text) else {
      throw LedgerError(
        .invalidEvent(
          index: 0, eventId: nil, field: "asOf",
          reason: "must be an RFC 3339 date-time with an offset"))
    }
    return timeline.asOf(Timestamp.format(micros: micros))
  }

  /// The patient's course summaries and follow-ups; `now` decides which follow-ups are overdue.
  /// An erased patient throws ``LedgerError/Code/erased``.
  public func summary(of patientId: String, now: Date = Date()) throws(LedgerError)
    -> PatientSummary
  {
    let projection = CourseSummaryProjection()
    let stream = Self.stream(forPatient: patientId)
    do throws(EventStoreError) {
      if try store.isErased(stream: stream) { throw EventStoreError.streamErased(stream: stream) }
      let state =
        try store.projectionState(projection, stream: stream)
        ?? projection.initialState(stream: stream)
      return state.summary(now: now)
    } catch {
      throw LedgerError(error)
    }
  }
}
