import Foundation
import LedgerEventStore
import Logging
import NIOCore
import PostgresNIO

/// The first problem found in one clinic's central rows (the kinds of `treatment-ledger verify`).
public struct CentralProblem: Sendable, Hashable, Codable, CustomStringConvertible {
  /// What is wrong.
  public var kind: VerificationProblem.Kind
  /// The first bad global position, when the problem is at one event.
  public var position: UInt64?
  /// A sentence about the problem (no payload values).
  public var detail: String

  /// `kind at position N: detail`.
  public var description: String {
    "\(kind.rawValue)" + (position.map { " at position \($0)" } ?? "") + ": " + detail
  }
}

/// The outcome of verifying one clinic's central copy.
public struct ClinicVerification: Sendable, Hashable, Codable {
  /// The clinic.
  public var clinic: String
  /// Events whose bytes, hashes and chain links were checked and found intact.
  public var eventsChecked: UInt64
  /// The central head's hash (hex) after the intact events.
  public var chainHead: String
  /// The first problem, or nil when the clinic's rows are intact.
  public var problem: CentralProblem?
  /// True when no problem was found.
  public var isIntact: Bool { problem == nil }
}

/// Recomputes each clinic's chains from the central rows, as `treatment-ledger verify` does from a
/// store: every row's SHA-256 and canonical form (the store's own checks), the log and stream
/// chains (``ChainFollower``), the row's columns against its envelope, and the clinic's head.
public struct CentralVerifier: Sendable {
  /// The central copy.
  public let database: CentralDatabase
  /// Where the verifier logs.
  public let logger: Logger
  /// Rows read per query.
  public var rowsPerRead = 5_000

  /// A verifier of `database`.
  public init(database: CentralDatabase, logger: Logger = Logger(label: "treatment-ledger.central"))
  {
    self.database = database
    self.logger = logger
  }

  /// Verifies `clinic`, or every clinic in the central copy when nil (in id order).
  public func verify(clinic: ClinicID? = nil) async throws(CentralError) -> [ClinicVerification] {
    let logger = self.logger
    let rowsPerRead = self.rowsPerRead
    return try await database.withConnection(logger: logger) { connection in
      let clinics = try await CentralStatus.clinicHeads(connection, only: clinic, logger: logger)
      if let clinic, clinics.isEmpty { throw CentralError.unknownClinic(clinic.rawValue) }
      var results: [ClinicVerification] = []
      for head in clinics {
        results.append(
          try await Self.verify(head, connection, rowsPerRead: rowsPerRead, logger: logger))
      }
      return results
    }
  }

  private static func verify(
    _ head: CentralStatus.Head, _ connection: PostgresConnection, rowsPerRead: Int,
    logger: Logger
  ) async throws -> ClinicVerification {
    var follower = ChainFollower(.log(streams: true))
    var result = ClinicVerification(
      clinic: head.clinic, eventsChecked: 0, chainHead: ChainHash.zero.hex, problem: nil)
    var after: Int64 = -1
    while true {
      let rows = try await connection.query(
        """
        SELECT global_position, stream_id, stream_version, event_type,
          (extract(epoch FROM recorded_at) * 1000000)::bigint, previous_hash, hash, envelope
        FROM treatment_ledger.events
        WHERE clinic_id = \(head.clinic) AND global_position > \(after)
        ORDER BY global_position LIMIT \(rowsPerRead)
        """, logger: logger)
      var read = 0
      for try await row in rows.decode(
        (Int64, String, Int64, String, Int64, ByteBuffer, ByteBuffer, ByteBuffer).self)
      {
        read += 1
        let stored = StoredRow(
          position: row.0, stream: row.1, version: row.2, type: row.3, recordedMicros: row.4,
          previousHash: Array(buffer: row.5), hash: Array(buffer: row.6),
          envelope: Array(buffer: row.7))
        if let problem = stored.problem(following: &follower) {
          result.problem = problem
          return result
        }
        result.eventsChecked += 1
        result.chainHead = follower.head?.hash.hex ?? ChainHash.zero.hex
        after = row.0
      }
      if read < rowsPerRead { break }
    }
    result.problem = headProblem(head, follower: follower)
    return result
  }

  /// The clinic row's head must be the last row's position and hash.
  private static func headProblem(_ head: CentralStatus.Head, follower: ChainFollower)
    -> CentralProblem?
  {
    let lastPosition = follower.head.map { Int64($0.index) } ?? -1
    if head.headPosition > lastPosition {
      return CentralProblem(
        kind: .missingEvent, position: UInt64(lastPosition + 1),
        detail: "the clinic's head is \(head.headPosition) but no row follows")
    }
    if head.headPosition != lastPosition || head.headHash != (follower.head?.hash ?? .zero) {
      return CentralProblem(
        kind: .headMismatch, position: follower.head?.index,
        detail: "the clinic's head (position \(head.headPosition)) is not its last row")
    }
    return nil
  }
}

/// One central row, checked as the store checks a log value.
struct StoredRow {
  var position: Int64
  var stream: String
  var version: Int64
  var type: String
  var recordedMicros: Int64
  var previousHash: [UInt8]
  var hash: [UInt8]
  var envelope: [UInt8]

  func problem(following follower: inout ChainFollower) -> CentralProblem? {
    let expected = follower.nextIndex
    guard position >= 0, UInt64(position) == expected else {
      return CentralProblem(
        kind: .missingEvent, position: expected, detail: "no row holds this position")
    }
    let at = UInt64(position)
    guard hash.count == 32,
      let event = try? RecordCodec.decode(position: at, [1] + hash + envelope)
    else {
      return CentralProblem(kind: .undecodable, position: at, detail: "the row does not decode")
    }
    if let (kind, detail) = EventStore.checkBytes(event) {
      return CentralProblem(kind: kind, position: at, detail: detail)
    }
    if let broken = follower.follow(ChainLink(event)) {
      return CentralProblem(kind: broken.kind, position: at, detail: EventStore.logDetail(broken))
    }
    if event.streamId != stream || Int64(event.streamVersion) != version || event.type != type
      || event.previousHash.bytes != previousHash
      || Timestamp.parseMicros(event.recordedAt) != recordedMicros
    {
      return CentralProblem(
        kind: .streamIndexMismatch, position: at,
        detail: "the row's columns disagree with its envelope")
    }
    return nil
  }
}
