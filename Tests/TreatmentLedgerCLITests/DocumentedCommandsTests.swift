import Foundation
import LedgerTestSupport
import Testing

/// Every command line shown in a code block of README.md, BENCHMARKS.md, docs/*.md and the DocC
/// articles is run here as written (DocumentedCommandCatalogue.swift says how, scene by scene),
/// runs in another test, or is listed with the reason it cannot run in a test.
@Suite("documented command lines")
struct DocumentedCommandsTests {
  typealias Catalogue = DocumentedCommandCatalogue

  @Test func everyDocumentedCommandIsRunOrListed() throws {
    let documented = try DocumentedCommandLines.all()
    let run = Catalogue.scenes.flatMap { $0.steps.map(\.text) }
    let listed = Set(run + Catalogue.notRun.map(\.text) + Catalogue.runElsewhere.map(\.text))
    let missing = documented.filter { !listed.contains($0.text) }.map { "\($0.file): \($0.text)" }
    #expect(missing.isEmpty, "documented command lines no test runs or lists:\n\(missing)")
    let stale = listed.subtracting(documented.map(\.text))
    #expect(stale.isEmpty, "listed command lines the docs no longer show:\n\(stale.sorted())")
    #expect(Set(run).count == run.count, "a command line runs in two scenes")
    let notRun = Set(Catalogue.notRun.map(\.text))
    #expect(notRun.isDisjoint(with: run), "a command line both runs and is listed as not run")
  }

  /// The README's auditor procedure runs in AuditorPathTests, which reads the block after the
  /// `auditor-procedure` marker: the commands listed as run there must be in that block.
  @Test func theCommandsRunElsewhereAreInTheBlockThatTestReads() throws {
    let readme = try String(contentsOfFile: RepositoryPaths.root + "/README.md", encoding: .utf8)
    let marker = try #require(readme.range(of: "<!-- auditor-procedure"))
    let block = DocumentedCommandLines.commands(in: String(readme[marker.upperBound...]))
    for (text, test) in Catalogue.runElsewhere {
      #expect(test.hasPrefix("AuditorPathTests."))
      #expect(block.prefix(5).contains(text), "\(text)")
    }
  }

  @Test func quickStartPackagesAreTheOnesCIInstalls() throws {
    let step = try #require(Catalogue.scenes.first?.steps.first)
    let install = try #require(step.text.range(of: "apt-get install -y "))
    let packages = step.text[install.upperBound...].prefix { $0 != "&" }
      .split(separator: " ").map(String.init)
    #expect(packages == ["liblmdb-dev", "lmdb-utils", "libsqlite3-dev"])
    let ci = try String(contentsOfFile: RepositoryPaths.root + "/.ci/run", encoding: .utf8)
    for package in packages + ["xxd"] {
      #expect(ci.contains("install -y -qq \(package)") || ci.contains(" \(package) "), "\(package)")
    }
  }

  /// The extraction itself, on a document with each kind of block.
  @Test func theExtractionFindsCommandsNotOutput() {
    let markdown = """
      ```sh
      # a comment
      treatment-ledger stats --store s \\
        --json
      ```

      ```
      $ python3 -c '
      print(1)'
      1
      $ echo $?
      0
      ```

         ```
         treatment-ledger verify DIR   # indented, in a list
         ```

      ```
      intact: 3 events (output, not a command)
      ```

      ```swift
      let ledger = try Ledger.open(configuration)
      ```
      """
    #expect(
      DocumentedCommandLines.commands(in: markdown) == [
        "treatment-ledger stats --store s \\\n  --json", "python3 -c '\nprint(1)'", "echo $?",
        "treatment-ledger verify DIR   # indented, in a list",
      ])
  }

  @Test(arguments: Catalogue.scenes.filter { !$0.needsPythonLMDB })
  func sceneRunsAsDocumented(_ scene: DocScene) throws {
    try Self.check(scene)
  }

  @Test(
    .enabled(if: IndependentReaderTests.pythonLMDB == nil, "needs py-lmdb (.ci/run installs it)"),
    arguments: Catalogue.scenes.filter(\.needsPythonLMDB))
  func sceneWithTheIndependentReaderRunsAsDocumented(_ scene: DocScene) throws {
    try Self.check(scene)
  }

  // MARK: - Running a scene

  /// Runs the scene's setup and commands in one bash process in a fresh directory and checks each
  /// command's exit status and output.
  static func check(_ scene: DocScene) throws {
    let directory = TemporaryDirectory("documented")
    defer { directory.remove() }
    let result = try runShell(script(scene), in: directory.path)  // tools on the PATH
    let outputs = try stepOutputs(result, count: scene.steps.count)
    for (index, step) in scene.steps.enumerated() {
      let (status, output) = outputs[index]
      let context = "\(scene.name), step \(index): \(step.text)\n\(output)\n\(result.stderr)"
      #expect(status == step.status, "\(context)")
      for expected in step.output {
        #expect(output.contains(expected), "missing \(expected) in \(context)")
      }
      if let other = step.sameFirstWordAs {
        let word = output.split(whereSeparator: \.isWhitespace).first
        #expect(word != nil && word == outputs[other].1.split(whereSeparator: \.isWhitespace).first)
      }
      if let other = step.sameWordsAs {
        let words = output.split(whereSeparator: \.isWhitespace)
        #expect(!words.isEmpty && words == outputs[other].1.split(whereSeparator: \.isWhitespace))
      }
    }
  }

  /// The command that runs for `step`: its override, or its text with the scene's substitutions.
  static func command(_ step: DocStep, in scene: DocScene) -> String {
    if let run = step.run { return run }
    return scene.substitutions.reduce(step.text) {
      $0.replacingOccurrences(of: $1.documented, with: $1.run)
    }
  }

  /// `$REPO` is set and `$TREATMENT_LEDGER_STORE` unset; setup runs under `set -e`; then each
  /// command between markers that carry its exit status, with `$?` restored after the marker
  /// (so that a documented `echo $?` sees the command before it).
  static func script(_ scene: DocScene) -> String {
    var lines = [
      "set -eu -o pipefail", "unset TREATMENT_LEDGER_STORE", "REPO='\(RepositoryPaths.root)'",
      scene.setup, "cd '\(scene.directory)'", "set +e",
    ]
    for (index, step) in scene.steps.enumerated() {
      lines.append("printf '\\n@@begin \(index)\\n'")
      lines.append(command(step, in: scene))
      lines.append(
        "__status=$?; printf '\\n@@end \(index) %d\\n' \"$__status\"; (exit \"$__status\")")
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// Each step's exit status and standard output, from the markers.
  static func stepOutputs(_ result: ProcessResult, count: Int) throws -> [(Int32, String)] {
    var outputs: [(Int32, String)] = []
    var rest = result.stdout[...]
    for index in 0..<count {
      guard let begin = rest.range(of: "\n@@begin \(index)\n"),
        let end = rest[begin.upperBound...].range(of: "\n@@end \(index) ")
      else {
        throw CLIFailure(
          description: "step \(index) did not run (exit \(result.status)):\n"
            + result.stdout + result.stderr)
      }
      let output = String(rest[begin.upperBound..<end.lowerBound])
      let statusText = rest[end.upperBound...].prefix { $0 != "\n" }
      outputs.append((Int32(statusText) ?? -1, output))
      rest = rest[end.upperBound...]
    }
    return outputs
  }
}
