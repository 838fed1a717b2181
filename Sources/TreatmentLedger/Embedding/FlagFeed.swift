import Foundation

/// A flagged event as an alerting service wants it: whose, which event, when, and the typed
/// flags.
public struct FlaggedEvent: Sendable, Hashable {
  /// The patient's pseudonymous id.
  public var patientId: String
  /// The flagged event's id.
  public var eventId: UUID
  /// Its type, such as `VitalsRecorded`.
  public var type: String
  /// Its position in the whole log.
  public var globalPosition: UInt64
  /// When it happened, as written.
  public var occurredAt: String
  /// The session it belongs to, when it names one (for a correction: the replacement's).
  public var sessionId: String?
  /// For an `EntryCorrected`: the event it corrects.
  public var correctedEventId: UUID?
  /// The soft alerts stored with it (never empty).
  public var flags: [ClinicalFlag]

  init?(_ event: RecordedEvent) {
    let prefix = ClinicalReviewer.patientStreamPrefix
    let flags = event.flags.compactMap(ClinicalFlag.init(json:))
    guard !flags.isEmpty, event.streamId.hasPrefix(prefix) else { return nil }
    patientId = String(event.streamId.dropFirst(prefix.count))
    eventId = event.eventId
    type = event.type
    globalPosition = event.globalPosition
    occurredAt = event.occurredAt
    self.flags = flags
    if event.type == EntryCorrected.eventType {
      correctedEventId = event.data["correctedEventId"]?.stringValue.flatMap(UUID.init(uuidString:))
      sessionId = event.data["replacement"]?["sessionId"]?.stringValue
    } else {
      correctedEventId = nil
      sessionId = event.data["sessionId"]?.stringValue
    }
  }
}

/// Flagged events from a position on, then live as they are committed (by this process or
/// another): an `AsyncSequence` of ``FlaggedEvent``.
///
/// It ends when its task is cancelled, when the ledger closes, or — when made with an `until`
/// position — once every event before that position has been read, so a program can follow
/// exactly the events it wrote:
///
/// ```swift
/// let start = try ledger.nextPosition()
/// // … record events …
/// let end = try ledger.nextPosition()
/// for try await flagged in ledger.flaggedEvents(from: start, until: end) {
///   print(flagged.type, flagged.flags.map(\.code))
/// }
/// ```
public struct FlagFeed: AsyncSequence, Sendable {
  /// A flagged event.
  public typealias Element = FlaggedEvent
  /// Reading can fail as the ledger's reads do.
  public typealias Failure = LedgerError

  let events: EventSubscription
  let start: UInt64
  let end: UInt64?

  /// Creates the iterator.
  public func makeAsyncIterator() -> Iterator {
    Iterator(
      events: events.makeAsyncIterator(), end: end, finished: end.map { $0 <= start } ?? false)
  }

  /// Iterates the feed.
  public struct Iterator: AsyncIteratorProtocol {
    /// See ``FlagFeed/Failure``.
    public typealias Failure = LedgerError
    var events: EventSubscription.Iterator
    let end: UInt64?
    var finished: Bool

    /// The next flagged event, waiting for one; nil once the feed has ended.
    public mutating func next() async throws(LedgerError) -> FlaggedEvent? {
      while !finished {
        let next: RecordedEvent?
        do { next = try await events.next() } catch { throw LedgerError(error) }
        guard let event = next else { return nil }
        if let end, event.globalPosition + 1 >= end { finished = true }
        if let end, event.globalPosition >= end { return nil }
        if let flagged = FlaggedEvent(event) { return flagged }
      }
      return nil
    }
  }
}

extension Ledger {
  /// Flagged events of patient records from global position `position` on, then live; with
  /// `until`, the feed ends after the event before that position (see ``FlagFeed``).
  public func flaggedEvents(from position: UInt64 = 0, until end: UInt64? = nil) -> FlagFeed {
    FlagFeed(events: store.subscribe(from: position), start: position, end: end)
  }
}
