import Foundation
import Synchronization

/// A failure of the benchmark itself (setup, a baseline's storage call, a child process).
struct BenchError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}

/// One measured figure: one system running one workload (or one operation of a workload).
struct Measurement: Codable, Sendable {
  /// 1–6, as issue 7 numbers the workloads; 7, the long patient of issue 13.
  var workload: Int
  /// The operation, for workloads with several (`timeline`, `summary`); empty otherwise.
  var operation: String
  /// `TreatmentLedger`, `raw LMDB`, `SQLite FULL`, `SQLite NORMAL`.
  var system: String
  /// Events written or read in the timed part.
  var events: Int
  /// Seconds of the timed part.
  var seconds: Double
  /// events / seconds.
  var eventsPerSecond: Double
  /// Median latency of one operation (one append, one batch, one read), microseconds.
  var p50Micros: Double?
  /// 99th percentile latency of one operation, microseconds.
  var p99Micros: Double?
  /// How many operations the latencies are of.
  var operations: Int?
  /// Peak resident set of the child process (`VmHWM`), bytes: includes the pages of memory-mapped
  /// files it touched (LMDB maps its whole file).
  var peakRSSBytes: Int
  /// Peak anonymous resident memory (`RssAnon`, sampled every 10 ms), bytes: the heap, without
  /// file pages the kernel can drop.
  var peakAnonBytes: Int
  /// Store (or export file) bytes on disk divided by the events it holds.
  var diskBytesPerEvent: Double?
  /// What was measured, when it differs from the workload's title.
  var note: String?

  // Workload 7 only (nil elsewhere): the store before and after the timed appends.
  /// Events in the patient's stream when the timed appends began.
  var historyEvents: Int?
  /// Growth of LMDB's last used page (`me_last_pgno`) × page size, per append: what the store's
  /// allocated size grew by (pages reused from LMDB's free list do not count).
  var allocatedBytesPerAppend: Double?
  /// Growth of `data.mdb`'s size per append.
  var fileBytesPerAppend: Double?
  /// Bytes the process passed to write system calls per append (`wchar` of `/proc/self/io`):
  /// LMDB writes every page a commit dirtied, then a few bytes of a meta page.
  var writtenBytesPerAppend: Double?
  /// ``writtenBytesPerAppend`` in pages: about the number of pages each commit dirtied.
  var pagesWrittenPerAppend: Double?
  /// Write system calls per append (`syscw`).
  var writeCallsPerAppend: Double?
  /// Growth of the last committed transaction id (`me_last_txnid`) per append.
  var transactionsPerAppend: Double?
  /// LMDB page size.
  var pageSize: Int?
  /// CPU time (user + system, all threads of the process) per append, microseconds: less
  /// sensitive than latency to other work on a shared machine.
  var cpuMicrosPerAppend: Double?
}

/// Monotonic time in nanoseconds.
@inline(__always) func monotonicNanos() -> UInt64 {
  var time = timespec()
  clock_gettime(CLOCK_MONOTONIC, &time)
  return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}

/// Latencies of single operations, in nanoseconds.
struct Latencies: Sendable {
  var samples: [UInt64] = []

  mutating func add(_ nanos: UInt64) { samples.append(nanos) }
  mutating func add(contentsOf other: Latencies) { samples.append(contentsOf: other.samples) }

  /// The `fraction` percentile (nearest rank) in microseconds; nil when there are no samples.
  func percentile(_ fraction: Double) -> Double? {
    guard !samples.isEmpty else { return nil }
    let sorted = samples.sorted()
    let rank = Int((fraction * Double(sorted.count)).rounded(.up)) - 1
    return Double(sorted[min(max(rank, 0), sorted.count - 1)]) / 1_000
  }
}

/// Reads `/proc/self/status` fields, in bytes.
enum ProcessMemory {
  /// `VmHWM`: the peak resident set since the process started.
  static func peakResident() -> Int { field("VmHWM:") ?? 0 }
  /// `RssAnon`: resident anonymous memory now (from `/proc/self/status`; the sampler reads
  /// the same figure more cheaply, see ``AnonymousMemorySampler``).
  static func anonymousResident() -> Int { field("RssAnon:") ?? 0 }

  private static func field(_ name: String) -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else {
      return nil
    }
    for line in text.split(separator: "\n") where line.hasPrefix(name) {
      let digits = line.dropFirst(name.count).filter(\.isNumber)
      return Int(digits).map { $0 * 1024 }
    }
    return nil
  }
}

/// Samples `RssAnon` every 10 ms on its own thread and keeps the largest value seen.
///
/// Each sample is one `pread` of `/proc/self/statm` into a stack buffer: its resident pages less
/// its shared (file and shmem) pages are the anonymous pages, the kernel's `RssAnon`. (Reading
/// `/proc/self/status` into a `String` every 10 ms took 6–9% of a workload's CPU samples.)
final class AnonymousMemorySampler: Sendable {
  private let peak = Atomic<Int>(0)
  private let running = Atomic<Bool>(true)
  private let done = DispatchSemaphore(value: 0)
  private let statm: Int32 = open("/proc/self/statm", O_RDONLY)
  private static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

  init() {
    let thread = Thread { [self] in
      while running.load(ordering: .relaxed) {
        record()
        usleep(10_000)
      }
      done.signal()
    }
    thread.name = "ledger-bench.rss"
    thread.start()
  }

  deinit { if statm >= 0 { close(statm) } }

  /// Anonymous resident bytes now, from `statm` (`/proc/self/status` when it cannot be read).
  private func anonymousResident() -> Int {
    guard statm >= 0 else { return ProcessMemory.anonymousResident() }
    return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 128) { buffer in
      let count = pread(statm, buffer.baseAddress, buffer.count, 0)
      guard count > 0 else { return ProcessMemory.anonymousResident() }
      // "size resident shared text lib data dt", in pages.
      var fields: [Int] = []
      var value = 0
      var inNumber = false
      for byte in buffer[0..<count] {
        if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
          value = value * 10 + Int(byte - UInt8(ascii: "0"))
          inNumber = true
        } else if inNumber {
          fields.append(value)
          if fields.count == 3 { break }
          value = 0
          inNumber = false
        }
      }
      guard fields.count == 3 else { return ProcessMemory.anonymousResident() }
      return (fields[1] - fields[2]) * Self.pageSize
    }
  }

  private func record() {
    let now = anonymousResident()
    var current = peak.load(ordering: .relaxed)
    while now > current {
      let (exchanged, original) = peak.compareExchange(
        expected: current, desired: now, ordering: .relaxed)
      if exchanged { break }
      current = original
    }
  }

  /// Stops sampling and returns the peak.
  func stop() -> Int {
    record()
    running.store(false, ordering: .relaxed)
    done.wait()
    return peak.load(ordering: .relaxed)
  }
}

/// Disk usage of files, as allocated on disk (`st_blocks`), not their apparent size.
enum DiskUsage {
  /// Bytes allocated for `path`: a file, or every file under a directory.
  static func bytes(_ path: String) -> Int {
    var info = stat()
    guard lstat(path, &info) == 0 else { return 0 }
    if (info.st_mode & S_IFMT) == S_IFDIR {
      let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
      return names.reduce(0) { $0 + bytes(path + "/" + $1) }
    }
    return Int(info.st_blocks) * 512
  }
}

/// What the table header says about the machine.
struct MachineInfo: Codable, Sendable {
  var cores: Int
  var cpuModel: String
  var memoryGiB: Double
  var disk: String
  var kernel: String
  var loadAverageAtStart: String
  var loadAverageAtEnd: String?
  var lmdbVersion: String
  var sqliteVersion: String

  static func loadAverage() -> String {
    let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
    return text.split(separator: " ").prefix(3).joined(separator: " ")
  }

  /// The 1-minute load average.
  static func loadAverageOneMinute() -> Double {
    Double(loadAverage().split(separator: " ").first ?? "") ?? 0
  }

  static func current(workDirectory: String, lmdbVersion: String, sqliteVersion: String)
    -> MachineInfo
  {
    let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
    let model =
      cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
      .flatMap { $0.split(separator: ":", maxSplits: 1).last }
      .map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown"
    let meminfo = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)) ?? ""
    let memoryKiB =
      meminfo.split(separator: "\n").first { $0.hasPrefix("MemTotal:") }
      .map { Double($0.filter(\.isNumber)) ?? 0 } ?? 0
    var name = utsname()
    uname(&name)
    let release = withUnsafeBytes(of: &name.release) { raw in
      String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
    }
    return MachineInfo(
      cores: ProcessInfo.processInfo.activeProcessorCount, cpuModel: model,
      memoryGiB: (memoryKiB / 1_048_576 * 10).rounded() / 10,
      disk: diskDescription(workDirectory), kernel: release, loadAverageAtStart: loadAverage(),
      loadAverageAtEnd: nil, lmdbVersion: lmdbVersion, sqliteVersion: sqliteVersion)
  }

  /// The device, file system and rotational flag of the mount holding `path`.
  static func diskDescription(_ path: String) -> String {
    let mounts = (try? String(contentsOfFile: "/proc/mounts", encoding: .utf8)) ?? ""
    var best: (mount: String, device: String, type: String) = ("", "unknown", "unknown")
    for line in mounts.split(separator: "\n") {
      let fields = line.split(separator: " ").map(String.init)
      guard fields.count >= 3 else { continue }
      let mount = fields[1]
      let inside = path == mount || path.hasPrefix(mount == "/" ? "/" : mount + "/")
      if inside && mount.count > best.mount.count { best = (mount, fields[0], fields[2]) }
    }
    let deviceName = best.device.split(separator: "/").last.map(String.init) ?? ""
    var base = deviceName
    while let last = base.last, last.isNumber,
      !FileManager.default.fileExists(atPath: "/sys/block/\(base)")
    {
      base.removeLast()
    }
    let rotational =
      (try? String(contentsOfFile: "/sys/block/\(base)/queue/rotational", encoding: .utf8))?
      .trimmingCharacters(in: .whitespacesAndNewlines)
    let kind =
      rotational == "0" ? "non-rotational" : (rotational == "1" ? "rotational" : "unknown kind")
    let model = (try? String(contentsOfFile: "/sys/block/\(base)/device/model", encoding: .utf8))?
      .trimmingCharacters(in: .whitespacesAndNewlines)
    let described = [
      best.device, best.type, "mounted at \(best.mount)", kind, model.map { "model \($0)" },
    ]
    .compactMap { $0 }.filter { !$0.isEmpty }
    return described.joined(separator: ", ")
  }
}
