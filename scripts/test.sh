#!/usr/bin/env bash
# The README's second command (and what CI runs): installs what is missing, builds everything,
# and runs the whole test suite with ctest (unit, integration, browser).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh --test
scripts/build.sh
cd build/release
ctest --output-on-failure --timeout 600 -j2 "$@"
