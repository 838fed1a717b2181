import Foundation
import LedgerEventStore
import LedgerTestSupport
import Testing
import TreatmentLedger

/// Erasure by destroying a patient's data keys (DOMAIN.md 8): the record stays and verifies, the
/// data is gone, nothing more is recorded for the patient.
@Suite struct ErasureTests {
  static let officer = Recorder(id: "compliance-07", name: "Dana Auditor", role: "compliance")
  static let operatorRecorder = Recorder(id: "ops-1", name: "Ops", role: "operator")

  @Test func anErasedPatientReadsAsErasedAndEverythingStillVerifies() async throws {
    let dir = TemporaryDirectory("erasure")
    defer { dir.remove() }
    let ledger = try Ledger.open(Ledger.Configuration(path: dir.appending("store")))
    defer { ledger.close() }
    _ = try await SealingTests.populate(ledger)
    let before = dir.appending("export-before")
    _ = try await ledger.exportAudit(
      AuditExportRequest(
        directory: before, filter: AuditFilter(patientId: "p-1"), exportedBy: Self.officer,
        reason: "before erasure"))
    // While the patient's retention runs (10 years after the last clinical time) the gate
    // refuses, naming the rule; nothing is destroyed.
    await #expect(throws: LedgerError.self) {
      try await ledger.erase(patient: "p-1", by: Self.operatorRecorder, reason: "too early")
    }
    #expect(try !ledger.store.isErased(stream: "patient-p-1"))
    let result = try await ledger.erase(
      patient: "p-1", by: Self.operatorRecorder, reason: "retention period over",
      now: try ClinicalTime(validating: "2040-01-01T00:00:00Z"))
    #expect(result.written == 1)
    #expect(try ledger.store.isErased(stream: "patient-p-1"))
    // The chain, the derived state and the earlier export still verify.
    #expect(try ledger.verify().problem == nil)
    let derived = try ledger.store.verifyDerived()
    #expect(derived.firstDifferingReviewStream == nil)
    #expect(derived.projections.allSatisfy { $0.firstDifferingStream == nil })
    #expect(await AuditVerifier().verify(directory: before).isIntact)
    #expect(await ledger.verifyAuditExport(at: before).isIntact)
    // Envelopes kept, data gone, marked erased; the erasure's own record is plain.
    let stream = try ledger.store.readStream("patient-p-1")
    #expect(stream.count == 8)
    for event in stream.dropLast() {
      #expect(event.dataForm == .erased(keyVersion: 1) && event.data == .null)
      #expect(event.envelopeJSON["erased"] == .bool(true))
    }
    let record = try #require(stream.last)
    #expect(record.type == "PatientDataErased" && record.dataForm == .plain)
    #expect(record.data["keyVersions"] == .array([.number(1)]))
    #expect(record.data["reason"] == .string("retention period over"))
    #expect(record.recordedBy == Self.operatorRecorder)
    // The record follows Schemas/events/PatientDataErased.v1.schema.json, its envelope
    // Schemas/envelope.v1.schema.json.
    for (kind, value) in [("data", record.data), ("envelope", record.envelopeJSON)] {
      let file = dir.appending("erasure-\(kind).json")
      try Data(value.canonicalBytes).write(to: URL(fileURLWithPath: file))
      let checked = try ProcessResult.run(
        "/usr/bin/env",
        [
          "python3", RepositoryPaths.root + "/Tools/schema-validate/validate_events.py", "--kind",
          kind, file,
        ] + (kind == "data" ? ["--type", "PatientDataErased"] : []))
      #expect(checked.status == 0, "\(kind): \(checked.stdout)\(checked.stderr)")
    }
    // Typed reads refuse, views are empty, the other patient is untouched.
    #expect {
      _ = try ledger.events(of: "p-1")
    } throws: { error in
      (error as? LedgerError)?.code == .erased
    }
    // The timeline and summary say the patient was erased.
    #expect(throws: LedgerError.self) { try ledger.timeline(of: "p-1") }
    #expect(throws: LedgerError.self) { try ledger.summary(of: "p-1") }
    do { _ = try ledger.timeline(of: "p-1") } catch { #expect(error.code == .erased) }
    #expect(try ledger.events(of: "p-2").count == 5)
    // Nothing more is recorded for the patient, and a second erasure is refused.
    await #expect {
      try await ledger.record([try EmbeddingAPITests.reading("p-1", heartRate: 70)])
    } throws: { error in
      (error as? LedgerError)?.code == .erased
    }
    await #expect(throws: LedgerError.self) {
      try await ledger.erase(patient: "p-1", by: Self.operatorRecorder, reason: "again")
    }
    // Rebuilds and a new export work around the erased record.
    let reports = try await ledger.store.rebuild(projections: ledger.projectionNames)
    #expect(reports.count == 2)
    let after = dir.appending("export-after")
    _ = try await ledger.exportAudit(
      AuditExportRequest(
        directory: after, filter: AuditFilter(patientId: "p-1"), exportedBy: Self.officer,
        reason: "after erasure"))
    #expect(await AuditVerifier().verify(directory: after).isIntact)
  }

  @Test func erasureNeedsASealedPatientWithEvents() async throws {
    let dir = TemporaryDirectory("erasure-refused")
    defer { dir.remove() }
    let ledger = try Ledger.open(Ledger.Configuration(path: dir.appending("store")))
    defer { ledger.close() }
    await #expect(throws: LedgerError.self) {
      try await ledger.erase(patient: "nobody", by: Self.operatorRecorder, reason: "none")
    }
    #expect(try ledger.nextPosition() == 0)
  }

  @Test("A legal hold placed after the gate read the log stops the key destruction")
  func theGateAndTheDestructionAreOneDecision() async throws {
    let dir = TemporaryDirectory("erasure-race")
    defer { dir.remove() }
    let ledger = try Ledger.open(Ledger.Configuration(path: dir.appending("store")))
    defer { ledger.close() }
    _ = try await SealingTests.populate(ledger)
    let later = try ClinicalTime(validating: "2040-01-01T00:00:00Z")
    // The gate's decision as an erasure would take it: retention over, no hold.
    let position = try ledger.nextPosition()
    let clearance = try ledger.checkErasureAllowed(patient: "p-1", now: later)
    // Meanwhile a hold covering the patient, and a reading of another patient, are recorded.
    try await ledger.placeLegalHold(
      "hold-race", scope: "p-1", reason: "litigation", occurredAt: later,
      by: Self.officer)
    try await ledger.record([try EmbeddingAPITests.reading("p-2", heartRate: 71)])
    let basis = ErasureBasis(
      position: position, streams: ["patient-p-1", Ledger.legalHoldStream],
      streamPrefixes: ["inventory-"])
    let record = ProposedEvent(
      type: Ledger.erasureEventType, occurredAt: "2040-01-01T00:00:00Z",
      recordedBy: Self.operatorRecorder,
      data: .object([
        "reason": .string("raced"), "retentionRule": .string(clearance.retentionRule),
      ]))
    // The destruction is refused in its transaction, naming the hold's stream; nothing changed.
    await #expect {
      try await ledger.store.erase(stream: "patient-p-1", record: record, basis: basis)
    } throws: { error in
      guard case .wrongExpectedVersion(let stream, _, _) = error as? EventStoreError else {
        return false
      }
      return stream == Ledger.legalHoldStream
    }
    #expect(try !ledger.store.isErased(stream: "patient-p-1"))
    #expect(try ledger.events(of: "p-1").count == 7)
    // A decision taken on the newer log sees the hold and refuses by its rule.
    await #expect {
      try await ledger.erase(
        patient: "p-1", by: Self.operatorRecorder, reason: "retention over", now: later)
    } throws: { error in
      (error as? LedgerError)?.refusal?.rule == "erase.hold.inForce"
    }
    // A basis whose streams saw nothing new since does not stop the erasure.
    let quiet = ErasureBasis(
      position: try ledger.nextPosition(), streams: ["patient-p-2"])
    try await ledger.placeLegalHold(
      "hold-other", scope: "p-1", reason: "second", occurredAt: later, by: Self.officer)
    let result = try await ledger.store.erase(
      stream: "patient-p-2",
      record: ProposedEvent(
        type: Ledger.erasureEventType, occurredAt: "2040-01-01T00:00:00Z",
        recordedBy: Self.operatorRecorder,
        data: .object(["reason": .string("quiet"), "retentionRule": .string("test")])),
      basis: quiet)
    #expect(result.written == 1)
  }
}
