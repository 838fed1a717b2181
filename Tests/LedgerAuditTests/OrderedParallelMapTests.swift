import LedgerAudit
import LedgerTestSupport
import Synchronization
import Testing

/// The exporter's and the verifier's pipeline on its own: order, the window, and errors from
/// either end.
@Suite struct OrderedParallelMapTests {
  struct Failure: Error, Equatable {
    var at: Int
  }

  /// How many inputs are produced but not yet consumed, and the most there ever were.
  final class Outstanding: Sendable {
    private let counts = Mutex((now: 0, most: 0))

    func produced() {
      counts.withLock {
        $0.now += 1
        $0.most = max($0.most, $0.now)
      }
    }
    func consumed() { counts.withLock { $0.now -= 1 } }
    var most: Int { counts.withLock { $0.most } }
  }

  /// Work that takes a seeded, uneven time, so outputs finish out of order.
  static func slowSquare(_ input: Int) -> Int {
    var state = UInt64(input) &* 0x9E37_79B9_7F4A_7C15
    var spin = 0
    for _ in 0..<(Int(state >> 52) * 50) {
      state = state &* 6_364_136_223_846_793_005 &+ 1
      spin &+= Int(state >> 60)
    }
    return input * input + (spin & 0)
  }

  @Test(arguments: [1, 3, 8])
  func outputsComeInInputOrderWithinTheWindow(window: Int) async throws {
    let outstanding = Outstanding()
    var next = 0
    var outputs: [Int] = []
    try await orderedParallelMap(
      window: window,
      next: { () throws(Failure) -> Int? in
        guard next < 300 else { return nil }
        defer { next += 1 }
        outstanding.produced()
        return next
      },
      transform: Self.slowSquare,
      consume: { (output: Int) throws(Failure) in
        outstanding.consumed()
        outputs.append(output)
      })
    #expect(outputs == (0..<300).map { $0 * $0 })
    #expect(outstanding.most <= window)
    #expect(outstanding.most >= 1)
  }

  @Test func noInputsGiveNoOutputs() async throws {
    var consumed = 0
    try await orderedParallelMap(
      window: 4, next: { () throws(Failure) -> Int? in nil }, transform: { $0 },
      consume: { (_: Int) throws(Failure) in consumed += 1 })
    #expect(consumed == 0)
  }

  @Test func anErrorOfTheProducerEndsTheMapAfterTheOutputsBeforeIt() async {
    var next = 0
    var outputs: [Int] = []
    let error = await #expect(throws: Failure.self) {
      try await orderedParallelMap(
        window: 4,
        next: { () throws(Failure) -> Int? in
          if next == 10 { throw Failure(at: next) }
          defer { next += 1 }
          return next
        },
        transform: { $0 + 1 },
        consume: { (output: Int) throws(Failure) in outputs.append(output) })
    }
    #expect(error == Failure(at: 10))
    // The producer runs ahead of the consumer by at most the window.
    #expect(outputs.count <= 10 && outputs.count >= 10 - 4)
    #expect(outputs == Array(1...outputs.count))
  }

  @Test func anErrorOfTheConsumerStopsReadingAhead() async {
    var produced = 0
    var outputs: [Int] = []
    let error = await #expect(throws: Failure.self) {
      try await orderedParallelMap(
        window: 3,
        next: { () throws(Failure) -> Int? in
          defer { produced += 1 }
          return produced
        },
        transform: { $0 },
        consume: { (output: Int) throws(Failure) in
          if output == 5 { throw Failure(at: output) }
          outputs.append(output)
        })
    }
    #expect(error == Failure(at: 5))
    #expect(outputs == [0, 1, 2, 3, 4])
    // An endless producer was asked for at most a window beyond the failing input.
    #expect(produced <= 5 + 3)
  }
}
