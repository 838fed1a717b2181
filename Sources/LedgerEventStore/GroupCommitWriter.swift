import Foundation

/// The store's one writer thread.
///
/// LMDB ties a write transaction to the thread that began it: a transaction committed on another
/// thread returns success yet leaves the writer lock held, and the next writer hangs. So every
/// write runs here, on one dedicated `Thread`, never on Swift's cooperative pool and never across
/// an `await`. Requests that arrive while a transaction is being written wait in a queue and are
/// then written together in the next transaction, with one flush to disk (group commit).
final class GroupCommitWriter: @unchecked Sendable {
  struct Request {
    let batches: [StreamAppend]
    let system: Bool
    let options: AppendOptions
    let continuation: CheckedContinuation<Result<[AppendResult], EventStoreError>, Never>
    var eventCount: Int { batches.reduce(0) { $0 + $1.events.count } }
  }

  private let condition = NSCondition()
  private let finished = DispatchSemaphore(value: 0)
  private let maximumEvents: Int
  // Guarded by `condition`.
  private var queue: [Request] = []
  private var state: State = .idle

  private enum State { case idle, running, stopping, stopped }

  init(maximumEvents: Int) {
    self.maximumEvents = maximumEvents
  }

  func start(store: EventStore) {
    condition.lock()
    state = .running
    condition.unlock()
    let thread = Thread { [self] in
      run(store: store)
      finished.signal()
    }
    thread.name = "TreatmentLedger.writer"
    thread.qualityOfService = .userInitiated
    thread.start()
  }

  func submit(
    _ batches: [StreamAppend], system: Bool, options: AppendOptions
  ) async -> Result<[AppendResult], EventStoreError> {
    await withCheckedContinuation { continuation in
      condition.lock()
      guard state == .running else {
        condition.unlock()
        continuation.resume(returning: .failure(.closed))
        return
      }
      queue.append(
        Request(batches: batches, system: system, options: options, continuation: continuation))
      condition.signal()
      condition.unlock()
    }
  }

  /// Lets queued requests finish, then ends the thread. Later submissions fail with `.closed`.
  func stop() {
    condition.lock()
    guard state == .running else {
      condition.unlock()
      return
    }
    state = .stopping
    condition.signal()
    condition.unlock()
    finished.wait()
  }

  private func run(store: EventStore) {
    while let group = nextGroup() {
      let results = store.commit(group)
      for (request, result) in zip(group, results) {
        request.continuation.resume(returning: result)
      }
    }
  }

  /// Waits for requests and takes as many as fit in one transaction; nil when stopping and idle.
  private func nextGroup() -> [Request]? {
    condition.lock()
    defer { condition.unlock() }
    while queue.isEmpty {
      if state == .stopping {
        state = .stopped
        return nil
      }
      condition.wait()
    }
    var group: [Request] = []
    var events = 0
    while let request = queue.first,
      group.isEmpty || events + request.eventCount <= maximumEvents
    {
      group.append(request)
      events += request.eventCount
      queue.removeFirst()
    }
    return group
  }
}

/// Wakes subscribers when this process commits events.
final class CommitNotifier: @unchecked Sendable {
  private let lock = NSLock()
  private var waiters: [UUID: CheckedContinuation<Void, Never>] = [:]
  private var closed = false
  private var commits: UInt64 = 0

  /// Counts commits of this process; read it before looking for new events, and pass it to
  /// ``wait(after:timeout:)`` so that a commit in between is never missed.
  var generation: UInt64 {
    lock.lock()
    defer { lock.unlock() }
    return commits
  }

  func signal() {
    lock.lock()
    commits &+= 1
    let woken = waiters
    waiters.removeAll()
    lock.unlock()
    for continuation in woken.values { continuation.resume() }
  }

  func close() {
    lock.lock()
    closed = true
    lock.unlock()
    signal()
  }

  var isClosed: Bool {
    lock.lock()
    defer { lock.unlock() }
    return closed
  }

  /// Returns after the next commit of this process, after `timeout`, or on cancellation,
  /// whichever comes first. The timeout is how other processes' appends are noticed.
  func wait(after generation: UInt64, timeout: Duration) async {
    let id = UUID()
    await withTaskGroup(of: Void.self) { group in
      group.addTask {
        await withTaskCancellationHandler {
          await withCheckedContinuation { continuation in
            self.lock.lock()
            if self.closed || Task.isCancelled || self.commits != generation {
              self.lock.unlock()
              continuation.resume()
              return
            }
            self.waiters[id] = continuation
            self.lock.unlock()
          }
        } onCancel: {
          self.lock.lock()
          let continuation = self.waiters.removeValue(forKey: id)
          self.lock.unlock()
          continuation?.resume()
        }
      }
      group.addTask { try? await Task.sleep(for: timeout) }
      await group.next()
      group.cancelAll()
    }
  }
}
