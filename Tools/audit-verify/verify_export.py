#!/usr/bin/env python3
"""Verify a TreatmentLedger audit export with its manifest alone.

Needs only a standard Python 3 (3.8 or later) and does not use TreatmentLedger; the
`cryptography` package only for --public-key and --auditor-private-key. docs/AUDIT.md describes the export and every check below.

  python3 verify_export.py EXPORT_DIR [--manifest-sha256 HEX] [--public-key HEX|FILE]
      [--auditor-private-key FILE [--decrypt-to DIR]] [--json] [--progress-every N]

Checks, stopping at the first problem:
  1. manifest.json is a manifest of format treatment-ledger-audit-2 (or -1, whose CSV cells follow
     the older rendering rules of docs/AUDIT.md 2.2, or -3, which adds keys.json) whose members
     fit together;
     with --manifest-sha256 (the value `treatment-ledger audit log` shows for the export, or one
     handed over separately) its SHA-256 must be exactly that, so no member was edited;
  2. events.ndjson, line by line: the shape {"hash":"<64 hex>","event":<bytes>}, SHA-256 of the
     event's bytes = the stated hash, positions (whole log) or stream versions (one patient)
     consecutive, each previousHash / previousStreamHash = the hash of the line before (or of
     the event before the export, from the manifest); in a whole-log export each stream's
     versions consecutive and linked by previousStreamHash too (docs/AUDIT.md 3.2); the filter
     (stream, recorded time);
  3. the first and last events, the events just outside the range and the store or stream head
     named by the manifest continue the same chain, and the counts match;
  4. events.csv, row by row, shows exactly what the NDJSON line of the same event gives;
  5. the SHA-256 and size of every file equal the manifest's;
  6. with --auditor-private-key (an export made with --auditor-key; docs/AUDIT.md 2.7): the data
     keys of keys.json unseal with it, and every sealed event's data opens (AES-256-GCM tag) to
     the canonical JSON of an object; --decrypt-to DIR writes the opened events there.

Like `treatment-ledger audit verify` it parses each event strictly (no member named twice, no NaN
or Infinity) and re-serializes it as RFC 8785 canonical JSON: the stored bytes must be exactly
that (notCanonical), with no member an envelope does not have.

"FAILED after N intact events": N counts the events, in file order, that passed every check
(their line, their place in the chain and their CSV row) before the first problem; the event with
the problem is not among them. `treatment-ledger audit verify` counts the same way.

Progress goes to standard error: redrawn in place on a terminal, else a line every 100000 events.

Exit status: 0 intact (and opened, with --auditor-private-key), 1 a problem found (a wrong
private key is auditorKeyUnknown), 2 usage error.
"""

import argparse
import csv
import hashlib
import json
import os
import re
import sys
import time
import unicodedata

FORMATS = {"treatment-ledger-audit-1": 1, "treatment-ledger-audit-2": 2,   # format: CSV rules
           "treatment-ledger-audit-3": 2}   # -3: -2 with keys.json (docs/AUDIT.md 2.7)
WITH_KEYS = "treatment-ledger-audit-3"
KEYS_FILE = "keys.json"
KEYS_FORMAT = "treatment-ledger-audit-keys-1"
KEYS_ALGORITHM = "X25519-HKDF-SHA256-A256GCM"
KEYS_LABEL = b"treatment-ledger-audit-keys-1"
ZERO = "0" * 64
NDJSON = "events.ndjson"
CSV_FILE = "events.csv"
MANIFEST = "manifest.json"
LINE_HEAD = b'{"hash":"'
LINE_MIDDLE = b'","event":'
HASH_OFFSET = 9      # 0-based byte offset of the hash's first hex digit
EVENT_OFFSET = 83    # 0-based byte offset of the event's first byte
HEX64 = re.compile(r"\A[0-9a-f]{64}\Z")
STREAM_NAME = re.compile(r"\A[A-Za-z0-9._:@-]{1,200}\Z")   # docs/FORMAT.md, stream names
COLUMNS = [
  "globalPosition", "streamId", "patientId", "streamVersion", "eventId", "type", "schemaVersion",
  "occurredAt", "recordedAt", "recordedById", "recordedByName", "recordedByRole",
  "correctsEventId", "voidsEventId", "flags", "inRange", "hash", "previousHash",
  "previousStreamHash", "data",
]
MAX_SUMMARY = 16000
TRUNCATED = " [truncated]"
PATIENT_PREFIX = "patient-"
CHUNK = 1 << 20


class Problem(Exception):
  def __init__(self, kind, detail, file=None, line=None):
    super().__init__(detail)
    self.kind, self.detail, self.file, self.line = kind, detail, file, line

  def __str__(self):
    text = self.kind
    if self.file:
      text += " in " + self.file
    if self.line is not None:
      text += (" record %d" if self.file == CSV_FILE else " line %d") % self.line
    return text + ": " + self.detail


# --- Times (RFC 3339 with an offset, to the microsecond, as the store compares them) ------------

TIME = re.compile(
  r"\A([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?"
  r"(?:([Zz])|([+-])([0-9]{2}):([0-9]{2}))\Z")


def days_from_civil(y, m, d):
  y = y - 1 if m <= 2 else y
  era = (y if y >= 0 else y - 399) // 400
  yoe = y - era * 400
  doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
  doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
  return era * 146097 + doe - 719468


def day_of_month(days):
  """The day of the month of `days` days after 1970-01-01 (proleptic Gregorian)."""
  z = days + 719468
  era = (z if z >= 0 else z - 146096) // 146097
  doe = z - era * 146097
  yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
  doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
  return doy - (153 * ((5 * doy + 2) // 153) + 2) // 5 + 1


def parse_micros(text):
  """Microseconds since the epoch, or None when the text is not an RFC 3339 time with offset."""
  if not isinstance(text, str):
    return None
  match = TIME.match(text)
  if not match:
    return None
  year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
  fraction = match.group(7) or ""
  micros = int((fraction[:6]).ljust(6, "0")) if fraction else 0
  offset = 0
  if match.group(9):
    oh, om = int(match.group(10)), int(match.group(11))
    if oh >= 24 or om >= 60:
      return None
    offset = (1 if match.group(9) == "+" else -1) * (oh * 3600 + om * 60)
  leap = (year % 4 == 0 and year % 100 != 0) or year % 400 == 0
  days_in_month = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
  if not (1 <= month <= 12) or day < 1 or day > days_in_month[month - 1]:
    return None
  if hour >= 24 or minute >= 60 or second >= 61:
    return None
  seconds = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset
  # A leap second only where one can be (RFC 3339 5.7): the last minute of a month's last day in
  # UTC. Its instant is the next second's, the first of the next month at 00:00:00 UTC.
  if second == 60 and (seconds % 86400 != 0 or day_of_month(seconds // 86400) != 1):
    return None
  return seconds * 1000000 + micros


class Filter:
  def __init__(self, member):
    if (not isinstance(member, dict) or member.get("time") not in ("recordedAt", "occurredAt")
        or any(key in member and type(member[key]) is not str for key in ("patientId", "stream", "from", "to"))):
      raise Problem("unreadableManifest", "the filter is not an object with time recordedAt or occurredAt "
                    "and string members", MANIFEST)
    self.patient = member.get("patientId")
    self.time = member["time"]
    self.start_text, self.end_text = member.get("from"), member.get("to")
    self.start = parse_micros(self.start_text) if self.start_text is not None else None
    self.end = parse_micros(self.end_text) if self.end_text is not None else None
    if (self.start_text is not None and self.start is None) or (self.end_text is not None and self.end is None):
      raise Problem("manifestInconsistent", "the filter's times are not RFC 3339 with an offset", MANIFEST)
    if self.start is not None and self.end is not None and self.start >= self.end:
      raise Problem("manifestInconsistent", "the filter's from is not before its to", MANIFEST)
    if self.patient is not None and not STREAM_NAME.match(PATIENT_PREFIX + self.patient):
      raise Problem("manifestInconsistent", "the filter's patientId is empty or does not make a valid stream name", MANIFEST)
    if self.patient is not None:
      self.stream = PATIENT_PREFIX + self.patient
      if member.get("stream") != self.stream:
        raise Problem("manifestInconsistent", "the filter's stream is not patient-<patientId>", MANIFEST)
    else:
      # One stream that is not a patient's (a site's controlled-substance log), or the whole log.
      self.stream = member.get("stream")
      if self.stream is not None and (not STREAM_NAME.match(self.stream) or self.stream.startswith(PATIENT_PREFIX)):
        raise Problem("manifestInconsistent", "the filter's stream is not a valid stream name "
                      "that is not a patient's", MANIFEST)
    self.has_range = self.start_text is not None or self.end_text is not None
    self.whole_chain = not self.has_range or self.time == "occurredAt"
    self.mark_range = self.time == "occurredAt" and self.has_range

  def contains(self, micros):
    if self.start is not None and micros < self.start:
      return False
    if self.end is not None and micros >= self.end:
      return False
    return True


# --- The CSV rendering (docs/AUDIT.md, "events.csv") ---------------------------------------------

class Number(str):
  """A JSON number kept as its text in the stored canonical bytes."""


class NotCanonicalizable(ValueError):
  """A parsed value that has no canonical form: not a finite double, a lone surrogate, or nested
  deeper than the store accepts."""


MAX_DEPTH = 128   # the outermost array or object is level 1 (docs/FORMAT.md 4)


def _no_duplicates(pairs):
  members = {}
  for key, value in pairs:
    if key in members:
      raise ValueError("an object names a member twice")
    members[key] = value
  return members


def _no_constant(name):
  raise ValueError("NaN and Infinity are not JSON")


def load_event(canonical):
  """Parses an event's stored bytes strictly (UTF-8, no member named twice, no NaN or Infinity),
  keeping each number as its text."""
  return json.loads(canonical.decode("utf-8"), parse_int=Number, parse_float=Number,
                    parse_constant=_no_constant, object_pairs_hook=_no_duplicates)


# --- RFC 8785 canonical JSON (docs/FORMAT.md 4), to check that stored bytes are canonical -----------

def es_number(x):
  """ECMAScript's Number.prototype.toString for a finite double (RFC 8785 3.2.2.3)."""
  x = float(x)
  if x != x or x in (float("inf"), float("-inf")):
    raise NotCanonicalizable("not a finite double")
  if x == 0:
    return "0"
  if x < 0:
    return "-" + es_number(-x)
  # repr() gives the shortest digits that read back as the same double.
  mantissa, _, exponent = repr(x).partition("e")
  integer_part, _, fraction_part = mantissa.partition(".")
  digits = integer_part + fraction_part
  n = len(integer_part) + (int(exponent) if exponent else 0)   # where the decimal point goes
  stripped = digits.lstrip("0")
  n -= len(digits) - len(stripped)
  digits = stripped.rstrip("0")
  k = len(digits)
  if k <= n <= 21:
    return digits + "0" * (n - k)
  if 0 < n <= 21:
    return digits[:n] + "." + digits[n:]
  if -6 < n <= 0:
    return "0." + "0" * (-n) + digits
  e = n - 1
  mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
  return mantissa + "e" + ("+" if e >= 0 else "-") + str(abs(e))


SHORT_ESCAPES = {0x22: '\\"', 0x5C: "\\\\", 0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f", 0x0D: "\\r"}


def jcs_string(text):
  out = ['"']
  for ch in text:
    code = ord(ch)
    if code in SHORT_ESCAPES:
      out.append(SHORT_ESCAPES[code])
    elif code < 0x20:
      out.append("\\u%04x" % code)
    elif 0xD800 <= code <= 0xDFFF:
      raise NotCanonicalizable("a lone surrogate has no UTF-8 form")
    else:
      out.append(ch)
  out.append('"')
  return "".join(out)


def jcs(value, depth=0):
  """The canonical text of a parsed JSON value (numbers as Number text, int or float)."""
  if value is None:
    return "null"
  if value is True:
    return "true"
  if value is False:
    return "false"
  if isinstance(value, (Number, int, float)):
    return es_number(value)
  if isinstance(value, str):
    return jcs_string(value)
  if depth >= MAX_DEPTH:
    raise NotCanonicalizable("arrays and objects nest deeper than %d levels" % MAX_DEPTH)
  if isinstance(value, list):
    return "[" + ",".join(jcs(item, depth + 1) for item in value) + "]"
  if isinstance(value, dict):
    # Members sorted by the UTF-16 code units of their names (UTF-16BE bytes compare so).
    keys = sorted(value, key=lambda key: key.encode("utf-16-be", "surrogatepass"))
    return "{" + ",".join(jcs_string(key) + ":" + jcs(value[key], depth + 1) for key in keys) + "}"
  raise NotCanonicalizable("not a JSON value")


NAME_SPECIAL = "\\.[]=;"   # escaped with a backslash in member names (rules 2)
VALUE_SPECIAL = "\\;"       # escaped with a backslash in string values (rules 2)


def escape(text, special):
  return "".join("\\" + c if c in special else c for c in text)


def flatten(value, path, parts, rules):
  if isinstance(value, dict):
    if not value:
      parts.append("{}" if path == "" else path + "={}")
      return
    for key in sorted(value, key=lambda k: k.encode("utf-16-be", "surrogatepass")):
      name = key if rules == 1 else escape(key, NAME_SPECIAL)
      flatten(value[key], name if path == "" else path + "." + name, parts, rules)
  elif isinstance(value, list):
    if not value:
      parts.append("[]" if path == "" else path + "=[]")
      return
    for index, element in enumerate(value):
      flatten(element, "%s[%d]" % (path, index), parts, rules)
  elif isinstance(value, Number):
    parts.append(path + "=" + str(value))
  elif isinstance(value, str):
    parts.append(path + "=" + (value if rules == 1 else escape(value, VALUE_SPECIAL)))
  elif value is True:
    parts.append(path + "=true")
  elif value is False:
    parts.append(path + "=false")
  else:
    parts.append(path + "=null")


def regional_indicator(c):
  return 0x1F1E6 <= ord(c) <= 0x1F1FF


def continues_character(text, i):
  """docs/AUDIT.md 2.2: True when text[i] belongs to the character of text[i - 1]."""
  if i <= 0 or i >= len(text):
    return False
  c, previous = ord(text[i]), ord(text[i - 1])
  if unicodedata.category(text[i]) in ("Mn", "Mc", "Me"):
    return True
  if c == 0x200D or previous == 0x200D:
    return True
  if 0xFE00 <= c <= 0xFE0F or 0x1F3FB <= c <= 0x1F3FF or 0xE0020 <= c <= 0xE007F:
    return True
  if c == 0x0A and previous == 0x0D:
    return True
  if not regional_indicator(text[i]):
    return False
  before, j = 0, i - 1
  while j >= 0 and regional_indicator(text[j]):
    before, j = before + 1, j - 1
  return before % 2 == 1


def cut_point(text, limit):
  cut = min(limit, len(text))
  while 0 < cut < len(text) and continues_character(text, cut):
    cut -= 1
  return cut


def data_summary(data, rules):
  parts = []
  flatten(data, "", parts, rules)
  text = "; ".join(parts)
  if len(text) <= MAX_SUMMARY:
    return text
  return text[:MAX_SUMMARY if rules == 1 else cut_point(text, MAX_SUMMARY)] + TRUNCATED


def guard_formula(cell, rules):
  guarded = ("=", "+", "-", "@", "\t", "\r") if rules == 1 else ("=", "+", "-", "@", "\t", "\r", "'")
  return "'" + cell if cell[:1] in guarded and cell else cell


def unguard(cell, rules):
  if not cell.startswith("'"):
    return cell
  if rules == 2 or guard_formula(cell[1:], 1) == cell:
    return cell[1:]
  return cell


def plain_string(value):
  return value if type(value) is str else None


def integer(value):
  if not isinstance(value, Number) or not re.match(r"^(0|[1-9][0-9]*)$", value):
    return None
  number = int(value)
  return number if number <= 9007199254740992 else None


def expected_cells(event, stated_hash, in_range, rules):
  data = event["data"]
  kind = event["type"]
  stream = event["streamId"]
  corrects = (plain_string(data.get("correctedEventId")) or "") if kind == "EntryCorrected" and isinstance(data, dict) else ""
  voids = (plain_string(data.get("voidedEventId")) or "") if kind == "EntryVoided" and isinstance(data, dict) else ""
  flags = event.get("flags", [])
  codes = ";".join(f["code"] for f in flags if isinstance(f, dict) and type(f.get("code")) is str)
  recorder = event["recordedBy"]
  raw = [
    str(integer(event["globalPosition"])), stream,
    stream[len(PATIENT_PREFIX):] if stream.startswith(PATIENT_PREFIX) else "",
    str(integer(event["streamVersion"])), event["eventId"], kind, str(integer(event["schemaVersion"])),
    event["occurredAt"], event["recordedAt"], recorder["id"], recorder["name"], recorder["role"],
    corrects, voids, codes, "true" if in_range else "false", stated_hash, event["previousHash"],
    event["previousStreamHash"], data_summary(data, rules),
  ]
  return [guard_formula(cell, rules) for cell in raw]


# --- Files ----------------------------------------------------------------------------------------

def file_sha256(path):
  digest = hashlib.sha256()
  size = 0
  with open(path, "rb") as handle:
    while True:
      block = handle.read(CHUNK)
      if not block:
        break
      digest.update(block)
      size += len(block)
  return digest.hexdigest(), size


def ndjson_events(path):
  """Yields (line number, stated hash, canonical bytes, envelope) for each line."""
  with open(path, "rb") as handle:
    number = 0
    for raw in handle:                       # splits on b"\n" only
      number += 1
      if not raw.endswith(b"\n"):
        raise Problem("malformedLine", "the last line has no line end", NDJSON, number)
      line = raw[:-1]
      if (len(line) <= EVENT_OFFSET + 2 or not line.startswith(LINE_HEAD)
          or line[HASH_OFFSET + 64:EVENT_OFFSET] != LINE_MIDDLE or not line.endswith(b"}")):
        raise Problem("malformedLine", 'the line is not {"hash":"<64 hex>","event":<envelope>}', NDJSON, number)
      stated = line[HASH_OFFSET:HASH_OFFSET + 64].decode("ascii", "replace")
      if not HEX64.match(stated):
        raise Problem("malformedLine", "the stated hash is not 64 lowercase hex digits", NDJSON, number)
      canonical = line[EVENT_OFFSET:-1]
      computed = hashlib.sha256(canonical).hexdigest()
      if computed != stated:
        raise Problem("hashMismatch", "the event's bytes hash to %s, the line states %s: the line was changed"
                      % (computed, stated), NDJSON, number)
      try:
        envelope = load_event(canonical)
        text = jcs(envelope)
      except NotCanonicalizable:
        raise Problem("malformedLine", "the event is not JSON the store accepts", NDJSON, number)
      except ValueError:
        raise Problem("malformedLine", "the event is not JSON", NDJSON, number)
      # As the store's verification requires: exactly the canonical form of an envelope.
      if (text.encode("utf-8") != canonical
          or (isinstance(envelope, dict) and not set(envelope) <= ENVELOPE_MEMBERS)):
        raise Problem("notCanonical", "the event's bytes are not the canonical form of an envelope", NDJSON, number)
      if not envelope_ok(envelope):
        raise Problem("malformedLine", "the event lacks an envelope member or has one of the wrong type", NDJSON, number)
      yield number, stated, canonical, envelope


ENVELOPE_MEMBERS = {
  "eventId", "type", "schemaVersion", "streamId", "streamVersion", "globalPosition", "occurredAt",
  "recordedAt", "recordedBy", "correlationId", "causationId", "data", "flags", "previousHash",
  "previousStreamHash", "sealed",
}


def envelope_ok(e):
  if not isinstance(e, dict):
    return False
  for key in ("globalPosition", "streamVersion", "schemaVersion"):
    if integer(e.get(key)) is None:
      return False
  for key in ("streamId", "eventId", "type", "occurredAt", "recordedAt"):
    if type(e.get(key)) is not str:
      return False
  for key in ("previousHash", "previousStreamHash"):
    if type(e.get(key)) is not str or not HEX64.match(e[key]):
      return False
  recorder = e.get("recordedBy")
  if not isinstance(recorder, dict) or any(type(recorder.get(k)) is not str for k in ("id", "name", "role")):
    return False
  if "data" not in e or ("flags" in e and not isinstance(e["flags"], list)):
    return False
  return True


def csv_record(cells):
  """The bytes the exporter writes for a record (docs/AUDIT.md 2.2), as text: a field is quoted,
  quotes doubled, exactly when it holds a comma, a double quote, CR or LF; CRLF at the end."""
  def field(cell):
    if any(ch in cell for ch in ',"\r\n'):
      return '"' + cell.replace('"', '""') + '"'
    return cell
  return ",".join(field(cell) for cell in cells) + "\r\n"


def csv_rows(path):
  """Yields (record number, cells) for each record after checking the header (record 1). Every
  record must be exactly in the documented form: a byte-order mark before the header, CRLF line
  ends, quotes only where needed (csvMalformed otherwise)."""
  csv.field_size_limit(1 << 30)
  consumed = []

  def lines(handle):
    for text in handle:         # newline="": line ends are kept as they are in the file
      consumed.append(text)
      yield text

  try:
    with open(path, newline="", encoding="utf-8") as handle:
      reader = csv.reader(lines(handle), strict=True)
      number = 0
      try:
        for row in reader:
          number += 1
          raw = "".join(consumed)
          del consumed[:]
          if number == 1 and row and row[0].startswith("\ufeff"):
            row[0] = row[0][1:]
          if raw != ("\ufeff" if number == 1 else "") + csv_record(row):
            raise Problem("csvMalformed", "the record is not RFC 4180 CSV in the documented form "
                          "(byte-order mark, CRLF line ends, quotes only where needed)", CSV_FILE, number)
          if number == 1:
            if row != COLUMNS:
              raise Problem("csvMismatch", "the header row is not the documented column list", CSV_FILE, 1)
            continue
          yield number, row
      except csv.Error as error:
        raise Problem("csvMalformed", "the record is not RFC 4180 CSV in the documented form "
                      "(byte-order mark, CRLF line ends, quotes only where needed)", CSV_FILE, number + 1)
      if number == 0:
        raise Problem("csvMismatch", "the file has no header row", CSV_FILE, 1)
  except UnicodeDecodeError:
    raise Problem("csvMalformed", "events.csv is not UTF-8", CSV_FILE)


# --- Verification ---------------------------------------------------------------------------------

class View:
  """The chain fields of one event."""

  def __init__(self, position, version, stream, recorded, occurred, previous, previous_stream, hash_):
    self.position, self.version, self.stream = position, version, stream
    self.recorded, self.occurred = recorded, occurred
    self.previous, self.previous_stream, self.hash = previous, previous_stream, hash_

  def anchor(self):
    return {"globalPosition": self.position, "streamVersion": self.version, "recordedAt": self.recorded,
            "previousHash": self.previous, "previousStreamHash": self.previous_stream, "hash": self.hash}


ANCHOR_KEYS = ("globalPosition", "streamVersion", "recordedAt", "previousHash", "previousStreamHash", "hash")


def check_anchor(member, name):
  """An anchor's six documented members (others are ignored), or None for null."""
  if member is None:
    return None
  if (not isinstance(member, dict) or any(key not in member for key in ANCHOR_KEYS)
      or any(type(member[key]) is not int or member[key] < 0 for key in ("globalPosition", "streamVersion"))
      or any(type(member[key]) is not str for key in ANCHOR_KEYS[2:])):
    raise Problem("unreadableManifest", "anchors.%s lacks a documented member or has one of the wrong type" % name, MANIFEST)
  return {key: member[key] for key in ANCHOR_KEYS}


SIGNATURE = "signature.json"
SIGNATURE_FORMAT = "treatment-ledger-audit-signature-1"


def load_public_keys(texts):
  """Ed25519 public keys from --public-key values: 64 hex digits, or a file of such lines."""
  keys = []
  for text in texts:
    lines = [text]
    if not re.match(r"\A[0-9a-fA-F]{64}\Z", text):
      with open(text, encoding="utf-8") as handle:
        # One key per line; what follows it ("# version 1, ...") and "#" lines are comments.
        lines = [line.split()[0] for line in handle if line.split() and not line.startswith("#")]
    for line in lines:
      if not re.match(r"\A[0-9a-fA-F]{64}\Z", line):
        raise ValueError("a public key is 64 hex digits")
      keys.append(bytes.fromhex(line))
  return keys


def ed25519_valid(public_key, signature_hex, message):
  from cryptography.exceptions import InvalidSignature
  from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
  if type(signature_hex) is not str or not re.match(r"\A[0-9a-fA-F]{128}\Z", signature_hex):
    return False
  try:
    Ed25519PublicKey.from_public_bytes(public_key).verify(bytes.fromhex(signature_hex), message)
    return True
  except (InvalidSignature, ValueError):
    return False


def check_signature(directory, manifest, manifest_bytes, trusted_keys, state):
  """docs/AUDIT.md 2.5: with public keys given, signature.json must sign this manifest and the
  store head it states, by one of them."""
  if not trusted_keys:
    return
  try:
    with open(os.path.join(directory, SIGNATURE), "rb") as handle:
      raw = handle.read()
  except OSError:
    raise Problem("signatureMissing", "the export has no %s, and a public key was given" % SIGNATURE, SIGNATURE)
  try:
    signature = json.loads(raw.decode("utf-8"))
    assert isinstance(signature, dict) and isinstance(signature.get("head"), dict)
  except (ValueError, AssertionError):
    raise Problem("signatureInvalid", "%s is not a signature of this format" % SIGNATURE, SIGNATURE)
  if signature.get("format") != SIGNATURE_FORMAT or signature.get("algorithm") != "Ed25519":
    raise Problem("signatureInvalid", "%s is not an Ed25519 signature of this format" % SIGNATURE, SIGNATURE)
  key_hex = signature.get("publicKey")
  key = bytes.fromhex(key_hex) if type(key_hex) is str and re.match(r"\A[0-9a-fA-F]{64}\Z", key_hex) else None
  if key not in trusted_keys:
    raise Problem("signatureKeyUnknown", "the export is signed by key %s, not by a key given"
                  % (key_hex.lower() if key is not None else "that is not 64 hex digits"), SIGNATURE)
  if signature.get("manifestSHA256") != hashlib.sha256(manifest_bytes).hexdigest() \
      or not ed25519_valid(key, signature.get("manifestSignature"), manifest_bytes):
    raise Problem("signatureInvalid", "the manifest's signature does not check: it was edited", SIGNATURE)
  store = manifest["anchors"]["store"]
  stated = {"exportId": manifest["exportId"], "events": store["events"], "chainHead": store["chainHead"],
            "lastRecordedAt": store.get("lastRecordedAt")}
  head = signature["head"]
  if set(head) - set(stated) or any(head.get(k) != v for k, v in stated.items()) or not ed25519_valid(key, signature.get("headSignature"), jcs(stated).encode("utf-8")):
    raise Problem("signatureInvalid", "the signed head is not the manifest's store head, or its signature does not check",
                  SIGNATURE)
  state["signedBy"] = key_hex


def verify(directory, expected_manifest_sha256=None, trusted_keys=(), auditor_key=None, decrypt_to=None):
  state = {"events": 0, "inRange": 0, "manifestSha256": None, "hashesRecomputed": False, "signedBy": None,
           "opened": None}
  try:
    run(directory, expected_manifest_sha256, state, list(trusted_keys))
    if auditor_key is not None:
      state["opened"] = open_data(directory, state["manifest"], auditor_key, decrypt_to)
    state["problem"] = None
  except Problem as problem:
    state["problem"] = problem
  return state


# --- Auditors' keys (docs/AUDIT.md 2.7): only with --auditor-private-key ------------------------

def load_auditor_key(path):
  """The 32-byte X25519 private key of an auditor's key file (64 hex digits, mode 0600)."""
  if os.name == "posix" and os.stat(path).st_mode & 0o077:
    raise ValueError("%s is readable by group or others (chmod 600 it)" % path)
  with open(path, encoding="utf-8") as handle:
    text = handle.read().strip()
  if not re.match(r"\A[0-9a-fA-F]{64}\Z", text):
    raise ValueError("%s does not hold 64 hexadecimal digits" % path)
  return bytes.fromhex(text)


def keys_info(export_id, stream, version):
  """HKDF's info and the AEAD's associated data of one sealed data key."""
  return (KEYS_LABEL + b"\x00" + export_id.encode("utf-8") + b"\x00" + stream.encode("utf-8") + b"\x00"
          + version.to_bytes(8, "big"))


def unseal_keys(directory, manifest, private_raw):
  """keys.json: the data keys sealed to this auditor, {stream: {version: key}}, the erased
  streams, and the key versions listed per stream."""
  import base64
  import binascii
  from cryptography.exceptions import InvalidTag
  from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
  from cryptography.hazmat.primitives.ciphers.aead import AESGCM
  from cryptography.hazmat.primitives.hashes import SHA256
  from cryptography.hazmat.primitives.kdf.hkdf import HKDF
  if manifest.get("format") != WITH_KEYS:
    raise Problem("keysInvalid", "the export carries no %s: it was made without an auditor's public key"
                  % KEYS_FILE, KEYS_FILE)
  try:
    with open(os.path.join(directory, KEYS_FILE), "rb") as handle:
      keys = json.loads(handle.read().decode("utf-8"))
    streams, recipients = keys["streams"], keys["recipients"]
    assert isinstance(streams, list) and isinstance(recipients, list)
  except OSError:
    raise Problem("missingFile", "%s cannot be read" % KEYS_FILE, KEYS_FILE)
  except (ValueError, KeyError, TypeError, AssertionError):
    raise Problem("keysInvalid", "%s is not a keys file of its format" % KEYS_FILE, KEYS_FILE)
  if keys.get("format") != KEYS_FORMAT or keys.get("algorithm") != KEYS_ALGORITHM:
    raise Problem("keysInvalid", "%s is not of format %s" % (KEYS_FILE, KEYS_FORMAT), KEYS_FILE)
  export_id = manifest["exportId"]
  if keys.get("exportId") != export_id:
    raise Problem("keysInvalid", "%s belongs to another export than the manifest's" % KEYS_FILE, KEYS_FILE)
  private = X25519PrivateKey.from_private_bytes(private_raw)
  public = private.public_key().public_bytes_raw()
  recipient = next((r for r in recipients if isinstance(r, dict) and r.get("publicKey") == public.hex()), None)
  if recipient is None:
    raise Problem("auditorKeyUnknown", "the export's keys are not sealed to the auditor key %s (sealed to: %s)"
                  % (public.hex(), ", ".join(str(r.get("publicKey")) for r in recipients if isinstance(r, dict))),
                  KEYS_FILE)
  try:
    ephemeral = bytes.fromhex(recipient["ephemeralPublicKey"])
    shared = private.exchange(X25519PublicKey.from_public_bytes(ephemeral))
  except (KeyError, TypeError, ValueError):
    raise Problem("keysInvalid", "the ephemeral public key is not an X25519 key", KEYS_FILE)
  opened = {}
  for entry in recipient.get("sealedKeys") or []:
    try:
      stream, version = entry["stream"], entry["keyVersion"]
      info = keys_info(export_id, stream, version)
      wrapping = HKDF(algorithm=SHA256(), length=32, salt=ephemeral + public, info=info).derive(shared)
      box = base64.b64decode(entry["sealedKey"], validate=True)
      key = AESGCM(wrapping).decrypt(box[:12], box[12:], info)
      assert len(key) == 32
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError, AssertionError, binascii.Error, InvalidTag):
      raise Problem("keysInvalid", "data key %s of %s does not open with the auditor's key"
                    % (entry.get("keyVersion") if isinstance(entry, dict) else "?",
                       entry.get("stream") if isinstance(entry, dict) else "?"), KEYS_FILE)
    opened.setdefault(stream, {})[version] = key
  erased, listed = set(), {}
  for item in streams:
    try:
      name, versions, is_erased = item["stream"], item["keyVersions"], item["erased"]
      listed.setdefault(name, set()).update(versions)
    except (KeyError, TypeError):
      raise Problem("keysInvalid", "%s is not a keys file of its format" % KEYS_FILE, KEYS_FILE)
    if is_erased is True:
      erased.add(name)
      continue
    for version in versions:
      if version not in opened.get(name, {}):
        raise Problem("keysInvalid", "data key %s of %s is listed but not sealed to this auditor"
                      % (version, name), KEYS_FILE)
  return opened, erased, listed


def open_data(directory, manifest, private_raw, decrypt_to):
  """Opens every sealed event's data of an intact export (docs/AUDIT.md 2.7); with decrypt_to,
  writes the opened events there as events.ndjson (each line as `read --json` prints it)."""
  from cryptography.exceptions import InvalidTag
  from cryptography.hazmat.primitives.ciphers.aead import AESGCM
  import base64
  import binascii
  keys, erased, listed = unseal_keys(directory, manifest, private_raw)
  counts = {"keys": sum(len(v) for v in keys.values()), "eventsOpened": 0, "eventsErased": 0,
            "eventsPlain": 0, "streamsErased": len(erased), "writtenTo": None}
  out = None
  if decrypt_to is not None:
    if os.path.isdir(decrypt_to) and os.listdir(decrypt_to):
      raise Problem("outputFailed", "%s is not empty: choose a new directory" % decrypt_to, decrypt_to)
    try:
      os.makedirs(decrypt_to, mode=0o700, exist_ok=True)
      path = os.path.join(decrypt_to, NDJSON)
      out = os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")
    except OSError as error:
      raise Problem("outputFailed", "%s cannot be written: %s" % (decrypt_to, error.strerror), decrypt_to)
    counts["writtenTo"] = path
  try:
    for number, stated, _, event in ndjson_events(os.path.join(directory, NDJSON)):
      shown = dict(event)
      shown["hash"] = stated
      sealed = event.get("sealed")
      if sealed is None:
        counts["eventsPlain"] += 1
      else:
        stream = event["streamId"]
        version = integer(sealed.get("keyVersion")) if isinstance(sealed, dict) else None
        if not isinstance(sealed, dict) or sealed.get("alg") != "A256GCM" or version is None \
            or type(event.get("data")) is not str:
          raise Problem("dataNotOpened", "the event's sealed member is not A256GCM", NDJSON, number)
        if version not in listed.get(stream, set()):
          raise Problem("keysInvalid", "data key %d of %s (line %d of %s) is not listed" % (version, stream, number, NDJSON),
                        KEYS_FILE)
        if stream in erased:
          counts["eventsErased"] += 1
          shown["data"], shown["erased"] = None, True
        else:
          key = keys.get(stream, {}).get(version)
          if key is None:
            raise Problem("keysInvalid", "data key %d of %s (line %d of %s) is missing" % (version, stream, number, NDJSON),
                          KEYS_FILE)
          associated = jcs([event["eventId"], stream, event["type"], event["schemaVersion"]]).encode("utf-8")
          try:
            box = base64.b64decode(event["data"], validate=True)
            plain = AESGCM(key).decrypt(box[:12], box[12:], associated)
          except (ValueError, binascii.Error, InvalidTag):
            raise Problem("dataNotOpened", "the event's data does not open under data key %d of %s" % (version, stream),
                          NDJSON, number)
          try:
            value = load_event(plain)
            canonical = isinstance(value, dict) and jcs(value).encode("utf-8") == plain
          except ValueError:
            canonical = False
          if not canonical:
            raise Problem("dataNotOpened", "the opened data is not the canonical JSON of an object", NDJSON, number)
          counts["eventsOpened"] += 1
          shown["data"] = value
      if out is not None:
        out.write(jcs(shown).encode("utf-8") + b"\n")
  finally:
    if out is not None:
      out.close()
  return counts


def run(directory, expected_manifest_sha256, state, trusted_keys=()):
  manifest_path = os.path.join(directory, MANIFEST)
  try:
    with open(manifest_path, "rb") as handle:
      manifest_bytes = handle.read()
  except OSError:
    raise Problem("unreadableManifest", "there is no readable manifest.json in %s" % directory, MANIFEST)
  sha = hashlib.sha256(manifest_bytes).hexdigest()
  state["manifestSha256"] = sha
  try:
    manifest = json.loads(manifest_bytes.decode("utf-8"))
  except ValueError:
    raise Problem("unreadableManifest", "manifest.json is not JSON", MANIFEST)
  if not isinstance(manifest, dict) or manifest.get("format") not in FORMATS:
    raise Problem("unsupportedFormat", "the manifest's format is not one this verifier reads (%s)"
                  % ", ".join(sorted(FORMATS)), MANIFEST)
  rules = FORMATS[manifest["format"]]
  if expected_manifest_sha256 is not None and expected_manifest_sha256.lower() != sha:
    raise Problem("manifestMismatch", "manifest.json has SHA-256 %s, not the expected %s: it was edited"
                  % (sha, expected_manifest_sha256.lower()), MANIFEST)
  try:
    check_signature(directory, manifest, manifest_bytes, trusted_keys, state)
  except (KeyError, TypeError):
    raise Problem("unreadableManifest", "manifest.json lacks exportId or anchors.store", MANIFEST)
  try:
    filter_ = Filter(manifest["filter"])
    anchors = manifest["anchors"]
    counts = manifest["counts"]
    files = manifest["files"]
    contents = manifest["contents"]
    store = anchors["store"]
    chain = anchors["chain"]
    first = check_anchor(anchors.get("first"), "first")
    last_anchor = check_anchor(anchors.get("last"), "last")
    before = check_anchor(anchors.get("before"), "before")
    after = check_anchor(anchors.get("after"), "after")
    stream_head = anchors.get("streamHead")
    store_events, chain_head = store["events"], store["chainHead"]
    total, total_in_range = counts["events"], counts["eventsInRange"]
  except (KeyError, TypeError, AttributeError):
    raise Problem("unreadableManifest", "manifest.json lacks a documented member", MANIFEST)

  # The manifest's members must fit together.
  if contents != ("wholeChain" if filter_.whole_chain else "recordedRange"):
    raise Problem("manifestInconsistent", "contents '%s' does not follow from the filter" % contents, MANIFEST)
  if chain != ("stream" if filter_.stream is not None else "log"):
    raise Problem("manifestInconsistent", "the chain does not fit the filter", MANIFEST)
  if chain == "log" and stream_head is not None:
    raise Problem("manifestInconsistent", "a whole-log export names no stream head", MANIFEST)
  if not isinstance(files, list) or not files:
    raise Problem("manifestInconsistent", "the manifest lists no files", MANIFEST)
  entries = {}
  with_keys = manifest["format"] == WITH_KEYS
  allowed = (("ndjson", NDJSON), ("csv", CSV_FILE)) + ((("keys", KEYS_FILE),) if with_keys else ())
  for entry in files:
    if (not isinstance(entry, dict) or (entry.get("format"), entry.get("name")) not in allowed
        or entry["format"] in entries):
      raise Problem("manifestInconsistent", "the file list is not events.ndjson and/or events.csv, once each"
                    + (", and keys.json" if with_keys else ""), MANIFEST)
    if entry["format"] != "keys" and entry.get("records") != total:
      raise Problem("countMismatch", "%s is listed with %s events, the counts say %s" % (entry["name"], entry.get("records"), total), MANIFEST)
    if type(entry.get("sha256")) is not str or not HEX64.match(entry["sha256"]):
      raise Problem("manifestInconsistent", "the SHA-256 of %s is not 64 lowercase hex digits" % entry["name"], MANIFEST)
    entries[entry["format"]] = entry
  if with_keys and not ("keys" in entries and "ndjson" in entries):
    raise Problem("manifestInconsistent", "a %s export lists keys.json and events.ndjson" % WITH_KEYS, MANIFEST)
  if total_in_range > total:
    raise Problem("countMismatch", "more events in range than events", MANIFEST)
  if (total == 0) != (first is None) or (first is None) != (last_anchor is None):
    raise Problem("anchorMismatch", "first and last events must be named exactly when there are events", MANIFEST)

  log = chain == "log"
  index_name = "position" if log else "version"

  def index(view):
    return view.position if log else view.version

  def link(view):
    return view.previous if log else view.previous_stream

  def anchor_view(a):
    return View(a["globalPosition"], a["streamVersion"], None, a["recordedAt"], None,
                a["previousHash"], a["previousStreamHash"], a["hash"])

  for name in entries.values():
    if not os.path.isfile(os.path.join(directory, name["name"])):
      raise Problem("missingFile", "%s is listed in the manifest but cannot be read" % name["name"], name["name"])
  state["manifest"] = manifest
  has_ndjson, has_csv = "ndjson" in entries, "csv" in entries
  state["hashesRecomputed"] = has_ndjson
  primary = NDJSON if has_ndjson else CSV_FILE
  lines = ndjson_events(os.path.join(directory, NDJSON)) if has_ndjson else None
  rows = csv_rows(os.path.join(directory, CSV_FILE)) if has_csv else None

  previous = None
  count = in_range = 0
  stream_heads = {}   # following the log: stream -> (version, hash) of its last event seen
  while True:
    line = count + 1
    fields = row = None
    if lines is not None:
      item = next(lines, None)
      if item is None:
        break
      _, stated, _, event = item
      view = View(integer(event["globalPosition"]), integer(event["streamVersion"]), event["streamId"],
                  event["recordedAt"], event["occurredAt"], event["previousHash"], event["previousStreamHash"], stated)
      fields = (event, stated)
    else:
      item = next(rows, None)
      if item is None:
        break
      row = item[1]
      if len(row) != len(COLUMNS):
        raise Problem("csvMismatch", "the row does not have the documented columns", CSV_FILE, line + 1)
      cell = dict(zip(COLUMNS, (unguard(c, rules) for c in row)))
      try:
        position, version = int(cell["globalPosition"]), int(cell["streamVersion"])
      except ValueError:
        raise Problem("csvMismatch", "the row does not have the documented columns", CSV_FILE, line + 1)
      if not all(HEX64.match(cell[k]) for k in ("hash", "previousHash", "previousStreamHash")):
        raise Problem("csvMismatch", "the row does not have the documented columns", CSV_FILE, line + 1)
      view = View(position, version, cell["streamId"], cell["recordedAt"], cell["occurredAt"],
                  cell["previousHash"], cell["previousStreamHash"], cell["hash"])

    # The filter.
    if filter_.stream is not None and view.stream != filter_.stream:
      raise Problem("outsideFilter", "the event belongs to another stream than " + filter_.stream, primary, line)
    recorded = parse_micros(view.recorded)
    if recorded is None:
      raise Problem("malformedLine", "recordedAt is not a time", primary, line)
    if contents == "recordedRange" and not filter_.contains(recorded):
      raise Problem("outsideFilter", "recordedAt %s is outside the range" % view.recorded, primary, line)
    if filter_.mark_range:
      occurred = parse_micros(view.occurred)
      matches = occurred is not None and filter_.contains(occurred)
    else:
      matches = True

    # The chain.
    if previous is not None:
      expected_index, expected_link = index(previous) + 1, previous.hash
    elif before is not None:
      expected_index, expected_link = index(anchor_view(before)) + 1, before["hash"]
    else:
      expected_index, expected_link = 0, ZERO
    if index(view) > expected_index:
      gap = ("%s %d is missing" % (index_name, expected_index) if index(view) - expected_index == 1
             else "%ss %d…%d are missing" % (index_name, expected_index, index(view) - 1))
      raise Problem("missingEvent", "the line holds %s %d where %d comes next: %s (a line was removed or moved)"
                    % (index_name, index(view), expected_index, gap), primary, line)
    if index(view) < expected_index:
      raise Problem("unexpectedEvent", "the line holds %s %d where %d comes next (a line was added or moved)"
                    % (index_name, index(view), expected_index), primary, line)
    if link(view) != expected_link:
      raise Problem("brokenChain", "%s is not the hash of the %s" % (
        "previousHash" if log else "previousStreamHash",
        "previous line" if previous is not None else "event before the export (manifest)"), primary, line)
    if log:
      check_stream_link(view, stream_heads, before is not None, primary, line)
    if previous is not None:
      if view.position <= previous.position:
        raise Problem("unexpectedEvent", "global positions do not increase", primary, line)
      if recorded < parse_micros(previous.recorded):
        raise Problem("unexpectedEvent", "recordedAt decreases", primary, line)
    elif first != view.anchor():
      raise Problem("anchorMismatch", "the first event is not the manifest's first event", primary, line)
    if view.position >= store_events:
      raise Problem("anchorMismatch", "the event is beyond the store head the manifest names", primary, line)

    # The CSV row of the same event (after the NDJSON's own checks, which come first).
    if fields is not None and rows is not None:
      item = next(rows, None)
      if item is None:
        raise Problem("csvMismatch", "events.csv ends before events.ndjson (line %d has no row)" % line, CSV_FILE, line + 1)
      row = item[1]
    if fields is not None and row is not None:
      expected = expected_cells(fields[0], fields[1], matches, rules)
      if row != expected:
        if len(row) != len(expected):
          raise Problem("csvMismatch", "the row has %d cells, not %d" % (len(row), len(expected)), CSV_FILE, line + 1)
        column = next(i for i in range(len(row)) if row[i] != expected[i])
        raise Problem("csvMismatch", "column %s disagrees with line %d of events.ndjson" % (COLUMNS[column], line), CSV_FILE, line + 1)
    elif row is not None:
      want = "true" if matches else "false"
      if row[COLUMNS.index("inRange")] != want:
        raise Problem("csvMismatch", "column inRange should be %s for the row's occurredAt and the filter's range" % want, CSV_FILE, line + 1)

    previous = view
    count += 1
    in_range += 1 if matches else 0
    state["events"], state["inRange"] = count, in_range
    progress(count, total)

  # The end of the export.
  if previous is not None:
    last_index = index(anchor_view(last_anchor))
    if index(previous) < last_index:
      raise Problem("missingEvent", "the export ends at %s %d, the manifest's last event is %d: lines at the end were removed"
                    % (index_name, index(previous), last_index), primary, count)
    if index(previous) > last_index:
      raise Problem("unexpectedEvent", "the export ends at %s %d, the manifest's last event is %d: lines were added at the end"
                    % (index_name, index(previous), last_index), primary, count)
    if previous.anchor() != last_anchor:
      raise Problem("anchorMismatch", "the last event is not the manifest's last event", primary, count)
  if count != total:
    raise Problem("countMismatch", "%d events where the manifest says %d" % (count, total), primary)
  if in_range != total_in_range:
    raise Problem("countMismatch", "%d events in range where the manifest says %d" % (in_range, total_in_range), primary)
  check_ends(filter_, contents, log, before, after, stream_head, store_events, chain_head, previous, index)

  if lines is not None and rows is not None and next(rows, None) is not None:
    raise Problem("csvMismatch", "events.csv has more rows than events.ndjson has lines", CSV_FILE, count + 2)

  # Every byte of every file.
  for entry in entries.values():
    digest, size = file_sha256(os.path.join(directory, entry["name"]))
    if digest != entry["sha256"] or size != entry.get("bytes"):
      raise Problem("fileHashMismatch", "%s has SHA-256 %s (%d bytes), the manifest lists %s (%s bytes)"
                    % (entry["name"], digest, size, entry["sha256"], entry.get("bytes")), entry["name"])


def check_stream_link(view, stream_heads, starts_mid_log, primary, line):
  """Following the log, each stream's chain too (docs/AUDIT.md 4): its versions follow on without
  gaps or repeats and previousStreamHash names the stream's previous event (zeros before version
  0). An export that starts after an event has not seen the streams' earlier events: a stream's
  first event in it may hold any version, and names zeros if it holds version 0."""
  head = stream_heads.get(view.stream)
  if head is not None or not starts_mid_log or view.version == 0:
    expected_version, expected_link = (head[0] + 1, head[1]) if head is not None else (0, ZERO)
    if view.version != expected_version:
      raise Problem("unexpectedEvent" if view.version < expected_version else "missingEvent",
                    "the event holds version %d of its stream where %d comes next (the stream's chain is broken)"
                    % (view.version, expected_version), primary, line)
    if view.previous_stream != expected_link:
      raise Problem("brokenChain", "previousStreamHash is not the hash of the stream's previous event", primary, line)
  stream_heads[view.stream] = (view.version, view.hash)


def check_ends(filter_, contents, log, before, after, stream_head, store_events, chain_head, last, index):
  def anchor_index(a):
    return a["globalPosition"] if log else a["streamVersion"]

  if last is not None:
    end_index, end_hash = index(last), last.hash
  elif before is not None:
    end_index, end_hash = anchor_index(before), before["hash"]
  else:
    end_index, end_hash = None, ZERO
  next_index = 0 if end_index is None else end_index + 1

  if before is not None:
    if contents != "recordedRange" or filter_.start is None:
      raise Problem("manifestInconsistent", "an event before the export is named, but the range has no start", MANIFEST)
    recorded = parse_micros(before["recordedAt"])
    if recorded is None or recorded >= filter_.start:
      raise Problem("anchorMismatch", "the event before the export was recorded inside the range", MANIFEST)
    if before["globalPosition"] >= store_events:
      raise Problem("anchorMismatch", "the event before the export is beyond the store head", MANIFEST)
  if after is not None:
    if contents != "recordedRange" or filter_.end is None:
      raise Problem("manifestInconsistent", "an event after the export is named, but the range has no end", MANIFEST)
    recorded = parse_micros(after["recordedAt"])
    if recorded is None or recorded < filter_.end:
      raise Problem("anchorMismatch", "the event after the export was recorded inside the range", MANIFEST)
    if anchor_index(after) != next_index or (after["previousHash"] if log else after["previousStreamHash"]) != end_hash:
      raise Problem("anchorMismatch", "the event after the export does not continue its chain "
                    "(events at the end of the range are missing)", MANIFEST)
    if after["globalPosition"] >= store_events:
      raise Problem("anchorMismatch", "the event after the export is beyond the store head", MANIFEST)
    if not log and (stream_head is None or stream_head["streamVersion"] < after["streamVersion"]):
      raise Problem("anchorMismatch", "the stream head is before the event after the export", MANIFEST)
    return
  if log:
    if next_index != store_events or end_hash != chain_head:
      raise Problem("anchorMismatch", "the export should end at the store head (%d events, chain head %s) but ends at %d "
                    "events: events at the end are missing" % (store_events, chain_head, next_index), MANIFEST)
  else:
    if end_index is None:
      reached = stream_head is None
    else:
      reached = stream_head is not None and stream_head["streamVersion"] == end_index and stream_head["hash"] == end_hash
    if not reached:
      raise Problem("anchorMismatch", "the export should end at the stream head but ends at version %s: "
                    "events at the end are missing" % ("none" if end_index is None else end_index), MANIFEST)
    if stream_head is not None and stream_head["globalPosition"] >= store_events:
      raise Problem("anchorMismatch", "the stream head is beyond the store head", MANIFEST)


def opened_line(opened):
  """The line that says what an auditor's key opened (the same words as `audit verify`)."""
  text = ("opened: %d events' data with %d data keys (AEAD tags checked, canonical JSON objects); "
          "%d erased, %d plain" % (opened["eventsOpened"], opened["keys"], opened["eventsErased"], opened["eventsPlain"]))
  if opened["writtenTo"]:
    text += "; written to " + opened["writtenTo"]
  return text


class Progress:
  """Progress on standard error: a line redrawn in place on a terminal (at most 10 times a
  second), else a plain line every `every` events (0: none)."""

  def __init__(self, every):
    self.every = every
    self.terminal = sys.stderr.isatty()
    self.last = 0.0
    self.drawn = False

  def __call__(self, count, total):
    if self.terminal:
      now = time.monotonic()
      if count % 1024 == 0 and now - self.last >= 0.1:
        self.last = now
        sys.stderr.write("\rverified %d of %d events\x1b[K" % (count, total))
        sys.stderr.flush()
        self.drawn = True
    elif self.every and count % self.every == 0:
      sys.stderr.write("verified %d of %d events\n" % (count, total))
      sys.stderr.flush()

  def finish(self):
    if self.drawn:
      sys.stderr.write("\r\x1b[K")
      sys.stderr.flush()


progress = Progress(0)


def main(argv):
  parser = argparse.ArgumentParser(
    description="Verify a TreatmentLedger audit export with its manifest alone (docs/AUDIT.md).")
  parser.add_argument("directory", help="the export directory (manifest.json, events.ndjson, events.csv)")
  parser.add_argument("--manifest-sha256", metavar="HEX",
                      help="the manifest's SHA-256 as recorded in $audit (treatment-ledger audit log)")
  parser.add_argument("--public-key", metavar="HEX|FILE", action="append", default=[],
                      help="the store's Ed25519 public key (treatment-ledger keys public), or a file of them; "
                           "repeatable: the export must be signed by one of them (needs the cryptography package)")
  parser.add_argument("--auditor-private-key", metavar="FILE",
                      help="the auditor's X25519 private key file (treatment-ledger audit keygen): open the data keys "
                           "of keys.json and every sealed event's data (needs the cryptography package)")
  parser.add_argument("--decrypt-to", metavar="DIR",
                      help="with --auditor-private-key: write the opened events to DIR/events.ndjson (a new or empty "
                           "directory; each line the envelope as `treatment-ledger read --json` prints it)")
  parser.add_argument("--json", action="store_true", help="print the report as JSON")
  parser.add_argument("--progress-every", metavar="N", type=int, default=100000,
                      help="off a terminal, a progress line on standard error every N events (0: none)")
  args = parser.parse_args(argv)
  global progress
  progress = Progress(max(0, args.progress_every))
  if args.manifest_sha256 is not None and not re.match(r"^[0-9a-fA-F]{64}$", args.manifest_sha256):
    parser.error("--manifest-sha256 must be 64 hex digits")
  if not os.path.isdir(args.directory):
    parser.error("%s is not a directory" % args.directory)
  try:
    trusted_keys = load_public_keys(args.public_key)
  except (OSError, ValueError) as error:
    parser.error("--public-key: %s" % error)
  if trusted_keys:
    try:
      import cryptography.hazmat.primitives.asymmetric.ed25519  # noqa: F401
    except ImportError:
      parser.error("--public-key needs the cryptography package: python3 -m pip install cryptography")
  auditor_key = None
  if args.decrypt_to is not None and args.auditor_private_key is None:
    parser.error("--decrypt-to needs --auditor-private-key")
  if args.auditor_private_key is not None:
    try:
      import cryptography.hazmat.primitives.asymmetric.x25519  # noqa: F401
    except ImportError:
      parser.error("--auditor-private-key needs the cryptography package: python3 -m pip install cryptography")
    try:
      auditor_key = load_auditor_key(args.auditor_private_key)
    except (OSError, ValueError) as error:
      parser.error("--auditor-private-key: %s" % error)
  result = verify(args.directory, args.manifest_sha256, trusted_keys, auditor_key, args.decrypt_to)
  progress.finish()
  problem = result["problem"]
  if args.json:
    report = {"eventsChecked": result["events"], "eventsInRange": result["inRange"],
              "hashesRecomputed": result["hashesRecomputed"], "manifestSHA256": result["manifestSha256"],
              "manifestChecked": args.manifest_sha256 is not None, "intact": problem is None,
              "signedBy": result["signedBy"], "opened": result["opened"]}
    if problem is not None:
      report["problem"] = {"kind": problem.kind, "file": problem.file, "line": problem.line, "detail": problem.detail}
    print(json.dumps(report, sort_keys=True))
  elif problem is not None:
    print("FAILED after %d intact events: %s" % (result["events"], problem))
  else:
    in_range = "" if result["inRange"] == result["events"] else " (%d in range)" % result["inRange"]
    hashes = "hashes recomputed" if result["hashesRecomputed"] else "CSV only: links checked, hashes not recomputable"
    manifest = "matches the given SHA-256" if args.manifest_sha256 else "not compared with $audit"
    signed = ("signed by %s" % result["signedBy"]) if result["signedBy"] else "signature not checked (no --public-key)"
    print("intact: %d events%s, %s; manifest sha256 %s (%s); %s"
          % (result["events"], in_range, hashes, result["manifestSha256"], manifest, signed))
    opened = result["opened"]
    if opened is not None:
      print(opened_line(opened))
  return 0 if problem is None else 1


if __name__ == "__main__":
  sys.exit(main(sys.argv[1:]))
