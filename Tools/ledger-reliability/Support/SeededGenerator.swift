/// A small, fast, seedable random number generator (SplitMix64), so a failing trial can be run
/// again with the same `--seed`.
struct SeededGenerator: RandomNumberGenerator, Sendable {
  private var state: UInt64

  /// Starts the sequence at `seed`.
  init(seed: UInt64) {
    state = seed
  }

  /// The next 64 random bits.
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// A seed for a derived generator (a child process or a task), distinct for each `index`.
  static func derive(_ seed: UInt64, _ index: Int) -> UInt64 {
    var generator = SeededGenerator(
      seed: seed ^ (UInt64(truncatingIfNeeded: index) &* 0xA24B_AED4_963E_E407))
    return generator.next()
  }
}
