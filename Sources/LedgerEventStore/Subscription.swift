/// A live feed of the log: an `AsyncSequence` that first delivers the stored events from a
/// position (catch-up), then each new event as it is committed, by this process or by another.
///
/// ```swift
/// for try await event in store.subscribe(from: 0) {
///   print(event.globalPosition, event.type)
/// }
/// ```
///
/// Appends of this process wake the subscription at once; appends of other processes are seen
/// within ``pollInterval``. The sequence ends when its task is cancelled or the store closes.
/// Each step reads in a short read transaction, so a slow consumer never holds LMDB pages.
public struct EventSubscription: AsyncSequence, Sendable {
  /// The events, in log order.
  public typealias Element = RecordedEvent
  /// Reading can fail with a storage error or a damaged record.
  public typealias Failure = EventStoreError

  let store: EventStore
  let start: UInt64
  /// How often to look for events appended by other processes.
  public let pollInterval: Duration

  /// Creates the iterator.
  public func makeAsyncIterator() -> Iterator {
    Iterator(store: store, position: start, pollInterval: pollInterval)
  }

  /// Iterates the subscription.
  public struct Iterator: AsyncIteratorProtocol {
    /// See ``EventSubscription/Failure``.
    public typealias Failure = EventStoreError
    let store: EventStore
    var position: UInt64
    let pollInterval: Duration
    var buffer: [RecordedEvent] = []
    var bufferIndex = 0

    /// The next event, waiting for it when the log has no more; nil once cancelled or closed.
    public mutating func next() async throws(EventStoreError) -> RecordedEvent? {
      try await next(isolation: nil)
    }

    /// Isolation-aware entry point of `AsyncIteratorProtocol`.
    public mutating func next(
      isolation actor: isolated (any Actor)?
    ) async throws(EventStoreError) -> RecordedEvent? {
      while true {
        if bufferIndex < buffer.count {
          defer { bufferIndex += 1 }
          return buffer[bufferIndex]
        }
        if Task.isCancelled || store.notifier.isClosed { return nil }
        let generation = store.notifier.generation
        let batch: [RecordedEvent]
        do {
          batch = try store.readAll(from: position, limit: 512)
        } catch .closed {
          return nil
        }
        if let last = batch.last {
          buffer = batch
          bufferIndex = 0
          position = last.globalPosition + 1
          continue
        }
        await store.notifier.wait(after: generation, timeout: pollInterval)
      }
    }

    /// Every event buffered or stored from the current position (at most 512 read at once); when
    /// there is none, waits for a commit for at most `timeout` (looking for other processes'
    /// appends every ``EventSubscription/pollInterval``) and returns `[]` if none came. Nil once
    /// the task is cancelled or the store closed. For a server that sends a heartbeat between
    /// events and records each batch it sends before sending it.
    package mutating func nextBatch(
      waitingAtMost timeout: Duration
    ) async throws(EventStoreError) -> [RecordedEvent]? {
      if bufferIndex < buffer.count {
        defer { (buffer, bufferIndex) = ([], 0) }
        return Array(buffer[bufferIndex...])
      }
      let deadline = ContinuousClock.now.advanced(by: timeout)
      while true {
        if Task.isCancelled || store.notifier.isClosed { return nil }
        let generation = store.notifier.generation
        let batch: [RecordedEvent]
        do {
          batch = try store.readAll(from: position, limit: 512)
        } catch .closed {
          return nil
        }
        if let last = batch.last {
          position = last.globalPosition + 1
          return batch
        }
        let left = ContinuousClock.now.duration(to: deadline)
        guard left > .zero else { return [] }
        await store.notifier.wait(after: generation, timeout: Swift.min(left, pollInterval))
      }
    }
  }
}

extension EventStore {
  /// Subscribes to the log from global position `position` (0: from the beginning).
  public func subscribe(
    from position: UInt64 = 0, pollInterval: Duration = .milliseconds(100)
  ) -> EventSubscription {
    EventSubscription(store: self, start: position, pollInterval: pollInterval)
  }
}

extension EventStore {
  /// Waits until the log holds more than `count` events, for at most `timeout`: woken at once by
  /// this process's commits, and looking for other processes' every `pollInterval`. True when it
  /// does, false when the time ran out, the task was cancelled or the store closed. For a reader
  /// of stored records (the central forwarder) that follows the log without decoding it.
  package func waitForEvents(
    beyond count: UInt64, timeout: Duration, pollInterval: Duration = .milliseconds(100)
  ) async throws(EventStoreError) -> Bool {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while true {
      if Task.isCancelled || notifier.isClosed { return false }
      let generation = notifier.generation
      do {
        if try nextPosition() > count { return true }
      } catch .closed {
        return false
      }
      let left = ContinuousClock.now.duration(to: deadline)
      guard left > .zero else { return false }
      await notifier.wait(after: generation, timeout: Swift.min(left, pollInterval))
    }
  }
}
