import Foundation

/// A one-line progress bar on standard error, shown only when it is a terminal; elsewhere (a log
/// file, CI) a plain line every `lineEvery` events when that is given.
final class Progress: @unchecked Sendable {
  private let label: String
  private let enabled: Bool
  private let lineEvery: UInt64?
  private var lastLine: UInt64 = 0
  private let started = ContinuousClock.now
  private let lock = NSLock()
  private var lastDraw = ContinuousClock.now - .seconds(1)
  private var drawn = false

  init(label: String, enabled: Bool = true, lineEvery: UInt64? = nil) {
    self.label = label
    self.enabled = enabled && isatty(STDERR_FILENO) == 1
    self.lineEvery = enabled && isatty(STDERR_FILENO) != 1 ? lineEvery : nil
  }

  /// Elapsed seconds since the bar was made.
  var elapsedSeconds: Double {
    let elapsed = ContinuousClock.now - started
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
  }

  /// Redraws at most ten times a second. `fraction` (0...1) enables the bar and the ETA.
  func update(count: UInt64, fraction: Double?) {
    if let lineEvery, lineEvery > 0, count / lineEvery > lastLine / lineEvery {
      lock.lock()
      lastLine = count
      lock.unlock()
      let total = fraction.map { $0 > 0 ? " of \(Int((Double(count) / $0).rounded()))" : "" } ?? ""
      FileHandle.standardError.write(Data("\(label) \(count)\(total) events\n".utf8))
    }
    guard enabled else { return }
    lock.lock()
    defer { lock.unlock() }
    let now = ContinuousClock.now
    guard now - lastDraw >= .milliseconds(100) else { return }
    lastDraw = now
    let seconds = max(elapsedSeconds, 0.001)
    let rate = Double(count) / seconds
    var line = "\r\(label) \(count) events, \(Int(rate)) events/s"
    if let fraction, fraction > 0 {
      let width = 30
      let filled = min(width, Int(fraction * Double(width)))
      let eta = seconds / fraction - seconds
      line =
        "\r[" + String(repeating: "#", count: filled)
        + String(repeating: " ", count: width - filled)
        + "] \(Int(fraction * 100))% " + line.dropFirst() + ", ETA \(Int(eta.rounded())) s"
    }
    FileHandle.standardError.write(Data((line + "\u{1B}[K").utf8))
    drawn = true
  }

  func update(done: UInt64, total: UInt64) {
    update(count: done, fraction: total > 0 ? Double(done) / Double(total) : nil)
  }

  /// Clears the bar's line.
  func finish() {
    guard enabled else { return }
    lock.lock()
    defer { lock.unlock() }
    if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
  }
}
