import Foundation
import LedgerEventStore
import Logging
import NIOCore
import PostgresNIO
import TreatmentLedger

/// The chain-wide course outcome report (docs/CENTRAL.md 5): response and remission counts and
/// rates by clinic, drug and route, computed from the central copy with the course summaries'
/// own definitions (`CourseSummaryState`, DOMAIN.md 4).
///
/// Patient data in the central copy is sealed. The report takes each clinic's key-encryption key
/// (its key file, or any `KeyProvider`), unwraps the clinic's forwarded data keys with it, and
/// opens the patients' events in memory; nothing opened is written anywhere. All clinics are
/// read in one repeatable-read transaction, so the report is one consistent state of the copy.
///
/// ```swift
/// let report = try await CentralOutcomeReport.make(
///   database: try CentralDatabase(url: url),
///   keys: [clinic: try KeyFile(path: "/secure/north.kek")])
/// ```
public struct CentralOutcomeReport: Codable, Sendable, Hashable {
  /// One clinic's part of the report.
  public struct Clinic: Codable, Sendable, Hashable {
    /// The clinic.
    public var clinic: String
    /// The clinic's events in the central copy (the report reads up to its central head).
    public var centralEvents: UInt64
    /// Patients whose events were opened and summarised.
    public var patients: Int
    /// Patients whose erasure (`PatientDataErased`) is in the central copy: their keys are gone,
    /// their courses are not counted.
    public var erasedPatients: Int
    /// Patients with a sealed event whose data key the central copy lacks or cannot unwrap (and
    /// no erasure): not counted. Zero when the forwarder has sent the keys (it sends them with
    /// each batch, and again after a key rotation).
    public var unreadablePatients: Int
    /// Courses by drug and route.
    public var groups: [CourseOutcomeGroup]
  }

  /// The clinics, in id order.
  public var clinics: [Clinic]

  /// The report of `clinic`, or of every clinic in the central copy when nil. `keys` must hold
  /// the key-encryption key of each clinic reported: a clinic without one fails the report with
  /// ``CentralError/clinicKeyMissing(clinics:)`` (naming them), one whose key does not open its
  /// data keys with ``CentralError/clinicKeyRefused(clinic:reason:)``. Nothing is guessed.
  public static func make(
    database: CentralDatabase, keys: [ClinicID: any KeyProvider], clinic: ClinicID? = nil,
    now: Date = Date(), logger: Logger = Logger(label: "treatment-ledger.central")
  ) async throws(CentralError) -> CentralOutcomeReport {
    let providers = Dictionary(uniqueKeysWithValues: keys.map { ($0.key.rawValue, $0.value) })
    let report = try await database.withConnection(logger: logger) { connection in
      try await connection.withTransaction(logger: logger) { connection in
        try await connection.query(
          "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: logger)
        let heads = try await CentralStatus.clinicHeads(connection, only: clinic, logger: logger)
        if let clinic, heads.isEmpty { throw CentralError.unknownClinic(clinic.rawValue) }
        let known = Set(heads.map(\.clinic))
        if let stranger = providers.keys.sorted().first(where: { !known.contains($0) }) {
          throw CentralError.unknownClinic(stranger)
        }
        let missing = heads.map(\.clinic).filter { providers[$0] == nil }
        guard missing.isEmpty else { throw CentralError.clinicKeyMissing(clinics: missing) }
        var clinics: [Clinic] = []
        for head in heads {
          guard let provider = providers[head.clinic] else { continue }
          let reader = ClinicOutcomeReader(
            connection: connection, clinic: head.clinic, end: head.headPosition + 1,
            provider: provider, now: now, logger: logger)
          do { clinics.append(try await reader.read()) } catch let error as EventStoreError {
            throw CentralError.store(error)
          }
        }
        return CentralOutcomeReport(clinics: clinics)
      }
    }
    return report
  }
}

/// Reads one clinic's patients from the central copy, in the report's transaction.
struct ClinicOutcomeReader {
  let connection: PostgresConnection
  let clinic: String
  let end: Int64
  let provider: any KeyProvider
  let now: Date
  let logger: Logger

  /// What one patient stream gave.
  enum Patient {
    case summarised([CourseSummary])
    case erased
    case unreadable
  }

  func read() async throws -> CentralOutcomeReport.Clinic {
    var opener = try await opener()
    var result = CentralOutcomeReport.Clinic(
      clinic: clinic, centralEvents: UInt64(end), patients: 0, erasedPatients: 0,
      unreadablePatients: 0, groups: [])
    var courses: [CourseSummary] = []
    let prefix = ClinicalReviewer.patientStreamPrefix
    let types = Array(CourseSummaryState.summaryEventTypes) + [Ledger.erasureEventType]
    let rows = try await connection.query(
      """
      SELECT stream_id, global_position, hash, envelope FROM treatment_ledger.events
      WHERE clinic_id = \(clinic) AND global_position < \(end)
        AND starts_with(stream_id, \(prefix)) AND event_type = ANY(\(types)::text[])
      ORDER BY stream_id, stream_version
      """, logger: logger)
    var stream: String?
    var events: [RecordedEvent] = []
    func finish() throws {
      guard let current = stream else { return }
      switch try patient(current, events, &opener) {
      case .summarised(let found):
        result.patients += 1
        courses += found
      case .erased: result.erasedPatients += 1
      case .unreadable: result.unreadablePatients += 1
      }
    }
    for try await (streamId, position, hash, envelope) in rows.decode(
      (String, Int64, ByteBuffer, ByteBuffer).self)
    {
      if streamId != stream {
        try finish()
        stream = streamId
        events.removeAll(keepingCapacity: true)
      }
      var value: [UInt8] = [1]
      value.append(contentsOf: hash.readableBytesView)
      value.append(contentsOf: envelope.readableBytesView)
      events.append(try RecordCodec.decode(position: UInt64(position), value))
    }
    try finish()
    result.groups = CourseOutcomeGroup.tally(courses)
    return result
  }

  /// The patient's courses from their events (in stream order), or why there are none.
  func patient(
    _ stream: String, _ events: [RecordedEvent], _ opener: inout SealedDataOpener
  ) throws -> Patient {
    if events.contains(where: { $0.type == Ledger.erasureEventType }) { return .erased }
    var opened: [RecordedEvent] = []
    opened.reserveCapacity(events.count)
    for event in events {
      guard let open = try opener.open(event) else { return .unreadable }
      opened.append(open)
    }
    let state = CourseSummaryState(
      patientId: String(stream.dropFirst(ClinicalReviewer.patientStreamPrefix.count)),
      events: opened)
    return .summarised(state.summary(now: now).courses)
  }

  /// The clinic's data keys, unwrapped by its key-encryption key after its key check.
  func opener() async throws -> SealedDataOpener {
    let checks = try await connection.query(
      "SELECT key_check FROM treatment_ledger.clinics WHERE clinic_id = \(clinic)",
      logger: logger)
    var keyCheck: [UInt8]?
    for try await (check) in checks.decode(ByteBuffer?.self) {
      keyCheck = check.map { Array(buffer: $0) }
    }
    var opener: SealedDataOpener
    do { opener = try SealedDataOpener(provider: provider, keyCheck: keyCheck) } catch {
      throw CentralError.clinicKeyRefused(clinic: clinic, reason: Self.reason(error))
    }
    let rows = try await connection.query(
      """
      SELECT stream_id, key_version, wrapped FROM treatment_ledger.stream_keys
      WHERE clinic_id = \(clinic)
      """, logger: logger)
    for try await (stream, version, wrapped) in rows.decode((String, Int64, ByteBuffer).self) {
      let key = WrappedDataKey(
        stream: stream, version: UInt64(version), wrapped: Array(buffer: wrapped))
      do { try opener.add(key) } catch {
        // Checked key: a key wrapped before a rotation the forwarder has not yet sent again
        // (its patient counts as unreadable). Unchecked: the key is not the clinic's.
        if keyCheck == nil {
          throw CentralError.clinicKeyRefused(clinic: clinic, reason: Self.reason(error))
        }
      }
    }
    return opener
  }

  static func reason(_ error: EventStoreError) -> String {
    if case .keyUnavailable(let reason) = error { return reason }
    return "\(error)"
  }
}
