import Foundation
import LedgerEventStore

/// One blood-pressure reading as it was taken: both pressures from the same event.
public struct BloodPressureReading: Codable, Sendable, Hashable {
  /// Systolic pressure, mmHg.
  public var systolicMmHg: Double
  /// Diastolic pressure, mmHg.
  public var diastolicMmHg: Double
  /// Clinical time of the reading.
  public var occurredAt: String
  /// The session of the reading.
  public var sessionId: String?
  /// baseline, during, endOfDose, recovery or discharge.
  public var timepoint: String?

  /// Mean arterial pressure, (systolic + 2 × diastolic) ÷ 3: how readings are ranked.
  public var meanArterialPressure: Double { (systolicMmHg + 2 * diastolicMmHg) / 3 }
}

/// One vital-signs reading of a session, placed against the time of the session's first dose.
public struct VitalsPoint: Codable, Sendable, Hashable {
  /// Clinical time of the reading.
  public var occurredAt: String
  /// Minutes from the session's first dose (negative before it); absent when no dose was given.
  public var minutesFromDose: Double?
  /// baseline, during, endOfDose, recovery or discharge.
  public var timepoint: String?
  /// Heart rate, bpm.
  public var heartRateBpm: Double?
  /// Systolic pressure, mmHg.
  public var systolicMmHg: Double?
  /// Diastolic pressure, mmHg.
  public var diastolicMmHg: Double?
  /// SpO2, %.
  public var spo2Percent: Double?
  /// Respiratory rate, breaths a minute.
  public var respiratoryRatePerMinute: Double?
  /// Temperature, °C.
  public var temperatureCelsius: Double?
  /// Flag codes of the reading.
  public var flags: [String]
}

/// A side effect or a flagged event of a session, placed on the session's time axis.
public struct SessionMark: Codable, Sendable, Hashable {
  /// Clinical time.
  public var occurredAt: String
  /// Minutes from the session's first dose; absent when no dose was given.
  public var minutesFromDose: Double?
  /// The event type.
  public var type: String
  /// For a side effect, the effect; for an infusion change, the action; else absent.
  public var what: String?
  /// For a side effect, its severity.
  public var severity: String?
  /// For a side effect, whether it was serious.
  public var serious: Bool?
  /// Free text: a side effect's action taken, an infusion change's reason.
  public var note: String?
  /// Flag codes of the event.
  public var flags: [String]
}

/// One session of a course, as a clinician reads it in a table.
public struct SessionRow: Codable, Sendable, Hashable {
  /// The session.
  public var sessionId: String
  /// Clinical time of its SessionStarted.
  public var startedAt: String
  /// Weight at the start of the session, kg.
  public var weightKg: Double?
  /// Total dose given, mg (absent when no dose was given).
  public var doseMg: Double?
  /// Total dose given, mg/kg.
  public var doseMgPerKg: Double?
  /// Route of the first dose.
  public var route: String?
  /// Clinical time of the first dose.
  public var dosedAt: String?
  /// InfusionAdjusted events of the session.
  public var adjustments: Int
  /// True when the infusion was stopped early.
  public var stoppedEarly: Bool
  /// The worst blood pressure of the session (highest mean arterial pressure).
  public var worstBloodPressure: BloodPressureReading?
  /// Lowest SpO2, %.
  public var minSpo2Percent: Double?
  /// Highest heart rate, bpm.
  public var maxHeartRateBpm: Double?
  /// The vital-signs readings in clinical order.
  public var vitals: [VitalsPoint]
  /// Side effects, infusion changes and other flagged events (not readings), in clinical order.
  public var events: [SessionMark]
  /// Side effects as `effect (severity)` codes, in clinical order.
  public var sideEffects: [String]
  /// Flag codes of the session's events, in clinical order, each once.
  public var flags: [String]
  /// True when the patient was discharged from the session.
  public var discharged: Bool
  /// Minutes observed before discharge.
  public var minutesObserved: Double?
}

/// One assessment of an outcome measure.
public struct OutcomePoint: Codable, Sendable, Hashable {
  /// Clinical time of the assessment.
  public var occurredAt: String
  /// The total score.
  public var totalScore: Double
  /// baseline, preSession, postSession, followUp or endOfCourse.
  public var timepoint: String?
  /// The session, when the assessment names one.
  public var sessionId: String?
  /// Score ≤ 50% of the course's baseline.
  public var response: Bool
  /// Below the instrument's remission threshold; absent where none is defined.
  public var remission: Bool?
}

extension CourseSummaryState {
  /// The reading with the highest mean arterial pressure among those with both pressures.
  static func worstBloodPressure(_ readings: [Effective]) -> BloodPressureReading? {
    let candidates = readings.compactMap { reading -> BloodPressureReading? in
      guard let systolic = reading.number("systolicMmHg"),
        let diastolic = reading.number("diastolicMmHg")
      else { return nil }
      return BloodPressureReading(
        systolicMmHg: systolic, diastolicMmHg: diastolic, occurredAt: reading.occurredAt,
        sessionId: reading.string("sessionId"), timepoint: reading.string("timepoint"))
    }
    // The first of equals wins, so the choice does not depend on anything but clinical order.
    return candidates.reduce(nil) { worst, next in
      guard let worst else { return next }
      let a = (next.meanArterialPressure, next.systolicMmHg)
      let b = (worst.meanArterialPressure, worst.systolicMmHg)
      return a > b ? next : worst
    }
  }

  /// The instrument's assessments as a dated series, each marked against the baseline.
  static func outcomeSeries(instrument: String, scores: [Effective], baseline: Double)
    -> [OutcomePoint]
  {
    scores.compactMap { score in
      guard let total = score.number("totalScore") else { return nil }
      return OutcomePoint(
        occurredAt: score.occurredAt, totalScore: total, timepoint: score.string("timepoint"),
        sessionId: score.string("sessionId"), response: total <= baseline * 0.5,
        remission: remission(instrument, total))
    }
  }

  /// One row per SessionStarted among `members` (the course's events in clinical order).
  static func sessionRows(_ members: [Effective]) -> [SessionRow] {
    var bySession: [String: [Effective]] = [:]
    for event in members {
      if let session = event.string("sessionId") { bySession[session, default: []].append(event) }
    }
    return members.filter { $0.type == SessionStarted.eventType }.compactMap { start in
      guard let session = start.string("sessionId") else { return nil }
      return sessionRow(start: start, events: bySession[session] ?? [])
    }
  }

  private static func sessionRow(start: Effective, events: [Effective]) -> SessionRow {
    let doses = events.filter { $0.type == DoseAdministered.eventType }
    let firstDose = doses.first?.occurredAtMicros
    func minutes(_ event: Effective) -> Double? {
      firstDose.map { Double(event.occurredAtMicros - $0) / 60_000_000 }
    }
    func codes(_ event: Effective) -> [String] {
      event.flags.compactMap { $0["code"]?.stringValue }
    }
    let readings = events.filter { $0.type == VitalsRecorded.eventType }
    let adjustments = events.filter { $0.type == InfusionAdjusted.eventType }
    let effects = events.filter { $0.type == SideEffectObserved.eventType }
    // Flags of other events (an assessment, a dose, the discharge) go on the time axis too; a
    // reading's flags are shown on the reading.
    let otherFlagged = events.filter {
      !$0.flags.isEmpty
        && ![SideEffectObserved.eventType, InfusionAdjusted.eventType, VitalsRecorded.eventType]
          .contains($0.type)
    }
    var flags: [String] = []
    for code in events.flatMap(codes) where !flags.contains(code) { flags.append(code) }
    let discharge = events.last { $0.type == PatientDischarged.eventType }
    return SessionRow(
      sessionId: start.string("sessionId") ?? "", startedAt: start.occurredAt,
      weightKg: start.number("weightKg"),
      doseMg: doses.isEmpty ? nil : doses.reduce(0) { $0 + ($1.number("doseMg") ?? 0) },
      doseMgPerKg: doses.isEmpty ? nil : doses.reduce(0) { $0 + ($1.number("doseMgPerKg") ?? 0) },
      route: doses.first?.string("route"), dosedAt: doses.first?.occurredAt,
      adjustments: adjustments.count,
      stoppedEarly: adjustments.contains { $0.string("action") == "stopped" },
      worstBloodPressure: worstBloodPressure(readings),
      minSpo2Percent: readings.compactMap { $0.number("spo2Percent") }.min(),
      maxHeartRateBpm: readings.compactMap { $0.number("heartRateBpm") }.max(),
      vitals: readings.map { reading in
        VitalsPoint(
          occurredAt: reading.occurredAt, minutesFromDose: minutes(reading),
          timepoint: reading.string("timepoint"), heartRateBpm: reading.number("heartRateBpm"),
          systolicMmHg: reading.number("systolicMmHg"),
          diastolicMmHg: reading.number("diastolicMmHg"),
          spo2Percent: reading.number("spo2Percent"),
          respiratoryRatePerMinute: reading.number("respiratoryRatePerMinute"),
          temperatureCelsius: reading.number("temperatureCelsius"), flags: codes(reading))
      },
      events: (effects + adjustments + otherFlagged).sorted {
        $0.occurredAtMicros < $1.occurredAtMicros
      }.map {
        event in
        SessionMark(
          occurredAt: event.occurredAt, minutesFromDose: minutes(event), type: event.type,
          what: event.string("effect") ?? event.string("action"),
          severity: event.string("severity"),
          serious: event.data["serious"].flatMap {
            if case .bool(let flag) = $0 { flag } else { nil }
          },
          note: event.string("actionTaken") ?? event.string("reason"), flags: codes(event))
      },
      sideEffects: effects.map {
        "\($0.string("effect") ?? "other") (\($0.string("severity") ?? "?"))"
      },
      flags: flags, discharged: discharge != nil,
      minutesObserved: discharge?.number("minutesObserved"))
  }
}
