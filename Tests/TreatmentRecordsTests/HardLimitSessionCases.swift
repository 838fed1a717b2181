import Foundation
import LedgerFoundation
import Testing
import TreatmentRecords

/// Bad inputs of the session events: SessionStarted to PatientDischarged (part of ``badInputs``).
let sessionBadInputs: [BadInput] = [
  // SessionStarted.
  BadInput("session.course.unknown", field: "courseId", sentinels: ["course-SENTINEL"]) {
    rejection(
      try Fixture.consented(), .sessionStarted(Fixture.session(courseId: "course-SENTINEL")))
  },
  BadInput("session.course.completed", field: "courseId") {
    var fixture = try Fixture.consented()
    try fixture.add(.coursePlanned(Fixture.course()))
    try fixture.add(.courseCompleted(CourseCompleted(courseId: "c1", reason: .discontinued)))
    return rejection(fixture, .sessionStarted(Fixture.session()))
  },
  BadInput("session.weightKg.range", field: "weightKg", sentinels: ["9999.125"]) {
    var fixture = try Fixture.consented()
    try fixture.add(.coursePlanned(Fixture.course()))
    return rejection(fixture, .sessionStarted(Fixture.session(weightKg: 9999.125)))
  },
  BadInput("session.weightKg.range", field: "weightKg", sentinels: ["19.875"]) {
    var fixture = try Fixture.consented()
    try fixture.add(.coursePlanned(Fixture.course()))
    return rejection(fixture, .sessionStarted(Fixture.session(weightKg: 19.875)))
  },
  BadInput("session.sessionId.duplicate", field: "sessionId") {
    rejection(try Fixture.inSession(), .sessionStarted(Fixture.session()))
  },
  // DoseAdministered.
  BadInput("dose.session.notStarted", field: "sessionId", sentinels: ["session-SENTINEL"]) {
    rejection(
      try Fixture.inSession(), .doseAdministered(Fixture.dose(sessionId: "session-SENTINEL")))
  },
  BadInput("dose.course.mismatch", field: "courseId") {
    var fixture = try Fixture.inSession()
    try fixture.add(.coursePlanned(Fixture.course("c2")))
    return rejection(fixture, .doseAdministered(Fixture.dose(courseId: "c2")))
  },
  BadInput("dose.doseMg.positive", field: "doseMg", sentinels: ["-12.5"]) {
    rejection(try Fixture.inSession(), .doseAdministered(Fixture.dose(-12.5)))
  },
  BadInput("dose.weightKg.range", field: "weightKg", sentinels: ["9999.125"]) {
    rejection(try Fixture.inSession(), .doseAdministered(Fixture.dose(35, weightKg: 9999.125)))
  },
  BadInput("dose.doseMgPerKg.mismatch", field: "doseMgPerKg", sentinels: ["0.6875"]) {
    var dose = Fixture.dose(35)
    dose.doseMgPerKg = 0.6875
    return rejection(try Fixture.inSession(), .doseAdministered(dose))
  },
  BadInput("dose.iv.maxMgPerKg", field: "doseMgPerKg", sentinels: ["160.5", "2.5078125"]) {
    rejection(try Fixture.inSession(), .doseAdministered(Fixture.dose(160.5, weightKg: 64)))
  },
  BadInput("dose.esketamine.multipleOf28", field: "doseMg", sentinels: ["61.5"]) {
    rejection(
      try Fixture.inSession(drug: .esketamine, route: .intranasal),
      .doseAdministered(Fixture.dose(61.5, drug: .esketamine, route: .intranasal)))
  },
  BadInput("dose.esketamine.maxMg", field: "doseMg", sentinels: ["112"]) {
    rejection(
      try Fixture.inSession(drug: .esketamine, route: .intranasal),
      .doseAdministered(Fixture.dose(112, drug: .esketamine, route: .intranasal)))
  },
  BadInput("dose.consent.notInForce", field: "") {
    var fixture = try Fixture.inSession()
    var withdrawal = Fixture.consent
    withdrawal.given = false
    try fixture.add(.consentRecorded(withdrawal))
    return rejection(fixture, .doseAdministered(Fixture.dose()))
  },
  BadInput("dose.consent.notInForce", field: "") {
    // Consent given at 12:00 does not cover a dose entered late for 09:00.
    var fixture = try Fixture.registered()
    try fixture.add(.consultationRecorded(Fixture.consultation))
    try fixture.add(.coursePlanned(Fixture.course()))
    try fixture.add(.sessionStarted(Fixture.session()))
    let morning = ClinicalTime(fixture.clock.addingTimeInterval(60), offsetMinutes: 60)
    fixture.clock = fixture.clock.addingTimeInterval(3 * 3600)
    try fixture.add(.consentRecorded(Fixture.consent))
    return rejection(fixture, .doseAdministered(Fixture.dose()), at: morning)
  },
  BadInput("dose.consultation.notEligible", field: "") {
    var fixture = try Fixture.inSession()
    var consultation = Fixture.consultation
    consultation.eligible = false
    try fixture.add(.consultationRecorded(consultation))
    return rejection(fixture, .doseAdministered(Fixture.dose()))
  },
  BadInput("dose.consultation.notEligible", field: "") {
    var fixture = try Fixture.registered()
    try fixture.add(.consentRecorded(Fixture.consent))
    try fixture.add(.coursePlanned(Fixture.course()))
    try fixture.add(.sessionStarted(Fixture.session()))
    return rejection(fixture, .doseAdministered(Fixture.dose()))
  },
  BadInput("dose.esketamine.contraindicated", field: "drug") {
    var fixture = try Fixture.inSession(drug: .esketamine, route: .intranasal)
    var consultation = Fixture.consultation
    consultation.contraindications = [.aneurysmalVascularDisease]
    try fixture.add(.consultationRecorded(consultation))
    return rejection(
      fixture, .doseAdministered(Fixture.dose(56, drug: .esketamine, route: .intranasal)))
  },
  BadInput(
    "dose.plannedDurationMinutes.notIV", field: "plannedDurationMinutes", sentinels: ["41.25"]
  ) {
    var dose = Fixture.dose(35, route: .im)
    dose.plannedDurationMinutes = 41.25
    return rejection(try Fixture.inSession(route: .im), .doseAdministered(dose))
  },
  BadInput(
    "dose.plannedDurationMinutes.positive", field: "plannedDurationMinutes", sentinels: ["-41.25"]
  ) {
    var dose = Fixture.dose()
    dose.plannedDurationMinutes = -41.25
    return rejection(try Fixture.inSession(), .doseAdministered(dose))
  },
  // InfusionAdjusted.
  BadInput("infusion.reason.empty", field: "reason") {
    rejection(
      try Fixture.dosed(),
      .infusionAdjusted(InfusionAdjusted(sessionId: "s1", action: .paused, reason: " \n")))
  },
  BadInput("infusion.session.notStarted", field: "sessionId") {
    rejection(
      try Fixture.dosed(),
      .infusionAdjusted(InfusionAdjusted(sessionId: "s9", action: .paused, reason: "nausea")))
  },
  BadInput("infusion.session.noIVDose", field: "sessionId") {
    rejection(
      try Fixture.inSession(),
      .infusionAdjusted(InfusionAdjusted(sessionId: "s1", action: .paused, reason: "nausea")))
  },
  BadInput("infusion.newRate.required", field: "newRateMgPerMinute") {
    rejection(
      try Fixture.dosed(),
      .infusionAdjusted(InfusionAdjusted(sessionId: "s1", action: .rateChanged, reason: "BP up")))
  },
  BadInput("infusion.newRate.notAllowed", field: "newRateMgPerMinute", sentinels: ["0.4375"]) {
    rejection(
      try Fixture.dosed(),
      .infusionAdjusted(
        InfusionAdjusted(sessionId: "s1", action: .paused, newRateMgPerMinute: 0.4375, reason: "x"))
    )
  },
  BadInput("infusion.newRate.positive", field: "newRateMgPerMinute", sentinels: ["-0.4375"]) {
    rejection(
      try Fixture.dosed(),
      .infusionAdjusted(
        InfusionAdjusted(
          sessionId: "s1", action: .rateChanged, newRateMgPerMinute: -0.4375, reason: "x")))
  },
  // VitalsRecorded.
  BadInput("vitals.session.notStarted", field: "sessionId") {
    var vitals = Fixture.vitals()
    vitals.sessionId = "s9"
    return rejection(try Fixture.inSession(), .vitalsRecorded(vitals))
  },
  BadInput("vitals.measurements.none", field: "") {
    rejection(
      try Fixture.inSession(), .vitalsRecorded(VitalsRecorded(sessionId: "s1", timepoint: .during)))
  },
  BadInput("vitals.heartRate.range", field: "heartRateBpm", sentinels: ["333.5"]) {
    var vitals = Fixture.vitals()
    vitals.heartRateBpm = 333.5
    return rejection(try Fixture.inSession(), .vitalsRecorded(vitals))
  },
  BadInput("vitals.systolic.range", field: "systolicMmHg", sentinels: ["456.25"]) {
    var vitals = Fixture.vitals()
    vitals.systolicMmHg = 456.25
    return rejection(try Fixture.inSession(), .vitalsRecorded(vitals))
  },
  BadInput("vitals.diastolic.range", field: "diastolicMmHg", sentinels: ["234.5"]) {
    var vitals = Fixture.vitals()
    vitals.systolicMmHg = nil
    vitals.diastolicMmHg = 234.5
    return rejection(try Fixture.inSession(), .vitalsRecorded(vitals))
  },
  BadInput("vitals.bloodPressure.order", field: "systolicMmHg", sentinels: ["80.5", "95.25"]) {
    var vitals = Fixture.vitals()
    vitals.systolicMmHg = 80.5
    vitals.diastolicMmHg = 95.25
    return rejection(try Fixture.inSession(), .vitalsRecorded(vitals))
  },
  BadInput("vitals.spo2.range", field: "spo2Percent", sentinels: ["101.5"]) {
    var vitals = Fixture.vitals()
    vitals.spo2Percent = 101.5
    return rejection(try Fixture.inSession(), .vitalsRecorded(vitals))
  },
  BadInput(
    "vitals.respiratoryRate.range", field: "respiratoryRatePerMinute", sentinels: ["88.5"]
  ) {
    var vitals = Fixture.vitals()
    vitals.respiratoryRatePerMinute = 88.5
    return rejection(try Fixture.inSession(), .vitalsRecorded(vitals))
  },
  BadInput("vitals.temperature.range", field: "temperatureCelsius", sentinels: ["24.875"]) {
    var vitals = Fixture.vitals()
    vitals.temperatureCelsius = 24.875
    return rejection(try Fixture.inSession(), .vitalsRecorded(vitals))
  },
  // SideEffectObserved.
  BadInput("sideEffect.session.notStarted", field: "sessionId") {
    rejection(
      try Fixture.inSession(),
      .sideEffectObserved(
        SideEffectObserved(
          sessionId: "s9", effect: .nausea, severity: .mild, serious: false, actionTaken: "none")))
  },
  // AssessmentRecorded.
  BadInput("assessment.itemCount", field: "itemScores") {
    rejection(
      try Fixture.registered(),
      .assessmentRecorded(
        AssessmentRecorded(
          instrument: .phq9, itemScores: [1, 1, 1, 1, 1, 1, 1, 1], totalScore: 8,
          timepoint: .baseline)))
  },
  BadInput("assessment.itemRange", field: "itemScores[3]") {
    rejection(
      try Fixture.registered(),
      .assessmentRecorded(
        AssessmentRecorded(
          instrument: .phq9, itemScores: [1, 1, 1, 7, 1, 1, 1, 1, 0], totalScore: 14,
          timepoint: .baseline)))
  },
  BadInput("assessment.totalScore.range", field: "totalScore", sentinels: ["131"]) {
    rejection(
      try Fixture.registered(),
      .assessmentRecorded(
        AssessmentRecorded(
          instrument: .gad7, itemScores: [3, 3, 3, 3, 3, 3, 3], totalScore: 131,
          timepoint: .baseline)))
  },
  BadInput("assessment.totalScore.mismatch", field: "totalScore", sentinels: ["19"]) {
    rejection(
      try Fixture.registered(),
      .assessmentRecorded(
        AssessmentRecorded(
          instrument: .phq9, itemScores: [2, 2, 2, 2, 2, 2, 2, 2, 0], totalScore: 19,
          timepoint: .baseline)))
  },
  BadInput("assessment.totalScore.mismatch", field: "totalScore") {
    // QIDS-SR16 scores nine domains: the plain sum (16) is wrong; the domain score is 9.
    rejection(
      try Fixture.registered(),
      .assessmentRecorded(
        AssessmentRecorded(
          instrument: .qidsSr16, itemScores: Array(repeating: 1, count: 16), totalScore: 16,
          timepoint: .baseline)))
  },
  BadInput("assessment.course.unknown", field: "courseId") {
    rejection(
      try Fixture.registered(),
      .assessmentRecorded(
        AssessmentRecorded(
          instrument: .gad7, itemScores: [0, 0, 0, 0, 0, 0, 0], totalScore: 0,
          timepoint: .baseline, courseId: "c9")))
  },
  BadInput("assessment.session.notStarted", field: "sessionId") {
    rejection(
      try Fixture.inSession(),
      .assessmentRecorded(
        AssessmentRecorded(
          instrument: .gad7, itemScores: [0, 0, 0, 0, 0, 0, 0], totalScore: 0,
          timepoint: .preSession, sessionId: "s9")))
  },
  // PatientDischarged.
  BadInput("discharge.session.notStarted", field: "sessionId") {
    rejection(
      try Fixture.inSession(),
      .patientDischarged(
        PatientDischarged(
          sessionId: "s9", minutesObserved: 60, criteriaMet: true, escortPresent: true,
          noDrivingAdviceGiven: true)))
  },
  BadInput("discharge.session.alreadyDischarged", field: "sessionId") {
    var fixture = try Fixture.dosed()
    let discharge = PatientDischarged(
      sessionId: "s1", minutesObserved: 60, criteriaMet: true, escortPresent: true,
      noDrivingAdviceGiven: true)
    try fixture.add(.patientDischarged(discharge))
    return rejection(fixture, .patientDischarged(discharge))
  },
  BadInput("discharge.minutesObserved.min", field: "minutesObserved", sentinels: ["-45"]) {
    rejection(
      try Fixture.dosed(),
      .patientDischarged(
        PatientDischarged(
          sessionId: "s1", minutesObserved: -45, criteriaMet: true, escortPresent: true,
          noDrivingAdviceGiven: true)))
  },
]
