import Foundation
import LedgerEventStore
import LedgerFoundation

extension VerificationRun {
  /// Reads `manifest.json`, compares it with what it must be, and checks its members fit.
  mutating func readManifest(
    expectedManifestSHA256: String?, store: EventStore?
  ) throws(Stop) -> AuditManifest {
    let path = directory + "/" + AuditManifest.fileName
    guard let data = FileManager.default.contents(atPath: path) else {
      throw Stop(
        .unreadableManifest, AuditManifest.fileName,
        "there is no readable manifest.json in \(directory)")
    }
    let bytes = Array(data)
    let sha = ChainHash.sha256(bytes).hex
    report.manifestSHA256 = sha
    let parsed: JSONValue
    do { parsed = try JSONValue.parse(bytes) } catch {
      throw Stop(
        .unreadableManifest, AuditManifest.fileName, "manifest.json is not JSON (\(error))")
    }
    guard let format = parsed["format"]?.stringValue, AuditCSVRules(format: format) != nil else {
      throw Stop(
        .unsupportedFormat, AuditManifest.fileName,
        "the manifest's format is not one this build reads ("
          + AuditManifest.readableFormats.joined(separator: ", ") + ")")
    }
    let manifest: AuditManifest
    do { manifest = try AuditManifest.decode(bytes) } catch {
      throw Stop(.unreadableManifest, AuditManifest.fileName, "\(error)")
    }
    report.exportId = manifest.exportId
    if let expectedManifestSHA256 {
      report.manifestChecked = true
      guard expectedManifestSHA256 == sha else {
        throw Stop(
          .manifestMismatch, AuditManifest.fileName,
          "manifest.json has SHA-256 \(sha), not the expected \(expectedManifestSHA256): it was edited"
        )
      }
    }
    if let store {
      let entry: AuditLogEntry?
      do { entry = try AuditLog.entry(exportId: manifest.exportId, in: store) } catch {
        throw Stop(.notRecorded, AuditManifest.fileName, "the store could not be read: \(error)")
      }
      guard let entry, let recorded = entry.manifestSHA256 else {
        throw Stop(
          .notRecorded, AuditManifest.fileName,
          "the store has no \(StreamNames.audit) record of export "
            + EchoedName.escaped(manifest.exportId))
      }
      report.manifestChecked = true
      guard recorded == sha else {
        throw Stop(
          .manifestMismatch, AuditManifest.fileName,
          "manifest.json has SHA-256 \(sha), but \(StreamNames.audit) recorded \(recorded) for this export (position \(entry.event.globalPosition)): it was edited"
        )
      }
    }
    try checkSignature(manifest: manifest, manifestBytes: bytes, trustedKeys: trustedKeys)
    if parsed["filter"]?["stream"]
      != manifest.filter.stream(using: semantics).map(JSONValue.string)
    {
      throw Stop(
        .manifestInconsistent, AuditManifest.fileName,
        "the filter's stream is not patient-<patientId> (or is missing, or named with a patient)")
    }
    try checkConsistency(manifest)
    return manifest
  }

  /// The manifest's own members must fit together.
  func checkConsistency(_ manifest: AuditManifest) throws(Stop) {
    let file = AuditManifest.fileName
    do { try manifest.filter.validate(using: semantics) } catch {
      throw Stop(.manifestInconsistent, file, "the filter is invalid: \(error)")
    }
    if manifest.contents != AuditManifest.Contents(manifest.filter) {
      throw Stop(
        .manifestInconsistent, file,
        "contents '\(manifest.contents.rawValue)' does not follow from the filter")
    }
    let chain: AuditManifest.Anchors.Chain =
      manifest.filter.stream(using: semantics) == nil ? .log : .stream
    if manifest.anchors.chain != chain {
      throw Stop(
        .manifestInconsistent, file,
        "a \(chain == .log ? "whole-log" : "one-stream") export follows the \(chain.rawValue) chain"
      )
    }
    if chain == .log && manifest.anchors.streamHead != nil {
      throw Stop(.manifestInconsistent, file, "a whole-log export names no stream head")
    }
    if manifest.files.isEmpty {
      throw Stop(.manifestInconsistent, file, "the manifest lists no files")
    }
    var seen: Set<AuditFileKind> = []
    let withKeys = manifest.format == AuditManifest.formatWithKeys
    for entry in manifest.files {
      guard entry.name == entry.format.fileName, seen.insert(entry.format).inserted,
        entry.format != .keys || withKeys
      else {
        throw Stop(
          .manifestInconsistent, file,
          "the file list is not events.ndjson and/or events.csv, once each"
            + (withKeys ? ", and keys.json" : ""))
      }
      guard entry.format == .keys || entry.records == manifest.counts.events else {
        throw Stop(
          .countMismatch, file,
          "\(entry.name) is listed with \(entry.records) events, the counts say \(manifest.counts.events)"
        )
      }
      guard ChainHash(hex: entry.sha256) != nil else {
        throw Stop(
          .manifestInconsistent, file, "the SHA-256 of \(entry.name) is not 64 lowercase hex digits"
        )
      }
    }
    if withKeys && !(seen.contains(.keys) && seen.contains(.ndjson)) {
      throw Stop(
        .manifestInconsistent, file,
        "a \(AuditManifest.formatWithKeys) export lists keys.json and events.ndjson")
    }
    if manifest.counts.eventsInRange > manifest.counts.events {
      throw Stop(.countMismatch, file, "more events in range than events")
    }
    if (manifest.counts.events == 0) != (manifest.anchors.first == nil)
      || (manifest.anchors.first == nil) != (manifest.anchors.last == nil)
    {
      throw Stop(
        .anchorMismatch, file, "first and last events must be named exactly when there are events")
    }
  }
}
