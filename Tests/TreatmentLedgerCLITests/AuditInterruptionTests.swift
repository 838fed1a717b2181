import Foundation
import LedgerTestSupport
import Testing

// `kill -9` of `treatment-ledger audit export`: an export directory under its final name always
// has its `$audit` record; what a kill leaves is a directory named `.<name>.partial-<pid>`, which
// the next export reports.

@Suite struct AuditInterruptionTests {
  /// Polls `condition` every millisecond until it holds or `seconds` pass.
  private func waitFor(_ seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
      if condition() { return true }
      usleep(1_000)
    }
    return condition()
  }

  private func entries(_ directory: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
  }

  /// The export ids `audit log --json` lists.
  private func recordedExportIds(_ cli: LedgerCLI) throws -> Set<String> {
    let log = try cli.succeed(["audit", "log", "--json"])
    return Set(
      log.stdout.split(separator: "\n").compactMap { line in
        let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        return object?["eventId"] as? String
      })
  }

  private func exportId(_ directory: String) -> String? {
    guard let data = FileManager.default.contents(atPath: directory + "/manifest.json"),
      let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    else { return nil }
    return object["exportId"] as? String
  }

  @Test func aKilledExportLeavesOnlyAClearlyNamedPartialDirectory() throws {
    let cli = LedgerCLI("audit-kill")
    defer { cli.remove() }
    try cli.succeed(["init"])
    let events = try cli.write(
      "events.ndjson", EventLine.generate(count: 6_000, streams: 40, prefix: "supplies-site"))
    try cli.succeed(["import", events])
    let parent = cli.directory.appending("exports")

    // Kill when the staging directory appears (mid-export), then when its manifest is written
    // (recording, or just before or after it).
    let stages: [(String, (String) -> Bool)] = [
      ("writing", { _ in true }),
      ("recording", { FileManager.default.fileExists(atPath: $0 + "/manifest.json") }),
    ]
    var partials: [String] = []
    for (index, (stage, ready)) in stages.enumerated() {
      let name = "export-\(index)"
      let out = parent + "/" + name
      let started = try MultiProcessTests.Started.start(
        [
          "audit", "export", "--out", out, "--by", "u-1", "--reason", "kill test",
          "--events-per-read", "1", "--store", cli.store,
        ], in: cli.directory, name: name)
      let staging = parent + "/.\(name).partial-\(started.process.processIdentifier)"
      let reached = waitFor(60) {
        (FileManager.default.fileExists(atPath: staging) && ready(staging))
          || !started.process.isRunning
      }
      #expect(reached, "\(stage): the export never reached the stage")
      kill(started.process.processIdentifier, SIGKILL)
      started.process.waitUntilExit()

      // The invariant: a directory under the final name has its $audit record; nothing else
      // but the staging directory is left.
      let recorded = try recordedExportIds(cli)
      if FileManager.default.fileExists(atPath: out) {
        #expect(exportId(out).map(recorded.contains) == true, "\(stage): final without record")
      } else {
        // Killed before the rename: whether or not it was recorded, it is not under its name.
        #expect(FileManager.default.fileExists(atPath: staging), "\(stage): nothing left?")
        partials.append(staging)
      }
      #expect(
        entries(parent).allSatisfy { $0.hasPrefix("export-") || $0.contains(".partial-") },
        "\(stage): \(entries(parent))")
      #expect(try cli.succeed(["verify"]).status == 0)
    }
    #expect(!partials.isEmpty, "a kill during the export left its partial directory")
    #expect(!FileManager.default.fileExists(atPath: parent + "/export-0"))

    // The next export reports every partial directory by name, and succeeds.
    let next = try cli.succeed(
      ["audit", "export", "--out", parent + "/next", "--by", "u-1", "--reason", "after the kill"])
    for partial in partials {
      #expect(
        next.stderr.contains("warning: \(partial) was left by an audit export"), "\(next.stderr)")
    }
    #expect(FileManager.default.fileExists(atPath: parent + "/next/manifest.json"))
    #expect(try recordedExportIds(cli).contains(exportId(parent + "/next") ?? "-"))
  }
}
