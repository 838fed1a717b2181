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
    for entry in entries {
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
    for _ in 0..<count {
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
      entries.append(record)
    }
    try reader.expectEnd()
    self.init()
    self.entries = entries
    positions = Dictionary(
      entries.enumerated().map { ($0.element.eventId, $0.offset) }, uniquingKeysWith: { a, _ in a })
    facts = Self.derive(entries, positions: positions)
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
