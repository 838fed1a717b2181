import ArgumentParser
import Foundation
import TreatmentLedger

/// How `disk-full` runs out of space.
enum DiskFullMethod: String, ExpressibleByArgument, CaseIterable, Sendable {
  /// Try tmpfs, then loop, then rlimit.
  case auto
  /// `mount -t tmpfs -o size=...` (needs root and a kernel that allows it).
  case tmpfs
  /// An ext4 image made with `dd` and `mkfs.ext4`, mounted with `mount -o loop`.
  case loop
  /// A child process with `setrlimit(RLIMIT_FSIZE)` and SIGXFSZ ignored (writes fail with EFBIG).
  case rlimit
}

/// `disk-full`: fill a tiny file system; the failing append must report a clear storage error,
/// the store must stay intact with every acknowledged event, and appends must succeed once room
/// is freed.
struct DiskFull: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "disk-full",
    abstract: "Fill a tiny file system and check the failure, the store, and the recovery.",
    discussion: """
      With --method auto the ways to run out of space are tried in order: a tmpfs mount, a \
      loop-mounted ext4 image, a child process with a file-size limit (RLIMIT_FSIZE). The one \
      used is printed. On a mounted file system two ballast files are written first and \
      deleted one at a time to free room; with the file-size limit the limit is raised. See \
      DiskFullScenario for the checks. When no method works here the run is reported as \
      SKIPPED (exit status 77), never as passed.
      """)

  /// The exit status of a run that could not happen on this machine.
  static let skipped = ExitCode(77)

  @Option(help: "auto, tmpfs, loop or rlimit.") var method: DiskFullMethod = .auto
  @Option(help: "Size of the file system (or file-size limit) in KiB.") var sizeKib: Int = 4_096
  @Option(help: "Payload bytes per event.") var eventBytes: Int = 1_000
  @Option(help: "Keep files in this folder.") var workDir: String?

  func validate() throws {
    guard sizeKib >= 1_024 else { throw ValidationError("--size-kib must be at least 1024") }
    guard (1...100_000).contains(eventBytes) else {
      throw ValidationError("--event-bytes: 1...100000")
    }
  }

  func run() async throws {
    let work = try WorkFolder(workDir, label: "disk-full")
    var tally = Tally()
    let methods: [DiskFullMethod] = method == .auto ? [.tmpfs, .loop, .rlimit] : [method]
    var refusals: [String] = []
    for candidate in methods {
      switch await attempt(candidate, work: work) {
      case .failure(let refusal):
        print("\(candidate.rawValue): not available: \(refusal)")
        refusals.append("\(candidate.rawValue): \(refusal)")
      case .success(let result):
        print("method: \(candidate.rawValue)")
        result.report(into: &tally)
        work.finish(tally)
        try tally.finish()
        return
      }
    }
    print(
      "disk-full: SKIPPED: no way to make a small file system on this machine (\(refusals.joined(separator: "; ")))"
    )
    print("0 passed, 0 failed")
    work.finish(tally)
    throw Self.skipped
  }

  /// Runs the scenario with `method`, or says why the method cannot be used here.
  private func attempt(_ method: DiskFullMethod, work: WorkFolder) async -> Result<
    DiskFullResult, ToolFailure
  > {
    let limit = sizeKib * 1024
    switch method {
    case .auto:
      return .failure(ToolFailure("not a method"))
    case .tmpfs, .loop:
      let mountPoint = work.appending(method.rawValue)
      let mounted =
        method == .tmpfs
        ? ScratchFileSystem.tmpfs(at: mountPoint, kibibytes: sizeKib)
        : ScratchFileSystem.loop(
          at: mountPoint, image: work.appending("ext4.img"), kibibytes: sizeKib)
      let system: ScratchFileSystem
      switch mounted {
      case .failure(let failure): return .failure(failure)
      case .success(let mountedSystem): system = mountedSystem
      }
      var result = DiskFullResult()
      let space = system.space
      result.note("file system: \(space.total / 1024) KiB, \(space.available / 1024) KiB free")
      let ballast = Ballast(directory: mountPoint, bytes: 256 * 1024)
      do { try ballast.prepare(count: 2) } catch {
        _ = system.unmount()
        return .failure(ToolFailure("\(error)"))
      }
      let scenario = DiskFullScenario(
        storePath: mountPoint + "/store", eventBytes: eventBytes, giveUpBytes: limit * 4,
        space: ballast)
      let outcome = await scenario.run()
      result.entries += outcome.entries
      result.acknowledged = outcome.acknowledged
      if let problem = system.unmount() { result.check(false, "unmount", problem) }
      return .success(result)
    case .rlimit:
      return await attemptWithFileSizeLimit(limit, work: work)
    }
  }

  /// Runs the scenario in a child with a file-size limit, then checks the store from here (no
  /// limit): it opens, verifies, holds every acknowledged event and appends.
  private func attemptWithFileSizeLimit(_ limit: Int, work: WorkFolder) async -> Result<
    DiskFullResult, ToolFailure
  > {
    let storePath = work.appending("rlimit-store")
    let child: ChildProcess
    do {
      child = try ChildProcess(
        [
          "disk-full-child", "--store", storePath, "--limit-bytes", String(limit), "--event-bytes",
          String(eventBytes),
        ], logPrefix: work.appending("rlimit-child"))
    } catch {
      return .failure(ToolFailure("cannot spawn the child: \(error)"))
    }
    let termination = await child.waitForExit(timeout: .seconds(300))
    guard let termination, !termination.bySignal, termination.status == 0 else {
      return .failure(
        ToolFailure("the child failed (\(termination?.description ?? "hung")): \(child.errorTail)"))
    }
    var result: DiskFullResult
    do {
      result = try JSONDecoder().decode(DiskFullResult.self, from: Data(child.output.utf8))
    } catch {
      return .failure(ToolFailure("the child's report does not decode: \(error)"))
    }
    result.entries.insert(
      .figure("file-size limit: \(limit / 1024) KiB (child process \(child.pid))"), at: 0)
    do {
      let store = try EventStore.open(at: storePath)
      defer { store.close() }
      let report = try store.verify()
      result.check(
        report.isIntact, "the store verifies in a process without the limit",
        report.problem?.description ?? "")
      let acknowledged = Acknowledgement.problems(result.acknowledged, in: store)
      result.check(
        acknowledged.problems.isEmpty, "a process without the limit finds every acknowledged event",
        Tally.summary(acknowledged.problems))
      _ = try await store.append(
        [TrialEvents.make(type: "LoadProbe", sequence: 0)], to: "load-probe")
      result.check(true, "a process without the limit appends")
    } catch {
      result.check(false, "a process without the limit opens, verifies and appends", "\(error)")
    }
    return .success(result)
  }
}
