import Foundation
import LedgerTestSupport
import Testing

/// Every Swift snippet of README.md, docs/*.md and every DocC catalogue is compiled and run: its
/// text must be in the `EmbeddingExamples` target (built with the package), and that program,
/// which calls each snippet against real stores, must succeed.
@Suite("documentation snippets")
struct DocumentationSnippetTests {
  /// The Markdown files whose Swift snippets are checked.
  static func documents() throws -> [String] {
    let root = RepositoryPaths.root
    let modules = try FileManager.default.contentsOfDirectory(atPath: root + "/Sources").sorted()
    let catalogues = try modules.flatMap { module in
      try FileManager.default.contentsOfDirectory(atPath: root + "/Sources/" + module)
        .filter { $0.hasSuffix(".docc") }.map { "Sources/\(module)/\($0)" }
    }
    let folders = ["docs"] + catalogues
    var files = ["README.md"]
    for folder in folders {
      let names = try FileManager.default.contentsOfDirectory(atPath: root + "/" + folder)
      files += names.filter { $0.hasSuffix(".md") }.sorted().map { folder + "/" + $0 }
    }
    return files
  }

  /// The ```swift blocks of a Markdown text, each as its lines.
  static func swiftBlocks(_ text: String) -> [[String]] {
    var blocks: [[String]] = []
    var current: [String]?
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      if current == nil, line.hasPrefix("```swift") {
        current = []
      } else if current != nil, line.hasPrefix("```") {
        blocks.append(current ?? [])
        current = nil
      } else {
        current?.append(String(line))
      }
    }
    return blocks
  }

  /// Lines compared: trimmed, without blank lines and `import` lines (the examples gather
  /// imports at the top of each file).
  static func normalized(_ lines: [String]) -> [String] {
    lines.map { $0.trimmingCharacters(in: .whitespaces) }
      .filter { !$0.isEmpty && !$0.hasPrefix("import ") }
  }

  static func contains(_ haystack: [String], _ needle: [String]) -> Bool {
    guard !needle.isEmpty else { return true }
    guard haystack.count >= needle.count else { return false }
    return (0...(haystack.count - needle.count)).contains {
      Array(haystack[$0..<($0 + needle.count)]) == needle
    }
  }

  @Test func everySnippetIsInTheExamplesTarget() throws {
    let root = RepositoryPaths.root
    let folder = root + "/Tools/embedding-examples"
    let sources = try FileManager.default.contentsOfDirectory(atPath: folder)
      .filter { $0.hasSuffix(".swift") }
      .map {
        Self.normalized(
          try String(contentsOfFile: folder + "/" + $0, encoding: .utf8).split(
            separator: "\n", omittingEmptySubsequences: false
          ).map(String.init))
      }
    var checked = 0
    for document in try Self.documents() {
      let text = try String(contentsOfFile: root + "/" + document, encoding: .utf8)
      for (index, block) in Self.swiftBlocks(text).enumerated() {
        let needle = Self.normalized(block)
        checked += 1
        #expect(
          sources.contains { Self.contains($0, needle) },
          "Swift snippet \(index + 1) of \(document) is not in Tools/embedding-examples")
      }
    }
    #expect(checked >= 12)
  }

  @Test func theExamplesRunAgainstRealStores() throws {
    let dir = TemporaryDirectory("snippets")
    defer { dir.remove() }
    let result = try ProcessResult.run(
      RepositoryPaths.executable("EmbeddingExamples"), [dir.path])
    #expect(result.status == 0, "\(result.stderr)")
    for step in [
      "getting started, twice on one store", "README", "overview", "appends and concurrency",
      "integrity", "anchor", "audit export", "audit library API", "LedgerAudit overview",
      "projections and rebuilds",
      "a projection of one's own",
    ] {
      #expect(result.stdout.contains("ok \(step)\n"), "step \(step) did not run")
    }
    // The Getting Started service followed its one flag on each of its two runs.
    let flags = result.stdout.split(separator: "\n").filter {
      $0 == "flag VitalsRecorded vitals.heartRate.high"
    }
    #expect(flags.count == 2)
  }
}
