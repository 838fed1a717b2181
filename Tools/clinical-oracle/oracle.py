#!/usr/bin/env python3
"""Independent reference for the course summary and the patient timeline.

Written from docs/CLINICAL-RULES.md (sections 6 and 7), not from the Swift code, so that the
tests can compare the store's figures with a second implementation. Standard library only.

Usage:
    python3 oracle.py EVENTS.ndjson [--now RFC3339] [--patient ID]

EVENTS.ndjson holds stored envelopes, one per line, as `treatment-ledger read --all --json`
prints them or as an audit export's events.ndjson holds them (lines of other streams are
ignored). Prints one JSON object: {"patients": {ID: {"summary": ..., "timeline": [...]}}} where
"summary" has the shape of `treatment-ledger summary --json` (absent values left out) and
"timeline" lists each entry of `timeline --json` as {eventId, type, correctedBy: [ids],
voidedBy: [ids], flags: [codes]} in clinical order.
"""

from __future__ import annotations

import argparse
import calendar
import json
import re
import sys
import time

PATIENT_PREFIX = "patient-"
TIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$")
REMISSION = {  # latest score -> remission (section 7.3); CADSS has none
    "phq9": lambda s: s < 5,
    "gad7": lambda s: s < 5,
    "madrs": lambda s: s <= 10,
    "qidsSr16": lambda s: s <= 5,
    "pcl5": lambda s: s < 33,
}


def micros(text: str) -> int:
    """An RFC 3339 time with an offset as microseconds since the epoch (section 7.1)."""
    match = TIME.match(text or "")
    if not match:
        raise ValueError(f"not an RFC 3339 time with an offset: {text!r}")
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    fraction = (match.group(7) or "").ljust(6, "0")[:6]
    seconds = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))
    if not match.group(8):
        offset = (int(match.group(10)) * 60 + int(match.group(11))) * 60
        seconds -= offset if match.group(9) == "+" else -offset
    return seconds * 1_000_000 + int(fraction)


def clinical_key(event: dict) -> tuple[int, int]:
    return (micros(event["occurredAt"]), event["globalPosition"])


def effective_events(events: list[dict]) -> list[dict]:
    """Section 6: voided entries removed, corrected ones with their latest live correction's
    replacement (and its flags and id for open flags); corrections and voids themselves
    dropped. Result in log order; each item keeps the original's occurredAt and position."""
    voided = {e["data"].get("voidedEventId", "").lower()
              for e in events if e["type"] == "EntryVoided"}
    latest_correction: dict[str, dict] = {}
    for e in events:  # log order: a later live correction supersedes an earlier one
        if e["type"] == "EntryCorrected" and e["eventId"].lower() not in voided:
            latest_correction[e["data"].get("correctedEventId", "").lower()] = e
    result = []
    for e in events:
        event_id = e["eventId"].lower()
        if e["type"] in ("EntryCorrected", "EntryVoided") or event_id in voided:
            continue
        correction = latest_correction.get(event_id)
        item = dict(e)
        item["flaggedBy"] = correction["eventId"].lower() if correction else event_id
        if correction:
            item["data"] = correction["data"].get("replacement", {})
            item["flags"] = correction.get("flags", [])
        item["flags"] = item.get("flags", [])
        result.append(item)
    return result


def course_of(event: dict, session_course: dict[str, str]) -> str | None:
    """Section 7.3, members of a course."""
    data = event["data"]
    if event["type"] == "AssessmentRecorded" and data.get("courseId") is not None:
        return data["courseId"]
    if data.get("sessionId") is not None:
        return session_course.get(data["sessionId"], data.get("courseId"))
    return data.get("courseId")


def outcome(instrument: str, scores: list[float]) -> dict:
    baseline, latest = scores[0], scores[-1]
    result = {"baseline": baseline, "latest": latest, "response": latest <= 0.5 * baseline,
              "assessments": len(scores)}
    if baseline != 0:
        result["changePercent"] = (latest - baseline) / baseline * 100
    if instrument in REMISSION:
        result["remission"] = REMISSION[instrument](latest)
    return result


def worst_blood_pressure(readings: list[dict]) -> dict | None:
    """Section 7.3: the one reading with both pressures whose mean arterial pressure,
    (systolic + 2 x diastolic) / 3, is highest; ties to the higher systolic, then the earlier
    reading (readings come in clinical order)."""
    worst, worst_key = None, None
    for reading in readings:
        data = reading["data"]
        systolic, diastolic = data.get("systolicMmHg"), data.get("diastolicMmHg")
        if systolic is None or diastolic is None:
            continue
        key = ((systolic + 2 * diastolic) / 3, systolic)
        if worst_key is None or key > worst_key:
            worst_key = key
            worst = {"systolicMmHg": systolic, "diastolicMmHg": diastolic,
                     "occurredAt": reading["occurredAt"]}
            for name in ("sessionId", "timepoint"):
                if data.get(name) is not None:
                    worst[name] = data[name]
    return worst


def session_row(start: dict, events: list[dict]) -> dict:
    """Section 7.3, the figures of one row of `sessions` (the test compares these keys only)."""
    of = lambda kind: [e for e in events if e["type"] == kind]  # noqa: E731
    doses, readings, adjustments = of("DoseAdministered"), of("VitalsRecorded"), of("InfusionAdjusted")
    discharges = of("PatientDischarged")
    row = {"sessionId": start["data"]["sessionId"], "startedAt": start["occurredAt"],
           "adjustments": len(adjustments),
           "stoppedEarly": any(a["data"]["action"] == "stopped" for a in adjustments),
           "discharged": bool(discharges)}
    if start["data"].get("weightKg") is not None:
        row["weightKg"] = start["data"]["weightKg"]
    if doses:
        row["doseMg"] = sum(d["data"]["doseMg"] for d in doses)
        row["doseMgPerKg"] = sum(d["data"]["doseMgPerKg"] for d in doses)
        row["route"] = doses[0]["data"]["route"]
        row["dosedAt"] = doses[0]["occurredAt"]
    spo2 = [r["data"]["spo2Percent"] for r in readings if r["data"].get("spo2Percent") is not None]
    rates = [r["data"]["heartRateBpm"] for r in readings if r["data"].get("heartRateBpm") is not None]
    if spo2:
        row["minSpo2Percent"] = min(spo2)
    if rates:
        row["maxHeartRateBpm"] = max(rates)
    worst = worst_blood_pressure(readings)
    if worst is not None:
        row["worstBloodPressure"] = worst
    if discharges and discharges[-1]["data"].get("minutesObserved") is not None:
        row["minutesObserved"] = discharges[-1]["data"]["minutesObserved"]
    return row


def outcome_series(instrument: str, assessments: list[dict], baseline: float) -> list[dict]:
    """Section 7.3: every assessment of the course, dated, marked against the baseline."""
    series = []
    for a in assessments:
        score = a["data"]["totalScore"]
        point = {"occurredAt": a["occurredAt"], "totalScore": score,
                 "response": score <= 0.5 * baseline}
        for name in ("timepoint", "sessionId"):
            if a["data"].get(name) is not None:
                point[name] = a["data"][name]
        if instrument in REMISSION:
            point["remission"] = REMISSION[instrument](score)
        series.append(point)
    return series


def summarize_course(plan: dict, members: list[dict], discharged: set[str]) -> dict:
    of = lambda kind: [m for m in members if m["type"] == kind]  # noqa: E731
    sessions = [m["data"]["sessionId"] for m in of("SessionStarted")]
    doses: dict[str, dict] = {}  # insertion order = clinical order of each session's first dose
    for dose in of("DoseAdministered"):
        data = dose["data"]
        entry = doses.setdefault(data["sessionId"], {
            "sessionId": data["sessionId"], "doseMg": 0.0, "doseMgPerKg": 0.0,
            "route": data["route"]})
        entry["doseMg"] += data["doseMg"]
        entry["doseMgPerKg"] += data["doseMgPerKg"]
    readings = [m["data"] for m in of("VitalsRecorded")]
    vitals = {"readings": len(readings),
              "flaggedReadings": sum(1 for m in of("VitalsRecorded") if m["flags"])}
    for name, key, pick in (("maxSystolicMmHg", "systolicMmHg", max),
                            ("maxDiastolicMmHg", "diastolicMmHg", max),
                            ("maxHeartRateBpm", "heartRateBpm", max),
                            ("minHeartRateBpm", "heartRateBpm", min),
                            ("minSpo2Percent", "spo2Percent", min)):
        values = [r[key] for r in readings if r.get(key) is not None]
        if values:
            vitals[name] = pick(values)
    side_effects: dict[str, dict[str, int]] = {}
    for effect in of("SideEffectObserved"):
        by_severity = side_effects.setdefault(effect["data"]["effect"], {})
        severity = effect["data"]["severity"]
        by_severity[severity] = by_severity.get(severity, 0) + 1
    worst = worst_blood_pressure(of("VitalsRecorded"))
    if worst is not None:
        vitals["worstBloodPressure"] = worst
    scores: dict[str, list[float]] = {}
    assessments: dict[str, list[dict]] = {}
    for assessment in of("AssessmentRecorded"):
        scores.setdefault(assessment["data"]["instrument"], []).append(
            assessment["data"]["totalScore"])
        assessments.setdefault(assessment["data"]["instrument"], []).append(assessment)
    by_session: dict[str, list[dict]] = {}
    for m in members:
        if m["data"].get("sessionId") is not None:
            by_session.setdefault(m["data"]["sessionId"], []).append(m)
    outcomes = {}
    for name, values in scores.items():
        outcomes[name] = outcome(name, values)
        outcomes[name]["series"] = outcome_series(name, assessments[name], values[0])
    adjustments = of("InfusionAdjusted")
    completions = of("CourseCompleted")
    summary = {
        "courseId": plan["data"]["courseId"],
        "sessionsPlanned": int(plan["data"]["plannedSessions"]),
        "sessionsStarted": len(sessions),
        "sessionsCompleted": sum(1 for s in sessions if s in discharged),
        "doses": list(doses.values()),
        "totalDoseMg": sum(d["doseMg"] for d in doses.values()),
        "totalDoseMgPerKg": sum(d["doseMgPerKg"] for d in doses.values()),
        "adjustments": len(adjustments),
        "earlyStops": sum(1 for a in adjustments if a["data"]["action"] == "stopped"),
        "vitals": vitals,
        "sideEffects": side_effects,
        "outcomes": outcomes,
        "openFlags": [open_flag(m, f) for m in members for f in m["flags"]],
        "sessions": [session_row(m, by_session.get(m["data"]["sessionId"], []))
                     for m in of("SessionStarted")],
    }
    for key in ("drug", "route", "phase"):
        if plan["data"].get(key) is not None:
            summary[key] = plan["data"][key]
    if completions:
        summary["completionReason"] = completions[-1]["data"]["reason"]
    return summary


def open_flag(member: dict, flag: dict) -> dict:
    """Section 7.3: a flag of one of the course's events, with when and in which session."""
    item = {"eventId": member["flaggedBy"], "type": member["type"], "code": flag["code"],
            "field": flag["field"], "occurredAt": member["occurredAt"]}
    if member["data"].get("sessionId") is not None:
        item["sessionId"] = member["data"]["sessionId"]
    return item


def summary(patient_id: str, events: list[dict], now_micros: int) -> dict:
    effective = effective_events(events)
    ordered = sorted(effective, key=clinical_key)
    session_course = {e["data"]["sessionId"]: e["data"]["courseId"]
                      for e in effective if e["type"] == "SessionStarted"}
    discharged = {e["data"]["sessionId"] for e in effective if e["type"] == "PatientDischarged"}
    members: dict[str, list[dict]] = {}
    for e in ordered:
        course = course_of(e, session_course)
        if course is not None:
            members.setdefault(course, []).append(e)
    courses = [summarize_course(plan, members.get(plan["data"]["courseId"], []), discharged)
               for plan in ordered if plan["type"] == "CoursePlanned"]
    completed = {e["data"]["followUpId"] for e in effective if e["type"] == "FollowUpCompleted"}
    open_follow_ups = []
    for e in ordered:
        if e["type"] == "FollowUpScheduled" and e["data"]["followUpId"] not in completed:
            item = {"followUpId": e["data"]["followUpId"], "dueAt": e["data"]["dueAt"],
                    "kind": e["data"]["kind"]}
            if e["data"].get("sessionId") is not None:
                item["sessionId"] = e["data"]["sessionId"]
            open_follow_ups.append(item)
    overdue = [f for f in open_follow_ups if micros(f["dueAt"]) < now_micros]
    return {"patientId": patient_id, "courses": courses, "openFollowUps": open_follow_ups,
            "overdueFollowUps": overdue}


def timeline(events: list[dict]) -> list[dict]:
    """Section 7.2: every event in clinical order with what corrected or voided it."""
    corrected: dict[str, list[str]] = {}
    voided: dict[str, list[str]] = {}
    for e in events:  # log order
        if e["type"] == "EntryCorrected":
            corrected.setdefault(e["data"]["correctedEventId"].lower(), []).append(e["eventId"].lower())
        elif e["type"] == "EntryVoided":
            voided.setdefault(e["data"]["voidedEventId"].lower(), []).append(e["eventId"].lower())
    return [{"eventId": e["eventId"].lower(), "type": e["type"],
             "correctedBy": corrected.get(e["eventId"].lower(), []),
             "voidedBy": voided.get(e["eventId"].lower(), []),
             "flags": [f["code"] for f in e.get("flags", [])]}
            for e in sorted(events, key=clinical_key)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("events", help="NDJSON of stored envelopes ('-' for standard input)")
    parser.add_argument("--now", help="the time overdue follow-ups are judged at (default: now)")
    parser.add_argument("--patient", help="only this patient")
    args = parser.parse_args()
    now_micros = micros(args.now) if args.now else int(time.time() * 1_000_000)
    streams: dict[str, list[dict]] = {}
    handle = sys.stdin if args.events == "-" else open(args.events, encoding="utf-8")
    with handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                event = json.loads(line)
            except json.JSONDecodeError as error:
                print(f"line {number}: not JSON ({error.msg})", file=sys.stderr)
                return 1
            stream = event.get("streamId", "")
            if stream.startswith(PATIENT_PREFIX):
                streams.setdefault(stream[len(PATIENT_PREFIX):], []).append(event)
    patients = {}
    for patient_id, events in sorted(streams.items()):
        if args.patient and patient_id != args.patient:
            continue
        events.sort(key=lambda e: e["globalPosition"])
        patients[patient_id] = {"summary": summary(patient_id, events, now_micros),
                                "timeline": timeline(events)}
    json.dump({"patients": patients}, sys.stdout, sort_keys=True)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
