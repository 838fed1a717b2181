import Foundation

/// A fresh work folder: `--work-dir` when given (kept), else a temporary one removed at the end
/// unless a check failed.
struct WorkFolder {
  /// The folder's path.
  let path: String
  /// True when the caller named it (never removed).
  let isCallers: Bool

  /// Makes the folder for `label`.
  init(_ requested: String?, label: String) throws {
    if let requested {
      path = requested
      isCallers = true
    } else {
      path =
        FileManager.default.temporaryDirectory.path
        + "/ledger-reliability-\(label)-\(UUID().uuidString.prefix(8))"
      isCallers = false
    }
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  }

  /// A path inside the folder.
  func appending(_ name: String) -> String { path + "/" + name }

  /// Removes a temporary folder when every check passed; otherwise says where it was kept.
  func finish(_ tally: Tally) {
    if tally.failed > 0 || isCallers {
      print("work folder: \(path)")
    } else {
      try? FileManager.default.removeItem(atPath: path)
    }
  }
}
