#!/usr/bin/env python3
"""A TreatmentLedger HTTP client in Python's standard library (docs/SERVER.md).

It records a patient's session through `treatment-ledger serve` and follows the subscription
(server-sent events), resuming with Last-Event-ID when the connection drops. Usage:

    ledger_client.py --url http://127.0.0.1:8080 --token TOKEN record-examples --patient demo-0001
    ledger_client.py --url http://127.0.0.1:8080 --token TOKEN follow --count 16 [--drop-after 5]
    ledger_client.py --url http://127.0.0.1:8080 --token TOKEN follow --count 11 --last-event-id 4

`record-examples` records the published schema examples (Schemas/examples) as one patient's
record; `follow` prints one line per event (`position type stream`) and, with --drop-after N,
closes the connection after N events and reconnects with Last-Event-ID, as a client that was
killed mid-stream would; --last-event-id resumes where an earlier process stopped. Exit status 0 on success, 1 on a refusal (the problem document is
printed to standard error), 2 on a usage error.
"""

import argparse
import http.client
import json
import os
import sys
import urllib.parse
import uuid
from datetime import datetime

EXAMPLES = os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "..", "Schemas", "examples")


class Problem(Exception):
    """An RFC 9457 problem document the server answered with."""

    def __init__(self, status, document):
        super().__init__(f"{status} {document.get('title', '')}: {document.get('detail', '')}")
        self.status = status
        self.document = document


class LedgerClient:
    def __init__(self, url, token, timeout=30):
        parts = urllib.parse.urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.token = token
        self.timeout = timeout

    def _connection(self):
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def request(self, method, path, body=None):
        connection = self._connection()
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        payload = response.read()
        connection.close()
        document = json.loads(payload) if payload else {}
        if response.status >= 400:
            raise Problem(response.status, document)
        return response.status, document

    def record(self, patient, events, expected_version="any"):
        """Records events in the patient's record, atomically; returns the result document."""
        path = f"/v1/patients/{urllib.parse.quote(patient, safe='')}/events"
        return self.request("POST", path, {"expectedVersion": expected_version, "events": events})[1]

    def timeline(self, patient, as_of=None):
        query = f"?asOf={urllib.parse.quote(as_of)}" if as_of else ""
        return self.request("GET", f"/v1/patients/{urllib.parse.quote(patient, safe='')}/timeline{query}")[1]

    def follow(self, start=0, last_event_id=None):
        """Yields (position, type, envelope) from the subscription until the server ends it."""
        connection = self._connection()
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        connection.request("GET", f"/v1/subscription?from={start}", headers=headers)
        response = connection.getresponse()
        if response.status != 200:
            raise Problem(response.status, json.loads(response.read() or b"{}"))
        try:
            event_id, event_type, data = None, None, []
            for raw in response:
                line = raw.decode().rstrip("\n").rstrip("\r")
                if line == "":
                    if data:
                        yield int(event_id), event_type, json.loads("\n".join(data))
                    event_id, event_type, data = None, None, []
                elif line.startswith(":"):
                    continue  # a heartbeat or a comment
                else:
                    field, _, value = line.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    if field == "id":
                        event_id = value
                    elif field == "event":
                        event_type = value
                    elif field == "data":
                        data.append(value)
        finally:
            connection.close()


def example_events(patient):
    """The schema examples as one patient's record (the published examples are one record)."""
    events = []
    for name in sorted(os.listdir(EXAMPLES)):
        if not name.endswith(".v1.example.json") or name.startswith(("envelope", "protocol")):
            continue
        with open(os.path.join(EXAMPLES, name)) as handle:
            event = json.load(handle)
        event["streamId"] = f"patient-{patient}"
        if "patientId" in event["data"]:
            event["data"]["patientId"] = patient
        if patient != "demo-0001":
            # New event ids for another patient (an id names one event in the whole store), and
            # the references between the examples mapped the same way.
            event["eventId"] = renamed(event["eventId"], patient)
            for key in ("correctedEventId", "voidedEventId"):
                if key in event["data"]:
                    event["data"][key] = renamed(event["data"][key], patient)
            if "causationId" in event:
                event["causationId"] = renamed(event["causationId"], patient)
        events.append(event)
    return events


def renamed(event_id, patient):
    """The id an example's event gets in another patient's copy of the record."""
    return str(uuid.uuid5(uuid.UUID(event_id), patient))


def clinical_order(events):
    """Sorted by clinical time (occurredAt), as they happened."""
    return sorted(events, key=lambda event: datetime.fromisoformat(event["occurredAt"]))


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--token", default=os.environ.get("TREATMENT_LEDGER_TOKEN"))
    commands = parser.add_subparsers(dest="command", required=True)
    record = commands.add_parser("record-examples", help="record the schema examples as one patient")
    record.add_argument("--patient", default="demo-0001")
    follow = commands.add_parser("follow", help="follow the subscription")
    follow.add_argument("--count", type=int, required=True, help="stop after this many events")
    follow.add_argument("--drop-after", type=int, help="reconnect after this many events")
    follow.add_argument("--from", dest="start", type=int, default=0)
    follow.add_argument(
        "--last-event-id", type=int, help="resume after this event, as a client that was killed would")
    arguments = parser.parse_args(argv)
    if not arguments.token:
        parser.error("give --token or set TREATMENT_LEDGER_TOKEN")
    client = LedgerClient(arguments.url, arguments.token)
    try:
        if arguments.command == "record-examples":
            events = clinical_order(example_events(arguments.patient))
            result = client.record(arguments.patient, events)
            flags = [flag["code"] for event in result["events"] for flag in event.get("flags", [])]
            print(f"recorded {result['written']} events, version {result['streamVersion']}, flags {sorted(set(flags))}")
            timeline = client.timeline(arguments.patient)
            print(f"timeline has {len(timeline['entries'])} entries")
        else:
            seen, last = [], arguments.last_event_id
            while len(seen) < arguments.count:
                for position, event_type, envelope in client.follow(arguments.start, last):
                    seen.append(position)
                    last = position
                    print(f"{position} {event_type} {envelope['streamId']}")
                    if len(seen) == arguments.count:
                        break
                    if arguments.drop_after and len(seen) == arguments.drop_after:
                        print(f"dropped the connection after {position}; resuming")
                        break
            if len(set(seen)) != len(seen) or seen != sorted(seen):
                print(f"events repeated or out of order: {seen}", file=sys.stderr)
                return 1
    except Problem as problem:
        print(json.dumps(problem.document), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
