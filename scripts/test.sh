#!/usr/bin/env bash
# Node 20's test runner does not expand globs itself, so the shell lists the files.
# Two files at a time (FAULTLINE_TEST_CONCURRENCY to change it): tests assert what holds at any speed, and the
# few that run a whole system under load take a lock (test/helpers/exclusive.ts) so they never overlap.
# Tests start the built CLI (it starts in a fraction of tsx's time): it is rebuilt first when any source is newer.
set -euo pipefail
shopt -s globstar nullglob
cd "$(dirname "$0")/.."
if [ ! -f dist/cli/bin.js ] || [ -n "$(find src -newer dist/cli/bin.js -print -quit)" ]; then
  echo "building dist/ (the CLI the tests start)"
  npm run --silent build
fi
export FAULTLINE_TEST_CLI=dist
files=(test/**/*.test.ts)
if [ "$#" -gt 0 ]; then files=("$@"); fi
exec node --import tsx --test --test-reporter=spec --test-concurrency="${FAULTLINE_TEST_CONCURRENCY:-2}" "${files[@]}"
