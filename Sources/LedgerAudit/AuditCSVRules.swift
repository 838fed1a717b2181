import LedgerFoundation

/// The rules that render an event's cells in `events.csv`: the readable `data` column and the
/// formula guard. They changed once, with the export format, and a verifier checks each export by
/// the rules of its manifest's `format` (docs/AUDIT.md 2.2).
public enum AuditCSVRules: Sendable, Hashable, CaseIterable {
  /// `treatment-ledger-audit-1`: member names and string values as they are (so different
  /// payloads could render alike), a cut after exactly 16,000 Unicode scalars (which could split
  /// a character), and a `'` before a cell that begins with `=`, `+`, `-`, `@`, a tab or CR
  /// (whose reverse rule could not tell a guarded cell from a stored value beginning with `'=`).
  case audit1
  /// `treatment-ledger-audit-2`: in member names `\`, `.`, `[`, `]`, `=` and `;` are escaped with
  /// a `\`, in string values `\` and `;`; a cut is moved back to a character boundary
  /// (``AuditCSV/cutPoint(_:limit:)``); the guard also puts a `'` before a cell that begins with
  /// `'`, so one leading `'` is always the guard's and dropping it gives the stored value.
  case audit2

  /// The rules this build writes.
  public static let current = AuditCSVRules.audit2

  /// The rules of an export format, or nil for a format this build does not read
  /// (`treatment-ledger-audit-3` renders by the `audit2` rules).
  public init?(format: String) {
    switch format {
    case "treatment-ledger-audit-1": self = .audit1
    case "treatment-ledger-audit-2", "treatment-ledger-audit-3": self = .audit2
    default: return nil
    }
  }

  /// The export format whose files are rendered by these rules.
  public var format: String {
    switch self {
    case .audit1: return "treatment-ledger-audit-1"
    case .audit2: return "treatment-ledger-audit-2"
    }
  }
}

extension AuditCSV {
  /// The readable rendering of an event's `data`: each leaf as `path=value`, joined by `; `.
  ///
  /// Object members come in RFC 8785 order (by UTF-16 code units), paths join names with `.` and
  /// array indexes as `[i]`; strings appear as themselves, numbers as in the canonical JSON,
  /// `true`, `false`, `null`; an empty object or array is `path={}` / `path=[]`, and an empty
  /// payload is `{}`. Under ``AuditCSVRules/audit2`` a member name's `\`, `.`, `[`, `]`, `=`, `;`
  /// and a string value's `\` and `;` are preceded by `\`. A summary longer than
  /// ``maximumSummaryScalars`` is cut (at a character boundary under `audit2`) and ends with
  /// ``truncationMarker``.
  ///
  /// `{"doseMg":35,"route":"iv","trials":[{"drug":"sertraline"}]}` gives
  /// `doseMg=35; route=iv; trials[0].drug=sertraline`.
  public static func dataSummary(_ data: JSONValue, rules: AuditCSVRules = .current) -> String {
    var parts: [String] = []
    flatten(data, path: "", rules: rules, into: &parts)
    let text = parts.joined(separator: "; ")
    let scalars = Array(text.unicodeScalars)
    guard scalars.count > maximumSummaryScalars else { return text }
    let cut =
      rules == .audit1 ? maximumSummaryScalars : cutPoint(scalars, limit: maximumSummaryScalars)
    var kept = String.UnicodeScalarView()
    kept.append(contentsOf: scalars[..<cut])
    return String(kept) + truncationMarker
  }

  /// Where a text of `scalars` longer than `limit` is cut: `limit`, moved back while the scalar
  /// at the cut continues the character before it (``continuesCharacter(_:at:)``), so no
  /// character loses a mark, joiner, variation selector, skin tone, tag or flag half.
  public static func cutPoint(_ scalars: [Unicode.Scalar], limit: Int) -> Int {
    var cut = min(limit, scalars.count)
    while cut > 0 && cut < scalars.count && continuesCharacter(scalars, at: cut) { cut -= 1 }
    return cut
  }

  /// True when `scalars[index]` belongs to the character of the scalar before it: a mark
  /// (general category Mn, Mc or Me), U+200D ZERO WIDTH JOINER or any scalar right after one,
  /// a variation selector (U+FE00–U+FE0F), an emoji modifier (U+1F3FB–U+1F3FF), a tag
  /// (U+E0020–U+E007F), the LF of CR LF, or the second regional indicator (U+1F1E6–U+1F1FF) of
  /// a pair. A simplification of Unicode's extended grapheme clusters that both verifiers
  /// implement alike (docs/AUDIT.md 2.2).
  public static func continuesCharacter(_ scalars: [Unicode.Scalar], at index: Int) -> Bool {
    guard index > 0 && index < scalars.count else { return false }
    let scalar = scalars[index]
    switch scalar.properties.generalCategory {
    case .nonspacingMark, .spacingMark, .enclosingMark: return true
    default: break
    }
    let value = scalar.value
    let previous = scalars[index - 1].value
    if value == 0x200D || previous == 0x200D { return true }
    if (0xFE00...0xFE0F).contains(value) || (0x1F3FB...0x1F3FF).contains(value)
      || (0xE0020...0xE007F).contains(value)
    {
      return true
    }
    if value == 0x0A && previous == 0x0D { return true }
    guard isRegionalIndicator(value) else { return false }
    var before = 0
    var position = index - 1
    while position >= 0 && isRegionalIndicator(scalars[position].value) {
      before += 1
      position -= 1
    }
    return before % 2 == 1
  }

  private static func isRegionalIndicator(_ value: UInt32) -> Bool {
    (0x1F1E6...0x1F1FF).contains(value)
  }

  private static func flatten(
    _ value: JSONValue, path: String, rules: AuditCSVRules, into parts: inout [String]
  ) {
    switch value {
    case .object(let members):
      if members.isEmpty {
        parts.append(path.isEmpty ? "{}" : path + "={}")
        return
      }
      for key in members.keys.sorted(by: { $0.utf16.lexicographicallyPrecedes($1.utf16) }) {
        if let member = members[key] {
          let name = rules == .audit1 ? key : escape(key, special: "\\.[]=;")
          flatten(member, path: path.isEmpty ? name : path + "." + name, rules: rules, into: &parts)
        }
      }
    case .array(let values):
      if values.isEmpty {
        parts.append(path.isEmpty ? "[]" : path + "=[]")
        return
      }
      for (index, element) in values.enumerated() {
        flatten(element, path: path + "[\(index)]", rules: rules, into: &parts)
      }
    case .string(let text):
      parts.append(path + "=" + (rules == .audit1 ? text : escape(text, special: "\\;")))
    case .number, .bool, .null:
      parts.append(path + "=" + String(decoding: value.canonicalBytes, as: UTF8.self))
    }
  }

  /// `text` with a `\` before each of the `special` characters.
  private static func escape(_ text: String, special: String) -> String {
    guard text.unicodeScalars.contains(where: { special.unicodeScalars.contains($0) }) else {
      return text
    }
    var out = String.UnicodeScalarView()
    for scalar in text.unicodeScalars {
      if special.unicodeScalars.contains(scalar) { out.append("\\") }
      out.append(scalar)
    }
    return String(out)
  }

  /// Prefixes `'` to a cell that a spreadsheet would otherwise read as a formula: one that begins
  /// with `=`, `+`, `-`, `@`, a tab or CR, and under ``AuditCSVRules/audit2`` also one that begins
  /// with `'`.
  public static func guardFormula(_ cell: String, rules: AuditCSVRules = .current) -> String {
    guard let first = cell.unicodeScalars.first else { return cell }
    switch first {
    case "=", "+", "-", "@", "\t", "\r": return "'" + cell
    case "'" where rules == .audit2: return "'" + cell
    default: return cell
    }
  }

  /// The cell before ``guardFormula(_:rules:)``: under ``AuditCSVRules/audit2`` without its one
  /// leading `'`; under `audit1` without a leading `'` followed by a guarded character.
  public static func unguard(_ cell: String, rules: AuditCSVRules = .current) -> String {
    // By scalars: a `'` followed by a combining mark is one Character, not a prefix.
    guard cell.unicodeScalars.first == "'" else { return cell }
    let rest = String(String.UnicodeScalarView(cell.unicodeScalars.dropFirst()))
    switch rules {
    case .audit2: return rest
    case .audit1: return guardFormula(rest, rules: .audit1) == cell ? rest : cell
    }
  }
}
