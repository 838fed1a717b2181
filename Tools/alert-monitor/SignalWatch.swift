import Dispatch
import Foundation

/// Turns SIGINT and SIGTERM into a call of `handler` on a Dispatch queue, instead of the default
/// action (killing the process at once).
///
/// Why: a service killed mid-step never closes its store. Closing lets LMDB release this
/// process's reader slot at once and lets the log show a clean stop. The handler only cancels
/// the subscription's task; the task then ends its `for await` loop and the command closes the
/// ledger on its normal path.
// Dispatch sources are thread-safe; the array is never changed after `init`.
final class SignalWatch: @unchecked Sendable {
  private let sources: [any DispatchSourceSignal]

  /// Starts watching `signals`; `handler` gets the signal's number.
  init(_ signals: [Int32], handler: @escaping @Sendable (Int32) -> Void) {
    let queue = DispatchQueue(label: "alert-monitor.signals")
    sources = signals.map { number in
      // The default action must be off, or the process dies before Dispatch sees the signal.
      signal(number, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
      source.setEventHandler { handler(number) }
      source.resume()
      return source
    }
  }

  /// Stops watching and restores the default actions.
  func cancel() {
    for source in sources {
      source.cancel()
      signal(Int32(source.handle), SIG_DFL)
    }
  }

  /// `SIGINT`, `SIGTERM` or the number.
  static func name(_ number: Int32) -> String {
    switch number {
    case SIGINT: "SIGINT"
    case SIGTERM: "SIGTERM"
    default: "signal \(number)"
    }
  }
}
