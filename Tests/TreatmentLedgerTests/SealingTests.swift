import Foundation
import LedgerTestSupport
import Testing
import TreatmentLedger

/// Patient data sealed at rest (docs/FORMAT.md 2.7): no patient value in any file of the store,
/// transparent reads with the key, and clear refusals without it.
@Suite struct SealingTests {
  static let sentinel = "SENTINEL-7Q4Z-transposed"

  /// A store with two patients; the first's record carries the sentinel in free text (a
  /// correction's reason) and a heart rate of 118.
  static func populate(_ ledger: Ledger) async throws -> UUID {
    try await ledger.record(
      try EmbeddingAPITests.intake("p-1") + EmbeddingAPITests.intake("p-2")
        + [try EmbeddingAPITests.reading("p-1", heartRate: 118)])
    let reading = try #require(try ledger.events(of: "p-1").last)
    let correction = ProposedEvent(
      type: "EntryCorrected", occurredAt: "2026-11-04T10:30:00-05:00", recordedBy: nurse,
      data: .object([
        "correctedEventId": .string(reading.eventId.uuidString.lowercased()),
        "reason": .string(sentinel),
        "replacement": .object([
          "sessionId": .string("session-p-1"), "timepoint": .string("during"),
          "heartRateBpm": .number(81),
        ]),
      ]))
    try await ledger.store.append([correction], to: Ledger.stream(forPatient: "p-1"))
    return correction.eventId
  }

  /// Every file under `directory`, recursively.
  static func files(under directory: String) -> [String] {
    let enumerator = FileManager.default.enumerator(atPath: directory)
    var found: [String] = []
    while let name = enumerator?.nextObject() as? String {
      var isDirectory: ObjCBool = false
      let path = directory + "/" + name
      if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory),
        !isDirectory.boolValue
      {
        found.append(path)
      }
    }
    return found
  }

  static func contains(_ haystack: Data, _ needle: String) -> Bool {
    haystack.range(of: Data(needle.utf8)) != nil
  }

  @Test func noPatientValueIsInAnyFileOfTheStoreAndReadsOpenTransparently() async throws {
    let dir = TemporaryDirectory("sealing")
    defer { dir.remove() }
    let store = dir.appending("store")
    let ledger = try Ledger.open(Ledger.Configuration(path: store))
    let correctionId = try await Self.populate(ledger)
    // Reads, the timeline and the summary come back in plain text.
    let corrected = try #require(try ledger.store.event(id: correctionId))
    #expect(corrected.data["reason"] == .string(Self.sentinel))
    #expect(corrected.dataForm == .opened(keyVersion: 1))
    let timeline = try ledger.timeline(of: "p-1")
    #expect(!timeline.entries.isEmpty)
    #expect(try ledger.summary(of: "p-1").courses.count == 1)
    #expect(try ledger.verify().problem == nil)
    ledger.close()
    // The key file is beside the store, 0600, and nowhere inside it.
    let keyFile = KeyFile.defaultPath(forStore: store)
    let mode = try FileManager.default.attributesOfItem(atPath: keyFile)[.posixPermissions]
    #expect((mode as? NSNumber)?.intValue == 0o600)
    let storeFiles = Self.files(under: store)
    #expect(storeFiles.contains(store + "/data.mdb"))
    // No file of the store holds a patient value: not the free text, not the diagnosis code, not
    // the drug trial names, in the log or in derived state.
    for path in storeFiles {
      let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
      for needle in [Self.sentinel, "F33.2", "escitalopram", "venlafaxine", "consent-p-1"] {
        #expect(!Self.contains(bytes, needle), "\(needle) found in \(path)")
      }
    }
  }

  @Test func anAuditExportWithoutAnAuditorKeyHoldsNoPatientValueAndVerifies() async throws {
    let dir = TemporaryDirectory("sealing-export")
    defer { dir.remove() }
    let ledger = try Ledger.open(Ledger.Configuration(path: dir.appending("store")))
    defer { ledger.close() }
    _ = try await Self.populate(ledger)
    let officer = Recorder(id: "compliance-07", name: "Dana Auditor", role: "compliance")
    let exportDirectory = dir.appending("export")
    let export = try await ledger.exportAudit(
      AuditExportRequest(
        directory: exportDirectory, filter: AuditFilter(patientId: "p-1"), exportedBy: officer,
        reason: "sealing check"))
    #expect(export.manifest.counts.events == 7)
    #expect(await AuditVerifier().verify(directory: exportDirectory).isIntact)
    let files = Self.files(under: exportDirectory)
    #expect(files.count >= 3)
    for path in files {
      let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
      for needle in [Self.sentinel, "F33.2", "escitalopram", "consent-p-1"] {
        #expect(!Self.contains(bytes, needle), "\(needle) found in \(path)")
      }
    }
  }

  @Test func aWrongKeyFileIsRefusedAndChangesNothing() async throws {
    let dir = TemporaryDirectory("sealing-wrong")
    defer { dir.remove() }
    let store = dir.appending("store")
    let ledger = try Ledger.open(Ledger.Configuration(path: store))
    _ = try await Self.populate(ledger)
    ledger.close()
    let before = try Data(contentsOf: URL(fileURLWithPath: store + "/data.mdb"))
    let other = dir.appending("other.kek")
    try KeyFile.create(at: other)
    var configuration = Ledger.Configuration(path: store)
    configuration.keyFile = other
    #expect {
      _ = try Ledger.open(configuration)
    } throws: { error in
      (error as? LedgerError)?.code == .keyUnavailable
        && "\(error)".contains("other.kek") && "\(error)".contains("nothing was changed")
    }
    configuration.readOnly = true
    #expect(throws: LedgerError.self) { _ = try Ledger.open(configuration) }
    let after = try Data(contentsOf: URL(fileURLWithPath: store + "/data.mdb"))
    #expect(before == after)
  }

  @Test func aMissingKeyFileRefusesWritesButStillVerifies() async throws {
    let dir = TemporaryDirectory("sealing-missing")
    defer { dir.remove() }
    let store = dir.appending("store")
    let ledger = try Ledger.open(Ledger.Configuration(path: store))
    _ = try await Self.populate(ledger)
    ledger.close()
    let keyFile = KeyFile.defaultPath(forStore: store)
    try FileManager.default.moveItem(atPath: keyFile, toPath: keyFile + ".away")
    #expect {
      _ = try Ledger.open(Ledger.Configuration(path: store))
    } throws: { error in
      (error as? LedgerError)?.code == .keyUnavailable && "\(error)".contains("does not exist")
    }
    #expect(!FileManager.default.fileExists(atPath: keyFile))
    let reader = try Ledger.open(Ledger.Configuration(path: store, readOnly: true))
    defer { reader.close() }
    #expect(try reader.verify().problem == nil)
    #expect {
      _ = try reader.events(of: "p-1")
    } throws: { error in
      (error as? LedgerError)?.code == .keyUnavailable
    }
  }

  @Test func rotationRewrapsEveryDataKeyAndOnlyTheNewKeyOpensTheStore() async throws {
    let dir = TemporaryDirectory("sealing-rotate")
    defer { dir.remove() }
    let store = dir.appending("store")
    let ledger = try Ledger.open(Ledger.Configuration(path: store))
    let correctionId = try await Self.populate(ledger)
    let keyFile = KeyFile.defaultPath(forStore: store)
    try FileManager.default.copyItem(atPath: keyFile, toPath: dir.appending("old.kek"))
    let staged = try KeyFile.staged(replacing: keyFile)
    let events = try ledger.store.nextPosition()
    #expect(try ledger.store.rotateKeyEncryptionKey(to: staged) == 2)
    // No event was rewritten; this handle reads and writes on with the new key.
    #expect(try ledger.store.nextPosition() == events)
    #expect(try ledger.store.event(id: correctionId)?.data["reason"] == .string(Self.sentinel))
    try await ledger.record([try EmbeddingAPITests.reading("p-2", heartRate: 70)])
    ledger.close()
    _ = try staged.install()
    #expect(!FileManager.default.fileExists(atPath: keyFile + ".new"))
    let reopened = try Ledger.open(Ledger.Configuration(path: store))
    #expect(try reopened.events(of: "p-1").count == 7)
    #expect(try reopened.verify().problem == nil)
    reopened.close()
    var old = Ledger.Configuration(path: store)
    old.keyFile = dir.appending("old.kek")
    #expect {
      _ = try Ledger.open(old)
    } throws: { error in
      (error as? LedgerError)?.code == .keyUnavailable
    }
  }

  @Test func aKeyFileReadableByOthersIsRefused() throws {
    let dir = TemporaryDirectory("sealing-mode")
    defer { dir.remove() }
    let path = dir.appending("loose.kek")
    try KeyFile.create(at: path)
    chmod(path, 0o644)
    #expect {
      _ = try KeyFile(path: path)
    } throws: { error in
      (error as? KeyProviderError)?.kind == .unreadable
    }
    #expect(throws: KeyProviderError.self) { try KeyFile.create(at: path) }
  }
}
