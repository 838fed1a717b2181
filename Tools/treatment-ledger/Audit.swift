import ArgumentParser
import AuditVerifyScript
import Foundation
import Logging
import TreatmentLedger

/// `treatment-ledger audit …`: audit export and verification for compliance officers.
struct AuditCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "audit",
    abstract: "Audit export and verification for compliance officers.",
    discussion: """
      `audit export` writes events.ndjson (every event with the exact bytes that were hashed), \
      events.csv (for a spreadsheet) and manifest.json (filter, who, why, counts, chain anchors, \
      SHA-256 of each file) and a copy of verify_export.py, and records the export in the \
      store's $audit stream. \
      `audit verify` checks an export with its manifest alone; `audit log` lists the exports. \
      `audit keygen` makes an auditor's key pair: `audit export --auditor-key` seals the exported \
      patients' data keys to its public key, `audit verify --auditor-private-key` opens them. \
      The procedure for auditors, with or without this tool, is in docs/AUDIT.md.
      """,
    subcommands: [
      AuditExportCommand.self, AuditVerifyCommand.self, AuditLogCommand.self,
      AuditAccessCommand.self, AuditKeygenCommand.self,
    ])
}

extension Exit {
  static let usage = ExitCode(64)

  /// Prints an audit error and returns its exit code.
  static func report(_ error: AuditError) -> ExitCode {
    switch error {
    case .store(let storeError): return report(storeError)
    case .invalidFilter, .invalidRequest, .outputExists:
      printError(error.description)
      return usage
    case .output, .unreadableManifest, .notRecorded:
      printError(error.description)
      return failure
    }
  }
}

struct AuditExportCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export",
    abstract: "Export events with their hashes, a CSV and a manifest; record the export in $audit.",
    discussion: """
      Times are RFC 3339 with an offset; the range is --from ≤ t < --to, on recordedAt unless \
      --occurred. With --occurred the export carries the whole chain (of the patient, or of the \
      log) up to now, with inRange marking the events whose occurredAt is in the range: a late \
      entry of any recorded time can belong to the range, and only the whole chain proves that \
      none is missing. The store is read in short read transactions, so a service appending to \
      it is never held up; the export covers the log as it was when the export began. The \
      export is then recorded in $audit (who, why, filter, counts, manifest SHA-256, no patient \
      data); if that fails, the files are removed and the command exits 1. Until it is \
      recorded the export is written to .<name>.partial-<pid> beside --out, and renamed to \
      --out only afterwards; a warning names any such directory an earlier export left behind. \
      A copy of verify_export.py is put into the export (not listed in the manifest). An export \
      that selects no event, or names a patient the store does not hold, prints a warning; with \
      --require-events it exits 65 and nothing is recorded.
      """)

  @OptionGroup var storeOptions: StoreOptions
  @Option(help: "The export directory (created; must be new or empty).") var out: String
  @Option(help: "Who exports: the user's id (recorded in the manifest and in $audit).") var by:
    String
  @Option(help: "The exporter's name (default: the id).") var byName: String?
  @Option(help: "The exporter's role.") var byRole: String = "auditor"
  @Option(help: "Why the export is made (recorded; no patient data).") var reason: String
  @Option(help: "Start of the range (inclusive), RFC 3339 with an offset.") var from: String?
  @Option(help: "End of the range (exclusive), RFC 3339 with an offset.") var to: String?
  @Option(help: "Export one patient's stream (patient-<ID>) only.") var patient: String?
  @Flag(help: "Apply --from/--to to occurredAt (clinical time) instead of recordedAt.")
  var occurred = false
  @Option(help: "Files to write: ndjson, csv or ndjson,csv.") var format: String = "ndjson,csv"
  @Option(help: "Events per read transaction.") var eventsPerRead: Int = 1_000
  @Option(
    name: .customLong("auditor-key"),
    help: ArgumentHelp(
      "An auditor's X25519 public key (64 hex digits, from `audit keygen`), or a file of such keys "
        + "one per line; repeatable. The export then carries the exported patients' data keys "
        + "sealed to each (keys.json, format treatment-ledger-audit-3).",
      valueName: "key|file"))
  var auditorKeys: [String] = []
  @Flag(
    help: """
      Exit 65 without recording anything when the export selects no event or names a patient \
      the store does not hold (without it: a warning, and the empty export is recorded).
      """)
  var requireEvents = false

  var formats: Set<AuditFormat> {
    Set(
      format.split(separator: ",").compactMap {
        AuditFormat(rawValue: $0.trimmingCharacters(in: .whitespaces))
      })
  }

  var filter: AuditFilter {
    AuditFilter(
      patientId: patient, timeBasis: occurred ? .occurredAt : .recordedAt, from: from, to: to)
  }

  func validate() throws {
    let names = format.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    let choices = Set(AuditFormat.allCases.map(\.rawValue))
    guard !names.isEmpty, names.allSatisfy({ choices.contains($0) }) else {
      throw ValidationError("--format takes ndjson, csv or ndjson,csv")
    }
    if occurred && from == nil && to == nil {
      throw ValidationError("--occurred needs --from and/or --to")
    }
    do { try filter.validate() } catch { throw ValidationError(error.description) }
    if reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
      throw ValidationError("--reason must not be empty")
    }
    guard (1...100_000).contains(eventsPerRead) else {
      throw ValidationError("--events-per-read must be from 1 to 100000")
    }
    do { _ = try AuditorKeyPair.publicKeys(auditorKeys) } catch {
      throw ValidationError("--auditor-key: \(error)")
    }
    if !auditorKeys.isEmpty && !formats.contains(.ndjson) {
      throw ValidationError("--auditor-key needs the ndjson format")
    }
  }

  func run() async throws {
    let request = AuditExportRequest(
      directory: out, filter: filter, formats: formats,
      exportedBy: Recorder(id: by, name: byName ?? by, role: byRole), reason: reason,
      tool: AuditManifest.Tool(name: "treatment-ledger", version: AuditManifest.libraryVersion),
      eventsPerRead: eventsPerRead, auditorKeys: try AuditorKeyPair.publicKeys(auditorKeys))

    for path in AuditExporter.unfinishedExports(near: out) {
      printError(
        "warning: \(path) was left by an audit export that did not finish (or is still "
          + "running); it may hold patient data: look for its manifest's exportId in `audit log`, "
          + "then remove it")
    }
    // 1. Export from a read-only handle: reading never blocks a service that appends.
    let reader = try storeOptions.open(readOnly: true)
    let progress = Progress(label: "exported")
    var export: AuditExport
    do {
      export = try await AuditExporter(store: reader.store).export(request) { done, expected in
        progress.update(done: done, total: expected)
      }
    } catch {
      progress.finish()
      reader.close()
      throw Exit.report(error)
    }
    progress.finish()
    // One process may open a store only once: close the read-only handle before recording.
    reader.close()
    if let warning = Self.emptinessWarning(export.manifest) {
      printError("warning: " + warning)
      if requireEvents {
        export.removeFiles()
        printError("--require-events: nothing was exported or recorded")
        throw Exit.invalidInput
      }
    }

    // The verifier goes in before the export is recorded and renamed, so it is there whenever
    // the export is.
    let verifierCopied = Self.copyVerifier(into: export.stagingDirectory)

    // 2. Record the export in $audit.
    let writer: Ledger
    do { writer = try storeOptions.open() } catch {
      export.removeFiles()
      printError("the export could not be recorded; its files were removed")
      throw error
    }
    defer { writer.close() }
    // 3. Sign it with the store's signing key (made and published in $audit on first use).
    do { export = try await writer.sign(export) } catch {
      printError("the export could not be signed; its files were removed")
      throw Exit.report(error)
    }
    let recorded: RecordedEvent
    do { recorded = try await AuditExporter.record(export, in: writer.store) } catch {
      throw Exit.report(error)
    }

    Self.printSummary(export, recorded: recorded, verifierCopied: verifierCopied)
  }

  /// The lines that end a successful export: the manifest's hash, the signature, the record, the
  /// auditors the data keys were sealed to, the verifier's copy, the count and the rate.
  static func printSummary(_ export: AuditExport, recorded: RecordedEvent, verifierCopied: Bool) {
    let counts = export.manifest.counts
    let rate = export.seconds > 0 ? Int(Double(counts.events) / export.seconds) : 0
    print(
      "manifest   \(export.directory)/\(AuditManifest.fileName) sha256 \(export.manifestSHA256)")
    print(
      "signed     by \(export.signature?.publicKey ?? "-") (\(AuditSignature.fileName); keys public)"
    )
    print(
      "recorded   \(StreamNames.audit) position \(recorded.globalPosition), export id \(export.manifest.exportId)"
    )
    for recipient in export.keys?.recipients ?? [] {
      print("sealed     data keys to auditor \(recipient.publicKey) (\(AuditKeysFile.fileName))")
    }
    if verifierCopied {
      let path = export.directory + "/" + AuditVerifyScript.fileName
      print("verifier   \(path) (python3 \(path) \(export.directory))")
    }
    let inRange = counts.eventsInRange == counts.events ? "" : " (\(counts.eventsInRange) in range)"
    print(
      "exported \(counts.events) events\(inRange) to \(export.directory) in "
        + String(format: "%.2f", export.seconds) + " s (\(rate) events/s)")
  }
}

extension AuditExportCommand {
  /// Puts a copy of verify_export.py into the export, so that an auditor can run it there. It is
  /// not listed in the manifest (the format's file list is events.ndjson and/or events.csv), and
  /// an auditor should read it, or use a copy obtained independently, before relying on it.
  /// Returns true when the copy was written.
  @discardableResult
  static func copyVerifier(into directory: String) -> Bool {
    let path = directory + "/" + AuditVerifyScript.fileName
    guard let bytes = AuditVerifyScript.bytes() else {
      printError(
        "warning: \(AuditVerifyScript.fileName) was not found beside the executable; copy "
          + "Tools/audit-verify/\(AuditVerifyScript.fileName) into the export by hand")
      return false
    }
    guard
      FileManager.default.createFile(
        atPath: path, contents: Data(bytes), attributes: [.posixPermissions: 0o644])
    else {
      printError("warning: could not write \(path)")
      return false
    }
    return true
  }

  /// Why an export that selects nothing is probably not what was meant, or nil when it selects
  /// events of a patient the store holds. Names the filter and the store's times, no data.
  static func emptinessWarning(_ manifest: AuditManifest) -> String? {
    let filter = manifest.filter
    if let patient = filter.patientId, manifest.anchors.streamHead == nil {
      return
        "the store holds no patient \(patient) (no stream patient-\(patient)); the export is empty"
    }
    guard manifest.counts.eventsInRange == 0 else { return nil }
    var text = "the export selects 0 events (\(filter.summary))"
    if filter.time == .recordedAt && filter.hasRange {
      let last = manifest.anchors.store.lastRecordedAt.map { ", the newest at \($0)" } ?? ""
      text +=
        ": the range applies to recordedAt, when the store recorded each event"
        + "\(last); add --occurred for clinical time (occurredAt)"
    }
    return text
  }
}

struct AuditVerifyCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "verify",
    abstract: "Verify an audit export directory; exit 4 at the first problem.",
    discussion: """
      Checks, with the manifest alone: every line's SHA-256 over the event's stored bytes, the \
      chain links and contiguity (nothing removed, added or reordered), the filter, the first \
      and last events and the events around the range, the counts, every CSV row against its \
      NDJSON line, and the SHA-256 of each file. With --store (the store it was exported from) \
      or --manifest-sha256 (from `audit log`) an edit of any manifest member is detected too; \
      with --public-key (the store's, from `keys public`) the export must be signed by it, so a \
      rewritten manifest fails without a second channel. \
      The same chain definition as `treatment-ledger verify`: SHA-256 over the stored canonical \
      bytes, previousHash / previousStreamHash linking each event to the one before.
      """)

  @Argument(help: "The export directory.") var directory: String
  @Option(help: "Also check the manifest against this store's $audit record of the export.")
  var store: String?
  @Option(help: "Also check that manifest.json has this SHA-256 (as `audit log` prints it).")
  var manifestSha256: String?
  @Option(
    name: .customLong("public-key"),
    help: ArgumentHelp(
      "The store's Ed25519 public key (64 hex digits, from `keys public`), or a file of such keys "
        + "one per line (`keys public --all`); repeatable. The export must be signed by one of them.",
      valueName: "key|file"))
  var publicKeys: [String] = []
  @Option(
    help: ArgumentHelp(
      "The auditor's X25519 private key file (from `audit keygen`): unseal the data keys of "
        + "keys.json and open every sealed event's data.",
      valueName: "file"))
  var auditorPrivateKey: String?
  @Option(
    help: ArgumentHelp(
      "With --auditor-private-key: write the opened events to DIR/events.ndjson (DIR new or "
        + "empty; each line the envelope as `read --json` prints it).",
      valueName: "dir"))
  var decryptTo: String?
  @Flag(help: "Print the report as JSON.") var json = false

  /// Off a terminal, a progress line on standard error every this many events.
  static let progressLineEvery: UInt64 = 100_000

  func validate() throws {
    if let manifestSha256, ChainHash(hex: manifestSha256.lowercased()) == nil {
      throw ValidationError("--manifest-sha256 must be 64 hex digits")
    }
    _ = try trustedKeys()
    if decryptTo != nil && auditorPrivateKey == nil {
      throw ValidationError("--decrypt-to needs --auditor-private-key")
    }
    if let auditorPrivateKey {
      do { _ = try AuditorKeyPair.read(privateKeyFile: auditorPrivateKey) } catch {
        throw ValidationError("--auditor-private-key: \(error)")
      }
    }
  }

  /// The keys of `--public-key`: each 64 hex digits, or a file of such lines (`#` comments).
  func trustedKeys() throws -> [[UInt8]] {
    var keys: [[UInt8]] = []
    for value in publicKeys {
      var lines = [value]
      if Hex.decode(value)?.count != 32 {
        guard let text = try? String(contentsOfFile: value, encoding: .utf8) else {
          throw ValidationError(
            "--public-key: \(value) is neither 64 hex digits nor a readable file")
        }
        // One key per line; what follows it (`# version 1, …`) and `#` lines are comments.
        lines = text.split(whereSeparator: \.isNewline).compactMap {
          $0.split(whereSeparator: \.isWhitespace).first.map(String.init)
        }.filter { !$0.hasPrefix("#") }
      }
      for line in lines {
        guard let key = Hex.decode(line), key.count == 32 else {
          throw ValidationError("--public-key: a public key is 64 hex digits")
        }
        keys.append(key)
      }
    }
    return keys
  }

  func run() async throws {
    let bar = Progress(label: "verified", lineEvery: Self.progressLineEvery)
    var verifier = AuditVerifier(trustedKeys: try trustedKeys()) { done, expected in
      bar.update(done: done, total: expected)
    }
    if let auditorPrivateKey {
      verifier.auditor = try AuditorKeyPair.read(privateKeyFile: auditorPrivateKey)
      verifier.decryptTo = decryptTo
    }
    let report: AuditVerificationReport
    if let store {
      var logger = Logger(label: "treatment-ledger")
      logger.logLevel = .warning
      let ledger: Ledger
      do {
        ledger = try Ledger.open(
          Ledger.Configuration(path: store, readOnly: true, createIfMissing: false, logger: logger))
      } catch {
        throw Exit.report(error)
      }
      defer { ledger.close() }
      report = await verifier.verify(directory: directory, against: ledger.store)
      if report.isIntact, let manifestSha256, manifestSha256.lowercased() != report.manifestSHA256 {
        print(
          "FAILED: manifest.json has SHA-256 \(report.manifestSHA256 ?? "-"), not \(manifestSha256)"
        )
        throw Exit.verificationFailed
      }
    } else {
      report = await verifier.verify(directory: directory, expectedManifestSHA256: manifestSha256)
    }
    bar.finish()
    if json {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys]
      print(String(decoding: try encoder.encode(report), as: UTF8.self))
    } else if let problem = report.problem {
      print("FAILED after \(report.eventsChecked) intact events: \(problem)")
    } else {
      let inRange =
        report.eventsInRange == report.eventsChecked ? "" : " (\(report.eventsInRange) in range)"
      let hashes =
        report.hashesRecomputed
        ? "hashes recomputed" : "CSV only: links checked, hashes not recomputable"
      let manifest = report.manifestChecked ? "matches its record" : "not compared with $audit"
      let signed =
        report.signedBy.map { "signed by \($0)" } ?? "signature not checked (no --public-key)"
      print(
        "intact: \(report.eventsChecked) events\(inRange), \(hashes); manifest sha256 "
          + "\(report.manifestSHA256 ?? "-") (\(manifest)); \(signed)")
      if let opened = report.opened { print(AuditKeygenCommand.openedLine(opened)) }
    }
    if !report.isIntact { throw Exit.verificationFailed }
  }
}

struct AuditLogCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "log",
    abstract: "List the audit exports recorded in $audit.",
    discussion: """
      A table with a header: when each export was recorded, its position, who exported, the \
      filter, the number of events, the manifest's SHA-256 (in full: compare it with \
      `sha256sum DIR/manifest.json`) and the reason. --json prints each $audit event's whole \
      envelope (NDJSON), hashes included, as `read --json` does: its data holds exportId, \
      filter, events, manifestSha256 and reason (and, for the SigningKeyPublished events that \
      `keys public --all` lists, version and publicKey).
      """)

  @OptionGroup var storeOptions: StoreOptions
  @Flag(help: "Print NDJSON envelopes.") var json = false

  func run() async throws {
    let ledger = try storeOptions.open(readOnly: true)
    defer { ledger.close() }
    var all: [AuditLogEntry] = []
    var version: UInt64 = 0
    while true {
      let entries: [AuditLogEntry]
      do { entries = try ledger.auditLog(from: version, limit: 1_000) } catch {
        throw Exit.report(error)
      }
      for entry in entries {
        if json {
          print(String(decoding: entry.event.envelopeJSON.canonicalBytes, as: UTF8.self))
        } else if entry.event.type != Ledger.signingKeyEventType {
          all.append(entry)  // the table lists exports; `keys public --all` lists signing keys
        }
      }
      guard let last = entries.last, entries.count == 1_000 else { break }
      version = last.event.streamVersion + 1
    }
    guard !json else { return }
    if all.isEmpty {
      print("no audit exports recorded")
      return
    }
    let header = ["recorded at", "position", "by", "filter", "events", "manifest sha256", "reason"]
    let rows = all.map { entry in
      [
        entry.recordedAt, String(entry.event.globalPosition),
        "\(entry.exportedBy.id) (\(entry.exportedBy.role))", entry.filter?.summary ?? "-",
        entry.events.map(String.init) ?? "-", entry.manifestSHA256 ?? "-", entry.reason ?? "-",
      ]
    }
    for line in Self.table(header: header, rows: rows) { print(line) }
  }

  /// Columns padded to their widest cell, two spaces apart; the last column is not padded.
  static func table(header: [String], rows: [[String]]) -> [String] {
    var widths = header.map(\.count)
    for row in rows {
      for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
    }
    return ([header] + rows).map { cells in
      cells.enumerated().map { index, cell in
        index == cells.count - 1
          ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
      }.joined(separator: "  ")
    }
  }
}
