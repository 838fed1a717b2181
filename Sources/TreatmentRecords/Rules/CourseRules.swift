import Foundation

extension RuleContext {
  mutating func check(_ data: CoursePlanned) throws(ClinicalValidationError) {
    try requireId(data.courseId, field: "courseId")
    try require(state.course(data.courseId) == nil, .courseDuplicate)
    try require(data.plannedSessions >= 1, .plannedSessionsMin)
    try requirePositive(data.sessionsPerWeek, .sessionsPerWeekPositive, field: "sessionsPerWeek")
    if data.drug == .esketamine {
      try require(data.targetDoseMgPerKg == nil, .targetDoseEsketamine)
    }
    try requirePositive(data.targetDoseMgPerKg, .targetDosePositive, field: "targetDoseMgPerKg")
    flag(
      .maintenanceFrequency,
      when: data.phase == .maintenance
        && data.sessionsPerWeek > thresholds.maintenanceMaxSessionsPerWeek)
  }

  mutating func check(_ data: CourseCompleted) throws(ClinicalValidationError) {
    try requireId(data.courseId, field: "courseId")
    guard let course = state.course(data.courseId) else {
      throw error(.completionCourseUnknown)
    }
    try require(!course.completed, .completionAlreadyCompleted)
  }

  mutating func check(_ data: SessionStarted) throws(ClinicalValidationError) {
    try requireId(data.sessionId, field: "sessionId")
    try requireId(data.courseId, field: "courseId")
    try require(state.session(data.sessionId) == nil, .sessionDuplicate)
    guard let course = state.course(data.courseId) else {
      throw error(.sessionCourseUnknown)
    }
    try require(!course.completed, .sessionCourseCompleted)
    try requireRange(data.weightKg, 20...350, .sessionWeightRange, field: "weightKg")
    flag(.escortNotArranged, when: !data.escortArranged)
    if let previous = state.lastSessionWeightKg(at: occurredAt), previous > 0 {
      let changePercent = abs(data.weightKg - previous) / previous * 100
      flag(.weightChanged, when: changePercent > thresholds.weightChangePercent)
    }
  }
}
