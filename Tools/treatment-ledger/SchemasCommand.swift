import ArgumentParser
import Foundation
import TreatmentLedger

struct SchemasCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "schemas",
    abstract:
      "List the event types (clinical, controlled-substance, legal holds) and their schema versions.",
    discussion: "The JSON Schemas are in the repository's Schemas/events/<Type>.v<N>.schema.json.")

  @Flag(help: "Print JSON.") var json = false

  func run() async throws {
    let types = ClinicalEvent.allTypes + InventoryEvent.allTypes + LegalHoldEvent.allTypes
    if json {
      let entries = types.map { "{\"type\":\"\($0.type)\",\"schemaVersion\":\($0.schemaVersion)}" }
      print("[" + entries.joined(separator: ",") + "]")
      return
    }
    for entry in types {
      print(
        "\(entry.type.padding(toLength: 22, withPad: " ", startingAt: 0)) v\(entry.schemaVersion)  Schemas/events/\(entry.type).v\(entry.schemaVersion).schema.json"
      )
    }
  }
}
