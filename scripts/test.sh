#!/usr/bin/env bash
# Node 20's test runner does not expand globs itself, so the shell lists the files.
# Two phases: first every file that does not judge a whole system under load, two at a time; then the ones that
# do (they call heavyTestFile(), test/helpers/exclusive.ts), one at a time with the machine to themselves. The
# last line adds both phases up. FAULTLINE_TEST_CONCURRENCY changes the first phase's concurrency.
# Tests start the built CLI (it starts in a fraction of tsx's time): it is rebuilt first when any source is newer.
set -euo pipefail
shopt -s globstar nullglob
cd "$(dirname "$0")/.."
if [ ! -f dist/cli/bin.js ] || [ -n "$(find src -newer dist/cli/bin.js -print -quit)" ]; then
  echo "building dist/ (the CLI the tests start)"
  npm run --silent build
fi
export FAULTLINE_TEST_CLI=dist
run() { node --import tsx --test --test-reporter=spec --test-concurrency="$1" "${@:2}"; }
if [ "$#" -gt 0 ]; then exec node --import tsx --test --test-reporter=spec --test-concurrency=1 "$@"; fi

light=()
heavy=()
for f in test/**/*.test.ts; do
  if grep -q '^heavyTestFile();' "$f"; then heavy+=("$f"); else light+=("$f"); fi
done
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
run "${FAULTLINE_TEST_CONCURRENCY:-2}" "${light[@]}" 2>&1 | tee "$log" || status=$?
run 1 "${heavy[@]}" 2>&1 | tee -a "$log" || status=$?
sum() { grep -E "^ℹ $1 [0-9]+$" "$log" | awk '{ n += $3 } END { print n + 0 }'; }
echo "$(sum pass) passed, $(sum fail) failed"
exit "$status"
