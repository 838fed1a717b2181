#!/usr/bin/env python3
"""Generate the audit-export conformance vectors (docs/AUDIT.md 2.6).

  python3 Tools/audit-verify/vectors/generate.py TREATMENT_LEDGER_BINARY OUT_DIR

Makes a small store with the `treatment-ledger` binary (the schema examples as one patient's
record, and a ward stream whose payloads test the CSV rendering rules), exports it signed (the
whole log, the patient, a CSV-only copy), then writes every vector of VECTORS below into OUT_DIR:
an intact export or a tampered copy, one directory each, plus `index.json` (what each vector is
and the verdict every verifier must reach with and without the store's public key) and
`public-key.txt`. The verdicts are written here from the rules of docs/AUDIT.md, not taken from a
verifier's output. Needs Python 3.8+ and the binary; no third-party package.
"""

import datetime
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, os.path.dirname(HERE))
import verify_export as vx  # noqa: E402  (the repository's Python verifier: its JCS and CSV writer)

AUDITOR = ["--by", "compliance-07", "--by-name", "Dana Auditor", "--reason", "conformance vectors"]
DATA_FILES = ("manifest.json", "events.ndjson", "events.csv", "signature.json")


def run(binary, *arguments):
  result = subprocess.run([binary] + list(arguments), capture_output=True, text=True)
  if result.returncode != 0:
    sys.exit("%s %s failed: %s" % (binary, " ".join(arguments), result.stderr.strip()))
  return result.stdout


def patient_record():
  """The schema examples as one coherent record, in clinical order (as the tests build it)."""
  folder = os.path.join(ROOT, "Schemas", "examples")
  events = []
  for name in sorted(os.listdir(folder)):
    if name.endswith(".v1.example.json") and not name.startswith(("envelope", "protocol")):
      with open(os.path.join(folder, name), encoding="utf-8") as handle:
        events.append(json.load(handle))
  return sorted(events, key=lambda e: datetime.datetime.fromisoformat(e["occurredAt"]))


def ward_notes():
  """Payloads that the CSV rendering rules of docs/AUDIT.md 2.2 treat with care."""
  payloads = [
    {"a.b": "dotted name", "a": {"b": "nested"}, "note": "calm; slept=yes", "f": "'=SUM(A1)"},
    {},
    {"accents": "e\u0301" * 20, "flag": "\U0001F1FA\U0001F1F8"},
    {"text": "line one\r\nline two, \"quoted\"", "n": 1e21, "list": [], "x": None},
  ]
  return [{"eventId": "00000000-0000-4000-8000-%012d" % (i + 1), "type": "WardNote",
           "occurredAt": "2026-11-0%dT10:00:00+01:00" % (i + 1),
           "recordedBy": {"id": "nurse-1", "name": "=HYPERLINK(\"x\")" if i == 0 else "Ward Nurse",
                          "role": "nurse"}, "data": data} for i, data in enumerate(payloads)]


def make_exports(binary, work):
  store = os.path.join(work, "store")
  run(binary, "init", "--store", store)
  for stream, events in (("patient-demo-0001", patient_record()), ("ward-1", ward_notes())):
    path = os.path.join(work, stream + ".ndjson")
    with open(path, "w", encoding="utf-8") as handle:
      for event in events:
        handle.write(json.dumps(event, ensure_ascii=False) + "\n")
    run(binary, "append", "--store", store, "--stream", stream, path)
  exports = {}
  for name, extra in (("log", []), ("patient", ["--patient", "demo-0001"]), ("csv-only", ["--format", "csv"])):
    out = os.path.join(work, name)
    run(binary, "audit", "export", "--store", store, "--out", out, *AUDITOR, *extra)
    exports[name] = out
  public_key = run(binary, "keys", "public", "--store", store).split()[0]
  return exports, public_key


# --- Tampering helpers --------------------------------------------------------------------------

def read_lines(directory):
  with open(os.path.join(directory, "events.ndjson"), "rb") as handle:
    return handle.read().split(b"\n")[:-1]


def write_lines(directory, lines):
  with open(os.path.join(directory, "events.ndjson"), "wb") as handle:
    handle.write(b"".join(line + b"\n" for line in lines))


def line_for(event_bytes):
  return b'{"hash":"' + hashlib.sha256(event_bytes).hexdigest().encode() + b'","event":' + event_bytes + b"}"


def event_of(line):
  return json.loads(line[83:-1].decode("utf-8"))


def manifest(directory):
  with open(os.path.join(directory, "manifest.json"), encoding="utf-8") as handle:
    return json.load(handle)


def write_manifest(directory, value):
  with open(os.path.join(directory, "manifest.json"), "w", encoding="utf-8") as handle:
    handle.write(json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def csv_rows(directory):
  with open(os.path.join(directory, "events.csv"), "rb") as handle:
    data = handle.read()
  assert data.startswith(b"\xef\xbb\xbf")
  return data


def rewrite_files_in_manifest(directory, m):
  """The manifest's file hashes, sizes and records made to match the files, as a forger would."""
  for entry in m["files"]:
    path = os.path.join(directory, entry["name"])
    with open(path, "rb") as handle:
      data = handle.read()
    entry["sha256"] = hashlib.sha256(data).hexdigest()
    entry["bytes"] = len(data)
    entry["records"] = m["counts"]["events"]


def render_csv(directory, events_with_hashes, rules=2):
  """events.csv rewritten from the NDJSON, by the rules (a forger with the rules in hand)."""
  out = "\ufeff" + vx.csv_record(vx.COLUMNS)
  for event, digest in events_with_hashes:
    out += vx.csv_record(vx.expected_cells(event, digest, True, rules))
  with open(os.path.join(directory, "events.csv"), "wb") as handle:
    handle.write(out.encode("utf-8"))


def forge_tail(directory, member_order=None, stream_version_delta=1, duplicate_data=False):
  """Appends a forged last event that continues the log chain (its hash correct), then rewrites
  the CSV and the manifest (counts, anchors, store head, file hashes) to match."""
  lines = read_lines(directory)
  last = event_of(lines[-1])
  stream = last["streamId"]
  same_stream = [event_of(line) for line in lines if event_of(line)["streamId"] == stream]
  forged = dict(last)
  forged["eventId"] = "ffffffff-ffff-4fff-8fff-ffffffffffff"
  forged["globalPosition"] = int(last["globalPosition"]) + 1
  forged["streamVersion"] = int(same_stream[-1]["streamVersion"]) + stream_version_delta
  forged["previousHash"] = lines[-1][9:73].decode()
  forged["previousStreamHash"] = hashlib.sha256(
    [line for line in lines if event_of(line)["streamId"] == stream][-1][83:-1]).hexdigest()
  forged = vx.load_event(json.dumps(forged).encode())
  canonical = vx.jcs(forged).encode("utf-8")
  if member_order == "reversed":
    canonical = json.dumps(dict(reversed(list(json.loads(canonical).items()))),
                           separators=(",", ":"), ensure_ascii=False).encode("utf-8")
  if duplicate_data:
    canonical = canonical[:-1] + b',"data":{"forged":true}}'
  lines.append(line_for(canonical))
  write_lines(directory, lines)
  # Parsed as a reader that keeps the last of two same-named members would (for the CSV only).
  events = [(json.loads(line[83:-1], parse_int=vx.Number, parse_float=vx.Number), line[9:73].decode())
            for line in lines]
  if os.path.exists(os.path.join(directory, "events.csv")):
    render_csv(directory, events)
  m = manifest(directory)
  digest = hashlib.sha256(canonical).hexdigest()
  m["counts"]["events"] += 1
  m["counts"]["eventsInRange"] += 1
  anchor = {k: forged[k] if k in ("previousHash", "previousStreamHash", "recordedAt") else int(forged[k])
            for k in ("globalPosition", "streamVersion", "recordedAt", "previousHash", "previousStreamHash")}
  anchor["hash"] = digest
  m["anchors"]["last"] = anchor
  m["anchors"]["store"]["events"] += 1
  m["anchors"]["store"]["chainHead"] = digest
  rewrite_files_in_manifest(directory, m)
  write_manifest(directory, m)


def resign_with_own_key(directory):
  """The forger's own Ed25519 signature (needs the cryptography package)."""
  from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
  key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
  with open(os.path.join(directory, "manifest.json"), "rb") as handle:
    manifest_bytes = handle.read()
  m = json.loads(manifest_bytes)
  head = {"exportId": m["exportId"], "events": m["anchors"]["store"]["events"],
          "chainHead": m["anchors"]["store"]["chainHead"],
          "lastRecordedAt": m["anchors"]["store"].get("lastRecordedAt")}
  from cryptography.hazmat.primitives import serialization
  public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
  signature = {"format": vx.SIGNATURE_FORMAT, "algorithm": "Ed25519", "publicKey": public.hex(),
               "manifestSHA256": hashlib.sha256(manifest_bytes).hexdigest(),
               "manifestSignature": key.sign(manifest_bytes).hex(), "head": head,
               "headSignature": key.sign(vx.jcs(head).encode("utf-8")).hex()}
  with open(os.path.join(directory, "signature.json"), "w", encoding="utf-8") as handle:
    handle.write(json.dumps(signature, indent=2, sort_keys=True) + "\n")


def edit_json(name, change):
  def apply(directory):
    path = os.path.join(directory, name)
    with open(path, encoding="utf-8") as handle:
      value = json.load(handle)
    change(value)
    with open(path, "w", encoding="utf-8") as handle:
      handle.write(json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
  return apply


def edit_bytes(name, change):
  def apply(directory):
    path = os.path.join(directory, name)
    with open(path, "rb") as handle:
      data = handle.read()
    with open(path, "wb") as handle:
      handle.write(change(data))
  return apply


def change_event_byte(directory):
  lines = read_lines(directory)
  line = lines[2]
  at = line.index(b'"type":"') + 8   # the first letter of the type: its case flipped
  lines[2] = line[:at] + bytes([line[at] ^ 0x20]) + line[at + 1:]
  write_lines(directory, lines)


def remove_line(directory):
  lines = read_lines(directory)
  del lines[3]
  write_lines(directory, lines)


def swap_lines(directory):
  lines = read_lines(directory)
  lines[3], lines[4] = lines[4], lines[3]
  write_lines(directory, lines)


def change_csv_cell(data):
  return data.replace(b"Ward Nurse", b"Ward Nurze", 1)


def csv_without_bom(data):
  return data[3:]


def csv_lf(data):
  return data.replace(b"\r\n", b"\n")


def csv_needless_quotes(data):
  return data.replace(b",ward-1,", b',"ward-1",', 1)


def drop_final_newline(directory):
  path = os.path.join(directory, "events.ndjson")
  with open(path, "rb") as handle:
    data = handle.read()
  with open(path, "wb") as handle:
    handle.write(data[:-1])


def remove_signature(directory):
  os.remove(os.path.join(directory, "signature.json"))


def audit1_fixture(directory):
  shutil.rmtree(directory)
  shutil.copytree(os.path.join(ROOT, "Tests", "LedgerAuditTests", "Fixtures", "audit1-export"), directory)


# name, base export, tampering (None: intact), verdict with the public key, verdict without it,
# description.
VECTORS = [
  ("intact-log", "log", None, "intact", "intact", "A whole-log export (NDJSON and CSV), signed."),
  ("intact-patient", "patient", None, "intact", "intact", "One patient's export (the stream chain), signed."),
  ("intact-csv-only", "csv-only", None, "intact", "intact", "A CSV-only whole-log export: links checked, hashes not recomputable."),
  ("intact-audit1", "log", audit1_fixture, "signatureMissing", "intact",
   "An export of format treatment-ledger-audit-1 (earlier CSV rules, unsigned)."),
  ("unsigned", "log", remove_signature, "signatureMissing", "intact", "signature.json removed."),
  ("manifest-reason-edited", "log", edit_json("manifest.json", lambda m: m.update(reason="another reason")),
   "signatureInvalid", "intact", "A descriptive manifest member edited: only the signature (or the $audit record) shows it."),
  ("forged-tail", "log", forge_tail, "signatureInvalid", "intact",
   "A forged last event with a correct hash, the CSV, counts, anchors, store head and file hashes rewritten to match."),
  ("forged-tail-resigned", "log", lambda d: (forge_tail(d), resign_with_own_key(d)), "signatureKeyUnknown", "intact",
   "The forged tail, signed by the forger's own key."),
  ("head-statement-edited", "log", edit_json("signature.json", lambda s: s["head"].update(events=s["head"]["events"] + 1)),
   "signatureInvalid", "intact", "The signed head statement moved to another head."),
  ("event-byte-changed", "log", change_event_byte, "hashMismatch", "hashMismatch", "One byte of a stored event changed."),
  ("line-removed", "log", remove_line, "missingEvent", "missingEvent", "An NDJSON line removed."),
  ("lines-swapped", "log", swap_lines, "missingEvent", "missingEvent", "Two NDJSON lines swapped."),
  ("last-line-unterminated", "log", drop_final_newline, "malformedLine", "malformedLine", "The last line has no line feed."),
  ("count-edited", "log", edit_json("manifest.json", lambda m: m["counts"].update(events=m["counts"]["events"] + 1)),
   "signatureInvalid", "countMismatch", "counts.events raised by one."),
  ("file-hash-edited", "log", edit_json("manifest.json", lambda m: m["files"][0].update(sha256="0" * 64)),
   "signatureInvalid", "fileHashMismatch", "A file's sha256 in the manifest changed."),
  ("unsupported-format", "log", edit_json("manifest.json", lambda m: m.update(format="treatment-ledger-audit-9")),
   "unsupportedFormat", "unsupportedFormat", "A manifest format no verifier reads."),
  ("csv-cell-changed", "log", edit_bytes("events.csv", change_csv_cell), "csvMismatch", "csvMismatch",
   "A recorder's name changed in one CSV row."),
  ("csv-without-bom", "log", edit_bytes("events.csv", csv_without_bom), "csvMalformed", "csvMalformed", "events.csv without its byte-order mark."),
  ("csv-lf-line-ends", "log", edit_bytes("events.csv", csv_lf), "csvMalformed", "csvMalformed", "events.csv with LF line ends."),
  ("csv-needless-quotes", "log", edit_bytes("events.csv", csv_needless_quotes), "csvMalformed", "csvMalformed",
   "A CSV field quoted although it holds no comma, quote or line break."),
  ("forged-tail-not-canonical", "log", lambda d: forge_tail(d, member_order="reversed"), "signatureInvalid", "notCanonical",
   "A forged last event whose bytes are not RFC 8785 canonical, its hash and the manifest rewritten to match."),
  ("forged-tail-duplicate-member", "log", lambda d: forge_tail(d, duplicate_data=True), "signatureInvalid", "malformedLine",
   "A forged last event naming `data` twice, its hash and the manifest rewritten to match."),
  ("forged-tail-version-repeated", "log", lambda d: forge_tail(d, stream_version_delta=0), "signatureInvalid", "unexpectedEvent",
   "A forged last event that repeats its stream's last version (an impossible stream link), the manifest rewritten."),
  ("patient-line-removed", "patient", remove_line, "missingEvent", "missingEvent", "A line removed from a patient export."),
]


def main(argv):
  if len(argv) != 2:
    sys.exit(__doc__)
  binary, out = argv
  os.makedirs(out, exist_ok=True)
  with tempfile.TemporaryDirectory() as work:
    exports, public_key = make_exports(os.path.abspath(binary), work)
    index = []
    for name, base, tamper, with_key, without_key, description in VECTORS:
      target = os.path.join(out, name)
      shutil.rmtree(target, ignore_errors=True)
      os.makedirs(target)
      for file in DATA_FILES:
        source = os.path.join(exports[base], file)
        if os.path.exists(source):
          shutil.copy(source, target)
      if tamper is not None:
        tamper(target)
      index.append({"name": name, "description": description,
                    "withPublicKey": with_key, "withoutPublicKey": without_key})
  with open(os.path.join(out, "public-key.txt"), "w", encoding="utf-8") as handle:
    handle.write(public_key + "\n")
  with open(os.path.join(out, "index.json"), "w", encoding="utf-8") as handle:
    handle.write(json.dumps({"format": "treatment-ledger-audit-vectors-1", "publicKey": "public-key.txt",
                             "vectors": index}, indent=2) + "\n")
  print("wrote %d vectors to %s" % (len(index), out))


if __name__ == "__main__":
  main(sys.argv[1:])
