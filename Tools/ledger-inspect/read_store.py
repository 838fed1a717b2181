#!/usr/bin/env python3
"""Independent reader and verifier of a TreatmentLedger store (format `treatment-ledger-2`, and
`treatment-ledger-1` before sealing; sealed data is read and verified as stored, without keys).

Written from docs/FORMAT.md only, in Python with the `lmdb` package (py-lmdb) and the standard
library, so that a store can be read and checked without the Swift code that wrote it.

    python3 Tools/ledger-inspect/read_store.py STORE_DIR                # summary (like `stats`)
    python3 Tools/ledger-inspect/read_store.py STORE_DIR --dump         # one envelope per line
    python3 Tools/ledger-inspect/read_store.py STORE_DIR --dump --stream patient-7f3a
    python3 Tools/ledger-inspect/read_store.py STORE_DIR --verify
    python3 Tools/ledger-inspect/read_store.py STORE_DIR --verify --stream patient-7f3a
    python3 Tools/ledger-inspect/read_store.py STORE_DIR --verify --anchor-events N --anchor-head HEX
    python3 Tools/ledger-inspect/read_store.py --self-test              # canonical-JSON vectors

`--verify` recomputes every SHA-256 over the stored bytes (it never re-canonicalizes before
hashing), follows the log chain and every stream chain, checks the `streams`, `event-ids` and
`stream-heads` indexes and `meta/head` against the log, and also checks that each stored envelope
is exactly the RFC 8785 canonical form of itself (with the small serializer below). It prints
`intact: N events ...` and exits 0, or prints the first problem with its global position and
exits 1. Messages name positions, streams, event ids and field names, never `data` values.

Exit codes: 0 intact / success, 1 a problem was found, 2 usage error or the store cannot be opened.
The environment is opened read-only; the tool never writes.
"""

import argparse
import datetime
import hashlib
import json
import os
import re
import struct
import sys
import uuid

FORMAT_NAME = b"treatment-ledger-2"
FORMAT_NAMES = (b"treatment-ledger-2", b"treatment-ledger-1")
RECORD_VERSION = 1
ZERO_HASH = bytes(32)
DATABASES = (b"log", b"streams", b"stream-heads", b"event-ids", b"meta")

REQUIRED_MEMBERS = {
    "eventId", "type", "schemaVersion", "streamId", "streamVersion", "globalPosition",
    "occurredAt", "recordedAt", "recordedBy", "data", "previousHash", "previousStreamHash",
}
OPTIONAL_MEMBERS = {"correlationId", "causationId", "flags", "sealed"}
RECORDED_AT = re.compile(r"\A(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{6})Z\Z")
LOWER_UUID = re.compile(r"\A[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")
HEX64 = re.compile(r"\A[0-9a-f]{64}\Z")
STREAM_NAME = re.compile(r"\A\$?[A-Za-z0-9._:@-]{1,200}\Z")


# --------------------------------------------------------------------------------------------
# RFC 8785 (JSON Canonicalization Scheme), written independently of the Swift code: the one
# serializer of the audit export verifier (Tools/audit-verify/verify_export.py), which must stay
# a single file an auditor can copy, is used here too.

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "audit-verify"))
from verify_export import NotCanonicalizable, es_number, jcs, _no_duplicates, _no_constant  # noqa: E402


def jcs_bytes(value):
    return jcs(value).encode("utf-8")


def parse_stored_json(raw):
    """Parses stored canonical bytes strictly: UTF-8, no duplicate names, no NaN/Infinity.
    Every number becomes a double, as in the JSON data model the store uses."""
    text = raw.decode("utf-8")  # strict: raises on invalid UTF-8
    return json.loads(text, object_pairs_hook=_no_duplicates, parse_int=float,
                      parse_float=float, parse_constant=_no_constant)


SELF_TEST_NUMBERS = [
    # RFC 8785 Appendix B: IEEE-754 bit pattern, expected text.
    ("0000000000000000", "0"), ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"), ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"), ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"), ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"), ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"), ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"), ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"), ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]


def self_test():
    failures = 0
    for bits, expected in SELF_TEST_NUMBERS:
        value = struct.unpack(">d", bytes.fromhex(bits))[0]
        got = es_number(value)
        if got != expected:
            print("number %s: got %s, expected %s" % (bits, got, expected))
            failures += 1
    for text, expected in [
        ("0.5", "0.5"), ("35", "35"), ("35.0", "35"), ("1e-7", "1e-7"), ("12345.678", "12345.678"),
        ("1E400", None), ("-0.0", "0"), ("1e21", "1e+21"), ("1e20", "100000000000000000000"),
        ("0.0000001", "1e-7"), ("0.000001", "0.000001"), ("123e-20", "1.23e-18"),
    ]:
        try:
            got = jcs(parse_stored_json(text.encode()))
        except ValueError:
            got = None
        if got != expected:
            print("number text %s: got %s, expected %s" % (text, got, expected))
            failures += 1
    # RFC 8785 section 3.2.3: sorting by UTF-16 code units (not by code points or UTF-8).
    sorting = {"\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh",
               "1": "One", "\U0001f600": "Emoji: Grinning Face", "\u0080": "Control",
               "\u00f6": "Latin Small Letter O With Diaeresis"}
    order = [key for key in json.loads(jcs(sorting))]
    expected_order = ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]
    if order != expected_order:
        print("key order: got %r" % order)
        failures += 1
    cases = [
        ({"b": 1, "a": [True, None, "x"]}, '{"a":[true,null,"x"],"b":1}'),
        ('q"\\/\b\f\n\r\t\x00\x1f\x7f\u2028é😀', '"q\\"\\\\/\\b\\f\\n\\r\\t\\u0000\\u001f\x7f\u2028é😀"'),
    ]
    for value, expected in cases:
        if jcs(value) != expected:
            print("jcs(%r) = %r, expected %r" % (value, jcs(value), expected))
            failures += 1
    print("self-test: %s" % ("ok" if failures == 0 else "%d failures" % failures))
    return 0 if failures == 0 else 1


# --------------------------------------------------------------------------------------------
# Reading the store.

def u64(value):
    return struct.pack(">Q", value)


def parse_recorded_at(text):
    """Microseconds since the epoch of a recordedAt text, or None when it is not UTC with six
    fractional digits."""
    match = RECORDED_AT.match(text) if isinstance(text, str) else None
    if not match:
        return None
    year, month, day, hour, minute, second, micros = (int(g) for g in match.groups())
    try:
        moment = datetime.datetime(year, month, day, hour, minute, second,
                                   tzinfo=datetime.timezone.utc)
    except ValueError:
        return None
    epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    delta = moment - epoch
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + micros


class Problem(Exception):
    def __init__(self, kind, position, stream, detail):
        super().__init__(detail)
        self.kind, self.position, self.stream, self.detail = kind, position, stream, detail

    def __str__(self):
        text = self.kind
        if self.position is not None:
            text += " at position %d" % self.position
        if self.stream is not None:
            # Only a well-formed stream name is printed (names are pseudonymous ids; damaged
            # bytes could hold anything).
            shown = self.stream if STREAM_NAME.match(self.stream) else "(not a valid name)"
            text += " (stream '%s')" % shown
        return text + ": " + self.detail


class Store:
    def __init__(self, path):
        import lmdb  # imported here so --self-test and --help work without it
        self.lmdb = lmdb
        self.path = path
        self.env = lmdb.open(path, readonly=True, lock=True, max_dbs=16, subdir=True)
        self.txn = self.env.begin(buffers=False)
        self.dbs = {}
        for name in DATABASES:
            try:
                self.dbs[name] = self.env.open_db(name, txn=self.txn, create=False)
            except lmdb.NotFoundError:
                raise Problem("formatMismatch", None, None,
                              "the environment has no '%s' database" % name.decode())

    def close(self):
        self.txn.abort()
        self.env.close()

    def get(self, db, key):
        return self.txn.get(key, db=self.dbs[db])

    def count(self, db):
        return self.txn.stat(self.dbs[db])["entries"]

    def check_format(self):
        marker = self.get(b"meta", b"format")
        if marker not in FORMAT_NAMES:
            raise Problem("formatMismatch", None, None,
                          "meta/format is %s, expected %s" % (
                              "missing" if marker is None else "a different marker",
                              FORMAT_NAME.decode()))

    def head(self):
        """(next position, last hash, last recordedAt micros) from meta/head; empty when absent."""
        value = self.get(b"meta", b"head")
        if value is None:
            return 0, ZERO_HASH, 0, False
        if len(value) != 48:
            raise Problem("headMismatch", None, None, "meta/head is %d bytes, not 48" % len(value))
        next_position, = struct.unpack(">Q", value[0:8])
        micros, = struct.unpack(">q", value[40:48])
        return next_position, value[8:40], micros, True

    def record(self, position):
        """(stored hash, canonical bytes) of the log value at `position`, or None."""
        value = self.get(b"log", u64(position))
        return None if value is None else split_record(position, value)


def split_record(position, value):
    if len(value) <= 33 or value[0] != RECORD_VERSION:
        raise Problem("undecodable", position, None,
                      "unknown record version or truncated value (%d bytes)" % len(value))
    return value[1:33], value[33:]


def stream_of(canonical):
    """The streamId of damaged bytes when it can still be read (for messages), else None."""
    try:
        stream = parse_stored_json(canonical).get("streamId")
    except (UnicodeDecodeError, ValueError, AttributeError):
        return None
    return stream if isinstance(stream, str) else None


def check_event(position, stored_hash, canonical):
    """Checks one record on its own: hash, canonical form, envelope shape. Returns the envelope
    (as parsed, numbers as floats)."""
    if hashlib.sha256(canonical).digest() != stored_hash:
        raise Problem("hashMismatch", position, stream_of(canonical), "stored bytes do not match their hash")
    try:
        envelope = parse_stored_json(canonical)
    except (UnicodeDecodeError, ValueError):
        raise Problem("undecodable", position, None, "the stored envelope is not valid JSON")
    stream = envelope.get("streamId") if isinstance(envelope, dict) else None
    stream = stream if isinstance(stream, str) else None
    try:
        again = jcs_bytes(envelope)
    except (NotCanonicalizable, UnicodeEncodeError):
        again = None
    if again != canonical:
        at = "" if again is None else " (first difference at byte %d of the envelope)" % next(
            (i for i, (a, b) in enumerate(zip(again, canonical)) if a != b),
            min(len(again), len(canonical)))
        raise Problem("notCanonical", position, stream,
                      "the stored envelope is not RFC 8785 canonical JSON" + at)
    check_envelope_shape(position, stream, envelope)
    return envelope


def check_envelope_shape(position, stream, envelope):
    def bad(field, reason):
        return Problem("malformedEnvelope", position, stream, "member '%s' %s" % (field, reason))

    if not isinstance(envelope, dict):
        raise Problem("malformedEnvelope", position, None, "the envelope is not an object")
    for name in sorted(REQUIRED_MEMBERS - envelope.keys()):
        raise bad(name, "is missing")
    for name in sorted(envelope.keys() - REQUIRED_MEMBERS - OPTIONAL_MEMBERS):
        raise bad(name, "is not an envelope member")
    for name in ("type", "streamId", "occurredAt", "recordedAt"):
        if not isinstance(envelope[name], str):
            raise bad(name, "must be a string")
    for name in ("eventId", "correlationId", "causationId"):
        if name in envelope and not (isinstance(envelope[name], str) and LOWER_UUID.match(envelope[name])):
            raise bad(name, "must be a lowercase UUID")
    for name in ("schemaVersion", "streamVersion", "globalPosition"):
        value = envelope[name]
        if not isinstance(value, float) or value != int(value) or value < 0 or value > 2 ** 53:
            raise bad(name, "must be a non-negative integer")
    for name in ("previousHash", "previousStreamHash"):
        if not (isinstance(envelope[name], str) and HEX64.match(envelope[name])):
            raise bad(name, "must be 64 lowercase hex digits")
    recorder = envelope["recordedBy"]
    if not isinstance(recorder, dict) or set(recorder) != {"id", "name", "role"} or not all(
            isinstance(v, str) for v in recorder.values()):
        raise bad("recordedBy", "must be an object of the strings id, name and role")
    if "sealed" in envelope:
        sealed = envelope["sealed"]
        if not (isinstance(sealed, dict) and set(sealed) == {"alg", "keyVersion"}
                and sealed["alg"] == "A256GCM" and isinstance(sealed["keyVersion"], float)
                and sealed["keyVersion"] >= 1 and isinstance(envelope["data"], str)):
            raise bad("sealed", "must be {alg: A256GCM, keyVersion} over base64 text data")
    elif not isinstance(envelope["data"], dict):
        raise bad("data", "must be an object")
    if "flags" in envelope and not (isinstance(envelope["flags"], list) and envelope["flags"]):
        raise bad("flags", "must be a non-empty array when present")
    if parse_recorded_at(envelope["recordedAt"]) is None:
        raise bad("recordedAt", "must be UTC with six fractional digits (YYYY-MM-DDTHH:MM:SS.ffffffZ)")


def as_int(value):
    return int(value)


def envelope_with_hash(envelope, stored_hash):
    out = dict(envelope)
    out["hash"] = stored_hash.hex()
    return out


def verify_all(store, anchor=None):
    """Full verification in one read transaction. Returns (events, streams, chain head)."""
    store.check_format()
    next_position, head_hash, head_micros, head_present = store.head()

    previous_hash = ZERO_HASH
    previous_micros = None
    streams = {}  # stream -> (last version, last hash)
    position = 0
    with store.txn.cursor(db=store.dbs[b"log"]) as cursor:
        for key, value in cursor:
            if len(key) != 8:
                raise Problem("countMismatch", None, None, "a log key is not 8 bytes")
            key_position, = struct.unpack(">Q", key)
            if key_position != position:
                if key_position > position and position < next_position:
                    raise Problem("missingEvent", position, None, "no event is stored at this position")
                raise Problem("countMismatch", key_position, None,
                              "the log holds an entry beyond the head (%d events)" % next_position)
            if position >= next_position:
                raise Problem("countMismatch", position, None,
                              "the log holds an entry beyond the head (%d events)" % next_position)
            stored_hash, canonical = split_record(position, value)
            envelope = check_event(position, stored_hash, canonical)
            stream = envelope["streamId"]
            if as_int(envelope["globalPosition"]) != position:
                raise Problem("positionMismatch", position, stream,
                              "the event names position %d" % as_int(envelope["globalPosition"]))
            if bytes.fromhex(envelope["previousHash"]) != previous_hash:
                raise Problem("brokenChain", position, stream,
                              "previousHash is not the hash of the previous event")
            last = streams.get(stream)
            expected_version = 0 if last is None else last[0] + 1
            expected_stream_hash = ZERO_HASH if last is None else last[1]
            version = as_int(envelope["streamVersion"])
            if version != expected_version or bytes.fromhex(envelope["previousStreamHash"]) != expected_stream_hash:
                raise Problem("brokenStreamChain", position, stream,
                              "the stream's chain does not continue here (version %d, expected %d)"
                              % (version, expected_version))
            micros = parse_recorded_at(envelope["recordedAt"])
            if previous_micros is not None and micros < previous_micros:
                raise Problem("recordedAtDecreased", position, stream,
                              "recordedAt is earlier than the previous event's")
            if store.get(b"streams", stream.encode("utf-8") + b"\x00" + u64(version)) != u64(position):
                raise Problem("streamIndexMismatch", position, stream, "the streams index does not point here")
            if store.get(b"event-ids", uuid.UUID(envelope["eventId"]).bytes) != u64(position):
                raise Problem("eventIdIndexMismatch", position, stream,
                              "the event-id index does not point here (event %s)" % envelope["eventId"])
            streams[stream] = (version, stored_hash)
            previous_hash = stored_hash
            previous_micros = micros
            position += 1

    total = position
    if total < next_position:
        raise Problem("missingEvent", total, None, "no event is stored at this position")
    if head_hash != previous_hash or (total > 0 and head_micros != previous_micros):
        raise Problem("headMismatch", total - 1 if total else None, None,
                      "the stored head does not match the newest event")
    if total > 0 and not head_present:
        raise Problem("headMismatch", None, None, "meta/head is missing")
    if store.count(b"streams") != total or store.count(b"event-ids") != total:
        raise Problem("countMismatch", None, None, "an index holds entries for events that are not in the log")
    if store.count(b"stream-heads") != len(streams):
        raise Problem("countMismatch", None, None, "there are %d stream heads for %d streams"
                      % (store.count(b"stream-heads"), len(streams)))
    for stream, (version, last_hash) in sorted(streams.items()):
        if store.get(b"stream-heads", stream.encode("utf-8")) != u64(version) + last_hash:
            raise Problem("streamHeadMismatch", None, stream, "the stream head does not match the stream's last event")
    reviewer = store.get(b"meta", b"required-reviewer")
    if reviewer is not None and (not reviewer or b"\n" not in reviewer or reviewer.startswith(b"\n")):
        raise Problem("formatMismatch", None, None, "meta/required-reviewer is not a name and prefixes")
    # Format 2: the sealed prefixes and the key check come together (docs/FORMAT.md 2.5); a
    # migrated store also names the chain it was copied from.
    sealed = store.get(b"meta", b"sealed-streams")
    if (sealed is None) != (store.get(b"meta", b"key-check") is None):
        raise Problem("formatMismatch", None, None, "meta/sealed-streams and meta/key-check must come together")
    optional = [b"required-reviewer", b"sealed-streams", b"key-check", b"migrated-from"]
    expected_meta = 1 + (1 if head_present else 0) + sum(
        1 for key in optional if store.get(b"meta", key) is not None)
    if store.count(b"meta") != expected_meta:
        raise Problem("countMismatch", None, None,
                      "meta holds keys other than format, head, required-reviewer, sealed-streams, "
                      "key-check and migrated-from")
    if anchor is not None:
        events, chain_head = anchor
        reached = events == 0
        if 0 < events <= total:
            reached = store.record(events - 1)[0].hex() == chain_head
        if not reached:
            raise Problem("anchorMismatch", events - 1 if events > 0 else None, None,
                          "the store does not contain the anchored chain head (%d events)" % events)
    return total, len(streams), previous_hash.hex()


def stream_positions(store, stream):
    """(version, global position) pairs of `stream` from the streams index, in version order."""
    prefix = stream.encode("utf-8") + b"\x00"
    with store.txn.cursor(db=store.dbs[b"streams"]) as cursor:
        if not cursor.set_range(prefix):
            return
        for key, value in cursor:
            if not key.startswith(prefix):
                return
            if len(key) != len(prefix) + 8 or len(value) != 8:
                raise Problem("streamIndexMismatch", None, stream, "a streams entry has the wrong size")
            yield struct.unpack(">Q", key[len(prefix):])[0], struct.unpack(">Q", value)[0]


def verify_stream(store, stream):
    """Verifies one stream on its own. Returns (events, chain head of the stream)."""
    store.check_format()
    previous = ZERO_HASH
    expected_version = 0
    for version, position in stream_positions(store, stream):
        if version != expected_version:
            raise Problem("streamIndexMismatch", None, stream,
                          "the streams index skips or repeats version %d" % expected_version)
        record = store.record(position)
        if record is None:
            raise Problem("missingEvent", position, stream, "the streams index points at a missing event")
        stored_hash, canonical = record
        envelope = check_event(position, stored_hash, canonical)
        if (as_int(envelope["globalPosition"]) != position or envelope["streamId"] != stream
                or as_int(envelope["streamVersion"]) != version):
            raise Problem("positionMismatch", position, stream, "the event's stream or positions differ from the index")
        if bytes.fromhex(envelope["previousStreamHash"]) != previous:
            raise Problem("brokenStreamChain", position, stream,
                          "previousStreamHash is not the hash of the stream's previous event")
        if store.get(b"event-ids", uuid.UUID(envelope["eventId"]).bytes) != u64(position):
            raise Problem("eventIdIndexMismatch", position, stream, "the event-id index does not point here")
        previous = stored_hash
        expected_version += 1
    head = store.get(b"stream-heads", stream.encode("utf-8"))
    expected = None if expected_version == 0 else u64(expected_version - 1) + previous
    if head != expected:
        raise Problem("streamHeadMismatch", None, stream, "the stream head does not match the stream's last event")
    return expected_version, previous.hex()


def dump(store, stream=None):
    """Prints each event's envelope (with `hash`) as one canonical JSON line."""
    if stream is None:
        next_position = store.head()[0]
        positions = range(next_position)
    else:
        positions = (position for _, position in stream_positions(store, stream))
    out = sys.stdout
    for position in positions:
        record = store.record(position)
        if record is None:
            raise Problem("missingEvent", position, stream, "no event is stored at this position")
        stored_hash, canonical = record
        try:
            envelope = parse_stored_json(canonical)
        except (UnicodeDecodeError, ValueError):
            raise Problem("undecodable", position, stream, "the stored envelope is not valid JSON")
        out.write(jcs(envelope_with_hash(envelope, stored_hash)) + "\n")


def summary(store):
    store.check_format()
    next_position, head_hash, head_micros, _ = store.head()
    stat = store.env.stat()
    print("format        %s" % store.get(b"meta", b"format").decode())
    print("events        %d" % next_position)
    print("streams       %d" % store.count(b"stream-heads"))
    print("chain head    %s" % head_hash.hex())
    if next_position:
        moment = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(
            microseconds=head_micros)
        print("last recorded %s" % moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    else:
        print("last recorded -")
    print("data.mdb      %d bytes (page size %d, last transaction %d)" % (
        os.path.getsize(os.path.join(store.path, "data.mdb")), stat["psize"],
        store.env.info()["last_txnid"]))


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Read and verify a TreatmentLedger store without Swift (see docs/FORMAT.md).")
    parser.add_argument("store", nargs="?", help="the store directory (holding data.mdb, lock.mdb)")
    parser.add_argument("--dump", action="store_true", help="print each envelope as one JSON line")
    parser.add_argument("--stream", help="only this stream (with --dump or --verify)")
    parser.add_argument("--verify", action="store_true", help="verify hashes, chains and indexes")
    parser.add_argument("--anchor-events", type=int, help="anchor: event count kept outside the store")
    parser.add_argument("--anchor-head", help="anchor: chain head (64 hex digits) kept outside the store")
    parser.add_argument("--self-test", action="store_true", help="check the canonical JSON serializer")
    args = parser.parse_args(argv)
    if args.self_test:
        return self_test()
    if args.store is None:
        parser.error("STORE_DIR is required")
    if (args.anchor_events is None) != (args.anchor_head is None):
        parser.error("--anchor-events and --anchor-head go together")
    if args.anchor_events is not None and (args.stream or not args.verify):
        parser.error("an anchor goes with a full --verify")
    if args.anchor_head is not None:
        args.anchor_head = args.anchor_head.lower()
        if not HEX64.match(args.anchor_head) or args.anchor_events < 0:
            parser.error("--anchor-head must be 64 hex digits and --anchor-events a count")

    try:
        store = Store(args.store)
    except Problem as problem:
        print("FAILED: %s" % problem)
        return 1
    except Exception as error:  # lmdb.Error and friends: no store there
        print("read_store: cannot open %s: %s" % (args.store, error), file=sys.stderr)
        return 2
    try:
        if args.dump:
            dump(store, args.stream)
        if args.verify:
            if args.stream is not None:
                count, head = verify_stream(store, args.stream)
                print("intact: %d events in stream '%s', stream head %s" % (count, args.stream, head))
            else:
                anchor = None if args.anchor_events is None else (args.anchor_events, args.anchor_head)
                count, streams, head = verify_all(store, anchor)
                print("intact: %d events in %d streams, chain head %s" % (count, streams, head))
        if not args.dump and not args.verify:
            summary(store)
    except Problem as problem:
        sys.stdout.flush()
        print("FAILED: %s" % problem)
        if problem.position is not None:
            print("first bad position: %d" % problem.position)
        return 1
    except BrokenPipeError:
        return 0
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
