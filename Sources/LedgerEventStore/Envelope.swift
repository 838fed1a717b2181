import Foundation
import LedgerFoundation

/// Who entered an event: `recordedBy` in the envelope.
public struct Recorder: Sendable, Hashable, Codable {
  /// The user's id in the clinic's systems.
  public var id: String
  /// The user's display name (a clinician, not a patient).
  public var name: String
  /// The user's role, such as `nurse` or `prescriber`.
  public var role: String

  /// Creates a recorder.
  public init(id: String, name: String, role: String) {
    self.id = id
    self.name = name
    self.role = role
  }
}

/// An event as a writer proposes it, before the store gives it positions, a recorded time and
/// hashes.
public struct ProposedEvent: Sendable, Hashable {
  /// Chosen by the writer; makes appends idempotent.
  public var eventId: UUID
  /// The event type, such as `DoseAdministered`.
  public var type: String
  /// Version of the type's schema. Default 1.
  public var schemaVersion: Int
  /// Clinical time: RFC 3339 with an explicit offset, kept as written.
  public var occurredAt: String
  /// Who entered the event.
  public var recordedBy: Recorder
  /// The payload; must be a JSON object.
  public var data: JSONValue
  /// Optional id tying related events together.
  public var correlationId: UUID?
  /// Optional id of the event or command that caused this one.
  public var causationId: UUID?

  /// Creates a proposed event.
  public init(
    eventId: UUID = UUID(), type: String, schemaVersion: Int = 1, occurredAt: String,
    recordedBy: Recorder, data: JSONValue, correlationId: UUID? = nil, causationId: UUID? = nil
  ) {
    self.eventId = eventId
    self.type = type
    self.schemaVersion = schemaVersion
    self.occurredAt = occurredAt
    self.recordedBy = recordedBy
    self.data = data
    self.correlationId = correlationId
    self.causationId = causationId
  }
}

/// A stored event with its whole envelope (docs/CATALOGUE-CONVENTIONS.md, Shapes).
public struct RecordedEvent: Sendable, Hashable {
  /// Chosen by the writer.
  public var eventId: UUID
  /// The event type.
  public var type: String
  /// Version of the type's schema.
  public var schemaVersion: Int
  /// The stream the event belongs to.
  public var streamId: String
  /// 0-based position of the event in its stream.
  public var streamVersion: UInt64
  /// 0-based position of the event in the whole log.
  public var globalPosition: UInt64
  /// Clinical time as the writer gave it.
  public var occurredAt: String
  /// When the store committed the event: UTC, microseconds, never decreasing along the log.
  public var recordedAt: String
  /// Who entered the event.
  public var recordedBy: Recorder
  /// Optional correlation id.
  public var correlationId: UUID?
  /// Optional causation id.
  public var causationId: UUID?
  /// The payload.
  public var data: JSONValue
  /// Flags stored with the event by the layer above (soft alerts); empty for most events.
  public var flags: [JSONValue]
  /// Hash of the previous event in the log (64 zero hex digits for the first).
  public var previousHash: ChainHash
  /// Hash of the previous event in the same stream (zero for a stream's first event).
  public var previousStreamHash: ChainHash
  /// SHA-256 of ``canonicalBytes``.
  public var hash: ChainHash
  /// The exact bytes that were hashed: the RFC 8785 canonical JSON of the envelope without `hash`.
  public var canonicalBytes: [UInt8]
  /// How ``data`` is held: plain, or stored sealed (and here still sealed, opened with the
  /// stream's data key, or erased). Stores without sealing hold every event `.plain`.
  public var dataForm: DataForm = .plain

  /// How an event's `data` is stored and what ``RecordedEvent/data`` holds.
  public enum DataForm: Sendable, Hashable {
    /// Stored and shown as written.
    case plain
    /// Stored sealed under data key `keyVersion`; ``RecordedEvent/data`` is the stored base64
    /// text (what the chain hashed), as raw readers, `verify` and audit exports see it.
    case sealed(keyVersion: UInt64)
    /// Stored sealed; ``RecordedEvent/data`` is the opened value.
    case opened(keyVersion: UInt64)
    /// Stored sealed under a key that erasure destroyed; ``RecordedEvent/data`` is null.
    case erased(keyVersion: UInt64)

    /// The data key version of a sealed event, nil for a plain one.
    public var keyVersion: UInt64? {
      switch self {
      case .plain: nil
      case .sealed(let version), .opened(let version), .erased(let version): version
      }
    }

    /// True when the data was erased.
    public var isErased: Bool {
      if case .erased = self { return true }
      return false
    }
  }

  /// Creates a recorded event from its fields. The store makes these; the initializer exists for
  /// projections' tests and tools. It computes nothing: `hash` and `canonicalBytes` are taken
  /// as given.
  public init(
    eventId: UUID, type: String, schemaVersion: Int, streamId: String, streamVersion: UInt64,
    globalPosition: UInt64, occurredAt: String, recordedAt: String, recordedBy: Recorder,
    correlationId: UUID?, causationId: UUID?, data: JSONValue, flags: [JSONValue],
    previousHash: ChainHash, previousStreamHash: ChainHash, hash: ChainHash, canonicalBytes: [UInt8]
  ) {
    self.eventId = eventId
    self.type = type
    self.schemaVersion = schemaVersion
    self.streamId = streamId
    self.streamVersion = streamVersion
    self.globalPosition = globalPosition
    self.occurredAt = occurredAt
    self.recordedAt = recordedAt
    self.recordedBy = recordedBy
    self.correlationId = correlationId
    self.causationId = causationId
    self.data = data
    self.flags = flags
    self.previousHash = previousHash
    self.previousStreamHash = previousStreamHash
    self.hash = hash
    self.canonicalBytes = canonicalBytes
  }

  /// The event as the writer proposed it (for idempotency comparisons and re-export).
  public var proposed: ProposedEvent {
    ProposedEvent(
      eventId: eventId, type: type, schemaVersion: schemaVersion, occurredAt: occurredAt,
      recordedBy: recordedBy, data: data, correlationId: correlationId, causationId: causationId)
  }

  /// The envelope as a JSON object, including `hash`. An opened sealed event shows its opened
  /// `data` beside the `sealed` member; an erased one shows `data` null and `"erased": true`.
  public var envelopeJSON: JSONValue {
    var members = Self.hashedMembers(
      proposed: proposed, streamId: streamId, streamVersion: streamVersion,
      globalPosition: globalPosition, recordedAt: recordedAt, flags: flags,
      previousHash: previousHash, previousStreamHash: previousStreamHash,
      sealedKeyVersion: dataForm.keyVersion)
    members["hash"] = .string(hash.hex)
    if dataForm.isErased { members["erased"] = .bool(true) }
    return .object(members)
  }

  /// The event as stored (what exports and verifiers see): an opened or erased sealed event gets
  /// its stored sealed `data` back from ``canonicalBytes``; a plain or still sealed one is itself.
  package var asStored: RecordedEvent {
    switch dataForm {
    case .plain, .sealed: return self
    case .opened(let version), .erased(let version):
      var stored = self
      guard case .object(let members)? = try? JSONValue.parse(canonicalBytes),
        let data = members["data"]
      else { return self }
      stored.data = data
      stored.dataForm = .sealed(keyVersion: version)
      return stored
    }
  }

  /// The `sealed` member of a sealed event's envelope: `{"alg":"A256GCM","keyVersion":n}`.
  static func sealedMember(_ keyVersion: UInt64) -> JSONValue {
    .object(["alg": .string("A256GCM"), "keyVersion": .number(Double(keyVersion))])
  }

  /// The canonical bytes of ``hashedMembers(proposed:streamId:streamVersion:globalPosition:recordedAt:flags:previousHash:previousStreamHash:)``,
  /// written member by member in canonical (sorted) order instead of building and sorting the
  /// dictionary: what every append hashes. Verification recomputes the bytes the other way, from
  /// the dictionary, so the two must agree (a disagreement is reported as `notCanonical`).
  static func canonicalEnvelope(
    proposed: ProposedEvent, streamId: String, streamVersion: UInt64, globalPosition: UInt64,
    recordedAt: String, flags: [JSONValue], previousHash: ChainHash, previousStreamHash: ChainHash,
    sealedKeyVersion: UInt64? = nil
  ) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(640)
    out.append(UInt8(ascii: "{"))
    func member(_ name: String) {
      if out.count > 1 { out.append(UInt8(ascii: ",")) }
      JSONValue.writeCanonicalString(name, into: &out)
      out.append(UInt8(ascii: ":"))
    }
    func string(_ name: String, _ value: String) {
      member(name)
      JSONValue.writeCanonicalString(value, into: &out)
    }
    func number(_ name: String, _ value: Double) {
      member(name)
      JSONValue.writeCanonicalNumber(value, into: &out)
    }
    // Member names sorted as RFC 8785 sorts them (all ASCII, so byte order).
    if let id = proposed.causationId { string("causationId", id.lowercasedString) }
    if let id = proposed.correlationId { string("correlationId", id.lowercasedString) }
    member("data")
    proposed.data.writeCanonical(into: &out)
    string("eventId", proposed.eventId.lowercasedString)
    if !flags.isEmpty {
      member("flags")
      JSONValue.array(flags).writeCanonical(into: &out)
    }
    number("globalPosition", Double(globalPosition))
    string("occurredAt", proposed.occurredAt)
    string("previousHash", previousHash.hex)
    string("previousStreamHash", previousStreamHash.hex)
    string("recordedAt", recordedAt)
    member("recordedBy")
    out.append(contentsOf: Array(#"{"id":"#.utf8))
    JSONValue.writeCanonicalString(proposed.recordedBy.id, into: &out)
    out.append(contentsOf: Array(#","name":"#.utf8))
    JSONValue.writeCanonicalString(proposed.recordedBy.name, into: &out)
    out.append(contentsOf: Array(#","role":"#.utf8))
    JSONValue.writeCanonicalString(proposed.recordedBy.role, into: &out)
    out.append(UInt8(ascii: "}"))
    number("schemaVersion", Double(proposed.schemaVersion))
    if let sealedKeyVersion {
      member("sealed")
      Self.sealedMember(sealedKeyVersion).writeCanonical(into: &out)
    }
    string("streamId", streamId)
    number("streamVersion", Double(streamVersion))
    string("type", proposed.type)
    out.append(UInt8(ascii: "}"))
    return out
  }

  /// The members covered by the hash, in one place so writing and verifying agree.
  static func hashedMembers(
    proposed: ProposedEvent, streamId: String, streamVersion: UInt64, globalPosition: UInt64,
    recordedAt: String, flags: [JSONValue], previousHash: ChainHash, previousStreamHash: ChainHash,
    sealedKeyVersion: UInt64? = nil
  ) -> [String: JSONValue] {
    var members: [String: JSONValue] = [
      "eventId": .string(proposed.eventId.lowercasedString),
      "type": .string(proposed.type),
      "schemaVersion": .number(Double(proposed.schemaVersion)),
      "streamId": .string(streamId),
      "streamVersion": .number(Double(streamVersion)),
      "globalPosition": .number(Double(globalPosition)),
      "occurredAt": .string(proposed.occurredAt),
      "recordedAt": .string(recordedAt),
      "recordedBy": .object([
        "id": .string(proposed.recordedBy.id), "name": .string(proposed.recordedBy.name),
        "role": .string(proposed.recordedBy.role),
      ]),
      "data": proposed.data,
      "previousHash": .string(previousHash.hex),
      "previousStreamHash": .string(previousStreamHash.hex),
    ]
    if let id = proposed.correlationId {
      members["correlationId"] = .string(id.lowercasedString)
    }
    if let id = proposed.causationId {
      members["causationId"] = .string(id.lowercasedString)
    }
    if !flags.isEmpty { members["flags"] = .array(flags) }
    if let sealedKeyVersion { members["sealed"] = sealedMember(sealedKeyVersion) }
    return members
  }
}

/// Where an appended event landed.
public struct EventPosition: Sendable, Hashable {
  /// Position in the whole log.
  public var globalPosition: UInt64
  /// Position in its stream.
  public var streamVersion: UInt64

  /// Creates a position.
  public init(globalPosition: UInt64, streamVersion: UInt64) {
    self.globalPosition = globalPosition
    self.streamVersion = streamVersion
  }
}

/// The outcome of appending a batch to one stream.
public struct AppendResult: Sendable, Hashable {
  /// The stream appended to.
  public var streamId: String
  /// The positions of the batch's accepted events, in batch order (original positions for
  /// events that were already stored).
  public var positions: [EventPosition]
  /// True when every event was already stored with the same content, so nothing was written.
  public var wasAlreadyStored: Bool
  /// How many events this append wrote (the rest were already stored or refused).
  public var written: Int
  /// Events refused one by one; only with ``AppendOptions/skipRejected``, otherwise the first
  /// refusal throws.
  public var rejections: [Rejection] = []
  /// The stream's version after the append.
  public var streamVersion: UInt64? { positions.map(\.streamVersion).max() }
}

/// A batch of events for one stream, with the version the caller expects it to be at.
public struct StreamAppend: Sendable, Hashable {
  /// The stream.
  public var stream: String
  /// The expected version before the batch.
  public var expectedVersion: ExpectedVersion
  /// The events, in order.
  public var events: [ProposedEvent]

  /// Creates a batch.
  public init(stream: String, expectedVersion: ExpectedVersion = .any, events: [ProposedEvent]) {
    self.stream = stream
    self.expectedVersion = expectedVersion
    self.events = events
  }
}
