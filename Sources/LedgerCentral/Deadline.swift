import Synchronization

/// Runs `body` in a task of its own and returns its result, unless `timeout` passes or the
/// caller is cancelled first; then the caller gets ``CentralError/unreachable(reason:)`` at once
/// and `body`'s task is cancelled and left behind.
///
/// Every exchange with PostgreSQL goes through a deadline because postgres-nio does not always
/// answer: a connection that the server ends right after its start-up (observed with
/// `pg_terminate_backend` between the start-up's `ReadyForQuery` and the first query) left the
/// caller waiting for ever, with no error and no answer, and such a wait ignores cancellation.
///
/// - Parameters:
///   - onTimeout: runs once when the time ran out first (the forwarder closes the connection).
///   - onAbandoned: receives what `body` returns after the caller stopped waiting (a connection
///     opened too late is closed there).
func withDeadline<T: Sendable>(
  _ timeout: Duration,
  onTimeout: @escaping @Sendable () -> Void = {},
  onAbandoned: @escaping @Sendable (T) -> Void = { _ in },
  _ body: @escaping @Sendable () async throws -> T
) async throws(CentralError) -> T {
  let outcome = FirstOutcome<T>()
  do {
    return try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation {
        (continuation: CheckedContinuation<T, any Error>) in
        outcome.install(continuation)
        let work = Task {
          do {
            let value = try await body()
            if !outcome.finish(.success(value)) { onAbandoned(value) }
          } catch {
            outcome.finish(.failure(error))
          }
        }
        let timer = Task {
          try? await Task.sleep(for: timeout)
          guard !Task.isCancelled else { return }
          if outcome.finish(
            .failure(CentralError.unreachable(reason: "no answer within \(timeout)")))
          {
            work.cancel()
            onTimeout()
          }
        }
        outcome.onFinish { timer.cancel() }
      }
    } onCancel: {
      outcome.finish(.failure(CancellationError()))
    }
  } catch {
    throw CentralDatabase.describe(error)
  }
}

/// The first of several racing outcomes (an answer, a timeout, the caller's cancellation),
/// delivered once to the waiting caller; the others are dropped.
final class FirstOutcome<T: Sendable>: Sendable {
  private struct State {
    var continuation: CheckedContinuation<T, any Error>?
    var early: Result<T, any Error>?
    var done = false
    var onFinish: (@Sendable () -> Void)?
  }
  private let state = Mutex(State())

  /// The caller's continuation; resumed at once when an outcome came first.
  func install(_ continuation: CheckedContinuation<T, any Error>) {
    let early: Result<T, any Error>? = state.withLock { state in
      if let early = state.early { return early }
      state.continuation = continuation
      return nil
    }
    if let early { continuation.resume(with: early) }
  }

  /// Runs `action` when the outcome is decided (at once if it is).
  func onFinish(_ action: @escaping @Sendable () -> Void) {
    let now = state.withLock { state in
      if state.done { return true }
      state.onFinish = action
      return false
    }
    if now { action() }
  }

  /// Delivers `result` if no outcome came first; true when it did.
  @discardableResult
  func finish(_ result: Result<T, any Error>) -> Bool {
    let (first, continuation, action) = state.withLock {
      state -> (Bool, CheckedContinuation<T, any Error>?, (@Sendable () -> Void)?) in
      guard !state.done else { return (false, nil, nil) }
      state.done = true
      if state.continuation == nil { state.early = result }
      let pending = state.continuation
      state.continuation = nil
      let action = state.onFinish
      state.onFinish = nil
      return (true, pending, action)
    }
    continuation?.resume(with: result)
    action?()
    return first
  }
}
