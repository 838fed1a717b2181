import Foundation
import LedgerFoundation

/// What an append works out for one event before its write transaction: nothing here reads the
/// store, so it can run on another thread while the writer writes the batches before it.
struct PreparedEvent: Sendable {
  /// The refusal of the event's envelope (``EventStore/checkEnvelope(_:index:)``), or nil when
  /// it is well formed.
  let envelopeError: EventStoreError?
  /// The canonical bytes of the event's data (what is sealed), when the stream is sealed.
  let canonicalData: [UInt8]?
  /// What the reviewer worked out ahead (``AppendReviewer/prepare(_:stream:)``), if anything.
  let reviewed: (any Sendable)?
}

/// The events of one append request, prepared batch by batch on a thread of its own while the
/// writer thread writes (and waits only for a batch not prepared yet). The writer's transaction
/// stays on the writer thread; this thread never touches LMDB.
///
/// Used for requests of many events (imports): a single append prepares its event on the writer
/// thread as before, where a thread of its own would cost more than it saves.
final class PreparedAppend: @unchecked Sendable {
  /// Requests with at least this many events and two batches are prepared ahead.
  static let minimumEvents = 64

  private let condition = NSCondition()
  /// Guarded by `condition`.
  private var ready: [[PreparedEvent]?]
  /// Guarded by `condition`.
  private var cancelled = false

  /// Starts preparing `batches` in order on a new thread, or returns nil when the request is
  /// too small to gain from it.
  static func start(_ batches: [StreamAppend], store: EventStore) -> PreparedAppend? {
    guard batches.count >= 2,
      batches.reduce(0, { $0 + $1.events.count }) >= minimumEvents
    else { return nil }
    let prepared = PreparedAppend(count: batches.count)
    let thread = Thread { [prepared] in
      for (index, batch) in batches.enumerated() {
        if prepared.isCancelled { return }
        let events = batch.events.enumerated().map { offset, event in
          store.prepare(event, index: offset, stream: batch.stream)
        }
        prepared.deliver(events, at: index)
      }
    }
    thread.name = "TreatmentLedger.prepare"
    thread.start()
    return prepared
  }

  private init(count: Int) {
    ready = Array(repeating: nil, count: count)
  }

  /// The prepared events of batch `index`, waiting until they are ready.
  func batch(_ index: Int) -> [PreparedEvent] {
    condition.lock()
    defer { condition.unlock() }
    while true {
      if let events = ready[index] { return events }
      condition.wait()
    }
  }

  /// Stops preparing the batches not begun yet (the writer is done with the request).
  func cancel() {
    condition.lock()
    cancelled = true
    condition.unlock()
  }

  private var isCancelled: Bool {
    condition.lock()
    defer { condition.unlock() }
    return cancelled
  }

  private func deliver(_ events: [PreparedEvent], at index: Int) {
    condition.lock()
    ready[index] = events
    condition.broadcast()
    condition.unlock()
  }
}

extension EventStore {
  /// The transaction-free work of appending `event`, event `index` of a batch for `stream`.
  func prepare(_ event: ProposedEvent, index: Int, stream: String) -> PreparedEvent {
    var envelopeError: EventStoreError?
    do { try Self.checkEnvelope(event, index: index) } catch { envelopeError = error }
    let sealed = dataKeys?.seals(stream) == true && envelopeError == nil
    let reviewed =
      envelopeError == nil && reviewer?.reviews(stream: stream) == true
      ? reviewer?.prepare(event, stream: stream) : nil
    return PreparedEvent(
      envelopeError: envelopeError, canonicalData: sealed ? event.data.canonicalBytes : nil,
      reviewed: reviewed)
  }
}
