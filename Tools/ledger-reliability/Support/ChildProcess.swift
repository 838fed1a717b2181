import Foundation
import Synchronization

/// A copy of this executable running one hidden `*-child` subcommand.
///
/// Standard output and error go to files (no pipe can fill up and block the child). The child is
/// reaped by Foundation; ``waitForExit(timeout:)`` suspends until then without blocking a thread.
final class ChildProcess: Sendable {
  /// How a child ended.
  struct Termination: Sendable, CustomStringConvertible {
    /// The exit status, or the signal number when ``bySignal`` is true.
    var status: Int32
    /// True when a signal ended the child.
    var bySignal: Bool

    /// True when the child was ended by SIGKILL.
    var wasKilled: Bool { bySignal && status == SIGKILL }

    /// `exit status N` or `signal N`.
    var description: String { bySignal ? "signal \(status)" : "exit status \(status)" }
  }

  private enum State {
    case running([CheckedContinuation<Termination, Never>])
    case finished(Termination)
  }

  private final class Shared: Sendable {
    let state = Mutex<State>(.running([]))
  }

  private let shared = Shared()
  /// The child's process id.
  let pid: Int32
  /// The file holding the child's standard output.
  let outputPath: String
  /// The file holding the child's standard error.
  let errorPath: String

  /// The path of this executable (children run the same binary).
  static var executablePath: String {
    if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
      return resolved
    }
    return Bundle.main.executablePath ?? CommandLine.arguments[0]
  }

  /// Starts this executable with `arguments`, its output going to `<logPrefix>.out` and `.err`.
  init(_ arguments: [String], logPrefix: String, environment: [String: String] = [:]) throws {
    outputPath = logPrefix + ".out"
    errorPath = logPrefix + ".err"
    guard FileManager.default.createFile(atPath: outputPath, contents: nil),
      FileManager.default.createFile(atPath: errorPath, contents: nil),
      let output = FileHandle(forWritingAtPath: outputPath),
      let error = FileHandle(forWritingAtPath: errorPath)
    else { throw ChildError("cannot create \(logPrefix).out/.err") }
    defer {
      try? output.close()
      try? error.close()
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Self.executablePath)
    process.arguments = arguments
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = output
    process.standardError = error
    if !environment.isEmpty {
      process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    let shared = self.shared
    process.terminationHandler = { finished in
      let termination = Termination(
        status: finished.terminationStatus, bySignal: finished.terminationReason == .uncaughtSignal)
      let waiting = shared.state.withLock { state -> [CheckedContinuation<Termination, Never>] in
        guard case .running(let waiting) = state else { return [] }
        state = .finished(termination)
        return waiting
      }
      for continuation in waiting { continuation.resume(returning: termination) }
    }
    try process.run()
    pid = process.processIdentifier
  }

  /// Sends SIGKILL: the child dies at once, wherever it is.
  func kill() {
    if !hasExited { _ = Foundation.kill(pid, SIGKILL) }
  }

  /// True once the child has exited and been reaped.
  var hasExited: Bool {
    shared.state.withLock { state in
      if case .finished = state { return true }
      return false
    }
  }

  /// Waits for the child to end. After `timeout` it is killed (a hang is a finding) and nil is
  /// returned.
  func waitForExit(timeout: Duration) async -> Termination? {
    let result = await withTaskGroup(of: Termination?.self) { group in
      group.addTask { await self.termination() }
      group.addTask {
        try? await Task.sleep(for: timeout)
        return nil
      }
      let first = await group.next() ?? nil
      group.cancelAll()
      if first == nil { self.kill() }
      return first
    }
    if result == nil { _ = await termination() }
    return result
  }

  /// Suspends until the child has ended.
  func termination() async -> Termination {
    await withCheckedContinuation { continuation in
      let finished = shared.state.withLock { state -> Termination? in
        switch state {
        case .finished(let termination):
          return termination
        case .running(var waiting):
          waiting.append(continuation)
          state = .running(waiting)
          return nil
        }
      }
      if let finished { continuation.resume(returning: finished) }
    }
  }

  /// The child's standard output so far.
  var output: String { Self.read(outputPath) }

  /// The last lines of the child's standard error, for failure messages.
  var errorTail: String {
    let lines = Self.read(errorPath).split(separator: "\n").suffix(5)
    return lines.isEmpty ? "(no output on standard error)" : lines.joined(separator: " | ")
  }

  private static func read(_ path: String) -> String {
    FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) } ?? ""
  }
}
