import Foundation
import LedgerTestSupport

/// Generates a seeded clinic as NDJSON input lines for `treatment-ledger import`: every event is
/// meant to be accepted, so an import that refuses one fails the test that uses it.
///
/// Each patient has one or two courses with every instrument assessed at baseline and at the end,
/// several doses in a session (sometimes by two routes), infusion changes, vitals (some alarming,
/// some at the same instant as another), side effects, discharges, follow-ups, back-dated entries
/// (occurredAt earlier than events logged before them), corrections (some corrected twice),
/// voided corrections, voided corrected entries, and final scores exactly at the response (50%)
/// and remission boundaries.
struct ClinicGenerator {
  var rng: SeededGenerator
  var lines: [String] = []
  /// Events that could not be written as JSON (the tests expect none).
  var failures: [String] = []
  var patient = ""
  var stream = ""
  /// The clinical clock, seconds since 1970 (advanced by ``advance(_:)``).
  var clock = 0
  /// Original entries that may be corrected: id → (type, data, occurredAt).
  var correctable: [(id: String, type: String, data: [String: Any], at: Int)] = []
  var voided: Set<String> = []
  /// How many final scores each instrument has had (chooses the next boundary case).
  var finalKinds: [String: Int] = [:]

  static let instruments = ["phq9", "gad7", "pcl5", "madrs", "qidsSr16", "cadss"]
  static let items: [String: (count: Int, max: Int)] = [
    "phq9": (9, 3), "gad7": (7, 3), "pcl5": (20, 4), "madrs": (10, 6), "qidsSr16": (16, 3),
    "cadss": (23, 4),
  ]
  /// The highest total of each instrument (QIDS-SR16 scores nine domains of 0-3).
  static let maxTotal: [String: Int] = [
    "phq9": 27, "gad7": 21, "pcl5": 80, "madrs": 60, "qidsSr16": 27, "cadss": 92,
  ]
  /// Latest scores on each side of the remission boundary (in remission, not in remission).
  static let remissionEdges: [String: (inside: Int, outside: Int)] = [
    "phq9": (4, 5), "gad7": (4, 5), "madrs": (10, 11), "qidsSr16": (5, 6), "pcl5": (32, 33),
  ]

  init(seed: UInt64) { rng = SeededGenerator(seed: seed) }

  // MARK: Primitives

  mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }
  mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }
  mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }

  private mutating func uuid() -> String {
    let hex = (0..<32).map { _ in String(int(0...15), radix: 16) }
    let text = hex.joined()
    func part(_ from: Int, _ length: Int) -> Substring {
      text.dropFirst(from).prefix(length)
    }
    return "\(part(0, 8))-\(part(8, 4))-4\(part(13, 3))-8\(part(17, 3))-\(part(20, 12))"
  }

  /// RFC 3339 text of `seconds` at an offset of `minutes` (the same instant either way).
  static func time(_ seconds: Int, offsetMinutes minutes: Int = 0) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(secondsFromGMT: minutes * 60)
    formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
    let text = formatter.string(from: Date(timeIntervalSince1970: Double(seconds)))
    guard minutes != 0 else { return text + "Z" }
    let sign = minutes < 0 ? "-" : "+"
    return text + String(format: "%@%02d:%02d", sign, abs(minutes) / 60, abs(minutes) % 60)
  }

  mutating func advance(_ minutes: ClosedRange<Int>) -> Int {
    clock += int(minutes) * 60
    return clock
  }

  /// Appends one input line; returns the event id.
  @discardableResult
  mutating func emit(
    _ type: String, _ data: [String: Any], at seconds: Int, correctable canCorrect: Bool = false
  ) -> String {
    let id = uuid()
    let line: [String: Any] = [
      "eventId": id, "type": type, "streamId": stream,
      "occurredAt": Self.time(seconds, offsetMinutes: pick([0, 0, 60, -300, 330])),
      "recordedBy": ["id": "u-\(int(1...9))", "name": "Clinician", "role": "clinician"],
      "data": data,
    ]
    do {
      let bytes = try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys])
      lines.append(String(decoding: bytes, as: UTF8.self))
    } catch {
      failures.append("\(type) \(id): \(error)")
    }
    if canCorrect { correctable.append((id, type, data, seconds)) }
    return id
  }

  // MARK: Clinic

  /// `patients` patients, each in its own `patient-<id>` stream.
  mutating func clinic(patients: Int, prefix: String) -> [String] {
    for index in 0..<patients {
      patient = "\(prefix)-\(index)"
      stream = "patient-\(patient)"
      clock = 1_740_816_000 + index * 86_400 * 3  // from 2025-03-01
      correctable = []
      voided = []
      onePatient()
    }
    return lines
  }

  private mutating func onePatient() {
    emit(
      "PatientRegistered",
      [
        "patientId": patient, "birthYear": int(1950...2000),
        "sexAtBirth": pick(["female", "male"]),
      ],
      at: advance(1...5))
    emit(
      "ConsultationRecorded",
      [
        "indication": "treatmentResistantDepression", "diagnoses": ["F33.2"], "allergies": [],
        "currentMedications": [], "contraindications": [], "eligible": true,
        "priorAntidepressantTrials": [
          ["drug": "sertraline", "weeks": 8, "outcome": "partial"],
          ["drug": "venlafaxine", "weeks": 12, "outcome": "none"],
        ],
      ], at: advance(10...60))
    emit(
      "ConsentRecorded",
      [
        "consentId": "consent-\(patient)", "scope": "treatment", "formVersion": "v2", "given": true,
      ],
      at: advance(5...30))
    let courses = chance(0.5) ? 2 : 1
    var planned: [(id: String, drug: String, route: String, at: Int)] = []
    for number in 1...courses {
      let course = planCourse(number: number, backDated: number == 2 && chance(0.6))
      planned.append(course)
    }
    for course in planned { runCourse(course) }
    followUps()
    correctionsAndVoids()
    if chance(0.7), let first = planned.first {
      emit(
        "CourseCompleted",
        ["courseId": first.id, "reason": pick(["completed", "nonResponse", "patientChoice"])],
        at: advance(60...600))
    }
  }

  private mutating func planCourse(
    number: Int, backDated: Bool
  ) -> (id: String, drug: String, route: String, at: Int) {
    let id = "course-\(patient)-\(number)"
    let esketamine = chance(0.25)
    let drug = esketamine ? "esketamine" : "ketamine"
    let route = esketamine ? "intranasal" : pick(["iv", "iv", "iv", "im", "oral"])
    // A back-dated plan was entered after another course but is dated before it.
    let at = backDated ? clock - int(2...20) * 3600 : advance(30...300)
    var data: [String: Any] = [
      "courseId": id, "indication": "treatmentResistantDepression", "drug": drug, "route": route,
      "phase": pick(["induction", "maintenance", "booster"]), "plannedSessions": int(1...8),
      "sessionsPerWeek": pick([1, 2, 0.5]),
    ]
    if !esketamine { data["targetDoseMgPerKg"] = 0.5 }
    emit("CoursePlanned", data, at: at)
    return (id, drug, route, at)
  }

  private mutating func runCourse(_ course: (id: String, drug: String, route: String, at: Int)) {
    clock = max(clock, course.at) + 3600
    var baselines: [String: Int] = [:]
    var lateBaselines: [String] = []
    for instrument in Self.instruments {
      baselines[instrument] = baselineScore(instrument)
      if chance(0.3) {
        lateBaselines.append(instrument)  // recorded after the first session, dated before it
      } else {
        assessment(
          instrument, total: baselines[instrument] ?? 0, course: course.id, at: advance(1...10))
      }
    }
    let baselineTime = clock
    for number in 1...int(1...4) {
      session(course, number: number)
      if number == 1 {
        for instrument in lateBaselines {
          assessment(
            instrument, total: baselines[instrument] ?? 0, course: course.id,
            at: baselineTime - int(1...30) * 60)
        }
      }
    }
    let end = advance(600...3000)
    for instrument in Self.instruments {
      let baseline = baselines[instrument] ?? 0
      if chance(0.2) {
        // Scored twice at the same instant: the later entry in the log is the latest.
        assessment(
          instrument, total: finalScore(instrument, baseline: baseline, kind: 4), course: course.id,
          at: end)
      }
      let kind = finalKinds[instrument, default: 0]
      finalKinds[instrument] = kind + 1
      assessment(
        instrument, total: finalScore(instrument, baseline: baseline, kind: kind % 5),
        course: course.id, at: end)
    }
  }

  private mutating func baselineScore(_ instrument: String) -> Int {
    switch instrument {
    case "phq9": return 2 * int(5...13)
    case "gad7": return 2 * int(5...10)
    case "pcl5": return 2 * int(20...40)
    case "madrs": return 2 * int(10...25)
    case "qidsSr16": return 2 * int(6...13)
    default: return chance(0.3) ? 0 : 2 * int(3...30)
    }
  }

  /// Exactly 50% of baseline, just above it, either side of the remission edge, or random;
  /// `kind` 0 to 4 chooses which (the clinic cycles through them for every instrument).
  private mutating func finalScore(_ instrument: String, baseline: Int, kind: Int) -> Int {
    let maximum = Self.maxTotal[instrument] ?? 0
    let edges = Self.remissionEdges[instrument]
    switch kind {
    case 0: return baseline / 2
    case 1: return min(maximum, baseline / 2 + 1)
    case 2: return edges?.inside ?? baseline / 2
    case 3: return edges?.outside ?? 0
    default: return int(0...min(maximum, baseline + 4))
    }
  }

  /// Item scores that the instrument scores as `total` (QIDS-SR16: nine domains).
  mutating func itemScores(_ instrument: String, total: Int) -> [Int] {
    guard let shape = Self.items[instrument] else { return [] }
    if instrument == "qidsSr16" {
      var domains = Array(repeating: 0, count: 9)
      for _ in 0..<total {
        let open = domains.indices.filter { domains[$0] < 3 }
        domains[pick(open)] += 1
      }
      var items = Array(repeating: 0, count: 16)
      for (domain, range) in [(0, 0...3), (2, 5...8), (8, 14...15)] {
        for index in range { items[index] = int(0...domains[domain]) }
        items[pick(Array(range))] = domains[domain]
      }
      items[4] = domains[1]
      for offset in 0..<5 { items[9 + offset] = domains[3 + offset] }
      return items
    }
    var items = Array(repeating: 0, count: shape.count)
    for _ in 0..<total {
      let open = items.indices.filter { items[$0] < shape.max }
      items[pick(open)] += 1
    }
    return items
  }

  mutating func assessment(
    _ instrument: String, total: Int, course: String?, session: String? = nil, at: Int
  ) {
    var data: [String: Any] = [
      "instrument": instrument, "itemScores": itemScores(instrument, total: total),
      "totalScore": total,
      "timepoint": pick(["baseline", "preSession", "followUp", "endOfCourse"]),
    ]
    if let course { data["courseId"] = course }
    if let session { data["sessionId"] = session }
    emit("AssessmentRecorded", data, at: at, correctable: true)
  }
}
