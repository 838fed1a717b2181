import Foundation

extension ClinicGenerator {
  typealias Course = (id: String, drug: String, route: String, at: Int)

  mutating func session(_ course: Course, number: Int) {
    let sessionId = "session-\(course.id)-\(number)"
    let start = advance(1_440...4_320)
    let weight = (Double(int(550...950)) / 10).rounded(toPlaces: 1)
    emit(
      "SessionStarted",
      [
        "sessionId": sessionId, "courseId": course.id, "weightKg": weight,
        "escortArranged": chance(0.9), "fasted": true,
      ], at: start)
    var hasIV = false
    for index in 0..<int(1...3) {
      let route =
        index > 0 && course.drug == "ketamine" && chance(0.3) ? pick(["iv", "im"]) : course.route
      hasIV = hasIV || route == "iv"
      // A later dose is sometimes dated before the first one (entered late).
      let at = index > 0 && chance(0.3) ? start + int(1...4) * 60 : advance(5...20)
      emit(
        "DoseAdministered",
        dose(sessionId: sessionId, course: course, route: route, weight: weight), at: at,
        correctable: true)
    }
    if hasIV && chance(0.6) {
      let action = pick(["rateChanged", "paused", "resumed", "stopped"])
      var data: [String: Any] = ["sessionId": sessionId, "action": action, "reason": "protocol"]
      if action == "rateChanged" { data["newRateMgPerMinute"] = Double(int(5...20)) / 10 }
      emit("InfusionAdjusted", data, at: advance(5...15), correctable: true)
    }
    var last = clock
    for index in 0..<int(1...3) {
      // Sometimes at the very instant of the previous reading (clinical order then falls back
      // to log order).
      last = index > 0 && chance(0.3) ? last : advance(5...15)
      emit(
        "VitalsRecorded", vitals(sessionId: sessionId, baseline: index == 0), at: last,
        correctable: true)
    }
    for _ in 0..<int(0...2) {
      emit(
        "SideEffectObserved", sideEffect(sessionId: sessionId), at: advance(1...20),
        correctable: true)
    }
    if chance(0.3) {
      assessment("phq9", total: int(0...27), course: nil, session: sessionId, at: advance(5...30))
    }
    if chance(0.85) {
      let esketamine = course.drug == "esketamine"
      emit(
        "PatientDischarged",
        [
          "sessionId": sessionId, "minutesObserved": esketamine ? int(110...150) : int(30...90),
          "criteriaMet": chance(0.9), "escortPresent": chance(0.9), "noDrivingAdviceGiven": true,
        ], at: advance(30...150))
    }
    if chance(0.3) {
      // Entered after the discharge, dated during the session.
      emit(
        "VitalsRecorded", vitals(sessionId: sessionId, baseline: false), at: start + 25 * 60,
        correctable: true)
    }
  }

  mutating func dose(sessionId: String, course: Course, route: String, weight: Double)
    -> [String: Any]
  {
    let doseMg: Double
    if course.drug == "esketamine" {
      doseMg = Double(pick([28, 56, 84]))
    } else {
      let perKg: Double
      switch route {
      case "iv": perKg = Double(int(10...80)) / 100
      case "im": perKg = Double(int(20...120)) / 100
      default: perKg = Double(int(20...300)) / 100
      }
      doseMg = (perKg * weight * 10).rounded() / 10
    }
    var data: [String: Any] = [
      "sessionId": sessionId, "courseId": course.id, "drug": course.drug, "route": route,
      "doseMg": doseMg, "weightKg": weight, "doseMgPerKg": doseMg / weight,
      "lotNumber": "K-2025-\(int(1...9))",
    ]
    if route == "iv" { data["plannedDurationMinutes"] = 40 }
    return data
  }

  mutating func vitals(sessionId: String, baseline: Bool) -> [String: Any] {
    let systolic = Double(int(85...200))
    var data: [String: Any] = [
      "sessionId": sessionId, "timepoint": baseline ? "baseline" : pick(["during", "recovery"]),
      "heartRateBpm": Double(int(45...130)), "systolicMmHg": systolic,
      "diastolicMmHg": Double(int(45...min(120, Int(systolic) - 1))),
    ]
    if chance(0.8) { data["spo2Percent"] = Double(int(88...100)) }
    if chance(0.5) { data["respiratoryRatePerMinute"] = Double(int(7...26)) }
    if chance(0.5) { data["temperatureCelsius"] = Double(int(349...385)) / 10 }
    return data
  }

  mutating func sideEffect(sessionId: String) -> [String: Any] {
    [
      "sessionId": sessionId, "effect": pick(["dissociation", "nausea", "headache", "dizziness"]),
      "severity": pick(["mild", "moderate", "severe"]), "serious": chance(0.1),
      "actionTaken": "observed",
    ]
  }

  mutating func followUps() {
    for number in 1...int(1...3) {
      let id = "followup-\(patient)-\(number)"
      // Due in 2025 (overdue now) or in 2035 (not yet due).
      let due = chance(0.5) ? clock + int(1...5) * 86_400 : 2_051_222_400 + int(0...100) * 86_400
      emit(
        "FollowUpScheduled",
        ["followUpId": id, "dueAt": Self.time(due), "kind": pick(["call", "visit"])],
        at: advance(10...60))
      if chance(0.5) {
        emit(
          "FollowUpCompleted",
          [
            "followUpId": id, "outcome": "spoke to patient",
            "newSideEffects": chance(0.3) ? ["headache"] : [],
          ],
          at: advance(60...600))
      }
    }
  }

  /// Corrections (some twice), voided corrections, voided corrected entries and plain voids.
  mutating func correctionsAndVoids() {
    for _ in 0..<int(2...6) {
      let live = correctable.filter { !voided.contains($0.id) }
      guard !live.isEmpty else { return }
      let target = pick(live)
      var correction = correct(target)
      if chance(0.4) { correction = correct(target) }  // the latest live correction counts
      if chance(0.3) {
        void(correction)  // the previous correction, or the original, counts again
      } else if chance(0.25) {
        void(target.id)  // a corrected entry voided counts for nothing
      }
    }
    for _ in 0..<int(0...2) {
      let live = correctable.filter { !voided.contains($0.id) }
      guard !live.isEmpty else { return }
      void(pick(live).id)
    }
  }

  private mutating func correct(
    _ target: (id: String, type: String, data: [String: Any], at: Int)
  ) -> String {
    var replacement = target.data
    let session = target.data["sessionId"] as? String ?? ""
    switch target.type {
    case "DoseAdministered":
      let course: Course = (
        target.data["courseId"] as? String ?? "", target.data["drug"] as? String ?? "",
        target.data["route"] as? String ?? "", 0
      )
      replacement = dose(
        sessionId: session, course: course, route: course.route,
        weight: target.data["weightKg"] as? Double ?? 70)
    case "VitalsRecorded":
      replacement = vitals(
        sessionId: session, baseline: target.data["timepoint"] as? String == "baseline")
    case "SideEffectObserved":
      replacement = sideEffect(sessionId: session)
    case "InfusionAdjusted":
      replacement["reason"] = "corrected reason"
    case "AssessmentRecorded":
      let instrument = target.data["instrument"] as? String ?? "phq9"
      let maximum = Self.maxTotal[instrument] ?? 0
      let total = int(0...maximum)
      replacement["totalScore"] = total
      replacement["itemScores"] = itemScores(instrument, total: total)
    default:
      break
    }
    return emit(
      "EntryCorrected",
      ["correctedEventId": target.id, "reason": "entered wrongly", "replacement": replacement],
      at: advance(5...60))
  }

  private mutating func void(_ id: String) {
    voided.insert(id)
    emit("EntryVoided", ["voidedEventId": id, "reason": "entered in error"], at: advance(5...60))
  }
}

extension Double {
  func rounded(toPlaces places: Int) -> Double {
    let scale = pow(10, Double(places))
    return (self * scale).rounded() / scale
  }
}
