import Foundation
import LedgerTestSupport
import Testing

@testable import LedgerEventStore

@Suite struct EchoedNameTests {
  /// True when `text` holds no character that `EchoedName` must escape.
  private func isPrintable(_ text: String) -> Bool {
    !text.unicodeScalars.contains { EchoedName.needsEscape($0) }
  }

  @Test func controlAndFormatCharactersBecomeUEscapes() {
    #expect(EchoedName.escaped("heartRateBpm") == "heartRateBpm")
    #expect(EchoedName.escaped("dose\u{1B}[2J") == #"dose\u001b[2J"#)
    #expect(EchoedName.escaped("a\nb\r\tc\u{0}") == #"a\u000ab\u000d\u0009c\u0000"#)
    #expect(EchoedName.escaped("x\u{7F}\u{85}\u{9B}") == #"x\u007f\u0085\u009b"#)
    // Bidirectional overrides, zero-width characters, the line separator and a tag character.
    #expect(EchoedName.escaped("a\u{202E}b\u{200B}\u{2028}") == #"a\u202eb\u200b\u2028"#)
    #expect(EchoedName.escaped("t\u{E0041}") == #"t\udb40\udc41"#)
    // Other characters, accents and emoji included, are kept.
    #expect(EchoedName.escaped("poids_kg·é🙂") == "poids_kg·é🙂")
  }

  @Test func longNamesAreShortenedWithAMarker() {
    let huge = String(repeating: "x", count: 200_000)
    let shortened = EchoedName.escaped(huge)
    #expect(shortened == String(repeating: "x", count: 64) + "…")
    #expect(
      EchoedName.escaped(String(repeating: "y", count: 64)) == String(repeating: "y", count: 64))
    // Escapes count by their length: nine ESC characters make 54 scalars, the tenth would pass 64.
    let escapes = EchoedName.escaped(String(repeating: "\u{1B}", count: 200_000))
    #expect(escapes == String(repeating: #"\u001b"#, count: 10) + "…")
    #expect(isPrintable(escapes))
    // One grapheme of 200,000 combining marks is cut by scalars, not by characters.
    let combining = EchoedName.escaped("a" + String(repeating: "\u{301}", count: 200_000))
    #expect(combining.unicodeScalars.count == 65)
  }

  @Test func anUnknownEnvelopeFieldIsEchoedEscapedAndShort() {
    let names = [
      "evil\u{1B}]0;owned\u{7}", String(repeating: "\u{1B}[31m", count: 50_000),
      String(repeating: "n", count: 200_000),
    ]
    for name in names {
      let envelope =
        #"{"eventId":"3f1c9a52-7d0e-4b6a-9c3e-2a7b8d4e6f01","type":"NoteRecorded","#
        + #""occurredAt":"2026-11-23T09:30:00+01:00","data":{},"#
      for (line, prefix) in [
        (envelope + #""\#(jsonEscaped(name))":1}"#, "line 7: field '"),
        (envelope + #""recordedBy":{"\#(jsonEscaped(name))":1}}"#, "line 7: field 'recordedBy."),
      ] {
        do {
          _ = try InputLine.decode(Array(line.utf8), line: 7)
          Issue.record("an unknown field was accepted")
        } catch {
          let message = error.description
          #expect(message.hasPrefix(prefix), "\(message.prefix(80))")
          #expect(isPrintable(message), "\(message.prefix(80))")
          #expect(message.unicodeScalars.count < 140, "\(message.prefix(80))")
        }
      }
    }
  }

  @Test func anUnknownProjectionNameIsEchoedEscaped() {
    let error = EventStoreError.unknownProjection(
      name: "x\u{1B}[2J" + String(repeating: "z", count: 1_000))
    #expect(isPrintable(error.description))
    #expect(error.description.contains(#"x\u001b[2J"#) && error.description.count < 120)
  }
}

/// `text` as the inside of a JSON string (control characters as `\u` escapes).
func jsonEscaped(_ text: String) -> String {
  var result = ""
  for scalar in text.unicodeScalars {
    switch scalar {
    case "\"": result += "\\\""
    case "\\": result += "\\\\"
    case _ where scalar.value < 0x20:
      let hex = String(scalar.value, radix: 16)
      result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
    default: result.unicodeScalars.append(scalar)
    }
  }
  return result
}
