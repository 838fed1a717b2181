import Foundation
import LedgerEventStore
import Logging
import NIOCore
import PostgresNIO

/// Where each clinic's central copy stands against the clinic's own head (`central status`).
public struct CentralStatus: Sendable, Hashable, Codable {
  /// One clinic's row.
  public struct Clinic: Sendable, Hashable, Codable {
    /// The clinic's id.
    public var clinic: String
    /// Events of the clinic in the central copy.
    public var centralEvents: UInt64
    /// The central head's hash (hex; zeros when there is none).
    public var centralHead: String
    /// `recordedAt` of the central head's event, RFC 3339 UTC, when there is one.
    public var centralRecordedAt: String?
    /// The clinic's event count as its forwarder last reported it.
    public var clinicEvents: UInt64?
    /// When the forwarder last wrote or reported (server time, RFC 3339 UTC).
    public var reportedAt: String?
    /// Events the central copy is behind the clinic's reported head.
    public var eventsBehind: UInt64?
    /// Seconds between the clinic's newest `recordedAt` and the central head's (0 when caught up).
    public var secondsBehind: Double?
    /// Seconds since the forwarder last wrote or reported.
    public var secondsSinceReport: Double?
  }

  /// The clinics, in id order.
  public var clinics: [Clinic]

  /// The status of every clinic in `database`, or of `clinic`.
  public static func read(
    _ database: CentralDatabase, clinic: ClinicID? = nil,
    logger: Logger = Logger(label: "treatment-ledger.central")
  ) async throws(CentralError) -> CentralStatus {
    try await database.withConnection(logger: logger) { connection in
      let heads = try await clinicHeads(connection, only: clinic, logger: logger)
      if let clinic, heads.isEmpty { throw CentralError.unknownClinic(clinic.rawValue) }
      return CentralStatus(clinics: heads.map(\.status))
    }
  }

  /// A clinic's row as the verifier and the status read it.
  struct Head: Sendable {
    var clinic: String
    var headPosition: Int64
    var headHash: ChainHash
    var headMicros: Int64?
    var clinicEvents: Int64?
    var clinicMicros: Int64?
    var reportedMicros: Int64?
    var nowMicros: Int64

    var status: Clinic {
      let central = UInt64(headPosition + 1)
      let behind = clinicEvents.map { UInt64(max(0, $0 - Int64(central))) }
      var seconds: Double?
      if let behind {
        seconds =
          behind == 0
          ? 0 : Double(max(0, (clinicMicros ?? 0) - (headMicros ?? clinicMicros ?? 0))) / 1e6
      }
      return Clinic(
        clinic: clinic, centralEvents: central, centralHead: headHash.hex,
        centralRecordedAt: headMicros.map { Timestamp.format(micros: $0) },
        clinicEvents: clinicEvents.map { UInt64(max(0, $0)) },
        reportedAt: reportedMicros.map { Timestamp.format(micros: $0) },
        eventsBehind: behind, secondsBehind: seconds,
        secondsSinceReport: reportedMicros.map { Double(max(0, nowMicros - $0)) / 1e6 })
    }
  }

  static func clinicHeads(
    _ connection: PostgresConnection, only clinic: ClinicID?, logger: Logger
  ) async throws -> [Head] {
    let rows = try await connection.query(
      """
      SELECT clinic_id, head_position, head_hash,
        (extract(epoch FROM head_recorded_at) * 1000000)::bigint, clinic_events,
        (extract(epoch FROM clinic_recorded_at) * 1000000)::bigint,
        (extract(epoch FROM reported_at) * 1000000)::bigint,
        (extract(epoch FROM now()) * 1000000)::bigint
      FROM treatment_ledger.clinics
      WHERE \(clinic?.rawValue)::text IS NULL OR clinic_id = \(clinic?.rawValue)::text
      ORDER BY clinic_id
      """, logger: logger)
    var heads: [Head] = []
    for try await row in rows.decode(
      (String, Int64, ByteBuffer, Int64?, Int64?, Int64?, Int64?, Int64).self)
    {
      heads.append(
        Head(
          clinic: row.0, headPosition: row.1,
          headHash: ChainHash(bytes: Array(buffer: row.2)) ?? .zero, headMicros: row.3,
          clinicEvents: row.4, clinicMicros: row.5, reportedMicros: row.6, nowMicros: row.7))
    }
    return heads
  }
}
