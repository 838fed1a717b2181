import ArgumentParser
import Foundation
import TreatmentLedger

/// The child of `disk-full --method rlimit`: runs the scenario under a file-size limit and prints
/// its result as JSON (after lifting the limit).
struct DiskFullChild: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "disk-full-child",
    abstract: "Fill a store under a file-size limit (spawned by disk-full).",
    shouldDisplay: false)

  @Option(help: "The store directory.") var store: String
  @Option(help: "RLIMIT_FSIZE in bytes.") var limitBytes: Int
  @Option(help: "Payload bytes per event.") var eventBytes: Int

  func run() async throws {
    do {
      try FileSizeLimit.apply(limitBytes)
      let scenario = DiskFullScenario(
        storePath: store, eventBytes: eventBytes, giveUpBytes: limitBytes * 4,
        space: FileSizeLimit())
      let result = await scenario.run()
      _ = try FileSizeLimit().release(step: 1)
      FileHandle.standardOutput.write(try JSONEncoder().encode(result))
    } catch {
      diagnose("disk-full-child: \(error)")
      throw ExitCode(70)
    }
  }
}
