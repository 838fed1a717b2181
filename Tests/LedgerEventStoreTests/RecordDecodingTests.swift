import Foundation
import LedgerEventStore
import LedgerFoundation
import LedgerLMDB
import LedgerTestSupport
import Testing

/// Stored records are read with the parser; fields are checked by name and type.
@Suite struct RecordDecodingTests {
  private func rewrite(
    _ dir: TemporaryDirectory, at position: UInt64, canonical: [UInt8]
  ) throws {
    let env = try Environment(path: dir.path)
    defer { env.close() }
    try env.write { txn in
      try txn.put(
        txn.openDatabase("log"), position.bigEndianBytes,
        [1] + ChainHash.sha256(canonical).bytes + canonical)
    }
  }

  private func storeWithEvents() async throws -> (
    TemporaryDirectory, [ProposedEvent], [RecordedEvent]
  ) {
    let dir = TemporaryDirectory("record-decoding")
    let store = try EventStore.open(at: dir.path)
    defer { store.close() }
    let proposed = [
      ProposedEvent(
        type: "VitalsRecorded", schemaVersion: 3, occurredAt: "2026-11-02T10:15:00-05:00",
        recordedBy: nurse,
        data: .object([
          "heartRateBpm": .number(72), "temperatureCelsius": .number(36.8),
          "note": .string("é \"q\" 😀\n"),
          "nested": .object(["list": .array([.null, .bool(true), .number(-0.5), .number(1e-7)])]),
        ]),
        correlationId: UUID(), causationId: UUID()),
      event(data: [:]),
      event(data: ["big": .number(1e21), "small": .number(5e-324)]),
    ]
    _ = try await store.append(proposed, to: "patient-1")
    let recorded = try store.readAll()
    return (dir, proposed, recorded)
  }

  @Test func readsBackExactlyWhatWasAppended() async throws {
    let (dir, proposed, recorded) = try await storeWithEvents()
    defer { dir.remove() }
    #expect(recorded.map(\.proposed) == proposed)
    for (position, event) in recorded.enumerated() {
      #expect(event.globalPosition == UInt64(position))
      #expect(event.streamVersion == UInt64(position))
      #expect(event.streamId == "patient-1")
      #expect(event.flags.isEmpty)
      var members = try #require(event.envelopeJSON.objectValue)
      members["hash"] = nil
      #expect(JSONValue.object(members).canonicalBytes == event.canonicalBytes)
      #expect(ChainHash.sha256(event.canonicalBytes) == event.hash)
    }
    let store = try EventStore.open(at: dir.path)
    defer { store.close() }
    #expect(try store.verify().isIntact)
    #expect(try store.event(id: proposed[0].eventId) == recorded[0])
  }

  @Test func storedFlagsAreRead() async throws {
    let (dir, _, recorded) = try await storeWithEvents()
    defer { dir.remove() }
    let target = recorded[1]
    var members = try #require(target.envelopeJSON.objectValue)
    members["hash"] = nil
    let flags: [JSONValue] = [.object(["code": .string("SOFT-1"), "limit": .number(3)])]
    members["flags"] = .array(flags)
    let canonical = JSONValue.object(members).canonicalBytes
    try rewrite(dir, at: target.globalPosition, canonical: canonical)
    let store = try EventStore.open(at: dir.path)
    defer { store.close() }
    let read = try #require(try store.readAll(from: target.globalPosition, limit: 1).first)
    #expect(read.flags == flags)
    #expect(read.canonicalBytes == canonical)
    #expect(read.data == target.data)
  }

  @Test(arguments: [
    ("streamVersion", JSONValue.string("SENTINEL-77")), ("schemaVersion", .number(1.5)),
    ("globalPosition", .number(-1)), ("globalPosition", .number(1e20)), ("type", .number(7)),
    ("eventId", .string("SENTINEL-not-a-uuid")), ("recordedBy", .string("SENTINEL-77")),
    ("flags", .string("SENTINEL-77")), ("occurredAt", .null),
    ("correlationId", .string("SENTINEL-77")),
    ("previousHash", .array([])), ("eventId", .string("6513270e-269e-4d37-b2a7-4de452e6b43g")),
    ("eventId", .string("6513270e0269e-4d37-b2a7-4de452e6b438")), ("eventId", .string("")),
    ("causationId", .string("6513270e-269e-4d37-b2a7-4de452e6b4381")),
    ("correlationId", .string(" 513270e-269e-4d37-b2a7-4de452e6b438")),
  ])
  func aFieldOfTheWrongTypeIsACorruptRecord(_ field: String, _ replacement: JSONValue) async throws
  {
    try await expectCorrupt { members in members[field] = replacement }
  }

  @Test(arguments: [
    "eventId", "type", "schemaVersion", "streamId", "streamVersion", "globalPosition",
    "occurredAt", "recordedAt", "recordedBy", "data", "previousHash", "previousStreamHash",
  ])
  func aMissingFieldIsACorruptRecord(_ field: String) async throws {
    try await expectCorrupt { members in members[field] = nil }
  }

  @Test func aRecorderFieldOfTheWrongTypeIsACorruptRecord() async throws {
    try await expectCorrupt { members in
      members["recordedBy"] = .object([
        "id": .string("SENTINEL-77"), "name": .number(1), "role": .string("x"),
      ])
    }
  }

  @Test func anUppercaseIdDecodesButIsNotCanonical() async throws {
    let (dir, _, recorded) = try await storeWithEvents()
    defer { dir.remove() }
    let target = recorded[0]
    var members = try #require(target.envelopeJSON.objectValue)
    members["hash"] = nil
    members["eventId"] = .string(target.eventId.uuidString.uppercased())
    members["causationId"] = .string(try #require(target.causationId).uuidString.uppercased())
    try rewrite(dir, at: target.globalPosition, canonical: JSONValue.object(members).canonicalBytes)
    let store = try EventStore.open(at: dir.path)
    defer { store.close() }
    let read = try #require(try store.readAll(limit: 1).first)
    #expect(read.eventId == target.eventId)
    #expect(read.causationId == target.causationId)
    #expect(try store.verify().problem?.kind == .notCanonical)
  }

  @Test func storedTextThatIsNotStrictJSONIsACorruptRecord() async throws {
    let (dir, _, recorded) = try await storeWithEvents()
    defer { dir.remove() }
    let target = recorded[2]
    // A duplicated member: JSONDecoder kept one silently; the parser refuses.
    var text = target.canonicalBytes
    text.removeLast()
    text += Array(#","type":"SENTINEL-77"}"#.utf8)
    try rewrite(dir, at: target.globalPosition, canonical: text)
    let store = try EventStore.open(at: dir.path)
    defer { store.close() }
    do {
      _ = try store.readAll()
      Issue.record("a record with a duplicated member was read")
    } catch {
      guard case .corruptRecord(let position, let reason) = error else {
        Issue.record("unexpected error \(error)")
        return
      }
      #expect(position == target.globalPosition)
      #expect(reason.contains("duplicate"))
      #expect(!error.description.contains("SENTINEL"))
    }
    #expect(try store.verify().problem?.kind == .undecodable)
  }

  private func expectCorrupt(
    _ change: (inout [String: JSONValue]) -> Void, sourceLocation: SourceLocation = #_sourceLocation
  ) async throws {
    let (dir, _, recorded) = try await storeWithEvents()
    defer { dir.remove() }
    let target = recorded[0]
    var members = try #require(target.envelopeJSON.objectValue)
    members["hash"] = nil
    change(&members)
    try rewrite(dir, at: target.globalPosition, canonical: JSONValue.object(members).canonicalBytes)
    let store = try EventStore.open(at: dir.path)
    defer { store.close() }
    do {
      _ = try store.readAll()
      Issue.record("the changed record was read", sourceLocation: sourceLocation)
    } catch {
      guard case .corruptRecord(let position, _) = error else {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        return
      }
      #expect(position == target.globalPosition, sourceLocation: sourceLocation)
      #expect(!error.description.contains("SENTINEL"), sourceLocation: sourceLocation)
    }
  }
}
