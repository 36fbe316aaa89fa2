#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, and starts undersigned on its
# embedded SQLite store with an open demo campaign at http://127.0.0.1:8080/c/demo.
# Mail goes to ./undersigned-data/outbox-eml/ and each confirmation link is printed in the log.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh undersigned
exec build/release/src/cli/undersigned serve --demo --data "${UNDERSIGNED_DATA:-undersigned-data}" "$@"
