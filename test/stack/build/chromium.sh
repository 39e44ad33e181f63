#!/usr/bin/env bash
# Debian's Chromium for the web status page's browser tests (test/e2e/ui-*.e2e.test.ts drive it
# through playwright-core with executablePath /usr/bin/chromium; no browser is ever downloaded).
# Idempotent: nothing happens when /usr/bin/chromium is already there. Not from lib.sh: this is a
# Debian package, not a cached build, so it needs neither Go nor the cache layout.
set -euo pipefail
say() { echo "[stack:chromium] $*"; }
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || {
    say "missing /usr/bin/chromium — install it as root: apt-get install -y chromium" >&2
    exit 1
  }
  SUDO=sudo
fi
start=$(date +%s)
say "installing Debian's chromium (apt-get; a few minutes on a cold machine)"
# shellcheck source=apt.bash
source "$(dirname "$0")/apt.bash"
apt_get update -qq
DEBIAN_FRONTEND=noninteractive apt_get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
[ -x /usr/bin/chromium ] || { say "apt-get finished but /usr/bin/chromium is absent" >&2; exit 1; }
say "installed $(/usr/bin/chromium --version 2>/dev/null || echo chromium) in $(($(date +%s) - start))s"
