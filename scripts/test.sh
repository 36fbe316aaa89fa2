#!/usr/bin/env bash
# The README's second command (and what CI runs): installs what is missing, builds everything,
# starts a throw-away PostgreSQL for the run (scripts/pg.sh; its URL is exported as
# UNDERSIGNED_TEST_PG_URL for the tests labelled `postgres`, each of which makes and drops a
# database of its own) and runs the whole test suite with ctest (unit, integration, browser).
# The cluster is stopped and removed when this script exits, however it exits.
# UNDERSIGNED_TEST_PG_URL already set: that server is used and none is started.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
scripts/deps.sh --test
scripts/build.sh

if [[ -z ${UNDERSIGNED_TEST_PG_URL:-} ]]; then
  # Under /tmp: the postgres user must be able to reach it and its socket path must be short.
  PG_DIR=$(mktemp -d /tmp/us-test-pg.XXXXXX)
  rmdir "$PG_DIR"
  trap '"$ROOT/scripts/pg.sh" stop "$PG_DIR" || true' EXIT
  trap 'exit 130' INT TERM  # so that EXIT's trap runs on Ctrl-C or a kill too
  t0=$(date +%s%N)
  UNDERSIGNED_TEST_PG_URL=$("$ROOT/scripts/pg.sh" start "$PG_DIR")
  export UNDERSIGNED_TEST_PG_URL
  echo "PostgreSQL for the tests started in $(( ($(date +%s%N) - t0) / 1000000 )) ms: $PG_DIR"
fi

cd build/release
ctest --output-on-failure --timeout 600 -j2 "$@"
