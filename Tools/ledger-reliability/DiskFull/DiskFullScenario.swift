import Foundation
import TreatmentLedger

/// A way to give a full store room again.
protocol SpaceRelease: Sendable {
  /// Frees room for the `step`-th time (0, then 1) and says how.
  func release(step: Int) throws -> String
}

/// Ballast files written before the store fills and deleted one by one to free space, as an
/// operator would delete old files.
struct Ballast: SpaceRelease {
  /// The folder holding `ballast-<n>`.
  let directory: String
  /// Bytes per ballast file.
  let bytes: Int

  /// Writes `count` ballast files.
  func prepare(count: Int) throws {
    for index in 0..<count {
      let data = Data(repeating: 0xA5, count: bytes)
      guard FileManager.default.createFile(atPath: "\(directory)/ballast-\(index)", contents: data)
      else {
        throw ToolFailure("cannot write ballast file \(index) (\(bytes) bytes)")
      }
    }
  }

  func release(step: Int) throws -> String {
    try FileManager.default.removeItem(atPath: "\(directory)/ballast-\(step)")
    return "deleted a \(bytes / 1024) KiB ballast file"
  }
}

/// The file-size limit of this process (`RLIMIT_FSIZE`), with SIGXFSZ ignored so that writes past
/// it fail with EFBIG instead of killing the process.
struct FileSizeLimit: SpaceRelease {
  /// Sets the soft limit to `bytes`.
  static func apply(_ bytes: Int) throws {
    signal(SIGXFSZ, SIG_IGN)
    try setSoftLimit(rlim_t(bytes))
  }

  func release(step: Int) throws -> String {
    var limit = rlimit()
    guard getrlimit(Self.resource, &limit) == 0 else {
      throw ToolFailure("getrlimit: errno \(errno)")
    }
    if step == 0 {
      try Self.setSoftLimit(limit.rlim_cur + 512 * 1024)
      return "raised the file-size limit by 512 KiB"
    }
    try Self.setSoftLimit(limit.rlim_max)
    return "lifted the file-size limit"
  }

  private static var resource: __rlimit_resource_t { __rlimit_resource_t(RLIMIT_FSIZE.rawValue) }

  private static func setSoftLimit(_ bytes: rlim_t) throws {
    var limit = rlimit()
    guard getrlimit(resource, &limit) == 0 else { throw ToolFailure("getrlimit: errno \(errno)") }
    limit.rlim_cur = min(bytes, limit.rlim_max)
    guard setrlimit(resource, &limit) == 0 else { throw ToolFailure("setrlimit: errno \(errno)") }
  }
}

/// One check of a disk-full run, passed from a child to the parent as JSON.
struct CheckResult: Codable, Sendable {
  var label: String
  var ok: Bool
  var detail: String
}

/// What a disk-full run found: figures and checks in the order they happened.
struct DiskFullResult: Codable, Sendable {
  /// One figure or one check.
  enum Entry: Codable, Sendable {
    case figure(String)
    case check(CheckResult)
  }

  var entries: [Entry] = []
  var acknowledged: [Acknowledgement] = []

  mutating func note(_ figure: String) {
    entries.append(.figure(figure))
  }

  mutating func check(_ ok: Bool, _ label: String, _ detail: String = "") {
    entries.append(.check(CheckResult(label: label, ok: ok, detail: ok ? "" : detail)))
  }

  /// Prints the figures and records the checks, in order.
  func report(into tally: inout Tally) {
    for entry in entries {
      switch entry {
      case .figure(let figure): print(figure)
      case .check(let check): tally.check(check.ok, check.label, check.detail)
      }
    }
  }
}

/// Fills a store until an append fails, then checks the failure, the store, and recovery:
/// 1. fill until an append fails, which must be a clear storage error (ENOSPC/EDQUOT or EFBIG);
///    the open store verifies and holds every acknowledged event;
/// 2. free some room: the same open store appends again without a restart; fill it again;
/// 3. close and reopen while still full: it opens, verifies and holds every acknowledged event;
/// 4. free room again: the reopened store appends again and verifies.
struct DiskFullScenario {
  let storePath: String
  let eventBytes: Int
  /// Give up (the file system never filled) after this many bytes of payload.
  let giveUpBytes: Int
  let space: any SpaceRelease

  func run() async -> DiskFullResult {
    var result = DiskFullResult()
    let first: EventStore
    do { first = try EventStore.open(at: storePath) } catch {
      result.check(false, "open the store", "\(error)")
      return result
    }
    await fill(first, phase: "first fill", &result)
    checkStore(first, "the open store after the failed append", &result)
    await release(step: 0, append: first, "the same open store after room was freed", &result)
    await fill(first, phase: "second fill", &result)
    first.close()

    let second: EventStore
    do { second = try EventStore.open(at: storePath) } catch {
      result.check(false, "reopen while the file system is full", "\(error)")
      return result
    }
    defer { second.close() }
    result.check(true, "reopen while the file system is full")
    checkStore(second, "the store reopened while full", &result)
    await release(step: 1, append: second, "the reopened store after room was freed", &result)
    checkStore(second, "the store after recovery", &result)
    return result
  }

  /// Appends batches of 20 events until one fails.
  private func fill(_ store: EventStore, phase: String, _ result: inout DiskFullResult) async {
    var bytes = 0
    var appends = 0
    let before = result.acknowledged.count
    while bytes < giveUpBytes {
      let batch = (0..<20).map {
        TrialEvents.make(type: "LoadFilled", sequence: $0, padding: eventBytes)
      }
      let stream = "load-\(appends % 4)"
      do {
        let appended = try await store.append(batch, to: stream, expectedVersion: .any)
        result.acknowledged += Acknowledgement.from(
          [StreamAppend(stream: stream, events: batch)], [appended])
        appends += 1
        bytes += batch.count * eventBytes
      } catch {
        let fileBytes = (try? store.statistics().fileBytes) ?? 0
        result.note(
          "\(phase): \(result.acknowledged.count - before) events acknowledged in \(appends) appends, "
            + "then: \(error) (data.mdb \(fileBytes) bytes)")
        if case .storage = error {
          result.check(true, "\(phase) ends with a storage error")
        } else {
          result.check(false, "\(phase) ends with a storage error", "got: \(error)")
        }
        result.check(
          Self.isClearlyFull(error),
          "\(phase): the error says the disk is full (isDiskFull or EFBIG)",
          "got: \(error)")
        return
      }
    }
    result.check(
      false, "\(phase) fills the file system", "\(bytes) bytes appended without an error")
  }

  /// Frees room, then appends three batches, which must all succeed.
  private func release(
    step: Int, append store: EventStore, _ label: String, _ result: inout DiskFullResult
  ) async {
    do {
      result.note("freed room: " + (try space.release(step: step)))
    } catch {
      result.check(false, "free room", "\(error)")
      return
    }
    var problems: [String] = []
    for index in 0..<3 {
      let batch = (0..<10).map {
        TrialEvents.make(type: "LoadRecovered", sequence: $0, padding: eventBytes)
      }
      do {
        let appended = try await store.append(batch, to: "load-recovered", expectedVersion: .any)
        result.acknowledged += Acknowledgement.from(
          [StreamAppend(stream: "load-recovered", events: batch)], [appended])
      } catch {
        problems.append("append \(index): \(error)")
      }
    }
    result.check(problems.isEmpty, "\(label) accepts appends", Tally.summary(problems))
  }

  private func checkStore(_ store: EventStore, _ label: String, _ result: inout DiskFullResult) {
    do {
      let report = try store.verify()
      result.check(report.isIntact, "\(label) verifies intact", report.problem?.description ?? "")
    } catch {
      result.check(false, "\(label) verifies intact", "verify threw \(error)")
    }
    let acknowledged = Acknowledgement.problems(result.acknowledged, in: store)
    result.check(
      acknowledged.problems.isEmpty,
      "\(label) holds all \(result.acknowledged.count) acknowledged events",
      Tally.summary(acknowledged.problems))
  }

  /// A storage error saying the disk is full (ENOSPC, EDQUOT) or the file too large (EFBIG).
  static func isClearlyFull(_ error: EventStoreError) -> Bool {
    guard case .storage(let storage) = error else { return false }
    if storage.isDiskFull { return true }
    if case .system(let number) = storage.code, number == EFBIG { return true }
    return false
  }
}
