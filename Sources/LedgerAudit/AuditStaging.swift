import Foundation
import LedgerEventStore

/// Where an audit export is written until its `$audit` record is committed.
///
/// An export is all or nothing: its files are written to a staging directory beside the final
/// one, `<parent>/.<name>.partial-<pid>`, and that directory is renamed to the final name only
/// after the `$audit` event is committed. A crash leaves at most a staging directory, whose
/// name says what it is; ``AuditExporter/unfinishedExports(near:)`` lists them so the next
/// export can report them.
enum AuditStaging {
  /// The part of a staging directory's name after the export's name.
  static let marker = ".partial-"

  /// The final directory's parent and name, or nil when the path names no directory of its own
  /// (`/`, `.`, `..`).
  static func split(_ directory: String) -> (parent: String, name: String)? {
    let url = URL(fileURLWithPath: directory).standardizedFileURL
    let name = url.lastPathComponent
    guard !name.isEmpty, name != "/", name != ".", name != ".." else { return nil }
    return (url.deletingLastPathComponent().path, name)
  }

  /// Checks that `directory` is new or an empty directory, creates its parent when missing
  /// (mode 0700) and creates the staging directory (mode 0700). Returns the staging path.
  static func prepare(_ directory: String) throws(AuditError) -> String {
    guard let (parent, name) = split(directory) else {
      throw .invalidRequest(reason: "the export directory must be a named directory")
    }
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
      guard isDirectory.boolValue else { throw .outputExists(path: directory) }
      let contents: [String]
      do { contents = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
        throw .output(path: directory, reason: "cannot list the directory")
      }
      guard contents.isEmpty else { throw .outputExists(path: directory) }
      // The export's directory replaces the empty one by rename(2), which a mount point refuses.
      var own = stat()
      var above = stat()
      if stat(directory, &own) == 0, stat(parent, &above) == 0, own.st_dev != above.st_dev {
        throw .invalidRequest(
          reason: "\(directory) is a mount point; export into a new directory below it")
      }
    }
    do {
      try FileManager.default.createDirectory(
        atPath: parent, withIntermediateDirectories: true,
        attributes: [.posixPermissions: 0o700])
    } catch {
      throw .output(path: parent, reason: "cannot create the directory")
    }
    let staging = parent + "/." + name + marker + String(getpid())
    guard mkdir(staging, 0o700) == 0 else {
      throw .output(
        path: staging,
        reason: errno == EEXIST
          ? "it exists: another export to the same directory is running or did not finish"
          : "cannot create the staging directory (errno \(errno))")
    }
    return staging
  }

  /// Renames the staging directory of a recorded export to its final name and flushes the
  /// parent directory. Does nothing when that was done already (the export recorded twice).
  static func publish(_ export: AuditExport) throws(AuditError) {
    let fileManager = FileManager.default
    if !fileManager.fileExists(atPath: export.stagingDirectory),
      fileManager.fileExists(atPath: export.directory + "/" + AuditManifest.fileName)
    {
      return
    }
    // rename(2) replaces an empty directory at the final name and fails on a non-empty one.
    guard rename(export.stagingDirectory, export.directory) == 0 else {
      throw .output(
        path: export.directory,
        reason: "the export is recorded in \(StreamNames.audit) (export id "
          + "\(export.manifest.exportId)) but could not be moved there from "
          + "\(export.stagingDirectory) (errno \(errno))")
    }
    if let (parent, _) = split(export.directory) { syncDirectory(parent) }
  }

  /// Staging directories left in `parent` by exports that did not finish, sorted.
  static func unfinished(in parent: String) -> [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []
    return names.filter { $0.hasPrefix(".") && $0.contains(marker) }.sorted().map {
      parent + "/" + $0
    }
  }

  /// Flushes a directory's entries to disk.
  static func syncDirectory(_ path: String) {
    let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard fd >= 0 else { return }
    _ = fsync(fd)
    _ = close(fd)
  }
}

extension AuditExporter {
  /// Staging directories beside `directory` (in its parent) left by audit exports that did not
  /// finish: a crash or a kill before the export was recorded in `$audit`, or between recording
  /// and the final rename. Each may hold patient data. An export still running shows here too.
  ///
  /// ```swift
  /// for path in AuditExporter.unfinishedExports(near: "/mnt/audit/2026-03") {
  ///   logger.warning("unfinished audit export", metadata: ["path": "\(path)"])
  /// }
  /// ```
  public static func unfinishedExports(near directory: String) -> [String] {
    guard let (parent, _) = AuditStaging.split(directory) else { return [] }
    return AuditStaging.unfinished(in: parent)
  }
}
