#!/usr/bin/env bash
# Configures and builds the release preset (RelWithDebInfo, Ninja, ccache) into build/release.
set -euo pipefail
cd "$(dirname "$0")/.."
# Let ccache share objects between clones in different directories (CI builds a fresh clone).
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
cmake --preset release >/dev/null
cmake --build --preset release -- -j"$(nproc)" "$@"
