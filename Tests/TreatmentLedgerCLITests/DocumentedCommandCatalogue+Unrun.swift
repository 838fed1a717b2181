import Foundation
import Testing

/// The documented command lines that no scene of ``DocumentedCommandCatalogue/scenes`` runs:
/// those run by another test, and those no test can run here, each with its reason.
extension DocumentedCommandCatalogue {
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
