import Foundation
import LedgerEventStore
import LedgerFoundation

/// The hard limits of legal holds (docs/RETENTION.md), as stable codes with their limits.
public enum LegalHoldRule: String, Sendable, Hashable, CaseIterable {
  /// A hold event outside the stream `legal-holds`.
  case streamName = "hold.stream.name"
  /// `holdId` is not an id (1–128 of `A-Za-z0-9._:-`).
  case holdIdFormat = "hold.holdId.format"
  /// A `LegalHoldPlaced` reuses a `holdId` already placed (released or not).
  case duplicateHold = "hold.holdId.duplicate"
  /// `scope` is neither `"all"` nor a patient id.
  case scopeFormat = "hold.scope.format"
  /// `reason` is empty or white space.
  case reasonEmpty = "hold.reason.empty"
  /// A `LegalHoldReleased` names a hold never placed.
  case unknownHold = "hold.release.unknown"
  /// A `LegalHoldReleased` names a hold already released.
  case alreadyReleased = "hold.release.alreadyReleased"

  /// The field the rule concerns.
  public var field: String {
    switch self {
    case .streamName: "streamId"
    case .holdIdFormat, .duplicateHold, .unknownHold, .alreadyReleased: "holdId"
    case .scopeFormat: "scope"
    case .reasonEmpty: "reason"
    }
  }

  /// The limit in words, as errors state it.
  public var limit: String {
    switch self {
    case .streamName: "legal holds are recorded in the stream legal-holds only"
    case .holdIdFormat: "1–128 of A–Z a–z 0–9 . _ : -"
    case .duplicateHold: "a holdId not placed before"
    case .scopeFormat: "\"all\" or a patient id of 1–128 of A–Z a–z 0–9 . _ : -"
    case .reasonEmpty: "must not be empty"
    case .unknownHold: "a holdId placed earlier"
    case .alreadyReleased: "a hold not yet released"
    }
  }
}

/// The state of the `legal-holds` stream the rules need: every hold id placed, and whether it
/// has been released.
public struct LegalHoldState: Sendable, Hashable {
  /// Hold id → released.
  public private(set) var holds: [String: Bool] = [:]

  /// No holds.
  public init() {}

  mutating func apply(_ event: LegalHoldEvent) {
    switch event {
    case .placed(let data): holds[data.holdId] = false
    case .released(let data): holds[data.holdId] = true
    }
  }

  /// One line per hold, sorted: `0<holdId>` (in force) or `1<holdId>` (released). Ids hold no
  /// line feed.
  var encoded: [UInt8] {
    Array(
      holds.keys.sorted().map { (holds[$0] == true ? "1" : "0") + $0 }.joined(separator: "\n").utf8)
  }

  init?(encoded bytes: [UInt8]) {
    guard !bytes.isEmpty else { return }
    for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
      guard let flag = line.first, flag == "0" || flag == "1", line.count > 1 else { return nil }
      holds[String(line.dropFirst())] = flag == "1"
    }
  }
}

/// The rules of the clinic stream `legal-holds` as an `AppendReviewer`: each event is read
/// strictly as a ``LegalHoldEvent`` and checked against the ``LegalHoldRule`` limits in the
/// append's own write transaction, so two clerks cannot place the same hold id, and no release
/// names a hold that was never placed.
public struct LegalHoldReviewer: AppendReviewer {
  /// The one stream of legal holds: `legal-holds`.
  public static let stream = "legal-holds"

  /// The rules (no settings).
  public init() {}

  /// True: the state changes only after every check has passed.
  public var leavesStateUnchangedWhenRefusing: Bool { true }

  /// True for `legal-holds` and any stream starting so (refused unless it is `legal-holds`).
  public func reviews(stream: String) -> Bool { stream.hasPrefix(Self.stream) }

  /// Decodes the stored state; an empty state for a new stream.
  public func decodeState(_ bytes: [UInt8]?, stream: String) throws(EventStoreError)
    -> LegalHoldState
  {
    guard let bytes else { return LegalHoldState() }
    guard let state = LegalHoldState(encoded: bytes) else {
      throw .incompatibleStore(reason: "the hold state of stream '\(stream)' does not decode")
    }
    return state
  }

  /// Encodes the state.
  public func encodeState(_ state: LegalHoldState) -> [UInt8] { state.encoded }

  /// Folds a stored hold event into the state without judging it.
  public func absorb(_ event: RecordedEvent, stream: String, state: inout LegalHoldState) {
    guard
      let hold = try? LegalHoldEvent.decode(
        type: event.type, schemaVersion: event.schemaVersion, value: event.data)
    else { return }
    state.apply(hold)
  }

  /// Validates one hold event against the stream's holds; hold events carry no flags.
  public func review(
    _ event: ProposedEvent, index: Int, stream: String, state: inout LegalHoldState,
    context: ReviewContext
  ) throws(EventStoreError) -> [JSONValue] {
    func reject(_ rule: LegalHoldRule) -> EventStoreError {
      .rejected(
        index: index, eventId: event.eventId, type: event.type, field: rule.field,
        rule: rule.rawValue, limit: rule.limit)
    }
    guard stream == Self.stream else { throw reject(.streamName) }
    guard ClinicalTime(event.occurredAt) != nil else {
      throw .rejected(
        index: index, eventId: event.eventId, type: event.type, field: "occurredAt",
        rule: "decode.field.invalidFormat", limit: "an RFC 3339 date-time with an offset")
    }
    let hold: LegalHoldEvent
    do {
      hold = try LegalHoldEvent.decode(
        type: event.type, schemaVersion: event.schemaVersion, value: event.data)
    } catch {
      throw .rejected(
        index: index, eventId: event.eventId, type: event.type, field: error.field,
        rule: error.rule, limit: error.limit)
    }
    guard IdentifierFormat.isValid(hold.holdId) else { throw reject(.holdIdFormat) }
    switch hold {
    case .placed(let data):
      guard state.holds[data.holdId] == nil else { throw reject(.duplicateHold) }
      guard data.scope == LegalHoldPlaced.allPatients || IdentifierFormat.isValid(data.scope)
      else { throw reject(.scopeFormat) }
      guard !Self.isBlank(data.reason) else { throw reject(.reasonEmpty) }
    case .released(let data):
      guard let released = state.holds[data.holdId] else { throw reject(.unknownHold) }
      guard !released else { throw reject(.alreadyReleased) }
      guard !Self.isBlank(data.reason) else { throw reject(.reasonEmpty) }
    }
    state.apply(hold)
    return []
  }

  static func isBlank(_ text: String) -> Bool {
    text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
  }
}
