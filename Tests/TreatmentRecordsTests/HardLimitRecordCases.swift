import Foundation
import LedgerFoundation
import Testing
import TreatmentRecords

/// Bad inputs of follow-ups, course completion, corrections, voids and protocol files (part of
/// ``badInputs``).
let recordBadInputs: [BadInput] = [
  // FollowUpScheduled and FollowUpCompleted.
  BadInput("followUp.followUpId.duplicate", field: "followUpId") {
    var fixture = try Fixture.registered()
    let followUp = FollowUpScheduled(
      followUpId: "fu-1", dueAt: ClinicalTime(fixture.now), kind: .call)
    try fixture.add(.followUpScheduled(followUp))
    return rejection(fixture, .followUpScheduled(followUp))
  },
  BadInput("followUp.session.notStarted", field: "sessionId") {
    let fixture = try Fixture.registered()
    return rejection(
      fixture,
      .followUpScheduled(
        FollowUpScheduled(
          followUpId: "fu-1", dueAt: ClinicalTime(fixture.now), kind: .call, sessionId: "s9")))
  },
  BadInput("followUp.unknown", field: "followUpId", sentinels: ["fu-SENTINEL"]) {
    rejection(
      try Fixture.registered(),
      .followUpCompleted(
        FollowUpCompleted(followUpId: "fu-SENTINEL", outcome: "fine", newSideEffects: [])))
  },
  BadInput("followUp.alreadyCompleted", field: "followUpId") {
    var fixture = try Fixture.registered()
    try fixture.add(
      .followUpScheduled(
        FollowUpScheduled(followUpId: "fu-1", dueAt: ClinicalTime(fixture.now), kind: .call)))
    let completion = FollowUpCompleted(followUpId: "fu-1", outcome: "fine", newSideEffects: [])
    try fixture.add(.followUpCompleted(completion))
    return rejection(fixture, .followUpCompleted(completion))
  },
  // CourseCompleted.
  BadInput("courseCompleted.course.unknown", field: "courseId") {
    rejection(
      try Fixture.inSession(), .courseCompleted(CourseCompleted(courseId: "c9", reason: .completed))
    )
  },
  BadInput("courseCompleted.course.alreadyCompleted", field: "courseId") {
    var fixture = try Fixture.inSession()
    try fixture.add(.courseCompleted(CourseCompleted(courseId: "c1", reason: .completed)))
    return rejection(fixture, .courseCompleted(CourseCompleted(courseId: "c1", reason: .completed)))
  },
  // EntryCorrected.
  BadInput("correction.reason.empty", field: "reason") {
    let fixture = try Fixture.inSession()
    return rejection(
      fixture,
      .entryCorrected(
        try EntryCorrected(
          correctedEventId: fixture.id("session"), reason: "",
          replacement: Fixture.session(weightKg: 72))))
  },
  BadInput("correction.target.unknown", field: "correctedEventId") {
    rejection(
      try Fixture.inSession(),
      .entryCorrected(
        try EntryCorrected(
          correctedEventId: UUID(), reason: "typo", replacement: Fixture.session(weightKg: 72))))
  },
  BadInput("correction.target.otherStream", field: "correctedEventId") {
    let elsewhere = UUID()
    return rejection(
      try Fixture.inSession(),
      .entryCorrected(
        try EntryCorrected(
          correctedEventId: elsewhere, reason: "typo", replacement: Fixture.session(weightKg: 72))),
      otherStreamHas: [elsewhere])
  },
  BadInput("correction.target.voided", field: "correctedEventId") {
    var fixture = try Fixture.inSession()
    try fixture.add(.entryVoided(EntryVoided(voidedEventId: fixture.id("session"), reason: "dup")))
    return rejection(
      fixture,
      .entryCorrected(
        try EntryCorrected(
          correctedEventId: fixture.id("session"), reason: "typo",
          replacement: Fixture.session(weightKg: 72))))
  },
  BadInput("correction.target.isCorrection", field: "correctedEventId") {
    var fixture = try Fixture.inSession()
    try fixture.add(
      .entryCorrected(
        try EntryCorrected(
          correctedEventId: fixture.id("session"), reason: "typo",
          replacement: Fixture.session(weightKg: 72))),
      name: "correction")
    return rejection(
      fixture,
      .entryCorrected(
        try EntryCorrected(
          correctedEventId: fixture.id("correction"), reason: "typo",
          replacement: Fixture.session(weightKg: 73))))
  },
  BadInput("session.weightKg.range", field: "replacement.weightKg", sentinels: ["9999.125"]) {
    // A replacement is judged by the rules of the corrected event's type.
    let fixture = try Fixture.inSession()
    return rejection(
      fixture,
      .entryCorrected(
        try EntryCorrected(
          correctedEventId: fixture.id("session"), reason: "typo",
          replacement: Fixture.session(weightKg: 9999.125))))
  },
  BadInput("decode.field.missing", field: "replacement.weightKg") {
    let fixture = try Fixture.inSession()
    return rejection(
      fixture,
      .entryCorrected(
        EntryCorrected(
          correctedEventId: fixture.id("session"), reason: "typo",
          replacement: ["sessionId": .string("s1"), "courseId": .string("c1")])))
  },
  BadInput("dose.consent.notInForce", field: "replacement") {
    // Correcting the only consent into a withdrawal leaves the dose below without consent:
    // a correction of the dose itself is then judged without consent in force.
    var fixture = try Fixture.dosed()
    var withdrawal = Fixture.consent
    withdrawal.given = false
    try fixture.add(
      .entryCorrected(
        try EntryCorrected(
          correctedEventId: fixture.id("consent"), reason: "never signed", replacement: withdrawal))
    )
    return rejection(
      fixture,
      .entryCorrected(
        try EntryCorrected(
          correctedEventId: fixture.id("dose"), reason: "lot", replacement: Fixture.dose(36))))
  },
  // EntryVoided.
  BadInput("void.reason.empty", field: "reason") {
    let fixture = try Fixture.inSession()
    return rejection(
      fixture, .entryVoided(EntryVoided(voidedEventId: fixture.id("session"), reason: "\t")))
  },
  BadInput("void.target.unknown", field: "voidedEventId") {
    rejection(
      try Fixture.inSession(), .entryVoided(EntryVoided(voidedEventId: UUID(), reason: "dup")))
  },
  BadInput("void.target.otherStream", field: "voidedEventId") {
    let elsewhere = UUID()
    return rejection(
      try Fixture.inSession(), .entryVoided(EntryVoided(voidedEventId: elsewhere, reason: "dup")),
      otherStreamHas: [elsewhere])
  },
  BadInput("void.target.alreadyVoided", field: "voidedEventId") {
    var fixture = try Fixture.inSession()
    try fixture.add(.entryVoided(EntryVoided(voidedEventId: fixture.id("session"), reason: "dup")))
    return rejection(
      fixture, .entryVoided(EntryVoided(voidedEventId: fixture.id("session"), reason: "dup")))
  },
  BadInput("void.target.isVoid", field: "voidedEventId") {
    var fixture = try Fixture.inSession()
    try fixture.add(
      .entryVoided(EntryVoided(voidedEventId: fixture.id("session"), reason: "dup")), name: "void")
    return rejection(
      fixture, .entryVoided(EntryVoided(voidedEventId: fixture.id("void"), reason: "undo")))
  },
  // ClinicalProtocol files.
  BadInput("protocol.version.empty", field: "protocolVersion") {
    protocolError(#"{"protocolVersion": " "}"#)
  },
  BadInput("protocol.threshold.positive", field: "thresholds.heartRateLowBpm", sentinels: ["-50.5"])
  {
    protocolError(#"{"protocolVersion": "clinic-2", "thresholds": {"heartRateLowBpm": -50.5}}"#)
  },
  BadInput("protocol.threshold.range", field: "thresholds.spo2LowPercent", sentinels: ["101.25"]) {
    protocolError(#"{"protocolVersion": "clinic-2", "thresholds": {"spo2LowPercent": 101.25}}"#)
  },
  BadInput("protocol.threshold.order", field: "thresholds.heartRateLowBpm", sentinels: ["121.5"]) {
    protocolError(#"{"protocolVersion": "clinic-2", "thresholds": {"heartRateLowBpm": 121.5}}"#)
  },
]
