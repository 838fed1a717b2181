import Foundation
import LedgerFoundation

extension PatientDecisionState {
  /// The state after an accepted event.
  ///
  /// An original event adds its contribution to the derived facts directly. A correction or a
  /// void re-derives the facts from the entries' effective contributions, so a voided event
  /// counts for nothing and a corrected event counts with its replacement (voiding a
  /// correction restores the data it replaced). An event id already in the stream leaves the
  /// state unchanged (appends are idempotent).
  public func applying(
    _ event: ClinicalEvent, eventId: UUID, occurredAt: ClinicalTime
  ) -> PatientDecisionState {
    var next = self
    next.apply(event, eventId: eventId, occurredAt: occurredAt)
    return next
  }

  /// ``applying(_:eventId:occurredAt:)`` in place (no copy of the state when it is not shared).
  public mutating func apply(_ event: ClinicalEvent, eventId: UUID, occurredAt: ClinicalTime) {
    guard positions[eventId] == nil else { return }
    let position = entries.count
    let record = Self.record(for: event, eventId: eventId, at: occurredAt.date, in: self)
    entries.append(record)
    positions[eventId] = position
    guard let targetId = record.targetId else {
      facts.absorb(record.contribution, at: record.occurredAt, position: position)
      return
    }
    if let targetPosition = positions[targetId], targetPosition < position {
      if record.eventType == EntryVoided.eventType {
        entries[targetPosition].voidIds.append(eventId)
      } else {
        entries[targetPosition].correctionIds.append(eventId)
      }
    }
    facts = Self.derive(entries, positions: positions)
  }

  /// The state of a stream computed from scratch, in one pass over the entries followed by one
  /// derivation: equal to applying the events one by one with ``applying(_:eventId:occurredAt:)``.
  public static func fold(
    _ events: [(event: ClinicalEvent, eventId: UUID, occurredAt: ClinicalTime)]
  ) -> PatientDecisionState {
    var state = PatientDecisionState()
    for item in events where state.positions[item.eventId] == nil {
      state.positions[item.eventId] = state.entries.count
      state.entries.append(
        record(for: item.event, eventId: item.eventId, at: item.occurredAt.date, in: state))
    }
    for (position, record) in state.entries.enumerated() {
      guard let targetId = record.targetId, let target = state.positions[targetId],
        target < position
      else { continue }
      if record.eventType == EntryVoided.eventType {
        state.entries[target].voidIds.append(record.eventId)
      } else {
        state.entries[target].correctionIds.append(record.eventId)
      }
    }
    state.facts = derive(state.entries, positions: state.positions)
    return state
  }

  /// The state as it would be without one entry's effect, for judging a correction of it.
  func excluding(_ eventId: UUID) -> PatientDecisionState {
    var copy = self
    copy.facts = Self.derive(entries, positions: positions, excluding: eventId)
    return copy
  }

  /// The correction whose replacement currently stands for `record`, if any.
  func activeCorrection(of record: EntryRecord) -> EntryRecord? {
    for id in record.correctionIds.reversed() {
      if let position = positions[id], entries[position].voidIds.isEmpty {
        return entries[position]
      }
    }
    return nil
  }

  static func record(
    for event: ClinicalEvent, eventId: UUID, at date: Date, in state: PatientDecisionState
  ) -> EntryRecord {
    switch event {
    case .entryCorrected(let data):
      let targetType = state.positions[data.correctedEventId].map {
        state.entries[$0].eventType
      }
      let contribution =
        targetType.map { Contribution(replacement: data.replacement, targetType: $0) } ?? .none
      return EntryRecord(
        eventId: eventId, eventType: event.eventType, occurredAt: date,
        targetId: data.correctedEventId, contribution: contribution)
    case .entryVoided(let data):
      return EntryRecord(
        eventId: eventId, eventType: event.eventType, occurredAt: date,
        targetId: data.voidedEventId, contribution: .none)
    default:
      return EntryRecord(
        eventId: eventId, eventType: event.eventType, occurredAt: date, targetId: nil,
        contribution: Contribution(event))
    }
  }

  /// Derives the facts from the effective contribution of every original entry, in stream order.
  static func derive(
    _ entries: [EntryRecord], positions: [UUID: Int], excluding excluded: UUID? = nil
  ) -> DecisionFacts {
    var facts = DecisionFacts()
    for (position, record) in entries.enumerated() {
      guard !record.isCorrectionOrVoid, record.voidIds.isEmpty, record.eventId != excluded
      else { continue }
      var contribution = record.contribution
      for id in record.correctionIds.reversed() {
        if let index = positions[id], entries[index].voidIds.isEmpty {
          contribution = entries[index].contribution
          break
        }
      }
      facts.absorb(contribution, at: record.occurredAt, position: position)
    }
    return facts
  }
}
