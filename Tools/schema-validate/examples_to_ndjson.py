#!/usr/bin/env python3
"""Prints the schema examples (Schemas/examples/<Type>.v1.example.json) as NDJSON input lines in
clinical order, so they can be imported as a small demo record:

  python3 Tools/schema-validate/examples_to_ndjson.py | treatment-ledger import -

With --inventory the controlled-substance examples (Schemas/examples/inventory: the log of site
`main`, whose withdrawal accounts for the example dose) are printed too.
"""
import datetime
import json
import pathlib
import sys

ORDER = [
  "PatientRegistered", "ConsultationRecorded", "ConsentRecorded", "CoursePlanned",
  "SessionStarted", "VitalsRecorded", "DoseAdministered", "SideEffectObserved",
  "InfusionAdjusted", "AssessmentRecorded", "PatientDischarged", "FollowUpScheduled",
  "FollowUpCompleted", "EntryCorrected", "CourseCompleted", "EntryVoided",
  "RegistrationRecorded", "StockReceived", "InventoryCounted", "StockAdministered", "WasteRecorded",
  "LossReported", "StockDisposed",
]

examples = pathlib.Path(__file__).resolve().parent.parent.parent / "Schemas" / "examples"
events = []
paths = list(examples.glob("*.v1.example.json"))
if "--inventory" in sys.argv[1:]:
  paths += list(examples.glob("inventory/*.v1.example.json"))
for path in paths:
  instance = json.loads(path.read_text())
  if "type" in instance and "hash" not in instance:
    events.append(instance)
events.sort(key=lambda e: (datetime.datetime.fromisoformat(e["occurredAt"].replace("Z", "+00:00")),
                          ORDER.index(e["type"]) if e["type"] in ORDER else len(ORDER)))
for instance in events:
  print(json.dumps(instance, separators=(",", ":"), ensure_ascii=False))
