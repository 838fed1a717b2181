import Synchronization
import Testing

@testable import LedgerCentral

/// `withDeadline`, which every exchange with PostgreSQL goes through: a body that never answers
/// (as postgres-nio's did for a connection ended right after its start-up) costs the caller the
/// timeout, not for ever, and what it returns later is handed on to be closed.
///
/// Not timed: a caller that waited for ever would meet the suite's time limit. (Under the full
/// suite's load the 0.2 s timeout has taken two minutes to fire: the timer needs a thread of the
/// cooperative pool, which other suites' blocking work held.)
@Suite(.timeLimit(.minutes(5)))
struct DeadlineTests {
  /// A body that waits until released, ignoring cancellation, like a query never answered.
  final class Gate: Sendable {
    private let waiting = Mutex<CheckedContinuation<Int, Never>?>(nil)
    private let released = Mutex<Int?>(nil)

    func wait() async -> Int {
      await withCheckedContinuation { continuation in
        let value: Int? = released.withLock { value in
          if value == nil { waiting.withLock { $0 = continuation } }
          return value
        }
        if let value { continuation.resume(returning: value) }
      }
    }

    func release(_ value: Int) {
      let continuation = released.withLock { released in
        released = value
        return waiting.withLock { waiting in
          defer { waiting = nil }
          return waiting
        }
      }
      continuation?.resume(returning: value)
    }
  }

  @Test func anAnswerWithinTheTimeIsReturned() async throws {
    let value = try await withDeadline(.seconds(30)) { 42 }
    #expect(value == 42)
    await #expect(throws: CentralError.database(reason: "refused")) {
      try await withDeadline(.seconds(30)) { () throws -> Int in
        throw CentralError.database(reason: "refused")
      }
    }
  }

  @Test func aBodyThatNeverAnswersCostsTheTimeoutAndIsClosedWhenItAnswers() async throws {
    let gate = Gate()
    let timedOut = Mutex(0)
    let abandoned = Mutex<[Int]>([])
    await #expect(throws: CentralError.unreachable(reason: "no answer within 0.2 seconds")) {
      try await withDeadline(
        .milliseconds(200), onTimeout: { timedOut.withLock { $0 += 1 } },
        onAbandoned: { value in abandoned.withLock { $0.append(value) } },
        { await gate.wait() })
    }
    #expect(timedOut.withLock { $0 } == 1)
    // The late answer (a connection opened too late) is handed to `onAbandoned`, once.
    gate.release(7)
    for _ in 0..<200 where abandoned.withLock({ $0.isEmpty }) {
      try await Task.sleep(for: .milliseconds(10))
    }
    #expect(abandoned.withLock { $0 } == [7])
  }

  @Test func aCancelledCallerStopsWaitingAtOnce() async throws {
    let gate = Gate()
    let caller = Task {
      try await withDeadline(.seconds(600)) { await gate.wait() }
    }
    try await Task.sleep(for: .milliseconds(50))
    caller.cancel()
    let outcome = await caller.result
    #expect(throws: CentralError.unreachable(reason: "cancelled")) { try outcome.get() }
    gate.release(1)
  }
}
