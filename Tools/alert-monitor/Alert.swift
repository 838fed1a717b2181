import TreatmentLedger

/// One alert: an event whose stored flags include an alerting code, ready to print.
///
/// Which flags alert: every safety flag (`ClinicalLabels.isSafetyFlag`), because each needs a
/// clinician's attention now:
/// - every `vitals.*` flag: a vital sign outside the protocol's bands;
/// - `assessment.phq9.suicidalThoughts`: PHQ-9 item 9 scored 1 or more;
/// - `sideEffect.severe` and `sideEffect.serious`: a severe or serious adverse event;
/// - `infusion.stoppedEarly`: an infusion stopped before its planned end;
/// - `discharge.escort.absent`, `discharge.criteria.notMet` and
///   `discharge.esketamine.shortObservation`: a discharge that did not meet the protocol;
/// - the same codes on an `EntryCorrected`: a correction whose replacement is alarming (the store
///   judges the replacement as it judges an original entry and stores its flags).
///
/// Other flags (no escort arranged before the session, a late follow-up, a high dose) are stored
/// and shown in the timeline and course summary; they are not bedside alerts, so this service
/// ignores them.
///
/// The printed line names the patient's pseudonymous id, the session id, the event's type, id,
/// position and clinical time, and each flag's code and rule text. The rule text states the
/// protocol's threshold, never the patient's value; no other data value is ever printed.
struct Alert: Sendable, Equatable {
  /// The patient's pseudonymous id (the `<id>` of `patient-<id>`).
  var patientId: String
  /// The session the reading or side effect belongs to, when the event names one.
  var sessionId: String?
  /// The event's type.
  var type: String
  /// For a correction, the id of the event it corrects.
  var correctedEventId: String?
  /// The event's id.
  var eventId: String
  /// The event's global position.
  var position: UInt64
  /// Clinical time as the writer gave it.
  var occurredAt: String
  /// The alerting flags, in stored order.
  var flags: [ClinicalFlag]

  /// True for a flag code this service alerts on: the safety flags.
  static func alerts(code: String) -> Bool {
    ClinicalLabels.isSafetyFlag(code)
  }

  /// The alert for `event`, or nil when it has no alerting flag or is not in a patient stream.
  init?(_ event: RecordedEvent) {
    let prefix = ClinicalReviewer.patientStreamPrefix
    guard event.streamId.hasPrefix(prefix) else { return nil }
    let flags = event.flags.compactMap(Self.decodeFlag).filter { Self.alerts(code: $0.code) }
    guard !flags.isEmpty else { return nil }
    patientId = String(event.streamId.dropFirst(prefix.count))
    type = event.type
    eventId = event.eventId.uuidString.lowercased()
    position = event.globalPosition
    occurredAt = event.occurredAt
    self.flags = flags
    if event.type == EntryCorrected.eventType {
      correctedEventId = event.data["correctedEventId"]?.stringValue
      sessionId = event.data["replacement"]?["sessionId"]?.stringValue
    } else {
      correctedEventId = nil
      sessionId = event.data["sessionId"]?.stringValue
    }
  }

  /// The alert for a flagged event, or nil when none of its flags is an alerting one.
  init?(_ event: FlaggedEvent) {
    let flags = event.flags.filter { Self.alerts(code: $0.code) }
    guard !flags.isEmpty else { return nil }
    patientId = event.patientId
    type = event.type
    eventId = event.eventId.uuidString.lowercased()
    position = event.globalPosition
    occurredAt = event.occurredAt
    self.flags = flags
    correctedEventId = event.correctedEventId?.uuidString.lowercased()
    sessionId = event.sessionId
  }

  /// A stored flag (`{"code", "field", "rule", "protocolVersion"}`) as a ``ClinicalFlag``.
  static func decodeFlag(_ value: JSONValue) -> ClinicalFlag? {
    guard let code = value["code"]?.stringValue else { return nil }
    return ClinicalFlag(
      code: code, field: value["field"]?.stringValue ?? "", rule: value["rule"]?.stringValue ?? "",
      protocolVersion: value["protocolVersion"]?.stringValue ?? "")
  }

  /// `ALERT <occurredAt> patient <id> session <id> <Type>: <code> (<rule>); … [event <id> at
  /// position <n>]`, one line, without a newline.
  var line: String {
    var text = "ALERT \(Self.clean(occurredAt)) patient \(Self.clean(patientId))"
    if let sessionId { text += " session \(Self.clean(sessionId))" }
    text += " \(Self.clean(type))"
    if let correctedEventId { text += " of \(Self.clean(correctedEventId))" }
    text += ": "
    text += flags.map { "\(Self.clean($0.code)) (\(Self.clean($0.rule)))" }.joined(separator: "; ")
    text += " [event \(eventId) at position \(position)]"
    return text
  }

  /// Replaces control characters, so that stored text can never break the one-line format.
  static func clean(_ text: String) -> String {
    String(
      String.UnicodeScalarView(
        text.unicodeScalars.map { $0.properties.generalCategory == .control ? "?" : $0 }))
  }
}
