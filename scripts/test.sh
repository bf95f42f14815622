#!/usr/bin/env bash
# Node 20's test runner does not expand globs itself, so the shell lists the files.
# Three groups: every file that does not judge a whole system under load, three at a time; beside them the files
# that build their own namespace test bed (they call bedTestFile(), test/helpers/exclusive.ts), three at a time:
# each bed has its own names and subnet and mostly waits on SSH and timers; then the ones that judge a whole
# system under load (they call heavyTestFile()), one at a time with the machine to themselves. The last line adds
# the groups up. FAULTLINE_TEST_CONCURRENCY, FAULTLINE_TEST_BED_CONCURRENCY and FAULTLINE_TEST_HEAVY_CONCURRENCY
# change the three; FAULTLINE_TEST_BED_ALONGSIDE=0 runs the bed files after the first group instead.
# Tests start the built CLI (it starts in a fraction of tsx's time): it is rebuilt first when any source is newer.
# The test files run as JavaScript from a transpiled mirror of the repository (scripts/build-tests.mjs, a second
# or two): a TypeScript loader in every test process costs about a second of CPU each. Files named on the command
# line run the same way; FAULTLINE_TEST_TSX=1 runs the TypeScript directly through tsx instead.
set -euo pipefail
shopt -s globstar nullglob
cd "$(dirname "$0")/.."
if [ ! -f dist/cli/bin.js ] || [ -n "$(find src -newer dist/cli/bin.js -print -quit)" ]; then
  echo "building dist/ (the CLI the tests start)"
  npm run --silent build
fi
export FAULTLINE_TEST_CLI=dist
if [ "${FAULTLINE_TEST_TSX:-}" = 1 ]; then
  run() { node --import tsx scripts/run-tests.mjs "$@"; }
else
  build=.test-build
  node scripts/build-tests.mjs "$build"
  # the mirror's file for each test file named; node --test prints these paths
  compiled() { for f in "$@"; do printf '%s\n' "$build/${f%.ts}.js"; done; }
  run() {
    local n=$1
    shift
    mapfile -t files < <(compiled "$@")
    node --enable-source-maps scripts/run-tests.mjs "$n" "${files[@]}"
  }
fi
if [ "$#" -gt 0 ]; then run 1 "$@"; exit; fi

# The longest files (half a minute or more each, mostly waiting on runs they start) go first in their group, so
# that none starts last and runs on alone once the rest are done; scripts/run-tests.mjs keeps this order (node
# --test would sort the files by name).
long_first=(
  test/fleet/crash.test.ts test/fleet/experiment-etcd.test.ts test/fleet/failpoint.test.ts
  test/plugins/host.conformance.test.ts test/fleet/experiment.test.ts test/fleet/shared-hosts.test.ts
  test/fleet/faults/etcd.test.ts test/experiment/engine-crash.test.ts test/failpoint/cli.test.ts
  test/experiment/engine-abort.test.ts test/suite/run.test.ts test/cli/recover.test.ts test/report/browser.test.ts
  test/load/http-runner.test.ts test/explore/test-runner.test.ts test/cli/seed.test.ts test/cli/suite.test.ts
  test/disruptors/recover.test.ts test/load/cli.test.ts test/explore/cli.test.ts
)
all=()
for f in "${long_first[@]}"; do [ -f "$f" ] && all+=("$f"); done
for f in test/**/*.test.ts; do [[ " ${long_first[*]} " == *" $f "* ]] || all+=("$f"); done

light=()
bed=()
heavy=()
for f in "${all[@]}"; do
  if grep -q '^heavyTestFile();' "$f"; then heavy+=("$f")
  elif grep -q '^bedTestFile();' "$f"; then bed+=("$f")
  else light+=("$f"); fi
done
log=$(mktemp)
# each failed test's name and message, printed again above the closing lines (scripts/run-tests.mjs)
FAULTLINE_TEST_FAILURES=$(mktemp)
export FAULTLINE_TEST_FAILURES
trap 'rm -f "$log" "$FAULTLINE_TEST_FAILURES"' EXIT
status=0
started=$SECONDS
# one line per group as it starts, with the minutes so far, so a long run shows where it is
group() { printf '# %s: %d files, %s at a time (%dm%02ds in)\n' "$1" "$2" "$3" $(((SECONDS - started) / 60)) $(((SECONDS - started) % 60)); }
bed_run() { run "${FAULTLINE_TEST_BED_CONCURRENCY:-3}" "${bed[@]}" 2>&1; }
if [ "${FAULTLINE_TEST_BED_ALONGSIDE:-1}" = 1 ]; then
  # the bed files mostly wait (SSH, iptables, elections), so they run beside the first phase; their report is
  # held back and printed after it, whole
  bed_log=$(mktemp)
  trap 'rm -f "$log" "$bed_log" "$FAULTLINE_TEST_FAILURES"' EXIT
  group "test-bed files, alongside (their report follows the next group's)" "${#bed[@]}" "${FAULTLINE_TEST_BED_CONCURRENCY:-3}"
  bed_run >"$bed_log" &
  bed_pid=$!
  # a background job ignores Ctrl-C in a script: pass it on
  trap 'pkill -INT -P "$bed_pid"; wait "$bed_pid"; exit 130' INT
  trap 'pkill -TERM -P "$bed_pid"; wait "$bed_pid"; exit 143' TERM
  group "light files" "${#light[@]}" "${FAULTLINE_TEST_CONCURRENCY:-3}"
  run "${FAULTLINE_TEST_CONCURRENCY:-3}" "${light[@]}" 2>&1 | tee "$log" || status=$?
  wait "$bed_pid" || status=$?
  tee -a "$log" <"$bed_log"
else
  group "light files" "${#light[@]}" "${FAULTLINE_TEST_CONCURRENCY:-3}"
  run "${FAULTLINE_TEST_CONCURRENCY:-3}" "${light[@]}" 2>&1 | tee "$log" || status=$?
  group "test-bed files" "${#bed[@]}" "${FAULTLINE_TEST_BED_CONCURRENCY:-3}"
  bed_run | tee -a "$log" || status=$?
fi
export FAULTLINE_TEST_HEAVY_CONCURRENCY=${FAULTLINE_TEST_HEAVY_CONCURRENCY:-1}
group "files that judge a whole system under load" "${#heavy[@]}" "$FAULTLINE_TEST_HEAVY_CONCURRENCY"
run "$FAULTLINE_TEST_HEAVY_CONCURRENCY" "${heavy[@]}" 2>&1 | tee -a "$log" || status=$?
sum() { grep -E "^ℹ $1 [0-9]+$" "$log" | awk '{ n += $3 } END { print n + 0 }'; }
if [ -s "$FAULTLINE_TEST_FAILURES" ]; then
  echo "# failed tests, from all groups:"
  cat "$FAULTLINE_TEST_FAILURES"
fi
echo "# all groups done in $(((SECONDS - started) / 60))m$(printf '%02d' $(((SECONDS - started) % 60)))s"
# a test cancelled (its suite's before hook failed, or the file died) did not pass: it counts as failed
echo "$(sum pass) passed, $(($(sum fail) + $(sum cancelled))) failed"
exit "$status"
