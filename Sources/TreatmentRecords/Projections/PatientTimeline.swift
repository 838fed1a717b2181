import Foundation
import LedgerEventStore
import LedgerFoundation

/// A later event that corrects or voids a timeline entry.
public struct Supersession: Codable, Sendable, Hashable {
  /// The correcting or voiding event.
  @LowercaseUUID public var eventId: UUID
  /// Its global position.
  public var globalPosition: UInt64
  /// When the store recorded it.
  public var recordedAt: String
  /// Who entered it.
  public var recordedBy: Recorder
  /// The reason given.
  public var reason: String
}

/// One event of a patient's timeline, with its flags and what superseded it.
public struct TimelineEntry: Codable, Sendable, Hashable {
  /// Position in the whole log.
  public var globalPosition: UInt64
  /// Position in the patient's stream.
  public var streamVersion: UInt64
  /// The event id.
  @LowercaseUUID public var eventId: UUID
  /// Clinical time, as written.
  public var occurredAt: String
  /// When the store recorded it (UTC).
  public var recordedAt: String
  /// The event type.
  public var type: String
  /// Who entered it.
  public var recordedBy: Recorder
  /// The payload as recorded (a corrected entry keeps its original data).
  public var data: JSONValue
  /// Soft alerts stored with the event.
  public var flags: [JSONValue]
  /// Corrections of this entry, oldest first (absent when none).
  public var correctedBy: [Supersession]?
  /// Voids of this entry (absent when none).
  public var voidedBy: [Supersession]?

  /// True when a void recorded at or before `asOf` (or any void, when nil) applies.
  public func isVoided(asOf: String? = nil) -> Bool {
    (voidedBy ?? []).contains { void in asOf.map { void.recordedAt <= $0 } ?? true }
  }
}

/// A patient's events in clinical order (`occurredAt`, then `globalPosition`), each with its
/// flags, who recorded it, and what corrected or voided it. Corrections and voids are entries
/// of their own; the entries they supersede stay, marked.
public struct PatientTimeline: Codable, Sendable, Hashable {
  /// The patient's pseudonymous id.
  public var patientId: String
  /// The entries in clinical order.
  public var entries: [TimelineEntry]

  /// The timeline as the record showed it at recorded time `asOf` (RFC 3339 UTC text as
  /// stored, e.g. `2026-11-04T15:00:00.000000Z`): only entries recorded by then, and only the
  /// corrections and voids recorded by then.
  public func asOf(_ asOf: String) -> PatientTimeline {
    var view = self
    view.entries = entries.compactMap { entry in
      guard entry.recordedAt <= asOf else { return nil }
      var visible = entry
      let corrections = (entry.correctedBy ?? []).filter { $0.recordedAt <= asOf }
      let voids = (entry.voidedBy ?? []).filter { $0.recordedAt <= asOf }
      visible.correctedBy = corrections.isEmpty ? nil : corrections
      visible.voidedBy = voids.isEmpty ? nil : voids
      return visible
    }
    return view
  }
}

/// The `patient-timeline` projection: per `patient-<id>` stream, one record per entry, keyed by
/// clinical time and global position (so records are in clinical order), read back as one
/// ``PatientTimeline``.
///
/// An append writes one record for its event; a correction or void also rewrites the one entry
/// it supersedes, found through the store's event-id index. Neither cost depends on the
/// patient's history. A read assembles the whole timeline from the patient's records.
public struct PatientTimelineProjection: KeyedStreamProjection {
  /// `patient-timeline`.
  public let name = "patient-timeline"
  /// Version 3: one record per entry (version 2 stored the whole timeline as one value, version
  /// 1 as JSON).
  public let version = 3

  /// Creates the projection.
  public init() {}

  /// Patient streams only.
  public func includes(stream: String) -> Bool {
    stream.hasPrefix(ClinicalReviewer.patientStreamPrefix)
  }

  /// An empty timeline.
  public func initialState(stream: String) -> PatientTimeline {
    PatientTimeline(
      patientId: String(stream.dropFirst(ClinicalReviewer.patientStreamPrefix.count)), entries: [])
  }

  /// Stores the event's entry and marks the entry it supersedes.
  public func apply(_ event: RecordedEvent, to records: ProjectionRecords) throws(EventStoreError) {
    let entry = TimelineEntry(
      globalPosition: event.globalPosition, streamVersion: event.streamVersion,
      eventId: event.eventId,
      occurredAt: event.occurredAt, recordedAt: event.recordedAt, type: event.type,
      recordedBy: event.recordedBy, data: event.data, flags: event.flags, correctedBy: nil,
      voidedBy: nil)
    try records.setRecord(
      Self.key(occurredAt: event.occurredAt, position: event.globalPosition),
      ProjectionCoding.encode(entry))
    guard let target = supersededTarget(event),
      let stored = try records.storedEvent(target), stored.streamId == records.stream
    else { return }
    let key = Self.key(occurredAt: stored.occurredAt, position: stored.globalPosition)
    guard let bytes = try records.record(key) else { return }
    var superseded = try ProjectionCoding.decodeEntry(
      bytes, projection: name, stream: records.stream)
    let supersession = Supersession(
      eventId: event.eventId, globalPosition: event.globalPosition, recordedAt: event.recordedAt,
      recordedBy: event.recordedBy, reason: event.data["reason"]?.stringValue ?? "")
    if event.type == EntryVoided.eventType {
      superseded.voidedBy = (superseded.voidedBy ?? []) + [supersession]
    } else {
      superseded.correctedBy = (superseded.correctedBy ?? []) + [supersession]
    }
    try records.setRecord(key, ProjectionCoding.encode(superseded))
  }

  /// The timeline: the entries in key order, which is clinical order.
  public func state(stream: String, records: [ProjectionRecord]) throws(EventStoreError)
    -> PatientTimeline
  {
    var timeline = initialState(stream: stream)
    timeline.entries.reserveCapacity(records.count)
    for record in records {
      timeline.entries.append(
        try ProjectionCoding.decodeEntry(record.value, projection: name, stream: stream))
    }
    return timeline
  }

  /// The record key of an entry: clinical time as an instant (microseconds, 0 when it does not
  /// parse), then global position, both as sortable big-endian integers.
  static func key(occurredAt: String, position: UInt64) -> [UInt8] {
    ProjectionRecords.key(
      ProjectionRecords.sortable(Timestamp.parseMicros(occurredAt) ?? 0), position)
  }
}
