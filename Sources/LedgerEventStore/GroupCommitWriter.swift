import Foundation

/// The store's one writer thread.
///
/// LMDB ties a write transaction to the thread that began it: a transaction committed on another
/// thread returns success yet leaves the writer lock held, and the next writer hangs. So every
/// write of the store runs here, on one dedicated `Thread`, never on Swift's cooperative pool and
/// never across an `await`: appends, and also the store's own maintenance (layout setup at open,
/// projection catch-up, rebuild batches, repairs), as GRDB's serialized database does. Appends
/// that arrive while a transaction is being written wait in a queue and are then written together
/// in the next transaction, with one flush to disk (group commit); maintenance work runs alone, in
/// the order it was submitted.
final class GroupCommitWriter: @unchecked Sendable {
  // Unchecked: every mutable property is guarded by `condition`; `thread` is set once in `start`
  // before any request can be queued, and `committer` once before appends are accepted.

  struct Request {
    let batches: [StreamAppend]
    let system: Bool
    let options: AppendOptions
    /// The request's events prepared ahead on another thread (large requests), or nil.
    var prepared: PreparedAppend? = nil
    let continuation: CheckedContinuation<Result<[AppendResult], EventStoreError>, Never>
    var eventCount: Int { batches.reduce(0) { $0 + $1.events.count } }
  }

  /// What waits in the queue: appends (grouped into one transaction) or one piece of work.
  private enum Job {
    case append(Request)
    case work(@Sendable () -> Void)
  }

  private let condition = NSCondition()
  private let finished = DispatchSemaphore(value: 0)
  private let maximumEvents: Int
  // Guarded by `condition`.
  private var queue: [Job] = []
  private var state: State = .idle
  private var committer: (@Sendable ([Request]) -> [Result<[AppendResult], EventStoreError>])?
  private var thread: Thread?

  private enum State { case idle, running, stopping, stopped }

  init(maximumEvents: Int) {
    self.maximumEvents = maximumEvents
  }

  /// Starts the thread. Work can be submitted from now on; appends once ``attach(_:)`` ran.
  func start() {
    let thread = Thread { [self] in
      run()
      finished.signal()
    }
    thread.name = "TreatmentLedger.writer"
    thread.qualityOfService = .userInitiated
    condition.lock()
    state = .running
    self.thread = thread
    condition.unlock()
    thread.start()
  }

  /// Names the store whose `commit` writes groups of appends.
  func attach(_ store: EventStore) {
    condition.lock()
    committer = { [unowned store] group in store.commit(group) }
    condition.unlock()
  }

  func submit(
    _ batches: [StreamAppend], system: Bool, options: AppendOptions,
    prepared: PreparedAppend? = nil
  ) async -> Result<[AppendResult], EventStoreError> {
    await withCheckedContinuation { continuation in
      condition.lock()
      guard state == .running, committer != nil else {
        condition.unlock()
        continuation.resume(returning: .failure(.closed))
        return
      }
      queue.append(
        .append(
          Request(
            batches: batches, system: system, options: options, prepared: prepared,
            continuation: continuation)))
      condition.signal()
      condition.unlock()
    }
  }

  /// Runs `body` on the writer thread, after the appends and work queued before it, and returns
  /// its result; the calling thread waits. Called on the writer thread itself (from inside other
  /// work), it runs `body` at once. Throws `.closed` when the writer has stopped.
  func perform<R>(_ body: () throws -> R) throws -> R {
    if Thread.current === currentThread { return try body() }
    return try withoutActuallyEscaping(body) { body in
      let handOff = HandOff(body)
      let done = DispatchSemaphore(value: 0)
      condition.lock()
      guard state == .running else {
        condition.unlock()
        throw EventStoreError.closed
      }
      queue.append(
        .work {
          handOff.run()
          done.signal()
        })
      condition.signal()
      condition.unlock()
      done.wait()
      return try handOff.take()
    }
  }

  private var currentThread: Thread? {
    condition.lock()
    defer { condition.unlock() }
    return thread
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

  private func run() {
    while let next = nextJob() {
      switch next {
      case .work(let work):
        work()
      case .appends(let group, let commit):
        let results = commit(group)
        for (request, result) in zip(group, results) {
          request.continuation.resume(returning: result)
        }
      }
    }
  }

  private enum Next {
    case work(@Sendable () -> Void)
    case appends(
      [Request], @Sendable ([Request]) -> [Result<[AppendResult], EventStoreError>])
  }

  /// Waits for a job: one piece of work, or as many queued appends as fit in one transaction;
  /// nil when stopping and idle.
  private func nextJob() -> Next? {
    condition.lock()
    defer { condition.unlock() }
    while queue.isEmpty {
      if state == .stopping {
        state = .stopped
        return nil
      }
      condition.wait()
    }
    if case .work(let work) = queue[0] {
      queue.removeFirst()
      return .work(work)
    }
    var group: [Request] = []
    var events = 0
    while case .append(let request)? = queue.first,
      group.isEmpty || events + request.eventCount <= maximumEvents
    {
      group.append(request)
      events += request.eventCount
      queue.removeFirst()
    }
    guard let committer else {
      // Appends are only queued once a committer is attached.
      for request in group { request.continuation.resume(returning: .failure(.closed)) }
      return .work({})
    }
    return .appends(group, committer)
  }
}

/// A synchronous closure handed to the writer thread by a caller that waits for it
/// (``GroupCommitWriter/perform(_:)``). Unchecked: the caller blocks from handing it over until
/// the writer signals completion, so the closure, its captures and the result are never touched
/// by two threads at once, and the semaphore orders the writes before the reads.
///
/// The closure is dropped as soon as it has run, before the caller is woken: the caller lends it
/// with `withoutActuallyEscaping`, which checks that nothing holds it afterwards.
private final class HandOff<R>: @unchecked Sendable {
  private var body: (() throws -> R)?
  private var result: Result<R, any Error>?

  init(_ body: @escaping () throws -> R) { self.body = body }

  func run() {
    if let body { result = Result { try body() } }
    body = nil
  }

  func take() throws -> R {
    guard let result else { throw EventStoreError.closed }
    return try result.get()
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
