import Foundation
import LedgerDemo
import TreatmentLedger

/// One event as the baselines store it: the same key layout as TreatmentLedger (stream name and
/// version for the stream index, 16-byte event id for the id index) and the same payload bytes
/// (a canonical JSON envelope with every member the store writes, built from the same demo event).
struct RawEvent: Sendable {
  /// The stream name, UTF-8.
  var stream: [UInt8]
  /// 0-based version in the stream.
  var version: UInt64
  /// The 16 UUID bytes.
  var eventId: [UInt8]
  /// 32 bytes standing in for the hash (the baselines compute none).
  var hash: [UInt8]
  /// The canonical JSON envelope.
  var canonical: [UInt8]

  /// The LMDB `log` value: version byte, hash, canonical JSON (docs/FORMAT.md 2.1).
  var logValue: [UInt8] {
    var value: [UInt8] = [1]
    value.reserveCapacity(33 + canonical.count)
    value.append(contentsOf: hash)
    value.append(contentsOf: canonical)
    return value
  }

  /// `streams` key: name, 0x00, version big-endian.
  var streamKey: [UInt8] { stream + [0] + bigEndian(version) }
}

/// `value` as 8 big-endian bytes.
@inline(__always) func bigEndian(_ value: UInt64) -> [UInt8] {
  withUnsafeBytes(of: value.bigEndian) { Array($0) }
}

/// Lowercase hex of `bytes`.
func hex(_ bytes: some Sequence<UInt8>) -> [UInt8] {
  let digits = Array("0123456789abcdef".utf8)
  var out: [UInt8] = []
  for byte in bytes {
    out.append(digits[Int(byte >> 4)])
    out.append(digits[Int(byte & 0x0F)])
  }
  return out
}

/// The demo patients the workloads draw from: `DemoClinic(patients:seed:)` patients whose
/// generation was seen to finish (see ``ChildRunner/screen(seed:count:)``: the generator loops
/// forever for some patients, a bug reported in BENCHMARKS.md), kept in memory.
///
/// Patient `n` of the bench is pool member `n % pool.count`, copy `n / pool.count`. Copy 0 is the
/// demo patient as generated; copy `c > 0` is the same clinical record under the patient id
/// `c<c>-<demo id>` with every event id (and the ids that corrections, voids and correlations
/// name) changed in their first four bytes, so every copy is a distinct, valid patient stream.
struct ClinicPool: Sendable {
  static let seed: UInt64 = 3
  let clinic = DemoClinic(patients: 100_000, seed: ClinicPool.seed)
  let indices: [Int]
  let members: [[ProposedEvent]]

  init(indices: [Int]) throws {
    guard !indices.isEmpty else { throw BenchError("the pool of demo patients is empty") }
    self.indices = indices
    let clinic = self.clinic
    members = indices.map { clinic.events(ofPatient: $0) }
  }

  /// The demo id of pool member `member`, copy `copy`.
  func patientId(_ n: Int) -> String {
    let demoId = clinic.patientId(indices[n % indices.count])
    let copy = n / indices.count
    return copy == 0 ? demoId : "c\(copy)-\(demoId)"
  }

  /// Bench patient `n`'s events and stream.
  func patient(_ n: Int) -> BenchEvents.StreamEvents {
    let patientId = patientId(n)
    let events = Self.copy(
      members[n % indices.count], copy: UInt32(truncatingIfNeeded: n / indices.count),
      patientId: patientId)
    return BenchEvents.StreamEvents(stream: Ledger.stream(forPatient: patientId), events: events)
  }

  /// `events` with ids changed for copy `copy` (none for copy 0) and the registration's patient id
  /// set to `patientId`.
  static func copy(_ events: [ProposedEvent], copy: UInt32, patientId: String) -> [ProposedEvent] {
    events.map { original in
      var event = original
      if copy != 0 {
        event.eventId = changed(event.eventId, copy)
        event.correlationId = event.correlationId.map { changed($0, copy) }
        event.causationId = event.causationId.map { changed($0, copy) }
      }
      if case .object(var data) = event.data {
        var edited = false
        if event.type == "PatientRegistered" {
          data["patientId"] = .string(patientId)
          edited = true
        }
        for key in ["correctedEventId", "voidedEventId"] where copy != 0 {
          if let text = data[key]?.stringValue, let id = UUID(uuidString: text) {
            data[key] = .string(changed(id, copy).uuidString.lowercased())
            edited = true
          }
        }
        if edited { event.data = .object(data) }
      }
      return event
    }
  }

  /// `id` with its first four bytes XORed with `copy` (version and variant bits untouched).
  static func changed(_ id: UUID, _ copy: UInt32) -> UUID {
    var bytes = id.uuid
    bytes.0 ^= UInt8(truncatingIfNeeded: copy >> 24)
    bytes.1 ^= UInt8(truncatingIfNeeded: copy >> 16)
    bytes.2 ^= UInt8(truncatingIfNeeded: copy >> 8)
    bytes.3 ^= UInt8(truncatingIfNeeded: copy)
    return UUID(uuid: bytes)
  }
}

/// The synthetic clinical events of every workload, from the demo generator's patients
/// (``ClinicPool``): real patient streams that pass validation.
enum BenchEvents {
  /// The patient whose 1,000-event stream workload 5 reads.
  static let longPatientId = "bench-long"
  /// Its stream.
  static var longStream: String { Ledger.stream(forPatient: longPatientId) }
  /// Events in the long patient's stream.
  static let longPatientEvents = 1_000

  /// One stream's events, in clinical order.
  struct StreamEvents: Sendable {
    var stream: String
    var events: [ProposedEvent]
  }

  /// Bench patients `first`, `first + 1`, … until `count` events (the last patient cut short: a
  /// prefix of a patient's record is still valid).
  static func patients(_ pool: ClinicPool, count: Int, startingAt first: Int = 0) -> [StreamEvents]
  {
    var result: [StreamEvents] = []
    var total = 0
    var index = first
    while total < count {
      var patient = pool.patient(index)
      patient.events = Array(patient.events.prefix(count - total))
      result.append(patient)
      total += patient.events.count
      index += 1
    }
    return result
  }

  /// A patient with 1,000 events: a pool patient registered as `bench-long`, followed by the
  /// courses of the next pool patients (their consultations, consents, courses, sessions and
  /// follow-ups, without their registrations), all in one stream. Copies 900,000 + … of the
  /// pool, so its event ids are not those of any other bench patient.
  static func longPatient(_ pool: ClinicPool) -> StreamEvents {
    var events: [ProposedEvent] = []
    var member = 0
    while events.count < longPatientEvents {
      let copy = UInt32(900_000 + member)
      for event in ClinicPool.copy(
        pool.members[member % pool.members.count], copy: copy, patientId: longPatientId)
      where member == 0 || event.type != "PatientRegistered" {
        events.append(event)
      }
      member += 1
    }
    return StreamEvents(stream: longStream, events: Array(events.prefix(longPatientEvents)))
  }

  /// The import data set of workloads 3–6: the long patient first, then bench patients 0, 1, …,
  /// `count` events in all, cut into batches of whole streams of about `batchSize` events.
  /// Calls `body` with each batch, made just before (so memory stays flat).
  static func dataset(
    _ pool: ClinicPool, count: Int, batchSize: Int, _ body: ([StreamEvents]) async throws -> Void
  ) async throws {
    var batch: [StreamEvents] = []
    var inBatch = 0
    var total = 0
    var next = 0
    var pendingLong = true
    while total < count {
      var streamEvents: StreamEvents
      if pendingLong {
        pendingLong = false
        streamEvents = longPatient(pool)
      } else {
        streamEvents = pool.patient(next)
        next += 1
      }
      streamEvents.events = Array(streamEvents.events.prefix(count - total))
      batch.append(streamEvents)
      inBatch += streamEvents.events.count
      total += streamEvents.events.count
      if inBatch >= batchSize {
        try await body(batch)
        batch = []
        inBatch = 0
      }
    }
    if !batch.isEmpty { try await body(batch) }
  }

  /// The baseline form of `event`: the envelope the store would write for it at `position` and
  /// `version` (every hashed member; the hashes are stand-ins of the same length).
  static func raw(
    _ event: ProposedEvent, stream: String, version: UInt64, position: UInt64, recordedAt: String
  ) -> RawEvent {
    let idBytes = withUnsafeBytes(of: event.eventId.uuid) { Array($0) }
    let stand = idBytes + idBytes
    let standHex = String(decoding: hex(stand), as: UTF8.self)
    var members: [String: JSONValue] = [
      "eventId": .string(event.eventId.uuidString.lowercased()),
      "type": .string(event.type),
      "schemaVersion": .number(Double(event.schemaVersion)),
      "streamId": .string(stream),
      "streamVersion": .number(Double(version)),
      "globalPosition": .number(Double(position)),
      "occurredAt": .string(event.occurredAt),
      "recordedAt": .string(recordedAt),
      "recordedBy": .object([
        "id": .string(event.recordedBy.id), "name": .string(event.recordedBy.name),
        "role": .string(event.recordedBy.role),
      ]),
      "data": event.data,
      "previousHash": .string(standHex),
      "previousStreamHash": .string(standHex),
    ]
    if let correlation = event.correlationId {
      members["correlationId"] = .string(correlation.uuidString.lowercased())
    }
    if let causation = event.causationId {
      members["causationId"] = .string(causation.uuidString.lowercased())
    }
    return RawEvent(
      stream: Array(stream.utf8), version: version, eventId: idBytes, hash: stand,
      canonical: JSONValue.object(members).canonicalBytes)
  }

  /// Baseline forms of whole streams that start at version 0, positions from `position`.
  static func raw(_ batch: [StreamEvents], firstPosition position: UInt64, recordedAt: String)
    -> [RawEvent]
  {
    var result: [RawEvent] = []
    var next = position
    for streamEvents in batch {
      for (version, event) in streamEvents.events.enumerated() {
        result.append(
          raw(
            event, stream: streamEvents.stream, version: UInt64(version), position: next,
            recordedAt: recordedAt))
        next += 1
      }
    }
    return result
  }

  /// A `recordedAt` text of the store's form (microseconds, UTC), for baseline payloads.
  static func recordedNow() -> String { Timestamp.format(micros: Timestamp.nowMicros()) }
}
