import Foundation
import TreatmentLedger

/// The patient of workload 7 (issue 13): a bedside monitor's patient. Registration, an eligible
/// consultation, consent to treatment, an IV course and a started session, then a vitals reading
/// every 3 minutes in that session, for as long as the workload needs. Every event is valid for
/// the clinical rules; ids and readings are derived from the event's index (no randomness), so
/// TreatmentLedger and the raw LMDB baseline store the same events.
enum LongPatientEvents {
  /// The patient's pseudonymous id.
  static let patientId = "bench-monitor"
  /// Its stream.
  static var stream: String { Ledger.stream(forPatient: patientId) }
  /// Events before the first vitals reading.
  static let setupEvents = 5
  /// The session the readings belong to.
  static let sessionId = "session-bench-monitor-1"
  static let courseId = "course-bench-monitor-a"
  static let nurse = Recorder(id: "staff-0107", name: "Bench Monitor Nurse", role: "nurse")
  static let prescriber = Recorder(id: "staff-0042", name: "Bench Prescriber", role: "prescriber")
  /// 2026-01-05T14:00:00Z, the registration; events follow every 3 minutes (clinic at UTC−5).
  static let start = Date(timeIntervalSince1970: 1_767_621_600)
  static let secondsBetweenEvents = 180.0

  /// Event `index` (0-based) of the patient's record.
  static func entry(_ index: Int) -> ClinicalEntry {
    let time = ClinicalTime(
      start.addingTimeInterval(Double(index) * secondsBetweenEvents), offsetMinutes: -300)
    let id = eventId(index)
    switch index {
    case 0:
      return ClinicalEntry(
        .patientRegistered(
          PatientRegistered(patientId: patientId, birthYear: 1979, sexAtBirth: .male)),
        patient: patientId, occurredAt: time, by: nurse, eventId: id)
    case 1:
      return ClinicalEntry(
        .consultationRecorded(
          ConsultationRecorded(
            indication: .treatmentResistantDepression, diagnoses: ["F33.2"], allergies: [],
            currentMedications: ["sertraline 100 mg daily"],
            priorAntidepressantTrials: [
              PriorAntidepressantTrial(drug: "escitalopram", weeks: 8, outcome: .none),
              PriorAntidepressantTrial(drug: "venlafaxine", weeks: 12, outcome: .partial),
            ], contraindications: [], eligible: true)),
        patient: patientId, occurredAt: time, by: prescriber, eventId: id)
    case 2:
      return ClinicalEntry(
        .consentRecorded(
          ConsentRecorded(
            consentId: "consent-bench-monitor-1", scope: .treatment, formVersion: "2026.1",
            given: true)),
        patient: patientId, occurredAt: time, by: prescriber, eventId: id)
    case 3:
      return ClinicalEntry(
        .coursePlanned(
          CoursePlanned(
            courseId: courseId, indication: .treatmentResistantDepression, drug: .ketamine,
            route: .iv, phase: .induction, plannedSessions: 6, sessionsPerWeek: 2,
            targetDoseMgPerKg: 0.5)),
        patient: patientId, occurredAt: time, by: prescriber, eventId: id)
    case 4:
      return ClinicalEntry(
        .sessionStarted(
          SessionStarted(
            sessionId: sessionId, courseId: courseId, weightKg: 72, escortArranged: true,
            fasted: true)),
        patient: patientId, occurredAt: time, by: nurse, eventId: id)
    default:
      return ClinicalEntry(
        .vitalsRecorded(vitals(index)), patient: patientId, occurredAt: time, by: nurse,
        eventId: id)
    }
  }

  /// A plausible reading, varied with the index by a fixed mixing function.
  static func vitals(_ index: Int) -> VitalsRecorded {
    let bits = mix(UInt64(index))
    func pick(_ shift: UInt64, _ range: ClosedRange<Int>) -> Double {
      let span = UInt64(range.upperBound - range.lowerBound + 1)
      return Double(range.lowerBound + Int((bits >> shift) % span))
    }
    return VitalsRecorded(
      sessionId: sessionId, timepoint: .during, heartRateBpm: pick(0, 62...98),
      systolicMmHg: pick(8, 112...134), diastolicMmHg: pick(16, 66...84),
      spo2Percent: pick(24, 95...99), respiratoryRatePerMinute: pick(32, 12...18))
  }

  /// A version-4 UUID made from the index: `b7` then the index's 8 bytes, version and variant
  /// bits set.
  static func eventId(_ index: Int) -> UUID {
    var bytes = [UInt8](repeating: 0xB7, count: 16)
    withUnsafeBytes(of: UInt64(index).bigEndian) { raw in
      for (offset, byte) in raw.enumerated() { bytes[8 + offset] = byte }
    }
    bytes[6] = 0x40 | (bytes[6] & 0x0F)
    bytes[8] = 0x80 | (bytes[8] & 0x3F)
    return UUID(
      uuid: (
        bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8],
        bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
      ))
  }

  /// SplitMix64's finaliser.
  static func mix(_ value: UInt64) -> UInt64 {
    var z = value &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// The baseline form of event `index`: the canonical envelope the store would write for it at
  /// stream version and global position `index` (the stream is the only one in its store).
  static func raw(_ index: Int, recordedAt: String) throws -> RawEvent {
    let entry = entry(index)
    let proposed = try Ledger.proposed(
      entry.event, occurredAt: entry.occurredAt.text, recordedBy: entry.recordedBy,
      eventId: entry.eventId)
    return BenchEvents.raw(
      proposed, stream: stream, version: UInt64(index), position: UInt64(index),
      recordedAt: recordedAt)
  }
}

/// What an LMDB environment and this process had written at one moment: the newer meta page of
/// `data.mdb` (read from the file with `pread`, as LMDB's own open does, so it works for a store
/// the library holds open) and the process's write counters from `/proc/self/io`.
struct StoreProbe: Sendable {
  /// LMDB page size.
  var pageSize: Int
  /// `mm_last_pg`: the last page in use (what `mdb_env_info` reports as `me_last_pgno`).
  var lastPage: UInt64
  /// `mm_txnid`: the last committed transaction (`me_last_txnid`).
  var transaction: UInt64
  /// `data.mdb`'s size in bytes.
  var fileBytes: Int
  /// `wchar`: bytes this process passed to `write`/`pwrite`/`writev` calls (LMDB writes each
  /// commit's dirty pages with `pwrite`/`writev`, then the changed part of a meta page).
  var writtenBytes: Int
  /// `syscw`: write system calls of this process.
  var writeCalls: Int
  /// User + system CPU time of the whole process so far (`getrusage`), microseconds: every
  /// thread, the store's writer thread included.
  var cpuMicros: Int

  /// Byte offsets in a meta page of a 64-bit LMDB 0.9 build (as in `LedgerLMDB.FileChecks`).
  private static let magic: UInt32 = 0xBEEF_C0DE
  private static let magicOffset = 16
  private static let pageSizeOffset = 40
  private static let lastPageOffset = 136
  private static let transactionOffset = 144
  private static let metaBytes = 152

  /// Reads the probe for the environment in `directory`.
  static func take(_ directory: String) throws -> StoreProbe {
    let file = directory + "/data.mdb"
    let descriptor = open(file, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else {
      throw BenchError("cannot open \(file): \(String(cString: strerror(errno)))")
    }
    defer { close(descriptor) }
    var info = stat()
    guard fstat(descriptor, &info) == 0 else { throw BenchError("cannot stat \(file)") }
    let first = try meta(descriptor, at: 0)
    let second = try meta(descriptor, at: off_t(first?.pageSize ?? 4_096))
    guard
      let newest = [first, second].compactMap({ $0 }).max(by: { $0.transaction < $1.transaction })
    else { throw BenchError("\(file) has no valid LMDB meta page") }
    let io = processIO()
    return StoreProbe(
      pageSize: newest.pageSize, lastPage: newest.lastPage, transaction: newest.transaction,
      fileBytes: Int(info.st_size), writtenBytes: io["wchar"] ?? 0, writeCalls: io["syscw"] ?? 0,
      cpuMicros: processCPUMicros())
  }

  /// User + system CPU time of this process, microseconds.
  static func processCPUMicros() -> Int {
    var usage = rusage()
    guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return 0 }
    func micros(_ time: timeval) -> Int { Int(time.tv_sec) * 1_000_000 + Int(time.tv_usec) }
    return micros(usage.ru_utime) + micros(usage.ru_stime)
  }

  private static func meta(_ descriptor: Int32, at offset: off_t) throws
    -> (pageSize: Int, lastPage: UInt64, transaction: UInt64)?
  {
    var bytes = [UInt8](repeating: 0, count: metaBytes)
    let count = bytes.withUnsafeMutableBytes {
      pread(descriptor, $0.baseAddress, metaBytes, offset)
    }
    guard count == metaBytes else { return nil }
    func integer<T: FixedWidthInteger>(_ at: Int, _: T.Type) -> T {
      var value: T = 0
      for index in (0..<MemoryLayout<T>.size).reversed() {
        value = value << 8 | T(bytes[at + index])
      }
      return value
    }
    guard integer(magicOffset, UInt32.self) == magic else { return nil }
    return (
      Int(integer(pageSizeOffset, UInt32.self)), integer(lastPageOffset, UInt64.self),
      integer(transactionOffset, UInt64.self)
    )
  }

  /// `/proc/self/io` as name → value (empty when the kernel does not provide it).
  static func processIO() -> [String: Int] {
    guard let text = try? String(contentsOfFile: "/proc/self/io", encoding: .utf8) else {
      return [:]
    }
    var values: [String: Int] = [:]
    for line in text.split(separator: "\n") {
      let parts = line.split(separator: ":", maxSplits: 1)
      guard parts.count == 2, let value = Int(parts[1].trimmingCharacters(in: .whitespaces))
      else { continue }
      values[String(parts[0])] = value
    }
    return values
  }

  /// Fills `measurement`'s per-append figures from the probes before and after `appends`
  /// single appends.
  static func perAppend(
    _ measurement: inout Measurement, before: StoreProbe, after: StoreProbe, appends: Int,
    history: Int
  ) {
    let count = Double(max(1, appends))
    let pageSize = Double(after.pageSize)
    let written = Double(after.writtenBytes - before.writtenBytes)
    measurement.historyEvents = history
    measurement.allocatedBytesPerAppend =
      Double(Int64(after.lastPage) - Int64(before.lastPage)) * pageSize / count
    measurement.fileBytesPerAppend = Double(after.fileBytes - before.fileBytes) / count
    measurement.writtenBytesPerAppend = written / count
    measurement.pagesWrittenPerAppend = written / pageSize / count
    measurement.writeCallsPerAppend = Double(after.writeCalls - before.writeCalls) / count
    measurement.transactionsPerAppend =
      Double(Int64(after.transaction) - Int64(before.transaction)) / count
    measurement.pageSize = after.pageSize
    measurement.cpuMicrosPerAppend = Double(after.cpuMicros - before.cpuMicros) / count
  }
}
