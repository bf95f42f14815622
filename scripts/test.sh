#!/usr/bin/env bash
# Node 20's test runner does not expand globs itself, so the shell lists the files.
# One file at a time: several tests judge a running system under load, and on two cores a neighbour that starts
# dozens of processes would be what they measure.
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
exec node --import tsx --test --test-reporter=spec --test-concurrency="${FAULTLINE_TEST_CONCURRENCY:-1}" "${files[@]}"
