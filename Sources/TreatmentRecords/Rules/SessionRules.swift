import Foundation

extension RuleContext {
  mutating func check(_ data: DoseAdministered) throws(ClinicalValidationError) {
    let session = try requireStartedSession(data.sessionId, .doseSessionNotStarted)
    try requireId(data.courseId, field: "courseId")
    try require(data.courseId == session.courseId, .doseCourseMismatch)
    try require(data.doseMg.isFinite && data.doseMg > 0, .doseMgPositive)
    try requireRange(data.weightKg, 20...350, .doseWeightRange, field: "weightKg")
    let computed = data.doseMg / data.weightKg
    try require(
      data.doseMgPerKg.isFinite && abs(data.doseMgPerKg - computed) <= 0.01 * data.doseMgPerKg,
      .doseMgPerKgMismatch)
    if data.route == .iv {
      try require(data.doseMgPerKg <= 2, .ivMax)
    }
    if data.drug == .esketamine {
      let remainder = data.doseMg.truncatingRemainder(dividingBy: 28)
      try require(remainder < 1e-9 || 28 - remainder < 1e-9, .esketamineMultiple)
      try require(data.doseMg <= 84, .esketamineMax)
    }
    if let duration = data.plannedDurationMinutes {
      try require(data.route == .iv, .plannedDurationNotIV)
      try requirePositive(duration, .plannedDurationPositive, field: "plannedDurationMinutes")
    }
    try requireText(data.lotNumber, field: "lotNumber")
    try require(state.consentInForce(.treatment, at: occurredAt), .consentNotInForce)
    let consultation = state.latestConsultation(at: occurredAt)
    try require(consultation?.eligible == true, .notEligible)
    if data.drug == .esketamine, let consultation {
      let absolute: Set<Contraindication> = [
        .aneurysmalVascularDisease, .intracerebralHemorrhageHistory, .ketamineHypersensitivity,
      ]
      try require(
        consultation.contraindications.isDisjoint(with: absolute), .esketamineContraindicated)
    }

    let perKg = data.doseMgPerKg
    let t = thresholds
    switch data.route {
    case .iv: flag(.ivHigh, when: perKg > t.ivAlertMgPerKg)
    case .im: flag(.imHigh, when: perKg > t.imAlertMgPerKg)
    case .sc: flag(.scHigh, when: perKg > t.imAlertMgPerKg)
    case .oral: flag(.oralOutOfRange, when: perKg < t.oralMinMgPerKg || perKg > t.oralMaxMgPerKg)
    case .sublingual:
      flag(.sublingualOutOfRange, when: perKg < t.oralMinMgPerKg || perKg > t.oralMaxMgPerKg)
    case .intranasal: break
    }
    if let course = state.course(session.courseId) {
      flag(.routeDiffers, when: data.route != course.route)
      flag(.drugDiffers, when: data.drug != course.drug)
    }
  }

  mutating func check(_ data: InfusionAdjusted) throws(ClinicalValidationError) {
    try requireText(data.reason, field: "reason", rule: .infusionReasonEmpty)
    let session = try requireStartedSession(data.sessionId, .infusionSessionNotStarted)
    try require(session.hasIVDose, .infusionNoIVDose)
    if data.action == .rateChanged {
      guard let rate = data.newRateMgPerMinute else { throw error(.newRateRequired) }
      try requirePositive(rate, .newRatePositive, field: "newRateMgPerMinute")
    } else {
      try require(data.newRateMgPerMinute == nil, .newRateNotAllowed)
    }
    flag(.stoppedEarly, when: data.action == .stopped)
  }

  mutating func check(_ data: PatientDischarged) throws(ClinicalValidationError) {
    let session = try requireStartedSession(data.sessionId, .dischargeSessionNotStarted)
    try require(!session.discharged, .alreadyDischarged)
    try require(data.minutesObserved >= 0, .minutesObservedMin)
    let esketamine =
      session.doseDrugs.contains(.esketamine) || state.course(session.courseId)?.drug == .esketamine
    flag(
      .esketamineShortObservation,
      when: esketamine && data.minutesObserved < thresholds.esketamineMinObservationMinutes)
    flag(.escortAbsent, when: !data.escortPresent)
    flag(.criteriaNotMet, when: !data.criteriaMet)
  }
}
