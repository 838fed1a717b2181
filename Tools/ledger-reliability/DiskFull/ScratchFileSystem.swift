import Foundation

/// A small file system mounted for `disk-full`: tmpfs, or an ext4 image on a loop device.
struct ScratchFileSystem {
  /// Where it is mounted.
  let mountPoint: String
  /// The ext4 image behind a loop mount, removed after unmounting.
  let image: String?

  /// Mounts a tmpfs of `kibibytes` at `mountPoint`, or says why it could not.
  static func tmpfs(at mountPoint: String, kibibytes: Int) -> Result<ScratchFileSystem, ToolFailure>
  {
    let system = ScratchFileSystem(mountPoint: mountPoint, image: nil)
    return system.mount(["-t", "tmpfs", "-o", "size=\(kibibytes)k", "tmpfs", mountPoint])
  }

  /// Makes an ext4 image of `kibibytes` with `dd` and `mkfs.ext4` and loop-mounts it.
  static func loop(at mountPoint: String, image: String, kibibytes: Int) -> Result<
    ScratchFileSystem, ToolFailure
  > {
    let made = runTool("dd", ["if=/dev/zero", "of=\(image)", "bs=1k", "count=\(kibibytes)"])
    guard made.status == 0 else { return .failure(ToolFailure("dd: \(made.output)")) }
    let formatted = runTool("mkfs.ext4", ["-q", "-F", "-m", "0", image])
    guard formatted.status == 0 else {
      try? FileManager.default.removeItem(atPath: image)
      return .failure(ToolFailure("mkfs.ext4: \(formatted.output)"))
    }
    let system = ScratchFileSystem(mountPoint: mountPoint, image: image)
    let result = system.mount(["-o", "loop", image, mountPoint])
    if case .failure = result { try? FileManager.default.removeItem(atPath: image) }
    return result
  }

  private func mount(_ arguments: [String]) -> Result<ScratchFileSystem, ToolFailure> {
    do {
      try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
    } catch {
      return .failure(ToolFailure("cannot create \(mountPoint)"))
    }
    let mounted = runTool("mount", arguments)
    guard mounted.status == 0 else { return .failure(ToolFailure("mount: \(mounted.output)")) }
    // A mount that "succeeds" without changing the device would let the trial fill the real disk.
    guard Self.device(mountPoint) != Self.device(mountPoint + "/..") else {
      _ = runTool("umount", [mountPoint])
      return .failure(ToolFailure("mount returned 0 but \(mountPoint) is not a mount point"))
    }
    return .success(self)
  }

  /// Total and available bytes of the file system.
  var space: (total: Int, available: Int) {
    var info = statvfs()
    guard statvfs(mountPoint, &info) == 0 else { return (0, 0) }
    return (Int(info.f_blocks) * Int(info.f_frsize), Int(info.f_bavail) * Int(info.f_frsize))
  }

  /// Unmounts (lazily if busy) and removes the image; returns a problem, if any.
  func unmount() -> String? {
    var problem: String?
    let result = runTool("umount", [mountPoint])
    if result.status != 0 {
      problem = "umount: \(result.output)"
      _ = runTool("umount", ["-l", mountPoint])
    }
    if let image { try? FileManager.default.removeItem(atPath: image) }
    try? FileManager.default.removeItem(atPath: mountPoint)
    return problem
  }

  private static func device(_ path: String) -> UInt64? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    return UInt64(info.st_dev)
  }
}

/// Why a system tool failed, with its output.
struct ToolFailure: Error, CustomStringConvertible {
  /// The tool's name and what it printed.
  var description: String

  /// Creates a failure.
  init(_ description: String) {
    self.description = description
  }
}

/// Runs a system tool (looked up in the usual sbin and bin folders) and returns its exit status
/// and combined output, trimmed.
func runTool(_ name: String, _ arguments: [String]) -> (status: Int32, output: String) {
  let folders = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]
  guard
    let path = folders.map({ $0 + "/" + name }).first(where: FileManager.default.isExecutableFile)
  else { return (127, "\(name) is not installed") }
  let process = Process()
  process.executableURL = URL(fileURLWithPath: path)
  process.arguments = arguments
  let pipe = Pipe()
  process.standardOutput = pipe
  process.standardError = pipe
  process.standardInput = FileHandle.nullDevice
  do { try process.run() } catch { return (126, "cannot run \(path): \(error)") }
  let data = pipe.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  let output = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
  return (
    process.terminationStatus, output.split(separator: "\n").prefix(3).joined(separator: " | ")
  )
}
