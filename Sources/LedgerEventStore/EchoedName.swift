/// Makes a name taken from input (a JSON member name, a stream or projection name, an option's
/// value) safe to repeat in an error message or a log line.
///
/// Every name that comes from input and reaches a message goes through ``escaped(_:)``: a name is
/// never repeated verbatim, so a terminal control sequence cannot act on the operator's terminal
/// and a 200,000-character name cannot flood a log.
///
/// ```swift
/// EchoedName.escaped("dose\u{1B}[2J")  // "dose\u001b[2J" (the escape as six visible characters)
/// ```
package enum EchoedName {
  /// The most Unicode scalars an echoed name keeps, counting each escape by its length.
  package static let maximumScalars = 64
  /// Appended when a name was shortened.
  package static let truncationMarker = "…"

  /// `name` with control, format and line-separator characters written as `\uXXXX` escapes (JSON
  /// style, lowercase hex, a surrogate pair above U+FFFF), shortened to at most
  /// ``maximumScalars`` scalars followed by ``truncationMarker``. Reads at most about
  /// ``maximumScalars`` scalars of `name`, so its cost does not depend on the name's length.
  package static func escaped(_ name: some StringProtocol) -> String {
    var result = String.UnicodeScalarView()
    var length = 0
    for scalar in name.unicodeScalars {
      let piece = needsEscape(scalar) ? escape(scalar) : [scalar]
      guard length + piece.count <= maximumScalars else {
        return String(result) + truncationMarker
      }
      result.append(contentsOf: piece)
      length += piece.count
    }
    return String(result)
  }

  /// True for a scalar that must not reach a terminal or a log as itself: C0 and C1 controls,
  /// DEL, format characters (bidirectional overrides, zero-width characters) and the Unicode line
  /// and paragraph separators.
  static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.properties.generalCategory {
    case .control, .format, .lineSeparator, .paragraphSeparator: return true
    default: return false
    }
  }

  /// `\uXXXX` (or a surrogate pair of them) as scalars.
  static func escape(_ scalar: Unicode.Scalar) -> [Unicode.Scalar] {
    func hex(_ unit: UInt32) -> [Unicode.Scalar] {
      let digits = String(unit, radix: 16)
      let text = "\\u" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
      return Array(text.unicodeScalars)
    }
    let value = scalar.value
    guard value > 0xFFFF else { return hex(value) }
    let offset = value - 0x1_0000
    return hex(0xD800 + (offset >> 10)) + hex(0xDC00 + (offset & 0x3FF))
  }
}
