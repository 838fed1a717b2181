import Foundation
import LedgerTestSupport

/// One command line shown in a code block of the documentation, exactly as written (continuation
/// lines included, joined by line feeds).
struct DocumentedCommandLine: Hashable, Sendable {
  /// The document, relative to the repository's root.
  var file: String
  /// The command line.
  var text: String
}

/// Finds every command line in the code blocks of README.md, BENCHMARKS.md, docs/*.md and the
/// DocC articles.
///
/// A code block with a `$ ` prompt is a terminal transcript: its commands are the prompted lines
/// (the rest is output). A block without prompts holds commands when it is marked `sh`, `bash`,
/// `shell` or `console`, or when it is unmarked and its first line starts with one of
/// ``commandWords`` (unmarked blocks also show output, formulas and file formats). A line ending in
/// `\` or inside an open quote continues on the next line; comment lines are skipped.
enum DocumentedCommandLines {
  /// The words that start a command in an unmarked block.
  static let commandWords = [
    "treatment-ledger ", "swift ", "python3 ", ".build", "Tools/", "mdb_", "bash ",
  ]

  /// The documents searched, relative to the repository's root.
  static func documents() throws -> [String] {
    let root = RepositoryPaths.root
    let docs = try FileManager.default.contentsOfDirectory(atPath: root + "/docs")
      .filter { $0.hasSuffix(".md") }.sorted().map { "docs/" + $0 }
    let doccPath = "Sources/TreatmentLedger/TreatmentLedger.docc"
    let docc = try FileManager.default.contentsOfDirectory(atPath: root + "/" + doccPath)
      .filter { $0.hasSuffix(".md") }.sorted().map { doccPath + "/" + $0 }
    return ["README.md", "BENCHMARKS.md"] + docs + docc
  }

  /// Every command line of every document, in document order.
  static func all() throws -> [DocumentedCommandLine] {
    try documents().flatMap { file in
      let text = try String(contentsOfFile: RepositoryPaths.root + "/" + file, encoding: .utf8)
      return commands(in: text).map { DocumentedCommandLine(file: file, text: $0) }
    }
  }

  /// The command lines of the code blocks of one Markdown text.
  static func commands(in markdown: String) -> [String] {
    codeBlocks(in: markdown).flatMap { block -> [String] in
      let prompted = block.lines.contains { $0.hasPrefix("$ ") }
      if prompted { return commandLines(block.lines, prompted: true) }
      let marked = ["sh", "bash", "shell", "console"].contains(block.language)
      let first = block.lines.first { !$0.trimmingCharacters(in: .whitespaces).isEmpty } ?? ""
      guard marked || (block.language.isEmpty && commandWords.contains { first.hasPrefix($0) })
      else { return [] }
      return commandLines(block.lines, prompted: false)
    }
  }

  struct CodeBlock {
    var language: String
    var lines: [String]
  }

  /// Fenced code blocks, their lines without the fence's indentation.
  static func codeBlocks(in markdown: String) -> [CodeBlock] {
    let lines = markdown.components(separatedBy: "\n")
    var blocks: [CodeBlock] = []
    var index = 0
    while index < lines.count {
      let line = lines[index]
      let trimmed = line.drop { $0 == " " }
      index += 1
      guard trimmed.hasPrefix("```") else { continue }
      let indent = line.count - trimmed.count
      let language = String(trimmed.dropFirst(3)).trimmingCharacters(in: .whitespaces)
      var body: [String] = []
      while index < lines.count, !lines[index].drop(while: { $0 == " " }).hasPrefix("```") {
        body.append(String(lines[index].dropFirst(min(indent, leadingSpaces(lines[index])))))
        index += 1
      }
      index += 1  // the closing fence
      blocks.append(CodeBlock(language: language, lines: body))
    }
    return blocks
  }

  static func leadingSpaces(_ line: String) -> Int { line.prefix { $0 == " " }.count }

  /// The commands of a block's lines: prompted lines (without `$ `) or every line that is not
  /// blank or a comment, each with its continuation lines.
  static func commandLines(_ lines: [String], prompted: Bool) -> [String] {
    var commands: [String] = []
    var index = 0
    while index < lines.count {
      var command = lines[index]
      index += 1
      if prompted {
        guard command.hasPrefix("$ ") else { continue }
        command.removeFirst(2)
      } else {
        let trimmed = command.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
      }
      while (command.hasSuffix("\\") || hasOpenQuote(command)) && index < lines.count {
        command += "\n" + lines[index]
        index += 1
      }
      commands.append(command)
    }
    return commands
  }

  /// True when `text` ends inside a single- or double-quoted shell string.
  static func hasOpenQuote(_ text: String) -> Bool {
    var quote: Character?
    var escaped = false
    for character in text {
      if escaped {
        escaped = false
      } else if character == "\\" && quote != "'" {
        escaped = true
      } else if let open = quote {
        if character == open { quote = nil }
      } else if character == "'" || character == "\"" {
        quote = character
      }
    }
    return quote != nil
  }
}
