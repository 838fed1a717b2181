#!/usr/bin/env python3
"""Prints the schema examples (Schemas/examples/<Type>.v1.example.json) as NDJSON input lines in
clinical order, so they can be imported as a small demo record:

  python3 Tools/schema-validate/examples_to_ndjson.py | treatment-ledger import -
"""
import datetime
import json
import pathlib

ORDER = [
  "PatientRegistered", "ConsultationRecorded", "ConsentRecorded", "CoursePlanned",
  "SessionStarted", "VitalsRecorded", "DoseAdministered", "SideEffectObserved",
  "InfusionAdjusted", "AssessmentRecorded", "PatientDischarged", "FollowUpScheduled",
  "FollowUpCompleted", "EntryCorrected", "CourseCompleted", "EntryVoided",
]

examples = pathlib.Path(__file__).resolve().parent.parent.parent / "Schemas" / "examples"
events = []
for path in examples.glob("*.v1.example.json"):
  instance = json.loads(path.read_text())
  if "type" in instance and "hash" not in instance:
    events.append(instance)
events.sort(key=lambda e: (datetime.datetime.fromisoformat(e["occurredAt"].replace("Z", "+00:00")),
                          ORDER.index(e["type"]) if e["type"] in ORDER else len(ORDER)))
for instance in events:
  print(json.dumps(instance, separators=(",", ":"), ensure_ascii=False))
