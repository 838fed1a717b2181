import Foundation

extension RuleContext {
  mutating func check(_ data: VitalsRecorded) throws(ClinicalValidationError) {
    _ = try requireStartedSession(data.sessionId, .vitalsSessionNotStarted)
    let measurements = [
      data.heartRateBpm, data.systolicMmHg, data.diastolicMmHg, data.spo2Percent,
      data.respiratoryRatePerMinute, data.temperatureCelsius,
    ]
    try require(measurements.contains { $0 != nil }, .vitalsNone)
    try requireRange(data.heartRateBpm, 0...300, .heartRateRange, field: "heartRateBpm")
    try requireRange(data.systolicMmHg, 0...300, .systolicRange, field: "systolicMmHg")
    try requireRange(data.diastolicMmHg, 0...200, .diastolicRange, field: "diastolicMmHg")
    if let systolic = data.systolicMmHg, let diastolic = data.diastolicMmHg {
      try require(systolic > diastolic, .bloodPressureOrder)
    }
    try requireRange(data.spo2Percent, 0...100, .spo2Range, field: "spo2Percent")
    try requireRange(
      data.respiratoryRatePerMinute, 0...80, .respiratoryRateRange,
      field: "respiratoryRatePerMinute")
    try requireRange(
      data.temperatureCelsius, 25...45, .temperatureRange, field: "temperatureCelsius")

    let t = thresholds
    let baseline = data.timepoint == .baseline
    if let value = data.heartRateBpm {
      flag(.heartRateLow, when: value <= t.heartRateLowBpm)
      flag(.heartRateHigh, when: value >= t.heartRateHighBpm)
    }
    if let value = data.systolicMmHg {
      flag(.systolicHighAtBaseline, when: baseline && value >= t.systolicHighBaselineMmHg)
      flag(.systolicHigh, when: !baseline && value >= t.systolicHighMmHg)
      flag(.systolicLow, when: value <= t.systolicLowMmHg)
    }
    if let value = data.diastolicMmHg {
      flag(.diastolicHighAtBaseline, when: baseline && value >= t.diastolicHighBaselineMmHg)
      flag(.diastolicHigh, when: !baseline && value >= t.diastolicHighMmHg)
    }
    if let value = data.spo2Percent {
      flag(.spo2Low, when: value <= t.spo2LowPercent)
    }
    if let value = data.respiratoryRatePerMinute {
      flag(.respiratoryRateLow, when: value <= t.respiratoryRateLow)
      flag(.respiratoryRateHigh, when: value >= t.respiratoryRateHigh)
    }
    if let value = data.temperatureCelsius {
      flag(.temperatureLow, when: value <= t.temperatureLowCelsius)
      flag(.temperatureHigh, when: value >= t.temperatureHighCelsius)
    }
  }

  mutating func check(_ data: SideEffectObserved) throws(ClinicalValidationError) {
    _ = try requireStartedSession(data.sessionId, .sideEffectSessionNotStarted)
    try requireText(data.actionTaken, field: "actionTaken")
    flag(.sideEffectSevere, when: data.severity == .severe)
    flag(.sideEffectSerious, when: data.serious)
  }

  mutating func check(_ data: AssessmentRecorded) throws(ClinicalValidationError) {
    if let courseId = data.courseId {
      try requireId(courseId, field: "courseId")
      try require(state.course(courseId) != nil, .assessmentCourseUnknown)
    }
    if let sessionId = data.sessionId {
      _ = try requireStartedSession(sessionId, .assessmentSessionNotStarted)
    }
    let instrument = data.instrument
    let name = instrument.displayName
    try require(
      data.itemScores.count == instrument.itemCount, .itemCount,
      limit: "exactly \(instrument.itemCount) items for \(name)")
    let range = instrument.itemRange
    for (index, score) in data.itemScores.enumerated() {
      try require(
        range.contains(score), .itemRange, field: "itemScores[\(index)]",
        limit: "\(range.lowerBound) to \(range.upperBound) for each \(name) item")
    }
    let total = instrument.totalRange
    try require(
      total.contains(data.totalScore), .totalRange,
      limit: "\(total.lowerBound) to \(total.upperBound) for \(name)")
    try require(
      data.totalScore == instrument.score(data.itemScores), .totalMismatch,
      limit: instrument == .qidsSr16
        ? "the QIDS-SR16 scoring of itemScores (nine domains)" : "the sum of itemScores")
    flag(.suicidalThoughts, when: instrument == .phq9 && data.itemScores[8] >= 1)
  }

  mutating func check(_ data: FollowUpScheduled) throws(ClinicalValidationError) {
    try requireId(data.followUpId, field: "followUpId")
    try require(state.facts.followUps[data.followUpId] == nil, .followUpDuplicate)
    if let sessionId = data.sessionId {
      _ = try requireStartedSession(sessionId, .followUpSessionNotStarted)
    }
  }

  mutating func check(_ data: FollowUpCompleted) throws(ClinicalValidationError) {
    try requireId(data.followUpId, field: "followUpId")
    guard let dueAt = state.facts.followUps[data.followUpId] else {
      throw error(.followUpUnknown)
    }
    try require(
      !state.facts.completedFollowUps.contains(data.followUpId), .followUpAlreadyCompleted)
    try requireText(data.outcome, field: "outcome")
    for (index, effect) in data.newSideEffects.enumerated() {
      try requireText(effect, field: "newSideEffects[\(index)]")
    }
    flag(.completedLate, when: occurredAt > dueAt)
  }
}
