import ArgumentParser
import Foundation
import TreatmentLedger

/// `treatment-ledger hold …`: legal holds, recorded in the clinic stream `legal-holds`.
struct HoldCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "hold",
    abstract: "Place, release and list legal holds (they block erasure until released).",
    discussion: """
      A hold covers one patient (--scope the patient id) or every patient (--scope all). Holds \
      are events (LegalHoldPlaced, LegalHoldReleased) of the stream legal-holds, with who and \
      why; a hold id is placed once and released at most once (docs/RETENTION.md).
      """,
    subcommands: [HoldPlaceCommand.self, HoldReleaseCommand.self, HoldListCommand.self])
}

/// Who records a hold event, and when it happened.
struct HoldAuthorOptions: ParsableArguments {
  @Option(help: "Who records it: the user's id.") var by: String
  @Option(help: "Their name (default: the id).") var byName: String?
  @Option(help: "Their role.") var byRole: String = "complianceOfficer"
  @Option(help: "When it happened (RFC 3339, or YYYY-MM-DD for 00:00 UTC; default: now).")
  var occurredAt: String?

  var recorder: Recorder { Recorder(id: by, name: byName ?? by, role: byRole) }

  func time() throws -> ClinicalTime {
    try occurredAt.map { try clinicalTime($0, option: "--occurred-at") } ?? ClinicalTime(Date())
  }
}

struct HoldPlaceCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "place", abstract: "Place a legal hold on one patient or on all.")

  @OptionGroup var storeOptions: StoreOptions
  @Option(help: "The hold's id (unique in the clinic, e.g. a matter number).") var holdId: String
  @Option(help: "A patient id, or all.") var scope: String
  @Option(help: "Why (no patient data).") var reason: String
  @OptionGroup var author: HoldAuthorOptions

  func run() async throws {
    let time = try author.time()
    let ledger = try storeOptions.open()
    defer { ledger.close() }
    do {
      let result = try await ledger.placeLegalHold(
        holdId, scope: scope, reason: reason, occurredAt: time, by: author.recorder)
      print(
        "hold \(holdId) placed on \(scope) (position \(result.positions.first?.globalPosition ?? 0))"
      )
    } catch {
      throw Exit.report(error)
    }
  }
}

struct HoldReleaseCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "release", abstract: "Release a legal hold placed earlier.")

  @OptionGroup var storeOptions: StoreOptions
  @Option(help: "The hold's id.") var holdId: String
  @Option(help: "Why it is released (no patient data).") var reason: String
  @OptionGroup var author: HoldAuthorOptions

  func run() async throws {
    let time = try author.time()
    let ledger = try storeOptions.open()
    defer { ledger.close() }
    do {
      let result = try await ledger.releaseLegalHold(
        holdId, reason: reason, occurredAt: time, by: author.recorder)
      print("hold \(holdId) released (position \(result.positions.first?.globalPosition ?? 0))")
    } catch {
      throw Exit.report(error)
    }
  }
}

struct HoldListCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "list", abstract: "List the legal holds: id, scope, state, who placed it.")

  @OptionGroup var storeOptions: StoreOptions
  @Flag(help: "Only the holds in force.") var inForce = false
  @Flag(help: "Print JSON (one array).") var json = false

  func run() async throws {
    let ledger = try storeOptions.open(readOnly: true)
    defer { ledger.close() }
    let holds: [LegalHold]
    do { holds = try ledger.legalHolds().filter { !inForce || $0.isInForce } } catch {
      throw Exit.report(error)
    }
    if json {
      let array = JSONValue.array(holds.map(Self.json))
      print(String(decoding: array.canonicalBytes, as: UTF8.self))
      return
    }
    if holds.isEmpty { print("no legal holds") }
    for hold in holds {
      let state = hold.released.map { "released \($0.occurredAt.text) by \($0.recordedBy.id)" }
      print(
        "\(hold.holdId)  scope \(hold.scope)  placed \(hold.placed.occurredAt.text) by "
          + "\(hold.placed.recordedBy.id)  \(state ?? "in force")")
    }
  }

  static func json(_ hold: LegalHold) -> JSONValue {
    func step(_ step: LegalHold.Step) -> JSONValue {
      .object([
        "occurredAt": .string(step.occurredAt.text), "recordedAt": .string(step.recordedAt.text),
        "recordedBy": .object([
          "id": .string(step.recordedBy.id), "name": .string(step.recordedBy.name),
          "role": .string(step.recordedBy.role),
        ]),
        "reason": .string(step.reason), "eventId": .string(step.eventId.uuidString.lowercased()),
      ])
    }
    return .object([
      "holdId": .string(hold.holdId), "scope": .string(hold.scope),
      "inForce": .bool(hold.isInForce), "placed": step(hold.placed),
      "released": hold.released.map(step) ?? .null,
    ])
  }
}

/// `treatment-ledger retention …`: who may be erased, and why not.
struct RetentionCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "retention",
    abstract: "Retention of patients' records: who is due for erasure, one patient's status.",
    discussion: """
      Rules (DOMAIN.md 8; a --policy file may lengthen them, never shorten them): adults 10 \
      years after the clinical time of the patient's last event; minors until 31 December of \
      birthYear + 18, plus 10 years, if later; controlled-substance records 2 years after the \
      event. Each command reads the whole log once (docs/RETENTION.md).
      """,
    subcommands: [RetentionDueCommand.self, RetentionShowCommand.self])
}

/// `--policy` and `--as-of`, shared by the retention commands.
struct RetentionOptions: ParsableArguments {
  @Option(
    help: "A retention policy file (JSON, Schemas/retention.v1.schema.json); default: DOMAIN.md 8.")
  var policy: String?
  @Option(help: "Judge as of this time (RFC 3339, or YYYY-MM-DD for 00:00 UTC; default: now).")
  var asOf: String?
  @Flag(help: "Print JSON.") var json = false

  func load() throws -> (RetentionPolicy, ClinicalTime) {
    let time = try asOf.map { try clinicalTime($0, option: "--as-of") } ?? ClinicalTime(Date())
    guard let policy else { return (.defaults, time) }
    do {
      return (try RetentionPolicy.load(path: policy), time)
    } catch {
      printError("retention policy \(policy): \(error)")
      throw Exit.invalidInput
    }
  }

  static func json(_ status: RetentionStatus) -> JSONValue {
    func period(_ period: RetentionStatus.Period) -> JSONValue {
      .object([
        "rule": .string(period.rule.rawValue), "endsOn": .string(period.endsOn.text),
        "description": .string(period.description),
      ])
    }
    return .object([
      "patientId": .string(status.patientId), "asOf": .string(status.asOf.text),
      "governing": period(status.governing), "periods": .array(status.periods.map(period)),
      "retentionEnded": .bool(status.retentionEnded), "erased": .bool(status.erased),
      "holds": .array(status.holds.map { .string($0.holdId) }), "due": .bool(status.isDue),
    ])
  }
}

struct RetentionDueCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "due",
    abstract: "List the patients whose retention has ended and who carry no legal hold.")

  @OptionGroup var storeOptions: StoreOptions
  @OptionGroup var options: RetentionOptions

  func run() async throws {
    let (policy, time) = try options.load()
    let ledger = try storeOptions.open(readOnly: true)
    defer { ledger.close() }
    let due: [RetentionStatus]
    do { due = try ledger.retentionDue(policy: policy, asOf: time) } catch {
      throw Exit.report(error)
    }
    if options.json {
      print(
        String(
          decoding: JSONValue.array(due.map(RetentionOptions.json)).canonicalBytes, as: UTF8.self))
      return
    }
    print(
      "\(due.count) patients due for erasure as of \(CalendarDay(of: time).text) (policy \(policy.policyVersion))"
    )
    for status in due {
      print(
        "\(status.patientId)  \(status.governing.rule.rawValue) ended \(status.governing.endsOn.text)"
      )
    }
  }
}

struct RetentionShowCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "show",
    abstract: "One patient's retention: every rule that applies, the one that governs, holds.")

  @OptionGroup var storeOptions: StoreOptions
  @Option(help: "The patient id.") var patient: String
  @OptionGroup var options: RetentionOptions

  func run() async throws {
    let (policy, time) = try options.load()
    let ledger = try storeOptions.open(readOnly: true)
    defer { ledger.close() }
    let found: RetentionStatus?
    do { found = try ledger.retentionStatus(patient: patient, policy: policy, asOf: time) } catch {
      throw Exit.report(error)
    }
    guard let status = found else {
      printError("no events of patient \(patient)")
      throw Exit.invalidInput
    }
    if options.json {
      print(String(decoding: RetentionOptions.json(status).canonicalBytes, as: UTF8.self))
      return
    }
    print("patient \(status.patientId) as of \(status.asOf.text)")
    for period in status.periods {
      let mark = period == status.governing ? "governs" : "       "
      print("  \(mark)  ends \(period.endsOn.text)  \(period.description)")
    }
    let holds = status.holds.map(\.holdId).joined(separator: ", ")
    print("legal holds in force: \(holds.isEmpty ? "none" : holds)")
    let verdict =
      status.erased
      ? "already erased"
      : status.isDue
        ? "due for erasure"
        : !status.holds.isEmpty ? "held" : "retention runs until \(status.governing.endsOn.text)"
    print(verdict)
  }
}
