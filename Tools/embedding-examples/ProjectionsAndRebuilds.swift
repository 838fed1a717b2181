// Compiled and run by the tests (DocumentationSnippetTests): keep in step with ProjectionsAndRebuilds.md.
import Foundation
import TreatmentLedger

/// Rebuilds every projection whose stored state was made by another version of the code.
func rebuildStaleProjections(of ledger: Ledger) async throws {
  for name in ledger.projectionNames {
    let status = try ledger.store.status(projection: name)
    guard status.isStale else { continue }
    let report = try await ledger.store.rebuild(projection: name) { done, total in
      print("\(name): \(done) of \(total) events")
    }
    print(
      "\(name): \(report.eventsRead) events, \(report.streams) patients, replaced version",
      report.replacedVersion.map(String.init) ?? "none")
  }
}

/// The one-line rebuild of ProjectionsAndRebuilds.md.
func rebuildEverything(of ledger: Ledger) async throws -> [RebuildReport] {
  let reports = try await ledger.store.rebuild(projections: ledger.projectionNames)
  return reports
}

/// Per patient: how many flags of each code are stored (voided entries included).
struct FlagCountProjection: StreamProjection {
  let name = "flag-counts"
  let version = 1

  func includes(stream: String) -> Bool {
    stream.hasPrefix(ClinicalReviewer.patientStreamPrefix)
  }

  func initialState(stream: String) -> [String: Int] { [:] }

  func apply(_ event: RecordedEvent, to state: inout [String: Int]) throws(EventStoreError) {
    for flag in event.flags {
      if let code = flag["code"]?.stringValue { state[code, default: 0] += 1 }
    }
  }

  func encode(_ state: [String: Int]) -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]  // equal states, equal bytes
    return (try? encoder.encode(state)).map { Array($0) } ?? []
  }

  func decode(_ bytes: [UInt8], stream: String) throws(EventStoreError) -> [String: Int] {
    do {
      return try JSONDecoder().decode([String: Int].self, from: Data(bytes))
    } catch {
      throw .incompatibleStore(reason: "flag-counts state of '\(stream)' does not decode")
    }
  }
}

/// Opens the store with the clinical rules, the clinical projections and this one, and the
/// ledger's key file (patient data is sealed at rest, docs/FORMAT.md 2.7).
func openWithFlagCounts(path: String) throws -> EventStore {
  var options = EventStore.Options()
  options.reviewer = ClinicalReviewer()
  options.projections = [
    PatientTimelineProjection(), CourseSummaryProjection(), FlagCountProjection(),
  ]
  options.sealing = Sealing(
    streamPrefixes: ["patient-"],
    keyProvider: try KeyFile(path: KeyFile.defaultPath(forStore: path)))
  return try EventStore.open(at: path, options: options)
}

/// The flag counts of one patient.
func flagCounts(patientId: String, in store: EventStore) throws -> [String: Int] {
  let projection = FlagCountProjection()
  let stream = Ledger.stream(forPatient: patientId)
  return try store.projectionState(projection, stream: stream) ?? [:]
}
