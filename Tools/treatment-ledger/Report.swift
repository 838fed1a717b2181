import ArgumentParser
import Foundation
import TreatmentLedger

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

struct Report: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Write a patient's course report as one self-contained HTML file (charts included).",
    discussion: """
      The page holds the safety flags, the session table, a PHQ-9/GAD-7 chart with response and \
      remission lines, and per session a vitals strip against minutes from the dose with the \
      protocol's alert bands, side effects and flags. It uses inline CSS and SVG only (no \
      script, nothing from the network) and prints well. It holds patient data: the file is \
      created with mode 0600 (replacing an existing file) and should be kept as the record is.
      """)

  @OptionGroup var storeOptions: StoreOptions
  @Option(help: "The patient's pseudonymous id.") var patient: String
  @Option(help: "Only this course.") var course: String?
  @Option(help: "The HTML file to write.") var out: String

  func run() async throws {
    let ledger = try storeOptions.open(readOnly: true)
    defer { ledger.close() }
    let summary = try patientSummary(ledger, patient: patient, course: course)
    if summary.courses.isEmpty {
      printError("patient \(EchoedName.escaped(patient)) has no course of treatment in the store")
      throw Exit.invalidInput
    }
    let page = CourseReport(
      summary: summary, thresholds: ledger.clinicalProtocol.thresholds,
      protocolVersion: ledger.clinicalProtocol.protocolVersion
    ).html()
    do { try PrivateFile.write(Array(page.utf8), to: out) } catch {
      printError("cannot write \(out): \(error.localizedDescription)")
      throw Exit.failure
    }
    print("wrote \(out) (\(page.utf8.count) bytes, mode 0600): open it in a browser or print it")
  }
}

/// Writes files that hold patient data: mode 0600 from the moment they exist.
enum PrivateFile {
  /// Writes `bytes` to a new temporary file beside `path` (created 0600), flushes it, and
  /// renames it over `path`, so a reader never sees a part-written file.
  static func write(_ bytes: [UInt8], to path: String) throws {
    let temporary = path + ".tmp-\(getpid())"
    let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
    guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: false)
    do { try handle.write(contentsOf: bytes) } catch {
      close(descriptor)
      unlink(temporary)
      throw error
    }
    let synced = fsync(descriptor)
    close(descriptor)
    guard synced == 0, rename(temporary, path) == 0 else {
      let code = errno
      unlink(temporary)
      throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
    }
  }
}
