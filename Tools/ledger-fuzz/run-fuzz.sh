#!/usr/bin/env bash
# Builds the libFuzzer build of LedgerFuzz (if needed) and runs one target for a time budget.
#
#   Tools/ledger-fuzz/run-fuzz.sh TARGET SECONDS [libFuzzer flags...]
#   Tools/ledger-fuzz/run-fuzz.sh build
#   Tools/ledger-fuzz/run-fuzz.sh minimize TARGET CRASH-FILE
#
# TARGET is input, decode, canonical or record (docs/FUZZING.md). SECONDS is libFuzzer's
# -max_total_time; 0 means no time limit (give -runs=N instead). Extra flags go to libFuzzer.
#
# Everything generated stays under .build-fuzz/ (git-ignored): the build, new corpus units in
# .build-fuzz/corpus/TARGET/, crash inputs in .build-fuzz/crashes/TARGET/, the full libFuzzer log
# in .build-fuzz/logs/TARGET.log. The seed corpus Tools/ledger-fuzz/corpus/TARGET/ is only read.
#
# Prints libFuzzer's final statistics (stat::number_of_executed_units ...). Exits 0 when the run
# ended without a finding; otherwise non-zero, after printing the report, the stack and the crash
# input in hex. LEDGER_FUZZ_SKIP_BUILD=1 skips the (incremental) build.
set -euo pipefail
cd "$(dirname "$0")/../.."

scratch=.build-fuzz
binary="$scratch/debug/LedgerFuzz"
targets="input decode canonical record"

usage() {
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 64
}

build() {
  local started=$SECONDS
  swift build --scratch-path "$scratch" --product LedgerFuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xswiftc -use-ld=lld \
    >"$scratch/build.log" 2>&1 || {
    tail -n 40 "$scratch/build.log" >&2
    echo "run-fuzz: the sanitizer build failed (full log: $scratch/build.log)" >&2
    exit 1
  }
  echo "run-fuzz: sanitizer build ready in $((SECONDS - started)) s"
}

known_target() {
  case " $targets " in *" $1 "*) return 0 ;; *) return 1 ;; esac
}

# The crash input in hex, 32 bytes a line (xxd is not on every machine; od is).
hex() {
  od -An -v -tx1 "$1" | tr -d ' \n' | fold -w 64
  echo
}

# The finding in a libFuzzer log: from the first Swift, sanitizer or libFuzzer error line on.
report() {
  awk '/Fatal error|^==[0-9]+==|^ERROR:|^SUMMARY|deadly signal/ { show = 1 } show' "$1" |
    head -n 80
}

[ $# -ge 1 ] || usage
mkdir -p "$scratch"

case "$1" in
  build)
    build
    exit 0
    ;;
  minimize)
    [ $# -eq 3 ] && known_target "$2" && [ -f "$3" ] || usage
    [ "${LEDGER_FUZZ_SKIP_BUILD:-0}" = 1 ] || build
    output="$3.min"
    # -minimize_crash keeps shrinking while the input still crashes; it exits 0 when done.
    SWIFT_BACKTRACE=enable=no "$binary" "$2" -minimize_crash=1 -runs=200000 \
      -exact_artifact_path="$output" "$3" >"$scratch/minimize.log" 2>&1 || true
    [ -f "$output" ] || { tail -n 30 "$scratch/minimize.log" >&2; exit 1; }
    echo "run-fuzz: minimised to $(wc -c <"$output") bytes: $output"
    hex "$output"
    # Show the report and stack of the minimised input.
    SWIFT_BACKTRACE=enable=no "$binary" "$2" "$output" >"$scratch/minimize.log" 2>&1 || true
    report "$scratch/minimize.log"
    exit 0
    ;;
esac

[ $# -ge 2 ] && known_target "$1" && [[ "$2" =~ ^[0-9]+$ ]] || usage
target=$1
seconds=$2
shift 2

[ "${LEDGER_FUZZ_SKIP_BUILD:-0}" = 1 ] || build

work="$scratch/corpus/$target"
crashes="$scratch/crashes/$target"
log="$scratch/logs/$target.log"
mkdir -p "$work" "$crashes" "$(dirname "$log")"
before=$(find "$crashes" -type f | wc -l)

limit=()
watchdog=()
if [ "$seconds" -gt 0 ]; then
  limit=(-max_total_time="$seconds")
  # libFuzzer stops itself; the watchdog only catches a wedged process.
  watchdog=(timeout --signal=KILL $((seconds + 300)))
fi

# SWIFT_BACKTRACE=enable=no: otherwise a trap under ASan leaves swift-backtrace processes holding
# the pipe and the run hangs. New units go to the first corpus directory, the work one; extra
# arguments (flags, more corpus directories to read) come after it.
status=0
SWIFT_BACKTRACE=enable=no "${watchdog[@]}" "$binary" "$target" \
  "$work" "Tools/ledger-fuzz/corpus/$target" "${limit[@]}" \
  -print_final_stats=1 -timeout=10 -artifact_prefix="$crashes/" "$@" >"$log" 2>&1 || status=$?

after=$(find "$crashes" -type f | wc -l)
grep -E '^stat::' "$log" || true
executed=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
if [ "$status" -eq 0 ] && [ "$after" -eq "$before" ]; then
  echo "run-fuzz: $target: ${executed:-0} executions, 0 crashes"
  exit 0
fi

echo "run-fuzz: $target: FINDING after ${executed:-?} executions (libFuzzer exit $status)" >&2
report "$log" >&2
newest=$(ls -t "$crashes" 2>/dev/null | head -n 1)
if [ -n "$newest" ]; then
  echo "run-fuzz: crash input $crashes/$newest ($(wc -c <"$crashes/$newest") bytes), hex:" >&2
  hex "$crashes/$newest" >&2
  echo "run-fuzz: minimise with: $0 minimize $target $crashes/$newest" >&2
fi
echo "run-fuzz: full log: $log" >&2
exit 1
