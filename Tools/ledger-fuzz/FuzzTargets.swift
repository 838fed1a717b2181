import Foundation
import LedgerEventStore
import LedgerFoundation
import TreatmentLedger

/// The fuzz targets. Each takes one input and returns normally whatever the bytes are; a crash, a
/// sanitizer report or a broken law (``FuzzTargets/violated(_:_:)``) is a finding.
///
/// Every target is deterministic: the same bytes always take the same path (no clock, no
/// randomness), so libFuzzer's coverage feedback and crash reproduction work.
enum FuzzTarget: String, CaseIterable, Sendable {
  /// One NDJSON import line: envelope, payload and clinical validation against realistic states.
  case input
  /// One payload for the event type chosen by the first byte.
  case decode
  /// JSON parsing and RFC 8785 canonical bytes: parse(canonical(v)) == v, and parse agrees with
  /// Foundation's JSONDecoder.
  case canonical
  /// One stored log value (version byte, hash, canonical envelope), as a damaged or tampered
  /// store would hand it to reads and `verify`.
  case record

  /// One line for `--help`.
  var summary: String {
    switch self {
    case .input:
      "InputLine.decode, then ClinicalEvent.decode and PatientDecisionState.validate"
    case .decode:
      "ClinicalEvent.decode(type: allTypes[byte0 % 16], schemaVersion: 1, json: rest); from 0xF0, InventoryEvent.decode"
    case .canonical: "JSONValue.parse and canonicalBytes round trip, against JSONDecoder"
    case .record: "RecordCodec.decode of a stored log value; encode(decode(v)) == v"
    }
  }

  /// Runs the target on one input.
  func run(_ bytes: Data) {
    switch self {
    case .input: FuzzTargets.input(bytes)
    case .decode: FuzzTargets.decode(bytes)
    case .canonical: FuzzTargets.canonical(bytes)
    case .record: FuzzTargets.record(bytes)
    }
  }
}

enum FuzzTargets {
  /// Stops the process with a message libFuzzer shows beside the stack; the input is then saved
  /// as a crash. The message names the law, never the input's content.
  static func violated(_ target: FuzzTarget, _ law: String) -> Never {
    fatalError("ledger-fuzz \(target.rawValue): law violated: \(law)")
  }

  // MARK: input

  /// `InputLine.decode` as `import` calls it, then what the clinical reviewer does with a decoded
  /// event: `ClinicalTime`, `ClinicalEvent.decode` of the payload's canonical bytes, and
  /// `validate` against every prefix state of the example stream (empty to complete). For the
  /// prefix chosen by the input's length, an accepted event is also applied and two laws of
  /// `PatientDecisionState` are checked: applying one event equals folding the stream from
  /// scratch, and the state survives its binary encoding (as the reviewer stores it) and its
  /// JSON encoding (as earlier versions stored it). The payload decoded from the parsed value
  /// (the reviewer's fast path) must equal the payload decoded from its canonical bytes.
  static func input(_ bytes: Data) {
    guard let (stream, event) = try? InputLine.decode(bytes, line: 1) else { return }
    if let stream { _ = PatientDecisionState.patientId(fromStream: stream) }
    guard let occurredAt = ClinicalTime(event.occurredAt),
      let clinical = try? ClinicalEvent.decode(
        type: event.type, schemaVersion: event.schemaVersion,
        json: Data(event.data.canonicalBytes))
    else { return }
    let fromValue = try? ClinicalEvent.decode(
      type: event.type, schemaVersion: event.schemaVersion, value: event.data)
    if fromValue != clinical {
      violated(.input, "decode(value:) != decode(json: canonicalBytes)")
    }
    guard let examples = ExampleFixture.shared else { return }
    let chosen = bytes.count % examples.states.count
    for (prefix, state) in examples.states.enumerated() {
      let flags = try? state.validate(
        clinical, eventId: event.eventId, occurredAt: occurredAt, now: ExampleFixture.now,
        protocol: examples.clinicalProtocol,
        otherStreamHasEvent: { id in id.uuid.15 & 1 == 1 })
      guard flags != nil, prefix == chosen else { continue }
      let next = state.applying(clinical, eventId: event.eventId, occurredAt: occurredAt)
      let events = examples.events[..<prefix].map {
        (event: $0.clinical, eventId: $0.eventId, occurredAt: $0.occurredAt)
      }
      let folded = PatientDecisionState.fold(
        events + [(event: clinical, eventId: event.eventId, occurredAt: occurredAt)])
      if folded != next { violated(.input, "applying(event) != fold(stream + event)") }
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys]
      guard let stored = try? encoder.encode(next) else {
        violated(.input, "a decision state does not encode")
      }
      guard let reloaded = try? JSONDecoder().decode(PatientDecisionState.self, from: stored)
      else { violated(.input, "a decision state does not decode from its own JSON") }
      if reloaded != next { violated(.input, "decode(encode(state)) != state") }
      guard let binary = try? PatientDecisionState(binary: next.binaryEncoded()) else {
        violated(.input, "a decision state does not decode from its own binary form")
      }
      if binary != next { violated(.input, "init(binary: binaryEncoded()) != state") }
    }
  }

  // MARK: decode

  /// `ClinicalEvent.decode` for the type `allTypes[first byte % 16]` and the remaining bytes as
  /// the payload. A payload that decodes must survive `jsonData()`: decoding what it encodes to
  /// gives the same event.
  static func decode(_ bytes: Data) {
    guard let selector = bytes.first else { return }
    if selector >= 0xF0 {
      decodeInventory(bytes)
      return
    }
    let types = ClinicalEvent.allTypes
    let type = types[Int(selector) % types.count].type
    let json = Data(bytes.dropFirst())
    guard let event = try? ClinicalEvent.decode(type: type, schemaVersion: 1, json: json) else {
      return
    }
    guard let encoded = try? event.jsonData() else {
      violated(.decode, "a decoded \(type) does not encode (jsonData)")
    }
    guard let again = try? ClinicalEvent.decode(type: type, schemaVersion: 1, json: encoded) else {
      violated(.decode, "jsonData() of a decoded \(type) does not decode")
    }
    if again != event { violated(.decode, "decode(jsonData(e)) != e for \(type)") }
  }

  /// A first byte of 0xF0 or more selects a controlled-substance type
  /// (`InventoryEvent.allTypes[(byte0 − 0xF0) % 7]`): a payload that decodes must write JSON that
  /// decodes to the same event.
  static func decodeInventory(_ bytes: Data) {
    guard let selector = bytes.first, let value = try? JSONValue.parse(bytes.dropFirst()) else {
      return
    }
    let types = InventoryEvent.allTypes
    let type = types[Int(selector - 0xF0) % types.count].type
    guard let event = try? InventoryEvent.decode(type: type, schemaVersion: 1, value: value) else {
      return
    }
    guard let again = try? InventoryEvent.decode(type: type, schemaVersion: 1, value: event.json)
    else {
      violated(.decode, "the JSON of a decoded \(type) does not decode")
    }
    if again != event { violated(.decode, "decode(json(e)) != e for \(type)") }
  }

  // MARK: canonical

  /// `JSONValue.parse`, then RFC 8785 canonical bytes: they must parse back to an equal value and
  /// be a fixed point (canonical(parse(canonical(v))) == canonical(v)). The round trip cannot see
  /// a number parsed to the wrong double, so the parse is also compared with Foundation's
  /// `JSONDecoder` (an independent parser): where both accept the document, the values are equal.
  /// (`JSONValue.parse` is the stricter one: duplicate names, lone surrogates, a byte order mark or
  /// deep nesting are refused by it alone, which is not a finding.)
  static func canonical(_ bytes: Data) {
    guard let value = try? JSONValue.parse(bytes) else { return }
    if let reference = try? JSONDecoder().decode(JSONValue.self, from: bytes), reference != value {
      violated(.canonical, "JSONValue.parse(d) != JSONDecoder's reading of d")
    }
    let canonical = value.canonicalBytes
    guard let reparsed = try? JSONValue.parse(canonical) else {
      violated(.canonical, "canonical bytes do not parse")
    }
    if reparsed != value { violated(.canonical, "parse(canonical(v)) != v") }
    if reparsed.canonicalBytes != canonical {
      violated(.canonical, "canonical(parse(canonical(v))) != canonical(v)")
    }
  }
}

extension FuzzTargets {
  // MARK: record

  /// `RecordCodec.decode`, which every read and `verify` applies to the bytes stored in the log:
  /// whatever they are, it returns an event or throws `.corruptRecord` naming the position. A
  /// value that decodes must be exactly the encoding of what it decoded to (version byte, the
  /// hash, the canonical bytes), so nothing in a stored value is silently dropped.
  static func record(_ bytes: Data) {
    let value = [UInt8](bytes)
    let decoded: RecordedEvent
    do { decoded = try RecordCodec.decode(position: 7, value) } catch {
      guard case .corruptRecord(let position, _) = error, position == 7 else {
        violated(.record, "a malformed record is not reported as corruptRecord at its position")
      }
      return
    }
    if RecordCodec.encode(hash: decoded.hash, canonical: decoded.canonicalBytes) != value {
      violated(.record, "encode(decode(v)) != v")
    }
  }
}

/// The example stream decoded once: its events and the decision state after each prefix.
struct ExampleFixture: Sendable {
  struct Event: Sendable {
    var eventId: UUID
    var clinical: ClinicalEvent
    var occurredAt: ClinicalTime
  }

  /// The "current time" of every validation: after the last example, so the examples are neither
  /// in the future nor judged against the real clock (which would make runs differ).
  static let now = Date(timeIntervalSince1970: 1_796_083_200)  // 2026-12-01T00:00:00Z

  /// Built on first use; nil when the examples do not decode or validate. The driver and
  /// `smoke` refuse to run then (``check()`` says why), so no input is ever run without them.
  static let shared: ExampleFixture? = try? ExampleFixture()

  let clinicalProtocol = ClinicalProtocol()
  /// The decoded examples, in stream order.
  let events: [Event]
  /// `states[k]`: the state after the first `k` examples (`states[0]` is a new stream).
  let states: [PatientDecisionState]

  struct FixtureProblem: Error {
    var message: String
  }

  /// Decodes and validates every example line as the reviewer would.
  init() throws(FixtureProblem) {
    var events: [Event] = []
    var states = [PatientDecisionState()]
    let lines = ExampleStream.ndjson.split(separator: "\n", omittingEmptySubsequences: true)
    for (index, line) in lines.enumerated() {
      let number = index + 1
      let event: ProposedEvent
      do { event = try InputLine.decode(Array(line.utf8), line: number).event } catch {
        throw FixtureProblem(message: "example \(error)")
      }
      guard let occurredAt = ClinicalTime(event.occurredAt) else {
        throw FixtureProblem(message: "example line \(number): occurredAt is not a clinical time")
      }
      let clinical: ClinicalEvent
      let state = states[states.count - 1]
      do {
        clinical = try ClinicalEvent.decode(
          type: event.type, schemaVersion: event.schemaVersion,
          json: Data(event.data.canonicalBytes))
        _ = try state.validate(
          clinical, eventId: event.eventId, occurredAt: occurredAt, now: Self.now,
          protocol: clinicalProtocol, otherStreamHasEvent: { _ in false })
      } catch {
        throw FixtureProblem(
          message:
            "example line \(number) (\(event.type)) is refused: \(error.field) \(error.rule)")
      }
      events.append(Event(eventId: event.eventId, clinical: clinical, occurredAt: occurredAt))
      states.append(state.applying(clinical, eventId: event.eventId, occurredAt: occurredAt))
    }
    guard events.count == ClinicalEvent.allTypes.count else {
      throw FixtureProblem(
        message: "expected one example per event type, found \(events.count) lines")
    }
    self.events = events
    self.states = states
  }

  /// Nil when the embedded examples decode and validate, else what is wrong.
  static func check() -> String? {
    do {
      _ = try ExampleFixture()
      return nil
    } catch {
      return error.message
    }
  }
}
