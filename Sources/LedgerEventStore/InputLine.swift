import Foundation
import LedgerFoundation

/// Decodes the NDJSON input format writers and tools use:
/// `{"eventId", "type", "streamId"?, "schemaVersion"?, "occurredAt", "recordedBy": {"id", "name",
/// "role"}, "data": {...}, "correlationId"?, "causationId"?}`.
///
/// Errors name the line number and the field, never a value.
public enum InputLine {
  /// An input line's problem.
  public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
    /// 1-based line number.
    public var line: Int
    /// The field at fault (`-` for the line as a whole).
    public var field: String
    /// What is wrong.
    public var reason: String

    /// Creates a problem report.
    public init(line: Int, field: String, reason: String) {
      self.line = line
      self.field = field
      self.reason = reason
    }

    /// `line N: field 'F' reason`.
    public var description: String {
      field == "-" ? "line \(line): \(reason)" : "line \(line): field '\(field)' \(reason)"
    }
  }

  static let knownFields: Set<String> = [
    "eventId", "type", "streamId", "schemaVersion", "occurredAt", "recordedBy", "data",
    "correlationId", "causationId",
  ]

  /// Decodes one line into the event and the stream it names (nil when it names none).
  public static func decode(
    _ bytes: some DataProtocol, line: Int
  ) throws(Problem) -> (stream: String?, event: ProposedEvent) {
    let value: JSONValue
    do { value = try JSONValue.parse(bytes) } catch {
      throw Problem(line: line, field: "-", reason: error.description)
    }
    guard case .object(let members) = value else {
      throw Problem(line: line, field: "-", reason: "is not a JSON object")
    }
    let fields = Fields(line: line, members: members)
    try fields.refuseUnknownNames()
    guard let eventId = try fields.uuid("eventId") else {
      throw Problem(line: line, field: "eventId", reason: "is missing")
    }
    let type = try fields.string("type")
    let stream = try fields.streamId()
    let schemaVersion = try fields.schemaVersion()
    let occurredAt = try fields.string("occurredAt")
    let recordedBy = try fields.recordedBy()
    guard let data = members["data"] else {
      throw Problem(line: line, field: "data", reason: "is missing")
    }
    let event = ProposedEvent(
      eventId: eventId, type: type, schemaVersion: schemaVersion, occurredAt: occurredAt,
      recordedBy: recordedBy, data: data, correlationId: try fields.uuid("correlationId"),
      causationId: try fields.uuid("causationId"))
    do { try EventStore.checkEnvelope(event, index: line - 1) } catch {
      if case .invalidEvent(_, _, let field, let reason) = error {
        throw Problem(line: line, field: field, reason: reason)
      }
      throw Problem(line: line, field: "-", reason: error.description)
    }
    return (stream, event)
  }

  /// The members of one line's object, read with problems that name the line and the field.
  private struct Fields {
    let line: Int
    let members: [String: JSONValue]

    /// Refuses the first member (in name order) that is not an envelope field.
    func refuseUnknownNames() throws(Problem) {
      if let unknown = members.keys.sorted().first(where: { !knownFields.contains($0) }) {
        throw Problem(
          line: line, field: EchoedName.escaped(unknown), reason: "is not an envelope field")
      }
    }

    /// The string member `field` of `object` (the line's object when nil), named `path` in a
    /// problem.
    func string(
      _ field: String, in object: [String: JSONValue]? = nil, path: String? = nil
    ) throws(Problem) -> String {
      guard let member = (object ?? members)[field] else {
        throw Problem(line: line, field: path ?? field, reason: "is missing")
      }
      guard case .string(let text) = member else {
        throw Problem(line: line, field: path ?? field, reason: "must be a string")
      }
      return text
    }

    /// The UUID member `field`, nil when absent.
    func uuid(_ field: String) throws(Problem) -> UUID? {
      guard members[field] != nil else { return nil }
      guard let id = UUID(uuidString: try string(field)) else {
        throw Problem(line: line, field: field, reason: "must be a UUID")
      }
      return id
    }

    /// The stream named by `streamId`, nil when absent.
    func streamId() throws(Problem) -> String? {
      guard members["streamId"] != nil else { return nil }
      let stream = try string("streamId")
      do { try StreamNames.validate(stream) } catch {
        if case .invalidStreamName(let reason) = error {
          throw Problem(
            line: line, field: "streamId", reason: "is not a valid stream name: \(reason)")
        }
      }
      return stream
    }

    /// `schemaVersion`, 1 when absent.
    func schemaVersion() throws(Problem) -> Int {
      guard let version = members["schemaVersion"] else { return 1 }
      guard case .number(let number) = version, number == number.rounded(), number >= 1,
        number <= 1_000
      else {
        throw Problem(
          line: line, field: "schemaVersion", reason: "must be an integer from 1 to 1000")
      }
      return Int(number)
    }

    /// The `recordedBy` object.
    func recordedBy() throws(Problem) -> Recorder {
      guard case .object(let recorder)? = members["recordedBy"] else {
        throw Problem(
          line: line, field: "recordedBy",
          reason: members["recordedBy"] == nil ? "is missing" : "must be an object")
      }
      if let unknown = recorder.keys.sorted().first(where: { !["id", "name", "role"].contains($0) })
      {
        throw Problem(
          line: line, field: "recordedBy." + EchoedName.escaped(unknown),
          reason: "is not a recordedBy field")
      }
      return Recorder(
        id: try string("id", in: recorder, path: "recordedBy.id"),
        name: try string("name", in: recorder, path: "recordedBy.name"),
        role: try string("role", in: recorder, path: "recordedBy.role"))
    }
  }
}
