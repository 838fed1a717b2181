import Foundation
import LedgerFoundation

/// A patient timeline as text for people: one entry per line with its clinically important
/// fields first, wrapped to a width; corrections shown inline on the entry they correct with the
/// replacement values and who corrected it; voids marked; flags with their code and value.
///
/// ```swift
/// for line in TimelineText(width: 100).lines(timeline) { print(line) }
/// ```
public struct TimelineText: Sendable {
  /// Columns to wrap at; nil prints each entry on one line with every field (`--wide`).
  public var width: Int?

  /// Creates a renderer wrapping at `width` columns, or wide when nil.
  public init(width: Int?) {
    self.width = width
  }

  /// The header and one or more lines per entry.
  public func lines(_ timeline: PatientTimeline, asOf: String? = nil) -> [String] {
    let byId = Dictionary(
      timeline.entries.map { ($0.eventId, $0) }, uniquingKeysWith: { first, _ in first })
    var lines = [
      "Timeline of patient \(timeline.patientId): \(timeline.entries.count) entries"
        + (asOf.map { " as recorded by \($0)" } ?? ""),
      width == nil
        ? "Clinical times with their offsets; every field."
        : "Clinical times as written; --wide: offsets, all fields.",
      pad("when", width == nil ? 23 : 16) + "  " + pad("id", 8) + "  "
        + pad("what", Self.typeColumn) + "  details",
    ]
    for entry in timeline.entries {
      lines += self.entry(entry, byId: byId)
    }
    return lines
  }

  static let typeColumn = 14
  static let detailsColumn = 16 + 2 + 8 + 2 + typeColumn + 2

  func entry(_ entry: TimelineEntry, byId: [UUID: TimelineEntry]) -> [String] {
    let wide = width == nil
    var parts = EntryText.parts(type: entry.type, data: entry.data)
    if wide { parts += EntryText.secondaryParts(type: entry.type, data: entry.data) }
    parts.append(
      wide
        ? "by \(entry.recordedBy.name) (\(entry.recordedBy.role))" : "by \(entry.recordedBy.role)")
    if wide {
      parts.append("event \(entry.eventId.lowercasedString), recorded \(entry.recordedAt)")
    }
    var marks: [String] = []
    if entry.isVoided() { marks.append("[VOIDED]") }
    if let corrections = entry.correctedBy, !corrections.isEmpty { marks.append("[CORRECTED]") }
    let head =
      pad(EntryText.clinicalTime(entry.occurredAt, withOffset: wide), wide ? 23 : 16) + "  "
      + EntryText.shortId(entry.eventId.uuidString) + "  "
      + pad(ClinicalLabels.eventType(entry.type), Self.typeColumn) + "  "
    var lines = wrap(head, marks + parts)
    for correction in entry.correctedBy ?? [] {
      lines += wrap(indent, ["↳ " + correctionText(correction, of: entry, byId: byId)])
    }
    for void in entry.voidedBy ?? [] {
      lines += wrap(
        indent,
        [
          "✗ voided by \(EntryText.shortId(void.eventId.uuidString)) (\(void.recordedBy.name), "
            + "\(void.recordedBy.role)), recorded \(void.recordedAt): reason \(EntryText.quoted(void.reason))"
        ])
    }
    for flag in entry.flags {
      lines += wrap(indent, ["⚑ " + flagText(flag, type: entry.type, data: entry.data)])
    }
    return lines
  }

  /// `corrected by 3f2a1b4c (Jordan Example, RN, nurse), recorded …: HR 73 bpm (was 69); reason "…"`.
  func correctionText(
    _ correction: Supersession, of entry: TimelineEntry, byId: [UUID: TimelineEntry]
  ) -> String {
    var text =
      "corrected by \(EntryText.shortId(correction.eventId.uuidString)) (\(correction.recordedBy.name), "
      + "\(correction.recordedBy.role)), recorded \(correction.recordedAt)"
    if let replacement = byId[correction.eventId]?.data["replacement"] {
      let changes = Self.changes(from: entry.data, to: replacement)
      text += ": " + (changes.isEmpty ? "no field changed" : changes.joined(separator: ", "))
    }
    return text + "; reason \(EntryText.quoted(correction.reason))"
  }

  /// The fields that differ, as `HR 73 bpm (was 69)`, in the type's reading order.
  static func changes(from old: JSONValue, to new: JSONValue) -> [String] {
    guard case .object(let before) = old, case .object(let after) = new else { return [] }
    let keys = Set(before.keys).union(after.keys).sorted()
    return keys.compactMap { key in
      let previous = before[key]
      let next = after[key]
      guard previous != next else { return nil }
      guard let next else { return "\(ClinicalLabels.code(key)) removed" }
      let was = previous.map { " (was \(plain($0)))" } ?? " (was absent)"
      return EntryText.field(key, next) + was
    }
  }

  static func plain(_ value: JSONValue) -> String {
    value.numberValue.map { EntryText.number($0, digits: 4) } ?? EntryText.generic(value)
  }

  /// `vitals.spo2.low (low SpO2): SpO2 93 %`.
  func flagText(_ flag: JSONValue, type: String, data: JSONValue) -> String {
    let code = flag["code"]?.stringValue ?? "?"
    var text = "\(code) (\(ClinicalLabels.flag(code)))"
    if let field = flag["field"]?.stringValue, !field.isEmpty {
      let key = String(field.split(separator: ".").last ?? Substring(field))
      if let value = EntryText.value(at: field, in: data) {
        let shown =
          key.contains("[")
          ? "\(field) = \(Self.plain(value))"
          : field == key
            ? EntryText.part(type: type, key: key, data: data) ?? EntryText.field(key, value)
            : EntryText.field(key, value)
        text += ": " + shown
      }
    }
    return text
  }

  /// Continuation lines start under the details (7 columns further when wide: the offset).
  var indent: String { String(repeating: " ", count: Self.detailsColumn + (width == nil ? 7 : 0)) }

  /// `head` then `parts` joined by commas, wrapped to the width between parts (a part longer
  /// than a line is wrapped between words), continuation lines indented to the details column.
  /// Wide: one line.
  func wrap(_ head: String, _ parts: [String]) -> [String] {
    guard let width, width - Self.detailsColumn >= 20 else {
      return [head + parts.joined(separator: ", ")]
    }
    let room = width - Self.detailsColumn
    var lines: [String] = []
    var current = ""
    func add(_ piece: String, separator: String) {
      if current.isEmpty {
        current = piece
      } else if current.count + separator.count + piece.count <= room {
        current += separator + piece
      } else {
        lines.append(current)
        current = piece
      }
    }
    for (index, part) in parts.enumerated() {
      let text = part + (index < parts.count - 1 ? "," : "")
      if text.count <= room {
        add(text, separator: " ")
      } else {
        for word in text.split(separator: " ", omittingEmptySubsequences: false) {
          // A word longer than a line (a long code or id) is cut into pieces that fit.
          var rest = Substring(word)
          while rest.count > room {
            add(String(rest.prefix(room)), separator: " ")
            rest = rest.dropFirst(room)
          }
          add(String(rest), separator: " ")
        }
      }
    }
    lines.append(current)
    return lines.enumerated().map { ($0.offset == 0 ? head : indent) + $0.element }
  }

  func pad(_ text: String, _ length: Int) -> String {
    text.count >= length ? text : text + String(repeating: " ", count: length - text.count)
  }
}
