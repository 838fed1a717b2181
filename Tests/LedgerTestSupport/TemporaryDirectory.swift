import Foundation

/// A fresh directory under the system's temporary folder, removed by ``remove()``.
///
/// Swift Testing runs tests in parallel and LMDB allows one environment per path per process,
/// so every test makes its own.
public struct TemporaryDirectory: Sendable {
  /// The directory's path.
  public let path: String

  /// Makes a new, empty directory named after `label`.
  public init(_ label: String = "ledger-test") {
    let base = FileManager.default.temporaryDirectory.path
    path = "\(base)/\(label)-\(UUID().uuidString.prefix(8))"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  }

  /// A path inside the directory.
  public func appending(_ name: String) -> String { "\(path)/\(name)" }

  /// Removes the directory and everything in it, and the key file a ledger opened at the
  /// directory itself keeps beside it (`<path>.kek`).
  public func remove() {
    try? FileManager.default.removeItem(atPath: path)
    try? FileManager.default.removeItem(atPath: path + ".kek")
  }
}

/// Paths of the repository and of built executables, for tests that run tools.
public enum RepositoryPaths {
  /// The repository's root, found from this file's location.
  public static var root: String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().path
  }

  /// The folder holding the built products of this test run (next to the test bundle).
  public static var productsDirectory: String {
    let bundle = URL(
      fileURLWithPath: CommandLine.arguments.first { $0.contains(".xctest") }
        ?? CommandLine.arguments[0])
    var directory = bundle
    while directory.path != "/" && directory.pathExtension != "xctest" {
      directory.deleteLastPathComponent()
    }
    return directory.deletingLastPathComponent().path
  }

  /// The path of the built executable `name`.
  public static func executable(_ name: String) -> String {
    "\(productsDirectory)/\(name)"
  }
}

/// Runs a process to completion and captures its output.
public struct ProcessResult: Sendable {
  /// Exit status.
  public var status: Int32
  /// Standard output as text.
  public var stdout: String
  /// Standard error as text.
  public var stderr: String

  /// Runs `executable` with `arguments`, feeding `input` to standard input.
  public static func run(
    _ executable: String, _ arguments: [String], input: String? = nil,
    environment: [String: String]? = nil, directory: String? = nil
  ) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment {
      process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let out = Pipe()
    let err = Pipe()
    let inPipe = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = inPipe
    try process.run()
    if let input { inPipe.fileHandleForWriting.write(Data(input.utf8)) }
    try inPipe.fileHandleForWriting.close()
    // Read both pipes before waiting, so a large output cannot block the child.
    let group = DispatchGroup()
    nonisolated(unsafe) var stderrData = Data()
    group.enter()
    DispatchQueue.global().async {
      stderrData = err.fileHandleForReading.readDataToEndOfFile()
      group.leave()
    }
    let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return ProcessResult(
      status: process.terminationStatus, stdout: String(decoding: stdoutData, as: UTF8.self),
      stderr: String(decoding: stderrData, as: UTF8.self))
  }
}
