#!/bin/sh
# Installs the Debian packages the end-to-end tests need (tests/): pytest for the integration
# suites, aiosmtpd for the real SMTP server they send to, sqlite3 to inspect databases,
# Chromium for the browser test. Idempotent: installs only what is missing.
# Node.js (20 or newer, with npm) is expected on the machine; Debian 12's nodejs is too old.
set -eu

PACKAGES="python3 python3-pytest python3-aiosmtpd sqlite3 chromium fonts-liberation ca-certificates"

missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing="$missing $p"
done
if [ -n "$missing" ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  echo "installing:$missing"
  $SUDO apt-get update
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends $missing
fi

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "warning: node/npm not found; the browser test (ctest -L browser) will not be registered" >&2
elif [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 18 ]; then
  echo "warning: node $(node --version) is too old for the browser test (need 18+)" >&2
fi
