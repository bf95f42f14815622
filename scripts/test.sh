#!/usr/bin/env bash
# Node 20's test runner does not expand globs itself, so the shell lists the files.
set -euo pipefail
shopt -s globstar nullglob
cd "$(dirname "$0")/.."
files=(test/**/*.test.ts)
if [ "$#" -gt 0 ]; then files=("$@"); fi
exec node --import tsx --test --test-reporter=spec --test-concurrency=2 "${files[@]}"
