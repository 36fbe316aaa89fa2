#!/usr/bin/env bash
# Installs the Debian 12 packages undersigned needs to build and run (with --test: also to run
# its test suite; with --bench: also bench/run). Idempotent: installs only what is missing.
# Needs root (or sudo).
set -euo pipefail

build_pkgs=(build-essential cmake ninja-build ccache pkg-config
  libboost-dev libboost-system-dev libsqlite3-dev sqlite3 libsodium-dev nlohmann-json3-dev
  libkainjow-mustache-dev libcmark-dev libcli11-dev libspdlog-dev libtomlplusplus-dev
  libcurl4-openssl-dev libssl-dev libexpected-dev libgoogle-perftools-dev libgtest-dev
  libpng-dev libjpeg62-turbo-dev libcairo2-dev libpango1.0-dev fonts-dejavu-core
  libabsl-dev tzdata libpq-dev
  libgmock-dev libbenchmark-dev)
# The flyer's and poster's QR code (render/qr.cc).
build_pkgs+=(libqrencode-dev)
# Tests: pytest and aiosmtpd (integration tests against a real SMTP server), sqlite3 (to inspect
# databases), PostgreSQL 15 server and psql (scripts/pg.sh starts a throw-away cluster for the
# run; tests create a database each), Chromium and fonts (browser test), poppler-utils (pdfinfo and
# pdftotext read the letter's PDF back in render_test). Benchmarks: wrk and nginx (bench/run),
# PostgreSQL (bench/run --postgres).
pg_pkgs=(postgresql-15 postgresql-client-15)
test_pkgs=(python3 python3-pytest python3-aiosmtpd python3-icalendar sqlite3 chromium fonts-liberation
  ca-certificates poppler-utils "${pg_pkgs[@]}")
# zbarimg decodes the flyer's QR code in render_test and the integration tests.
test_pkgs+=(zbar-tools)
bench_pkgs=(wrk nginx sqlite3 python3 curl "${pg_pkgs[@]}")

pkgs=("${build_pkgs[@]}")
[[ "${1:-}" == "--test" ]] && pkgs+=("${test_pkgs[@]}")
[[ "${1:-}" == "--bench" ]] && pkgs+=("${bench_pkgs[@]}")

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  echo "installing: ${missing[*]}"
  # Debian's postgresql-15 makes and starts a cluster "main" on port 5432 when installed; the
  # tests never use it (scripts/pg.sh starts their own), so tell postgresql-common not to. A
  # file in createcluster.d/ is not one of the package's own configuration files.
  if [[ " ${missing[*]} " == *" postgresql-15 "* && ! -e /usr/lib/postgresql/15/bin/postgres ]]; then
    $SUDO mkdir -p /etc/postgresql-common/createcluster.d
    echo "create_main_cluster = false" |
      $SUDO tee /etc/postgresql-common/createcluster.d/undersigned.conf >/dev/null
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The browser test and the Stripe emulator's tests (tests/stripe: payments) run on Node.js (20 or
# newer: Stripe's library needs it) with npm, which installs their locked packages under ctest;
# Debian's packages are used only when the machine has no node of its own.
if [[ "${1:-}" == "--test" ]] && ! command -v node >/dev/null 2>&1; then
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm
fi
