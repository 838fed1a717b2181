import Foundation
import LedgerEventStore

extension PatientDecisionState {
  /// The first byte of the compact binary form; the JSON form of earlier versions starts with `{`.
  static let binaryFormat: UInt8 = 2

  /// The compact binary form (a format byte, then the entries; the derived facts are recomputed
  /// on decoding), as ``ClinicalReviewer`` stores it.
  public func binaryEncoded() -> [UInt8] {
    var writer = StateWriter(capacity: 16 + entries.count * 96)
    writer.write(byte: Self.binaryFormat)
    writer.write(count: entries.count)
    for entry in entries { Self.write(entry, into: &writer) }
    return writer.bytes
  }

  /// Decodes ``binaryEncoded()`` bytes.
  public init(binary bytes: [UInt8]) throws(StateReader.Failure) {
    var reader = StateReader(bytes)
    guard try reader.readByte() == Self.binaryFormat else {
      throw reader.failure("unknown state format")
    }
    let count = try reader.readCount()
    var entries: [EntryRecord] = []
    entries.reserveCapacity(count)
    for _ in 0..<count { entries.append(try Self.readEntry(&reader)) }
    try reader.expectEnd()
    self.init(entries: entries)
  }

  /// A state of `entries`, with everything derived from them.
  init(entries: [EntryRecord]) {
    self.init()
    self.entries = entries
    positions = Dictionary(
      entries.enumerated().map { ($0.element.eventId, $0.offset) }, uniquingKeysWith: { a, _ in a })
    facts = Self.derive(entries, positions: positions)
  }

  static func write(_ entry: EntryRecord, into writer: inout StateWriter) {
    writer.write(uuid: entry.eventId)
    writer.write(string: entry.eventType)
    writer.write(double: entry.occurredAt.timeIntervalSinceReferenceDate)
    if let target = entry.targetId {
      writer.write(byte: 1)
      writer.write(uuid: target)
    } else {
      writer.write(byte: 0)
    }
    entry.contribution.write(into: &writer)
    writer.write(count: entry.correctionIds.count)
    for id in entry.correctionIds { writer.write(uuid: id) }
    writer.write(count: entry.voidIds.count)
    for id in entry.voidIds { writer.write(uuid: id) }
  }

  static func readEntry(_ reader: inout StateReader) throws(StateReader.Failure) -> EntryRecord {
    let eventId = try reader.readUUID()
    let eventType = try reader.readString()
    let occurredAt = Date(timeIntervalSinceReferenceDate: try reader.readDouble())
    let targetId: UUID?
    switch try reader.readByte() {
    case 0: targetId = nil
    case 1: targetId = try reader.readUUID()
    default: throw reader.failure("bad optional tag")
    }
    let contribution = try Contribution(reading: &reader)
    var record = EntryRecord(
      eventId: eventId, eventType: eventType, occurredAt: occurredAt, targetId: targetId,
      contribution: contribution)
    let corrections = try reader.readCount()
    for _ in 0..<corrections { record.correctionIds.append(try reader.readUUID()) }
    let voids = try reader.readCount()
    for _ in 0..<voids { record.voidIds.append(try reader.readUUID()) }
    return record
  }
}

// MARK: - Kept at the grain it changes (format 3)

extension PatientDecisionState {
  /// The first byte of the stored head of a state kept as keyed facts (format 3).
  static let factsFormat: UInt8 = 3
  /// The first byte of an entry's fact key (`e`, then the entry's position as 8 bytes
  /// big-endian).
  static let entryFactTag = UInt8(ascii: "e")

  /// The stored head of a state kept as keyed facts: the format byte, the number of entries and
  /// the last entry's event id. Small and the same size at any history; every append changes it
  /// (so it also tells a cached state from a changed one).
  func headEncoded() -> [UInt8] {
    var writer = StateWriter(capacity: 32)
    writer.write(byte: Self.factsFormat)
    writer.write(count: entries.count)
    if let last = entries.last { writer.write(uuid: last.eventId) }
    return writer.bytes
  }

  /// The fact key of the entry at `position`.
  static func entryFactKey(_ position: Int) -> [UInt8] {
    let value = UInt64(position)
    return [entryFactTag] + (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * $0)) }
  }

  /// The keyed fact of the entry at `position`: its key and its compact binary form.
  func entryFact(_ position: Int) -> (key: [UInt8], value: [UInt8]) {
    var writer = StateWriter(capacity: 96)
    Self.write(entries[position], into: &writer)
    return (Self.entryFactKey(position), writer.bytes)
  }

  /// Every entry as a keyed fact.
  func entryFacts() -> [[UInt8]: [UInt8]] {
    var facts: [[UInt8]: [UInt8]] = [:]
    for position in entries.indices {
      let fact = entryFact(position)
      facts[fact.key] = fact.value
    }
    return facts
  }

  /// Decodes a state kept as keyed facts: its head (``headEncoded()``) and its entries' facts, in
  /// key order (facts with other keys are ignored).
  init(
    head: [UInt8], facts: [(key: [UInt8], value: [UInt8])]
  ) throws(StateReader.Failure) {
    var reader = StateReader(head)
    guard try reader.readByte() == Self.factsFormat else {
      throw reader.failure("unknown state format")
    }
    // The number of entries (their facts follow elsewhere, so not bounded by these bytes).
    let stated = try reader.readUInt()
    guard stated <= UInt64(facts.count) else { throw reader.failure("more entries than facts") }
    let count = Int(stated)
    let last: UUID? = count > 0 ? try reader.readUUID() : nil
    try reader.expectEnd()
    var entries: [EntryRecord] = []
    entries.reserveCapacity(count)
    for fact in facts where fact.key.first == Self.entryFactTag {
      guard fact.key == Self.entryFactKey(entries.count) else {
        throw reader.failure("entry facts out of sequence")
      }
      var entryReader = StateReader(fact.value)
      entries.append(try Self.readEntry(&entryReader))
      try entryReader.expectEnd()
    }
    guard entries.count == count, entries.last?.eventId == last else {
      throw reader.failure("entry facts disagree with the head")
    }
    self.init(entries: entries)
  }
}

extension Contribution {
  func write(into writer: inout StateWriter) {
    switch self {
    case .none:
      writer.write(byte: 0)
    case .registration:
      writer.write(byte: 1)
    case .consultation(let eligible, let contraindications):
      writer.write(byte: 2)
      writer.write(bool: eligible)
      writer.write(count: contraindications.count)
      for code in contraindications { writer.write(string: code.rawValue) }
    case .consent(let scope, let given):
      writer.write(byte: 3)
      writer.write(string: scope.rawValue)
      writer.write(bool: given)
    case .coursePlanned(let courseId, let drug, let route, let phase):
      writer.write(byte: 4)
      writer.write(string: courseId)
      writer.write(string: drug.rawValue)
      writer.write(string: route.rawValue)
      writer.write(string: phase.rawValue)
    case .courseCompleted(let courseId):
      writer.write(byte: 5)
      writer.write(string: courseId)
    case .sessionStarted(let sessionId, let courseId, let weightKg):
      writer.write(byte: 6)
      writer.write(string: sessionId)
      writer.write(string: courseId)
      writer.write(double: weightKg)
    case .dose(let sessionId, let drug, let route):
      writer.write(byte: 7)
      writer.write(string: sessionId)
      writer.write(string: drug.rawValue)
      writer.write(string: route.rawValue)
    case .discharge(let sessionId):
      writer.write(byte: 8)
      writer.write(string: sessionId)
    case .followUpScheduled(let followUpId, let dueAt):
      writer.write(byte: 9)
      writer.write(string: followUpId)
      writer.write(double: dueAt.timeIntervalSinceReferenceDate)
    case .followUpCompleted(let followUpId):
      writer.write(byte: 10)
      writer.write(string: followUpId)
    }
  }

  init(reading reader: inout StateReader) throws(StateReader.Failure) {
    func value<E: RawRepresentable<String>>(_: E.Type) throws(StateReader.Failure) -> E {
      guard let value = E(rawValue: try reader.readString()) else {
        throw reader.failure("unknown code")
      }
      return value
    }
    switch try reader.readByte() {
    case 0: self = .none
    case 1: self = .registration
    case 2:
      let eligible = try reader.readBool()
      let count = try reader.readCount()
      var codes: [Contraindication] = []
      for _ in 0..<count { codes.append(try value(Contraindication.self)) }
      self = .consultation(eligible: eligible, contraindications: codes)
    case 3:
      let scope = try value(ConsentScope.self)
      self = .consent(scope: scope, given: try reader.readBool())
    case 4:
      let courseId = try reader.readString()
      let drug = try value(Drug.self)
      let route = try value(Route.self)
      self = .coursePlanned(
        courseId: courseId, drug: drug, route: route, phase: try value(CoursePhase.self))
    case 5: self = .courseCompleted(courseId: try reader.readString())
    case 6:
      let sessionId = try reader.readString()
      let courseId = try reader.readString()
      self = .sessionStarted(
        sessionId: sessionId, courseId: courseId, weightKg: try reader.readDouble())
    case 7:
      let sessionId = try reader.readString()
      let drug = try value(Drug.self)
      self = .dose(sessionId: sessionId, drug: drug, route: try value(Route.self))
    case 8: self = .discharge(sessionId: try reader.readString())
    case 9:
      let followUpId = try reader.readString()
      self = .followUpScheduled(
        followUpId: followUpId, dueAt: Date(timeIntervalSinceReferenceDate: try reader.readDouble())
      )
    case 10: self = .followUpCompleted(followUpId: try reader.readString())
    default: throw reader.failure("unknown contribution")
    }
  }
}
