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

/// The `patient-timeline` projection: one ``PatientTimeline`` per `patient-<id>` stream.
public struct PatientTimelineProjection: StreamProjection {
  /// `patient-timeline`.
  public let name = "patient-timeline"
  /// Version 2: the state is stored in a compact binary form (version 1 stored JSON).
  public let version = 2

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

  /// Inserts the event in clinical order and marks what it supersedes.
  public func apply(_ event: RecordedEvent, to state: inout PatientTimeline) throws(EventStoreError)
  {
    let entry = TimelineEntry(
      globalPosition: event.globalPosition, streamVersion: event.streamVersion,
      eventId: event.eventId,
      occurredAt: event.occurredAt, recordedAt: event.recordedAt, type: event.type,
      recordedBy: event.recordedBy, data: event.data, flags: event.flags, correctedBy: nil,
      voidedBy: nil)
    let key = Self.sortKey(entry)
    var low = 0
    var high = state.entries.count
    while low < high {
      let middle = (low + high) / 2
      if Self.sortKey(state.entries[middle]) < key { low = middle + 1 } else { high = middle }
    }
    state.entries.insert(entry, at: low)
    guard let target = supersededTarget(event),
      let index = state.entries.firstIndex(where: { $0.eventId == target })
    else { return }
    let supersession = Supersession(
      eventId: event.eventId, globalPosition: event.globalPosition, recordedAt: event.recordedAt,
      recordedBy: event.recordedBy, reason: event.data["reason"]?.stringValue ?? "")
    if event.type == EntryVoided.eventType {
      state.entries[index].voidedBy = (state.entries[index].voidedBy ?? []) + [supersession]
    } else {
      state.entries[index].correctedBy = (state.entries[index].correctedBy ?? []) + [supersession]
    }
  }

  /// Deterministic compact binary (a format byte, then the entries).
  public func encode(_ state: PatientTimeline) -> [UInt8] { ProjectionCoding.encode(state) }

  /// Decodes stored state; throws `.incompatibleStore` when the bytes do not decode.
  public func decode(_ bytes: [UInt8], stream: String) throws(EventStoreError) -> PatientTimeline {
    try ProjectionCoding.decodeTimeline(bytes, projection: name, stream: stream)
  }

  /// Clinical order: occurredAt as an instant, then global position.
  static func sortKey(_ entry: TimelineEntry) -> SortKey {
    SortKey(micros: Timestamp.parseMicros(entry.occurredAt) ?? 0, position: entry.globalPosition)
  }

  struct SortKey: Comparable {
    var micros: Int64
    var position: UInt64
    static func < (a: SortKey, b: SortKey) -> Bool {
      (a.micros, a.position) < (b.micros, b.position)
    }
  }
}
