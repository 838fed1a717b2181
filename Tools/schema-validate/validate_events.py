#!/usr/bin/env python3
"""Validate TreatmentLedger JSON / NDJSON files against the schemas in Schemas/.

Usage:
  python3 Tools/schema-validate/validate_events.py --kind input|envelope|data|protocol|retention [--type T] FILE...
  python3 Tools/schema-validate/validate_events.py --self-test

Each FILE ending in .json holds one instance; each FILE ending in .ndjson holds one instance per
non-blank line. --kind data checks bare `data` payloads and needs --type (an event type such as
DoseAdministered).

Output: one line per invalid instance, `FILE:LINE: <json path>: <message>`, and exit status 1;
otherwise `N valid` and exit status 0. Exit status 2 means a usage or I/O error.

Messages name the field, the keyword and the schema's limit, never the instance's value, so the
tool can be run on exported records without printing patient data (DOMAIN.md section 5).

Only the Python standard library, jsonschema (draft 2020-12) and referencing are used. Every
*.schema.json file under the schemas directory (by default ../../Schemas relative to this script,
or --schemas DIR) is loaded into a local registry by its $id; nothing is fetched over the network.
Format checking is on, so date-time and uuid values are checked, not only annotated.
"""

from __future__ import annotations

import argparse
import copy
import datetime
import json
import pathlib
import re
import sys
from typing import Any, Iterable, Iterator

import jsonschema
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError, relevance
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

BASE_ID = "https://treatmentledger.example/schemas/"
KIND_IDS = {
  "input": BASE_ID + "input.v1.schema.json",
  "envelope": BASE_ID + "envelope.v1.schema.json",
  "protocol": BASE_ID + "protocol.v1.schema.json",
  "retention": BASE_ID + "retention.v1.schema.json",
}
DEFAULT_SCHEMAS = pathlib.Path(__file__).resolve().parent.parent.parent / "Schemas"


class UsageError(Exception):
  """A problem with the command line, the schemas directory or an input file (exit 2)."""


# --------------------------------------------------------------------------- registry, validator


def load_schemas(schemas_dir: pathlib.Path) -> dict[str, tuple[pathlib.Path, dict]]:
  """Every *.schema.json under schemas_dir, keyed by its $id."""
  if not schemas_dir.is_dir():
    raise UsageError(f"schemas directory not found: {schemas_dir}")
  schemas: dict[str, tuple[pathlib.Path, dict]] = {}
  for path in sorted(schemas_dir.rglob("*.schema.json")):
    try:
      contents = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
      raise UsageError(f"{path}: cannot read schema: {error}") from error
    schema_id = contents.get("$id") if isinstance(contents, dict) else None
    if not isinstance(schema_id, str):
      raise UsageError(f"{path}: schema has no $id")
    if schema_id in schemas:
      raise UsageError(f"{path}: duplicate $id {schema_id}")
    schemas[schema_id] = (path, contents)
  if not schemas:
    raise UsageError(f"no *.schema.json files under {schemas_dir}")
  return schemas


def build_registry(schemas: dict[str, tuple[pathlib.Path, dict]]) -> Registry:
  """A registry holding only the local schemas; unknown references fail instead of fetching."""
  return Registry().with_resources(
    (schema_id, Resource.from_contents(contents, default_specification=DRAFT202012))
    for schema_id, (_, contents) in schemas.items()
  )


_RFC3339 = re.compile(
  r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})\Z"
)


def _is_rfc3339(instance: object) -> bool:
  """Fallback date-time check (used only if jsonschema's optional rfc3339 checker is absent)."""
  if not isinstance(instance, str):
    return True
  if not _RFC3339.match(instance):
    return False
  text = instance.upper().replace("Z", "+00:00")
  seconds = text[17:19]
  if seconds == "60":  # leap second: datetime cannot hold it; check the rest
    text = text[:17] + "59" + text[19:]
  try:
    datetime.datetime.fromisoformat(text)
  except ValueError:
    return False
  return True


def make_format_checker() -> FormatChecker:
  checker = FormatChecker()
  if "date-time" not in checker.checkers:
    checker.checks("date-time")(_is_rfc3339)
  return checker


def _ecma_pattern(pattern: str) -> str:
  """ECMA-262 `$` (no multiline) matches only at the very end; Python's also before a final
  newline. Translate a trailing unescaped `$` so that "id\\n" does not pass "^[a-z]+$"."""
  if pattern.endswith("$") and not pattern.endswith("\\$"):
    return pattern[:-1] + r"\Z"
  return pattern


def _pattern(validator, pattern, instance, schema):
  if validator.is_type(instance, "string") and not re.search(_ecma_pattern(pattern), instance):
    yield ValidationError(f"{instance!r} does not match {pattern!r}")


# Registered for the 2020-12 metaschema URI (within this process only): jsonschema picks the class
# by `$schema` whenever a `$ref` enters another schema file, and an unregistered extension would
# silently fall back to the stock `pattern` there.
Validator = jsonschema.validators.extend(
  Draft202012Validator, {"pattern": _pattern}, version="draft2020-12-ecma-anchors"
)


class Schemas:
  def __init__(self, schemas_dir: pathlib.Path) -> None:
    self.dir = schemas_dir
    self.by_id = load_schemas(schemas_dir)
    self.registry = build_registry(self.by_id)
    self.format_checker = make_format_checker()

  def event_types(self) -> list[str]:
    defs = self.by_id.get(BASE_ID + "defs.v1.schema.json")
    if defs is None:
      raise UsageError("defs.v1.schema.json not found")
    return list(defs[1]["$defs"]["eventType"]["enum"])

  def system_event_types(self) -> list[str]:
    """The store's own event types (defs systemEventType), appended only by the store."""
    defs = self.by_id.get(BASE_ID + "defs.v1.schema.json")
    if defs is None:
      raise UsageError("defs.v1.schema.json not found")
    return list(defs[1]["$defs"]["systemEventType"]["enum"])

  def schema_id(self, kind: str, event_type: str | None) -> str:
    if kind == "data":
      if not event_type:
        raise UsageError("--kind data needs --type")
      schema_id = f"{BASE_ID}events/{event_type}.v1.schema.json"
      if schema_id not in self.by_id:
        raise UsageError(f"unknown event type {event_type!r} (no events/{event_type}.v1.schema.json)")
      return schema_id
    if event_type:
      raise UsageError("--type is only used with --kind data")
    return KIND_IDS[kind]

  def validator(self, schema_id: str) -> Validator:
    return Validator(
      self.by_id[schema_id][1], registry=self.registry, format_checker=self.format_checker
    )


# --------------------------------------------------------------------------- messages


def _names(values: Iterable[Any]) -> str:
  return ", ".join(str(v) if isinstance(v, str) else json.dumps(v) for v in values)


def describe(error: ValidationError) -> str:
  """A message naming the keyword and the schema's limit but never the instance's value."""
  keyword, limit, instance = error.validator, error.validator_value, error.instance
  if keyword == "required":
    missing = [p for p in limit if isinstance(instance, dict) and p not in instance]
    return f"missing required property {_names(missing)}"
  if keyword == "additionalProperties":
    known = set(error.schema.get("properties", {}))
    extra = sorted(p for p in instance if p not in known) if isinstance(instance, dict) else []
    return f"unexpected property {_names(extra)}"
  if keyword == "type":
    return f"must be of type {limit if isinstance(limit, str) else ' or '.join(limit)}"
  if keyword == "enum":
    return f"must be one of: {_names(limit)}"
  if keyword == "const":
    return f"must be {json.dumps(limit)}"
  if keyword == "minimum":
    return f"must be at least {limit}"
  if keyword == "maximum":
    return f"must be at most {limit}"
  if keyword == "exclusiveMinimum":
    return f"must be greater than {limit}"
  if keyword == "exclusiveMaximum":
    return f"must be less than {limit}"
  if keyword == "multipleOf":
    return f"must be a multiple of {limit}"
  if keyword == "minLength":
    return "must not be empty" if limit == 1 else f"must have at least {limit} characters"
  if keyword == "maxLength":
    return f"must have at most {limit} characters"
  if keyword == "pattern":
    return f"must match the pattern {limit}"
  if keyword == "format":
    return f"must be a valid {limit}"
  if keyword == "minItems":
    return f"must have at least {limit} item{'' if limit == 1 else 's'}"
  if keyword == "maxItems":
    return f"must have at most {limit} item{'' if limit == 1 else 's'}"
  if keyword == "uniqueItems":
    return "items must be unique"
  if keyword in ("minProperties", "maxProperties"):
    return f"must have {'at least' if keyword == 'minProperties' else 'at most'} {limit} properties"
  if keyword in ("anyOf", "oneOf"):
    alternatives = [s.get("required") for s in limit if isinstance(s, dict)]
    if all(isinstance(r, list) and len(r) == 1 for r in alternatives) and alternatives:
      return f"needs at least one of: {_names(r[0] for r in alternatives)}"
    return f"does not match {'any' if keyword == 'anyOf' else 'exactly one'} of the allowed alternatives"
  if keyword is None or limit is False:  # a `false` schema: the property is forbidden here
    return "property not allowed here (a conditional rule of the schema forbids it)"
  if keyword == "not":
    forbidden = limit.get("required") if isinstance(limit, dict) and len(limit) == 1 else None
    if isinstance(forbidden, list):
      return f"property {_names(forbidden)} not allowed here (by a conditional rule of the schema)"
    return "matches a form the schema forbids"
  if keyword == "$ref":
    return "reference could not be resolved"
  return f"fails the schema keyword {keyword}"


def report(error: ValidationError) -> str:
  # For a required/additionalProperties error the path is the object; the message names the field.
  return f"{error.json_path}: {describe(error)}"


# --------------------------------------------------------------------------- reading instances


def read_instances(path: pathlib.Path) -> Iterator[tuple[int, Any, str | None]]:
  """(line, instance, parse error) for each instance of a .json or .ndjson file."""
  try:
    text = path.read_text(encoding="utf-8")
  except (OSError, UnicodeDecodeError) as error:
    raise UsageError(f"{path}: cannot read: {error}") from error
  if path.suffix == ".json":
    try:
      yield 1, json.loads(text), None
    except ValueError as error:
      yield getattr(error, "lineno", 1), None, f"invalid JSON ({getattr(error, 'msg', 'parse error')})"
  elif path.suffix == ".ndjson":
    for number, raw in enumerate(text.splitlines(), start=1):
      if not raw.strip():
        continue
      try:
        yield number, json.loads(raw), None
      except ValueError as error:
        yield number, None, f"invalid JSON ({getattr(error, 'msg', 'parse error')})"
  else:
    raise UsageError(f"{path}: expected a .json or .ndjson file")


def validate_files(schemas: Schemas, schema_id: str, files: list[str], all_errors: bool) -> int:
  validator = schemas.validator(schema_id)
  count = invalid = 0
  for name in files:
    for line, instance, parse_error in read_instances(pathlib.Path(name)):
      count += 1
      if parse_error:
        invalid += 1
        print(f"{name}:{line}: $: {parse_error}")
        continue
      errors = sorted(
        validator.iter_errors(instance), key=lambda e: (list(map(str, e.path)), str(e.validator))
      )
      if not errors:
        continue
      invalid += 1
      # One `required` error per missing property, but each report names them all: keep one.
      lines = list(dict.fromkeys(report(error) for error in errors))
      if all_errors:
        for text in lines:
          print(f"{name}:{line}: {text}")
      else:
        more = f" (and {len(lines) - 1} more)" if len(lines) > 1 else ""
        # The most relevant top-level error, without descending into anyOf alternatives.
        print(f"{name}:{line}: {report(max(errors, key=relevance))}{more}")
  if invalid:
    print(f"{invalid} of {count} invalid", file=sys.stderr)
    return 1
  print(f"{count} valid")
  return 0


# --------------------------------------------------------------------------- self-test


def _walk_refs(node: Any) -> Iterator[str]:
  if isinstance(node, dict):
    for key, value in node.items():
      if key == "$ref" and isinstance(value, str):
        yield value
      else:
        yield from _walk_refs(value)
  elif isinstance(node, list):
    for value in node:
      yield from _walk_refs(value)


def _walk_objects(node: Any, where: str) -> Iterator[tuple[str, dict]]:
  """Object schemas with properties, outside if/then/else (which only add conditions)."""
  if isinstance(node, dict):
    if "properties" in node:
      yield where, node
    for key, value in node.items():
      if key not in ("if", "then", "else"):
        yield from _walk_objects(value, f"{where}/{key}")
  elif isinstance(node, list):
    for index, value in enumerate(node):
      yield from _walk_objects(value, f"{where}/{index}")


DROP = object()  # in NEGATIVE_CASES: remove the field instead of setting it

# (what, kind, example file, object inside the example ("" top level), field, value): each must be
# rejected once the example is changed so.
NEGATIVE_CASES = [
  ("unknown event type", "input", "PatientRegistered", "", "type", "PatientAdmitted"),
  ("wrong enum value", "input", "PatientRegistered", "data", "sexAtBirth", "f"),
  ("birthYear before 1900", "input", "PatientRegistered", "data", "birthYear", 1899),
  ("required list absent", "input", "ConsultationRecorded", "data", "allergies", DROP),
  ("malformed ICD-10 code", "input", "ConsultationRecorded", "data", "diagnoses", ["F33-2"]),
  ("extra data property", "input", "ConsentRecorded", "data", "patientName", "x"),
  ("store field in an input line", "input", "ConsentRecorded", "", "recordedAt", "2026-11-04T15:05:38Z"),
  ("plannedSessions 0", "input", "CoursePlanned", "data", "plannedSessions", 0),
  ("occurredAt without offset", "input", "CoursePlanned", "", "occurredAt", "2026-10-27T10:30:00"),
  ("impossible date", "input", "CoursePlanned", "", "occurredAt", "2026-02-30T10:30:00Z"),
  ("eventId not a UUID", "input", "CoursePlanned", "", "eventId", "not-a-uuid"),
  ("schemaVersion 2", "input", "CoursePlanned", "", "schemaVersion", 2),
  ("weightKg below 20", "input", "SessionStarted", "data", "weightKg", 10),
  ("doseMg 0", "input", "DoseAdministered", "data", "doseMg", 0),
  ("rateChanged without newRateMgPerMinute", "input", "InfusionAdjusted", "data", "newRateMgPerMinute", DROP),
  ("paused with newRateMgPerMinute", "input", "InfusionAdjusted", "data", "action", "paused"),
  ("vitals without a measurement", "input", "VitalsRecorded", "", "data", {"sessionId": "s", "timepoint": "during"}),
  ("SpO2 above 100", "input", "VitalsRecorded", "data", "spo2Percent", 101),
  ("id with a trailing newline", "input", "CourseCompleted", "data", "courseId", "course-1\n"),
  ("empty reason", "input", "EntryVoided", "data", "reason", ""),
  ("uppercase stored eventId", "envelope", "envelope", "", "eventId", "0AC3B8B0-3C2E-4F0B-9A53-6B2D2C1D0E11"),
  ("recordedAt not in UTC", "envelope", "envelope", "", "recordedAt", "2026-11-04T10:05:38.614203-05:00"),
  ("empty flags array", "envelope", "envelope", "", "flags", []),
  ("hash not 64 hex", "envelope", "envelope", "", "hash", "ABC"),
  ("unknown threshold", "protocol", "protocol", "thresholds", "heartRateLow", 50),
  ("hold scope neither all nor an id", "input", "LegalHoldPlaced", "data", "scope", "every patient"),
  ("hold without a reason", "input", "LegalHoldPlaced", "data", "reason", DROP),
  ("hold in a patient stream", "input", "LegalHoldPlaced", "", "streamId", "patient-demo-0001"),
  ("release with an empty reason", "input", "LegalHoldReleased", "data", "reason", ""),
  ("retention below the adult default", "retention", "retention", "adults", "yearsAfterLastEvent", 9),
  ("retention below the controlled-substance default", "retention", "retention", "controlledSubstances", "yearsAfterEvent", 1),
  ("retention with an unknown section", "retention", "retention", "", "patients", {}),
  ("retention without a policyVersion", "retention", "retention", "", "policyVersion", DROP),
  ("AuditExported in a patient stream", "envelope", "AuditExported", "", "streamId", "patient-demo-0001"),
  ("AuditExported in $access", "envelope", "AuditExported", "", "streamId", "$access"),
  ("a clinical type in $audit", "envelope", "envelope", "", "streamId", "$audit"),
  ("an unknown reserved stream", "envelope", "PatientDataRead", "", "streamId", "$reads"),
  ("AuditExported without its manifest hash", "envelope", "AuditExported", "data", "manifestSha256", DROP),
  ("AuditExported with an unknown file kind", "envelope", "AuditExported", "data", "formats", ["pdf"]),
  ("a read without a purpose", "envelope", "PatientDataRead", "data", "purpose", DROP),
  ("a read naming a patient's data", "envelope", "PatientDataRead", "data", "patientName", "x"),
  ("a signing key not Ed25519", "envelope", "SigningKeyPublished", "data", "algorithm", "RSA"),
  ("a DEA report of a patient stream", "envelope", "DEAReportGenerated", "data", "stream", "patient-demo-0001"),
  ("a migration from another format", "envelope", "StoreMigrated", "data", "previousFormat", "treatment-ledger-2"),
]


def _negative_cases(examples: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
  """(what, kind, instance) for each NEGATIVE_CASES row whose example exists."""
  for what, kind, example, inside, field, value in NEGATIVE_CASES:
    original = examples.get(f"{example}.v1.example.json")
    if original is None:
      continue
    instance = copy.deepcopy(original)
    target = instance[inside] if inside else instance
    if value is DROP:
      target.pop(field, None)
    else:
      target[field] = value
    yield what, kind, instance


def self_test(schemas: Schemas) -> int:
  failures = 0
  checks = 0

  def result(ok: bool, what: str, detail: str = "") -> None:
    nonlocal failures, checks
    checks += 1
    if not ok:
      failures += 1
      print(f"FAIL {what}{': ' + detail if detail else ''}")

  meta = Draft202012Validator(Draft202012Validator.META_SCHEMA, format_checker=FormatChecker())
  for schema_id, (path, contents) in schemas.by_id.items():
    rel = path.relative_to(schemas.dir).as_posix()
    errors = list(meta.iter_errors(contents))
    result(not errors, f"{rel} against the 2020-12 metaschema", "; ".join(e.message for e in errors[:3]))
    result(schema_id == BASE_ID + rel, f"{rel} $id", f"expected {BASE_ID + rel}")
    result(contents.get("$schema") == "https://json-schema.org/draft/2020-12/schema", f"{rel} $schema")
    resolver = schemas.registry.resolver(base_uri=schema_id)
    for reference in _walk_refs(contents):
      try:
        resolver.lookup(reference)
        result(True, "")
      except Exception as error:  # referencing raises several Unresolvable subclasses
        result(False, f"{rel} $ref {reference}", type(error).__name__)
    result(bool(contents.get("title") and contents.get("description")), f"{rel} title, description")
    for where, node in _walk_objects(contents, rel):
      result(node.get("additionalProperties") is False, f"{where} additionalProperties: false")
      for name, subschema in node["properties"].items():
        result(bool(subschema.get("description")), f"{where}/properties/{name} description")

  types = schemas.event_types()
  for event_type in types:
    rel = f"events/{event_type}.v1.schema.json"
    result(BASE_ID + rel in schemas.by_id, f"{rel} exists")

  examples: dict[str, Any] = {}
  examples_dir = schemas.dir / "examples"
  # The controlled-substance examples form one site's log (inventory-main) in examples/inventory.
  inventory_types = {"RegistrationRecorded", "StockReceived", "StockAdministered", "WasteRecorded",
                     "InventoryCounted", "LossReported", "StockDisposed"}
  # The legal-hold examples form the clinic's stream legal-holds in examples/holds.
  hold_types = {"LegalHoldPlaced", "LegalHoldReleased"}
  example_paths = sorted(examples_dir.glob("*.json")) + sorted(examples_dir.glob("inventory/*.json"))
  example_paths += sorted(examples_dir.glob("holds/*.json")) + sorted(examples_dir.glob("retention/*.json"))
  # The store's own events (defs systemEventType): whole stored envelopes in examples/system.
  system_types = schemas.system_event_types()
  system_streams = {"PatientDataRead": "$access", "StoreMigrated": "$migration"}
  example_paths += sorted(examples_dir.glob("system/*.json"))
  for path in example_paths:
    name = path.name
    try:
      instance = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
      result(False, f"examples/{name} parses", str(error))
      continue
    examples[name] = instance
    if name == "envelope.v1.example.json":
      kind = "envelope"
    elif path.parent.name == "system" and name.removesuffix(".v1.example.json") in system_types:
      kind = "envelope"
      system_type = name.removesuffix(".v1.example.json")
      result(instance.get("type") == system_type, f"examples/system/{name} type")
      stream = system_streams.get(system_type, "$audit")
      result(instance.get("streamId") == stream, f"examples/system/{name} in stream {stream}")
    elif name == "protocol.v1.example.json":
      kind = "protocol"
    elif name == "retention.v1.example.json":
      kind = "retention"
    elif name.removesuffix(".v1.example.json") in types:
      kind = "input"
      result(instance.get("type") == name.removesuffix(".v1.example.json"), f"examples/{name} type")
      stream = "inventory-main" if instance.get("type") in inventory_types else "patient-demo-0001"
      stream = "legal-holds" if instance.get("type") in hold_types else stream
      result(instance.get("streamId") == stream, f"examples/{name} in stream {stream}")
    else:
      result(False, f"examples/{name}", "no schema for this example name")
      continue
    errors = list(schemas.validator(KIND_IDS[kind]).iter_errors(instance))
    result(not errors, f"examples/{name} against {kind}", "; ".join(report(e) for e in errors[:3]))
  for event_type in types:
    result(f"{event_type}.v1.example.json" in examples, f"examples/{event_type}.v1.example.json exists")
  for event_type in system_types:
    rel = f"events/{event_type}.v1.schema.json"
    result(BASE_ID + rel in schemas.by_id, f"{rel} exists")
    result(f"{event_type}.v1.example.json" in examples, f"examples/system/{event_type}.v1.example.json exists")

  corrected = examples.get("EntryCorrected.v1.example.json")
  if corrected:  # the replacement must be valid data of the corrected event's type
    targets = {e.get("eventId"): e.get("type") for e in examples.values() if isinstance(e, dict)}
    target_type = targets.get(corrected["data"]["correctedEventId"])
    result(target_type is not None, "EntryCorrected example targets another example")
    if target_type:
      validator = schemas.validator(schemas.schema_id("data", target_type))
      errors = list(validator.iter_errors(corrected["data"]["replacement"]))
      detail = "; ".join(report(e) for e in errors[:3])
      result(not errors, f"EntryCorrected replacement against {target_type}", detail)

  protocol_schema = schemas.by_id[KIND_IDS["protocol"]][1]
  thresholds = protocol_schema["properties"]["thresholds"]["properties"]
  defaults = {name: threshold.get("default") for name, threshold in thresholds.items()}
  example_thresholds = examples.get("protocol.v1.example.json", {}).get("thresholds")
  result(example_thresholds == defaults, "protocol example holds every threshold at its default")

  for what, kind, instance in _negative_cases(examples):
    result(not schemas.validator(KIND_IDS[kind]).is_valid(instance), f"rejects {what}")

  if failures:
    print(f"self-test: {failures} of {checks} checks failed", file=sys.stderr)
    return 1
  print(f"self-test: {checks} checks passed ({len(schemas.by_id)} schemas, {len(examples)} examples)")
  return 0


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
  parser = argparse.ArgumentParser(
    description="Validate TreatmentLedger JSON/NDJSON files against Schemas/ (JSON Schema 2020-12).",
    epilog="Exit status: 0 all valid, 1 some instance invalid (one line each), 2 usage or I/O error.",
  )
  parser.add_argument(
    "--kind", choices=["input", "envelope", "data", "protocol", "retention"], help="what the files hold"
  )
  parser.add_argument(
    "--type", dest="event_type", metavar="T", help="event type, required with --kind data"
  )
  parser.add_argument(
    "--schemas", type=pathlib.Path, default=DEFAULT_SCHEMAS, metavar="DIR",
    help="schemas directory (default: Schemas/ of this repository, found from the script's location)",
  )
  parser.add_argument(
    "--all-errors", action="store_true",
    help="print every error of an invalid instance, one line each, not only the most relevant one",
  )
  parser.add_argument(
    "--self-test", action="store_true",
    help="check every schema against the 2020-12 metaschema, every example against its schema, "
    "and that broken copies of the examples are rejected",
  )
  parser.add_argument(
    "files", nargs="*", metavar="FILE", help=".json (one instance) or .ndjson (one per line)"
  )
  args = parser.parse_args(argv)

  try:
    schemas = Schemas(args.schemas.resolve())
    if args.self_test:
      if args.kind or args.files:
        raise UsageError("--self-test takes no --kind or files")
      return self_test(schemas)
    if not args.kind:
      raise UsageError("--kind is required")
    if not args.files:
      raise UsageError("no files given")
    return validate_files(schemas, schemas.schema_id(args.kind, args.event_type), args.files, args.all_errors)
  except UsageError as error:
    print(f"{parser.prog}: error: {error}", file=sys.stderr)
    return 2


if __name__ == "__main__":
  sys.exit(main())
