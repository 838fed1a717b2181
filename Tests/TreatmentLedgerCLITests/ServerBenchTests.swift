import Foundation
import LedgerTestSupport
import Testing

@Suite("LedgerServerBench")
struct ServerBenchTests {
  static let executable = RepositoryPaths.executable("LedgerServerBench")

  @Test("measures HTTP and in-process appends and reads with small counts, and prints JSON")
  func smallRun() throws {
    let result = try ProcessResult.run(
      Self.executable, ["--appends", "64", "--reads", "64", "--concurrency", "8", "--json"])
    #expect(result.status == 0, "\(result.stderr)")
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    for key in [
      "appends, in process", "appends, HTTP", "timeline reads, in process",
      "timeline reads, HTTP with $access record", "timeline reads, HTTP without the record",
    ] {
      let figure = try #require(object[key] as? [String: Any], "\(key)")
      #expect((figure["count"] as? Double) == 64)
      #expect(((figure["perSecond"] as? Double) ?? 0) > 0)
    }
    #expect(((object["httpAppendsVsInProcess"] as? Double) ?? 0) > 0)
  }

  @Test("refuses counts below the concurrency")
  func refusal() throws {
    let result = try ProcessResult.run(Self.executable, ["--appends", "4", "--concurrency", "8"])
    #expect(result.status == 64)
  }
}
