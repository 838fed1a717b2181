import Foundation
import Testing

// How every command line shown in the documentation is run by DocumentedCommandsTests, or why it
// is not. The texts are exact: a command added to or changed in the docs fails
// `everyDocumentedCommandIsRunOrListed` until it is listed here.

/// One documented command line and what running it must show.
struct DocStep: Sendable {
  /// The command line exactly as documented.
  var text: String
  /// What runs instead of `text`, when it cannot run as written (``because`` says why).
  var run: String? = nil
  /// Why ``run`` replaces the text.
  var because: String? = nil
  /// The exit status it must end with.
  var status: Int32 = 0
  /// Text its standard output must contain.
  var output: [String] = []
  /// The index of an earlier step of the scene whose output must have the same first word (a
  /// hash printed two ways).
  var sameFirstWordAs: Int? = nil
  /// The index of an earlier step whose output must have the same words (a listing two ways).
  var sameWordsAs: Int? = nil
}

/// Documented command lines that run together, in order, in one shell in a fresh directory.
struct DocScene: Sendable, CustomTestStringConvertible {
  /// Where in the docs, and what.
  var name: String
  /// Bash run first in the scene's directory (the built tools are on the PATH, `$REPO` is the
  /// repository); it must succeed.
  var setup: String
  /// Where the commands run, relative to the scene's directory.
  var directory = "."
  /// Text replaced in every command before it runs: example values of the docs that differ in
  /// every store (hashes) and operators' absolute paths, made relative to the scene's directory.
  var substitutions: [(documented: String, run: String)] = []
  /// The commands.
  var steps: [DocStep]
  /// True when a step needs py-lmdb (`Tools/ledger-inspect/read_store.py`).
  var needsPythonLMDB = false

  var testDescription: String { name }
}

enum DocumentedCommandCatalogue {
  /// An operator's absolute paths of the docs, made relative to the scene's directory.
  static let operatorPaths: [(documented: String, run: String)] = [
    ("/var/lib/clinic/ledger", "var/lib/clinic/ledger"), ("/mnt/audit/", "mnt/audit/"),
  ]
  /// A demo store where the docs put an operator's store.
  static let operatorDemo =
    "mkdir -p var/lib/clinic mnt/audit && treatment-ledger demo --patients 3 --store var/lib/clinic/ledger > /dev/null"
  /// The three events of docs/FORMAT.md section 10 (the worked example's store), as input files.
  static let workedExampleInput = """
    ln -s "$REPO/Tools" Tools
    cat > a.ndjson <<'EOF'
    {"eventId":"3f1c9a52-7d0e-4b6a-9c3e-2a7b8d4e6f01","type":"PatientRegistered","occurredAt":"2026-11-04T09:12:00-05:00","recordedBy":{"id":"u-104","name":"R. Osei","role":"nurse"},"data":{"patientId":"7f3a","birthYear":1980,"sexAtBirth":"female"}}
    {"eventId":"3f1c9a52-7d0e-4b6a-9c3e-2a7b8d4e6f02","type":"ConsentRecorded","occurredAt":"2026-11-04T09:20:00-05:00","recordedBy":{"id":"u-201","name":"Dr. M. Lind","role":"prescriber"},"data":{"consentId":"c-1","scope":"treatment","formVersion":"2026-01","given":true}}
    EOF
    cat > b.ndjson <<'EOF'
    {"eventId":"8d2e4b10-5a3c-4f7e-8b1d-9e0f2a3b4c05","type":"PatientRegistered","occurredAt":"2026-11-04T10:00:00-05:00","recordedBy":{"id":"u-104","name":"R. Osei","role":"nurse"},"data":{"patientId":"9c21","birthYear":1971,"sexAtBirth":"male"}}
    EOF
    """
  /// docs/FORMAT.md section 10's store, made at the operator's path, and its chain head in $HEAD.
  static let workedExampleAtOperatorPath =
    workedExampleInput + """

      mkdir -p var/lib/clinic
      treatment-ledger init --store var/lib/clinic/ledger > /dev/null
      treatment-ledger append --store var/lib/clinic/ledger --stream patient-7f3a a.ndjson > /dev/null
      treatment-ledger append --store var/lib/clinic/ledger --stream patient-9c21 b.ndjson > /dev/null
      HEAD=$(treatment-ledger stats --store var/lib/clinic/ledger --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["chainHead"])')
      """

  static let scenes: [DocScene] = [
    DocScene(
      name: "README, quick start", setup: "",
      steps: [
        DocStep(
          text:
            #"apt-get update && apt-get install -y liblmdb-dev lmdb-utils libsqlite3-dev && swift run treatment-ledger demo"#,
          run: "treatment-ledger demo",
          because:
            "apt-get needs root and the network (the packages it names are the ones .ci/run installs: checked by quickStartPackagesAreTheOnesCIInstalls); `swift run treatment-ledger` is the built tool",
          output: ["Demo clinic: 12 patients", "Timeline of patient demo-", "intact: "])
      ]),
    DocScene(
      name: "docs/AUDIT.md 1, an export of a quarter", setup: operatorDemo,
      substitutions: operatorPaths,
      steps: [
        DocStep(
          text: #"""
            treatment-ledger audit export --store /var/lib/clinic/ledger --out /mnt/audit/2026-q1 \
                --by compliance-07 --by-name "Dana Auditor" --by-role compliance \
                --reason "Q1 controlled-substance review (DEA 21 CFR 1304)" \
                --from 2026-01-01T00:00:00-05:00 --to 2026-04-01T00:00:00-04:00
            """#, output: ["exported ", "recorded   $audit position"])
      ]),
    DocScene(
      name: "docs/AUDIT.md 1, try it on the demo store",
      setup: "treatment-ledger demo --patients 4 > /dev/null",
      steps: [
        DocStep(
          text: #"""
            treatment-ledger audit export --out audit-2026 --by compliance-07 --by-name "Dana Auditor" \
                --by-role compliance --reason "annual review" \
                --occurred --from 2026-01-01T00:00:00Z --to 2027-01-01T00:00:00Z --require-events
            """#, output: ["exported "]),
        DocStep(
          text: #"""
            treatment-ledger audit export --out audit-demo-0002 --by compliance-07 --by-name "Dana Auditor" \
                --by-role compliance --reason "Patient record request #88" --patient demo-0002
            """#,
          output: [
            "manifest   audit-demo-0002/manifest.json sha256 ", "recorded   $audit position ",
            "verifier   audit-demo-0002/verify_export.py (python3 audit-demo-0002/verify_export.py audit-demo-0002)",
            "events to audit-demo-0002 in ",
          ]),
        DocStep(
          text: #"treatment-ledger audit log"#,
          output: ["annual review", "Patient record request #88"]),
        DocStep(
          text: #"treatment-ledger audit verify audit-demo-0002 --store treatment-ledger.store"#,
          output: ["intact: "]),
        DocStep(
          text: #"python3 audit-demo-0002/verify_export.py audit-demo-0002"#, output: ["intact: "]),
      ]),
    DocScene(
      name: "docs/AUDIT.md 4, verifying with TreatmentLedger",
      setup: operatorDemo + """

        treatment-ledger audit keygen --out FILE > /dev/null 2>&1
        treatment-ledger audit export --store var/lib/clinic/ledger --out DIR --by u-1 --reason review --auditor-key FILE.pub > /dev/null
        HEX=$(sha256sum DIR/manifest.json | cut -c 1-64)
        KEY=$(treatment-ledger keys public --store var/lib/clinic/ledger)
        """,
      substitutions: operatorPaths + [
        ("--manifest-sha256 HEX", "--manifest-sha256 $HEX"),
        ("--public-key KEY", "--public-key $KEY"),
      ],
      steps: [
        DocStep(
          text:
            #"treatment-ledger audit verify DIR                            # with the manifest alone"#,
          output: ["intact: ", "(not compared with $audit)"]),
        DocStep(
          text:
            #"treatment-ledger audit verify DIR --store /var/lib/clinic/ledger   # and against its $audit record"#,
          output: ["intact: ", "(matches its record)"]),
        DocStep(
          text:
            #"treatment-ledger audit verify DIR --manifest-sha256 HEX      # and against a hash from `audit log`"#,
          output: ["intact: ", "(matches its record)"]),
        DocStep(
          text:
            #"treatment-ledger audit verify DIR --public-key KEY           # and its signature (keys public)"#,
          output: ["intact: ", "; signed by "]),
        DocStep(
          text:
            #"treatment-ledger audit verify DIR --auditor-private-key FILE --decrypt-to PLAIN  # open the data (2.7)"#,
          output: ["intact: ", "opened: ", "written to PLAIN/events.ndjson"]),
      ]),
    DocScene(
      name: "docs/AUDIT.md 5 step 8, an auditor reads the clinical data",
      setup: """
        treatment-ledger demo --patients 3 > /dev/null
        treatment-ledger audit keygen --out auditor.key > /dev/null 2>&1
        treatment-ledger audit export --out EXPORT_DIR --by u-1 --reason review --patient demo-0002 --auditor-key auditor.key.pub > /dev/null
        """,
      // The key the export was sealed to is made in the setup; the documented keygen makes another.
      substitutions: [("--out auditor.key", "--out another.key")],
      steps: [
        DocStep(text: #"treatment-ledger audit keygen --out auditor.key"#),
        DocStep(
          text:
            #"python3 EXPORT_DIR/verify_export.py EXPORT_DIR --auditor-private-key auditor.key --decrypt-to plain"#,
          output: ["intact: ", "opened: ", "0 erased, 0 plain; written to plain/events.ndjson"]),
      ]),
    DocScene(
      name: "docs/AUDIT.md 5, the auditor's checks in the export directory",
      setup: """
        treatment-ledger demo --patients 3 > /dev/null
        treatment-ledger audit export --out export --by u-1 --reason review --patient demo-0002 > /dev/null
        """,
      directory: "export",
      steps: [
        DocStep(text: #"sha256sum manifest.json"#, output: ["  manifest.json"]),
        DocStep(
          text: #"sha256sum events.ndjson events.csv"#, output: ["  events.ndjson", "  events.csv"]),
        DocStep(
          text:
            #"python3 -c 'import json; [print(f["sha256"], f["name"]) for f in json.load(open("manifest.json"))["files"]]'"#,
          sameWordsAs: 1),
        DocStep(
          text: #"sed -n 2p events.ndjson | cut -b 10-73                         # the stated hash"#
        ),
        DocStep(
          text:
            #"sed -n 2p events.ndjson | cut -b 84- | head -c -2 | sha256sum  # SHA-256 of the stored bytes"#,
          sameFirstWordAs: 3),
        DocStep(
          text: #"""
            python3 -c '
            import hashlib
            for n, raw in enumerate(open("events.ndjson", "rb"), 1):
                line = raw.rstrip(b"\n")
                assert hashlib.sha256(line[83:-1]).hexdigest() == line[9:73].decode(), n
            print("every hash matches")'
            """#, output: ["every hash matches"]),
        DocStep(
          text: #"""
            python3 -c '
            import json
            m = json.load(open("manifest.json")); a = m["anchors"]; log = a["chain"] == "log"
            idx, link = ("globalPosition", "previousHash") if log else ("streamVersion", "previousStreamHash")
            before = a.get("before")
            prev_hash = before["hash"] if before else "0" * 64
            prev_idx = before[idx] if before else -1
            for n, raw in enumerate(open("events.ndjson", "rb"), 1):
                e = json.loads(raw)["event"]; h = json.loads(raw)["hash"]
                assert e[idx] == prev_idx + 1, ("gap or reorder at line", n)
                assert e[link] == prev_hash, ("broken chain at line", n)
                prev_idx, prev_hash = e[idx], h
            print("consecutive and chained; last", idx, prev_idx, prev_hash)'
            """#, output: ["consecutive and chained; last streamVersion "]),
      ]),
    DocScene(
      name: "docs/AUDIT.md 5, the verifier with the hash from the log",
      setup: """
        treatment-ledger demo --patients 3 > /dev/null
        treatment-ledger audit export --out EXPORT_DIR --by u-1 --reason review --patient demo-0002 > /dev/null
        HEX=$(treatment-ledger audit log --json | tail -n 1 | python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["manifestSha256"])')
        KEY=$(treatment-ledger keys public)
        """,
      substitutions: [
        ("a5eea10ad1ad89c1f72f336b4823913d24340ecfb90142b26012a4db56c41ab8", "$HEX"),
        ("50825887b3c52896aacfa8eda7ebd3ddf7a56581d57b327f25bfc44e3c4d8c5b", "$KEY"),
      ],
      steps: [
        DocStep(
          text:
            #"python3 EXPORT_DIR/verify_export.py EXPORT_DIR --public-key 50825887b3c52896aacfa8eda7ebd3ddf7a56581d57b327f25bfc44e3c4d8c5b --manifest-sha256 a5eea10ad1ad89c1f72f336b4823913d24340ecfb90142b26012a4db56c41ab8"#,
          output: ["intact: ", "(matches the given SHA-256)", "; signed by "]),
        DocStep(text: #"echo $?"#, output: ["0"]),
      ]),
    DocScene(
      name: "docs/FORMAT.md 9, anchors", setup: workedExampleAtOperatorPath,
      substitutions: operatorPaths + [
        ("98e351e7c7d3a2caf3b5fe99ecf5c132dc7df8d448d16ff25ce2905a93503196", "$HEAD")
      ],
      steps: [
        DocStep(
          text: #"treatment-ledger stats --store /var/lib/clinic/ledger"#,
          output: ["events        3", "streams       2", "chain head    "]),
        DocStep(
          text: #"""
            treatment-ledger verify --store /var/lib/clinic/ledger --anchor-events 3 \
                --anchor-head 98e351e7c7d3a2caf3b5fe99ecf5c132dc7df8d448d16ff25ce2905a93503196
            """#, output: ["intact: 3 events in 2 streams"]),
        DocStep(
          text: #"""
            python3 Tools/ledger-inspect/read_store.py /var/lib/clinic/ledger --verify \
                --anchor-events 3 --anchor-head 98e351e7c7d3a2caf3b5fe99ecf5c132dc7df8d448d16ff25ce2905a93503196
            """#, output: ["intact: 3 events in 2 streams"]),
      ], needsPythonLMDB: true),
    DocScene(
      name: "docs/FORMAT.md 10, the worked example with lmdb-utils", setup: workedExampleInput,
      steps: [
        DocStep(text: #"treatment-ledger init --store clinic.store"#, output: ["store ready at "]),
        DocStep(
          text:
            #"treatment-ledger append --store clinic.store --stream patient-7f3a --expected-version no-stream a.ndjson  # 2 events"#,
          output: ["appended 2 events to patient-7f3a"]),
        DocStep(
          text:
            #"treatment-ledger append --store clinic.store --stream patient-9c21 b.ndjson                              # 1 event"#,
          output: ["appended 1 events to patient-9c21"]),
        DocStep(
          text:
            #"mdb_stat -a clinic.store          # lmdb-utils (apt-get install -y lmdb-utils); abridged"#,
          output: ["Status of log", "Status of stream-heads"]),
        DocStep(
          text: #"mdb_dump -s log -p clinic.store"#,
          output: ["database=log", "HEADER=END", "\"globalPosition\":2"]),
        DocStep(
          text: #"""
            mdb_dump -s log clinic.store | awk '/^HEADER=END/{d=1;next} /^DATA=END/{d=0} d' \
                | sed -n 4p | xxd -r -p > pos1.bin          # line 4 = the value of the 2nd key (position 1)
            """#),
        DocStep(
          text: #"head -c 1 pos1.bin | xxd -p                   # record version"#, output: ["01"]),
        DocStep(text: #"head -c 33 pos1.bin | tail -c 32 | xxd -p -c 32   # stored hash"#),
        DocStep(
          text:
            #"tail -c +34 pos1.bin | sha256sum              # recomputed over the stored canonical bytes"#,
          sameFirstWordAs: 7),
        DocStep(
          text: #"mdb_dump -s streams -p clinic.store | sed -n '/HEADER=END/,$p'"#,
          output: [" patient-7f3a", " patient-9c21"]),
        DocStep(
          text: #"mdb_dump -s stream-heads clinic.store | sed -n '/HEADER=END/,$p'"#,
          output: [" 70617469656e742d37663361"]),
        DocStep(
          text: #"mdb_dump -s event-ids clinic.store | sed -n '/HEADER=END/,$p'"#,
          output: [" 3f1c9a527d0e4b6a9c3e2a7b8d4e6f01", " 8d2e4b105a3c4f7e8b1d9e0f2a3b4c05"]),
        DocStep(
          text: #"mdb_dump -s meta clinic.store | sed -n '/HEADER=END/,$p'"#,
          output: [" 666f726d6174"]),
      ]),
    DocScene(
      name: "docs/FORMAT.md 10, the independent reader",
      setup: workedExampleInput + """

        treatment-ledger init --store clinic.store > /dev/null
        treatment-ledger append --store clinic.store --stream patient-7f3a a.ndjson > /dev/null
        treatment-ledger append --store clinic.store --stream patient-9c21 b.ndjson > /dev/null
        """,
      steps: [
        DocStep(
          text: #"python3 Tools/ledger-inspect/read_store.py clinic.store"#,
          output: ["format        treatment-ledger-2", "events        3", "streams       2"]),
        DocStep(
          text: #"python3 Tools/ledger-inspect/read_store.py clinic.store --verify"#,
          output: ["intact: 3 events in 2 streams"]),
        DocStep(
          text:
            #"python3 Tools/ledger-inspect/read_store.py clinic.store --verify --stream patient-7f3a"#,
          output: ["intact: 2 events in stream 'patient-7f3a'"]),
        DocStep(
          text:
            #"python3 Tools/ledger-inspect/read_store.py clinic.store --dump --stream patient-9c21"#,
          output: ["\"sealed\":{\"alg\":\"A256GCM\",\"keyVersion\":1}", "\"globalPosition\":2"]),
        DocStep(
          text: #"python3 Tools/ledger-inspect/read_store.py --self-test"#,
          output: ["self-test: ok"]),
      ], needsPythonLMDB: true),
    DocScene(
      name: "DocC articles, an operator's verify and rebuild", setup: operatorDemo,
      substitutions: operatorPaths,
      steps: [
        DocStep(
          text: #"treatment-ledger verify --store /var/lib/clinic/ledger"#, output: ["intact: "]),
        DocStep(
          text:
            #"treatment-ledger verify --store /var/lib/clinic/ledger --stream patient-demo-0001"#,
          output: ["intact: "]),
        DocStep(text: #"treatment-ledger rebuild --store /var/lib/clinic/ledger"#),
        DocStep(
          text:
            #"treatment-ledger rebuild --store /var/lib/clinic/ledger --projection course-summary --patient demo-0001"#
        ),
      ]),
    DocScene(
      name: "docs/SERVER.md, tokens, a live server, curl and the Python client",
      setup: operatorDemo + "\nmkdir -p etc/clinic && ln -s \"$REPO/Tools\" Tools",
      substitutions: operatorPaths + [
        ("/etc/clinic/", "etc/clinic/"), ("127.0.0.1:8080", "$LEDGER_ADDRESS"),
        (
          "3f9a1c2b7d4e",
          #"$(treatment-ledger token list --auth etc/clinic/auth.json | awk '$2 == "billing" {print $1}')"#
        ),
      ],
      steps: [
        DocStep(
          text:
            #"treatment-ledger token issue --auth /etc/clinic/auth.json --subject billing --role service --access read --purpose payment"#,
          output: [" tl_"]),
        DocStep(
          text: #"treatment-ledger token list --auth /etc/clinic/auth.json"#,
          output: ["billing", "service", "read", "payment"]),
        DocStep(
          text:
            #"TOKEN=$(treatment-ledger token issue --auth /etc/clinic/auth.json --subject dr-lind --role clinician --purpose treatment | cut -d' ' -f2)"#
        ),
        DocStep(
          text:
            #"treatment-ledger serve --store /var/lib/clinic/ledger --auth /etc/clinic/auth.json --listen 127.0.0.1:8080 &"#,
          run:
            #"treatment-ledger serve --store var/lib/clinic/ledger --auth etc/clinic/auth.json --listen 127.0.0.1:0 > serve.out 2> serve.err & for _ in $(seq 1 100); do grep -q '^listening on' serve.out && break; sleep 0.1; done; LEDGER_ADDRESS=$(sed -n 's/^listening on //p' serve.out); echo "$LEDGER_ADDRESS""#,
          because: "port 0: a free port, since tests run beside other servers",
          output: ["127.0.0.1:"]),
        DocStep(
          text: #"treatment-ledger token revoke --auth /etc/clinic/auth.json 3f9a1c2b7d4e"#,
          output: ["revoked "]),
        DocStep(
          text: #"""
            curl -s -X POST http://127.0.0.1:8080/v1/patients/demo-0042/events \
              -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" \
              -d '{"expectedVersion": "noStream", "events": [{"eventId": "6f1d1a52-0c4e-4f0e-9a51-1d2b3c4d5e60", "type": "PatientRegistered", "occurredAt": "2026-11-04T09:12:00-05:00", "recordedBy": {"id": "u-104", "name": "R. Osei", "role": "nurse"}, "data": {"patientId": "demo-0042", "birthYear": 2010, "sexAtBirth": "female"}}]}'
            """#,
          output: ["\"written\":1", "patient.age.minor"]),
        DocStep(
          text:
            #"curl -s -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/v1/patients/demo-0042/timeline"#,
          output: ["\"entries\":[", "PatientRegistered"]),
        DocStep(
          text:
            #"python3 Tools/ledger-client/ledger_client.py --url http://127.0.0.1:8080 --token "$TOKEN" record-examples --patient demo-0100"#,
          output: ["timeline has "]),
        DocStep(
          text:
            #"python3 Tools/ledger-client/ledger_client.py --url http://127.0.0.1:8080 --token "$TOKEN" follow --count 3 --drop-after 2"#,
          output: [
            "PatientRegistered", "dropped the connection after ", "; resuming", "ConsentRecorded",
          ]),
        DocStep(
          text:
            #"treatment-ledger audit access --store /var/lib/clinic/ledger --patient demo-0042"#,
          output: ["dr-lind (clinician)", "treatment", "GET /v1/patients/{patientId}/timeline"]),
        DocStep(
          text: #"curl -s -o /dev/null -w '%{http_code}\n' http://127.0.0.1:8080/v1/log"#,
          output: ["401"]),
        DocStep(text: #"kill -TERM "$!""#),
      ]),
    DocScene(
      name: "docs/DEA.md 8 and 10, balances and an inspector's report of the demo site",
      setup: "treatment-ledger demo --patients 4 > /dev/null",
      steps: [
        DocStep(
          text: #"treatment-ledger dea balance --site main --as-of 2026-07-01"#,
          output: ["site main as of 2026-07-01T00:00:00Z", "KV-LOT-"]),
        DocStep(
          text: #"treatment-ledger dea balance --site main"#,
          output: ["open discrepancies: none", "KV-SPARE-1", "disposed"]),
        DocStep(
          text:
            #"""
            treatment-ledger dea report --site main --from 2026-06-01 --to 2026-09-01 --out dea-summer \
                --by inspector-7 --reason "DEA inspection, summer 2026"
            """#,
          output: [
            "administrations.csv", "counts.csv", "written to dea-summer; recorded in $audit",
          ]),
        DocStep(
          text: #"treatment-ledger dea verify dea-summer --store treatment-ledger.store"#,
          output: ["report intact"]),
        DocStep(
          text: #"treatment-ledger audit verify dea-summer/audit --store treatment-ledger.store"#,
          output: ["intact: ", "matches its record"]),
        DocStep(
          text: #"python3 dea-summer/audit/verify_export.py dea-summer/audit"#,
          output: ["intact: "]),
        DocStep(
          text: #"sha256sum dea-summer/administrations.csv"#,
          output: ["dea-summer/administrations.csv"]),
        DocStep(
          text: #"tail -n 1 dea-summer/inventory.ndjson | tr -d '\n' | sha256sum"#,
          output: ["  -"]),
      ]),
    DocScene(
      name: "README and docs/RETENTION.md, a legal hold and retention on the demo store",
      setup: "treatment-ledger demo --patients 3 > /dev/null",
      steps: [
        DocStep(
          text:
            #"treatment-ledger hold place --hold-id matter-2026-014 --scope demo-0002 --reason "Records request of counsel, matter 2026-014" --by staff-0012 --by-name "Robin Example""#,
          output: ["hold matter-2026-014 placed on demo-0002"]),
        DocStep(
          text: #"treatment-ledger hold list"#,
          output: ["matter-2026-014  scope demo-0002", "by staff-0012  in force"]),
        DocStep(
          text: #"treatment-ledger retention due --as-of 2040-01-01"#,
          output: [
            "2 patients due for erasure as of 2040-01-01 (policy default-1)", "demo-0001  adult",
            "demo-0003  adult",
          ]),
        DocStep(
          text: #"treatment-ledger retention show --patient demo-0002 --as-of 2040-01-01"#,
          output: [
            "governs  ends 20", "adult: 10 years after the last event (policy default-1)",
            "legal holds in force: matter-2026-014", "held",
          ]),
        DocStep(
          text:
            #"treatment-ledger hold release --hold-id matter-2026-014 --reason "Matter closed" --by staff-0012"#,
          output: ["hold matter-2026-014 released"]),
      ]),
  ]

  /// Documented command lines no test here runs, each with the reason.
  static let notRun: [(text: String, reason: String)] = [
    (
      #"treatment-ledger central audit export --postgres postgres://ledger@central.example:5432/chain --clinic north --out north-2026 --by u-417 --reason "chain review""#,
      "needs a PostgreSQL server at central.example; CentralCommandTests runs forward, central verify, central status and central audit export as written against the server .ci/run starts ($TREATMENT_LEDGER_POSTGRES_URL)"
    ),
    (
      #"python3 north-2026/verify_export.py north-2026"#,
      "needs a PostgreSQL server at central.example; CentralCommandTests runs forward, central verify, central status and central audit export as written against the server .ci/run starts ($TREATMENT_LEDGER_POSTGRES_URL)"
    ),
    (
      #"treatment-ledger forward --store /var/lib/clinic/ledger --postgres postgres://ledger@central.example:5432/chain --clinic north --once"#,
      "needs a PostgreSQL server at central.example; CentralCommandTests runs forward, central verify and central status as written against the server .ci/run starts ($TREATMENT_LEDGER_POSTGRES_URL)"
    ),
    (
      #"treatment-ledger forward --store /var/lib/clinic/ledger --postgres postgres://ledger@central.example:5432/chain --clinic north"#,
      "needs a PostgreSQL server at central.example; CentralCommandTests runs forward, central verify and central status as written against the server .ci/run starts ($TREATMENT_LEDGER_POSTGRES_URL)"
    ),
    (
      #"treatment-ledger central verify --postgres postgres://ledger@central.example:5432/chain"#,
      "needs a PostgreSQL server at central.example; CentralCommandTests runs forward, central verify and central status as written against the server .ci/run starts ($TREATMENT_LEDGER_POSTGRES_URL)"
    ),
    (
      #"treatment-ledger central report outcomes --postgres postgres://ledger@central.example:5432/chain --clinic-key north=/secure/north.kek --clinic-key south=/secure/south.kek"#,
      "needs a PostgreSQL server at central.example and the clinics' key files; CentralCommandTests runs central report outcomes with each demo clinic's key file against the server .ci/run starts ($TREATMENT_LEDGER_POSTGRES_URL)"
    ),
    (
      #"treatment-ledger central status --postgres postgres://ledger@central.example:5432/chain"#,
      "needs a PostgreSQL server at central.example; CentralCommandTests runs forward, central verify and central status as written against the server .ci/run starts ($TREATMENT_LEDGER_POSTGRES_URL)"
    ),
    (
      #".build-bench/release/LedgerBench --workloads 8 --postgres postgres://postgres@127.0.0.1:55434/postgres"#,
      "needs the release build of LedgerBench and a PostgreSQL server on that port; BenchTests runs LedgerBench --quick --allow-debug --workloads 8 on the debug build against the server .ci/run starts ($TREATMENT_LEDGER_POSTGRES_URL)"
    ),
    (
      #".build-bench/release/LedgerBench --quick --workloads 3,4 --work-dir W --keep"#,
      "needs the release build of LedgerBench and Linux perf; it profiles one workload's child process (BENCHMARKS.md); BenchTests runs LedgerBench --quick --allow-debug on the debug build"
    ),
    (
      #"perf record -e cpu-clock -F 4000 -g -o w3.perf .build-bench/release/LedgerBench --child w3.tl --work-dir W --dataset W/ds --dataset-events 20000 --quick"#,
      "needs the release build of LedgerBench and Linux perf; it profiles one workload's child process (BENCHMARKS.md); BenchTests runs LedgerBench --quick --allow-debug on the debug build"
    ),
    (
      #"perf record -e cpu-clock -F 4000 -g -o w4.perf .build-bench/release/LedgerBench --child w4.tl --work-dir W --dataset W/ds --dataset-events 20000 --quick"#,
      "needs the release build of LedgerBench and Linux perf; it profiles one workload's child process (BENCHMARKS.md); BenchTests runs LedgerBench --quick --allow-debug on the debug build"
    ),
    (
      #"perf report -i w3.perf --children --no-demangle --stdio -g none | swift demangle --simplified"#,
      "needs the release build of LedgerBench and Linux perf; it profiles one workload's child process (BENCHMARKS.md); BenchTests runs LedgerBench --quick --allow-debug on the debug build"
    ),
    (
      #"swift build -c release --scratch-path .build-bench --product LedgerServerBench"#,
      "a release build of the server's load tool (minutes on two cores); ServerBenchTests runs LedgerServerBench with small counts on the debug build"
    ),
    (
      #".build-bench/release/LedgerServerBench --appends 3000 --reads 3000"#,
      "needs the release build of LedgerServerBench; ServerBenchTests runs it with small counts on the debug build"
    ),
    (
      #"swift package generate-documentation --enable-experimental-combined-documentation --target TreatmentLedger --target TreatmentRecords --target ControlledSubstances --target LedgerEventStore --target LedgerAudit --target LedgerFoundation --target LedgerServer"#,
      "runs SwiftPM's DocC plugin on this package, which inside `swift test` would wait for the build lock this run holds; .ci/run runs it as written after the tests"
    ),
    (
      #"bash .ci/run"#,
      "the CI entry point itself: it installs packages, builds, runs this suite and fuzzes"
    ),
    (
      #"swift build -c release --scratch-path .build-bench --product LedgerBench"#,
      "needs the release build of LedgerBench (.build-bench, minutes on two cores) and runs for minutes; BenchTests runs `LedgerBench --quick --allow-debug --json` on the debug build"
    ),
    (
      #".build-bench/release/LedgerBench                         # full run: 7 min here when quiet"#,
      "needs the release build of LedgerBench (.build-bench, minutes on two cores) and runs for minutes; BenchTests runs `LedgerBench --quick --allow-debug --json` on the debug build"
    ),
    (
      #".build-bench/release/LedgerBench --quick                 # same table, smaller counts, < 1 min"#,
      "needs the release build of LedgerBench (.build-bench, minutes on two cores) and runs for minutes; BenchTests runs `LedgerBench --quick --allow-debug --json` on the debug build"
    ),
    (
      #".build-bench/release/LedgerBench --workloads 1,5 --json bench.json"#,
      "needs the release build of LedgerBench (.build-bench, minutes on two cores) and runs for minutes; BenchTests runs `LedgerBench --quick --allow-debug --json` on the debug build"
    ),
    (
      #"Tools/ledger-fuzz/run-fuzz.sh input 60                 # one target for 60 s"#,
      "the libFuzzer + AddressSanitizer build takes minutes; .ci/run runs `run-fuzz.sh build` and every target for 20 s"
    ),
    (
      #"Tools/ledger-fuzz/run-fuzz.sh decode 0 -runs=2000000   # 0 s = no time limit; flags go to libFuzzer"#,
      "the libFuzzer + AddressSanitizer build takes minutes; .ci/run runs `run-fuzz.sh build` and every target for 20 s"
    ),
    (
      #"Tools/ledger-fuzz/run-fuzz.sh build                    # only the sanitizer build"#,
      "the libFuzzer + AddressSanitizer build takes minutes; .ci/run runs `run-fuzz.sh build` and every target for 20 s"
    ),
    (
      #"""
      swift build --scratch-path .build-fuzz --product LedgerFuzz \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xswiftc -use-ld=lld
      """#,
      "the libFuzzer + AddressSanitizer build takes minutes; .ci/run runs `run-fuzz.sh build` and every target for 20 s"
    ),
    (
      #"swift run LedgerFuzz smoke                                # every target over the seed corpus"#,
      ".ci/run runs it on every CI run (`swift run --skip-build LedgerFuzz smoke`)"
    ),
    (
      #"swift run LedgerFuzz input .build-fuzz/crashes/input/crash-…   # reproduce one input"#,
      "names a crash file that exists only after fuzzing found a crash"
    ),
  ]

  /// Documented command lines another test runs as written.
  static let runElsewhere: [(text: String, test: String)] = [
    (
      #"""
      treatment-ledger audit export --out export-2026 --by u-417 --reason "annual review" \
        --occurred --from 2026-01-01T00:00:00Z --to 2027-01-01T00:00:00Z --require-events
      """#,
      "AuditorPathTests.theReadmeProcedureRunsAsWrittenOnTheDemoStore"
    ),
    (
      #"treatment-ledger audit log"#,
      "AuditorPathTests.theReadmeProcedureRunsAsWrittenOnTheDemoStore"
    ),
    (
      #"sha256sum export-2026/manifest.json"#,
      "AuditorPathTests.theReadmeProcedureRunsAsWrittenOnTheDemoStore"
    ),
    (
      #"HASH=$(treatment-ledger audit log --json | tail -n 1 | python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["manifestSha256"])')"#,
      "AuditorPathTests.theReadmeProcedureRunsAsWrittenOnTheDemoStore"
    ),
    (
      #"python3 export-2026/verify_export.py export-2026 --manifest-sha256 "$HASH""#,
      "AuditorPathTests.theReadmeProcedureRunsAsWrittenOnTheDemoStore"
    ),
  ]
}
