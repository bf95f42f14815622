#!/usr/bin/env bash
# Node 20's test runner does not expand globs itself, so the shell lists the files.
# One file at a time: several tests judge latency on a running system, and on two cores a neighbour that starts
# dozens of processes would be what they measure (about 6–15 minutes in all, depending on the machine).
set -euo pipefail
shopt -s globstar nullglob
cd "$(dirname "$0")/.."
files=(test/**/*.test.ts)
if [ "$#" -gt 0 ]; then files=("$@"); fi
exec node --import tsx --test --test-reporter=spec --test-concurrency=1 "${files[@]}"
