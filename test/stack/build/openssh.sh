#!/usr/bin/env bash
# Installs Debian's OpenSSH server (sshd) for the stack's SSH git server (test/stack/sshd.ts),
# which runs it as a plain process on a loopback port with its own config and host key. The
# package's own service must not start (it would listen on port 22): its postinst runs under a
# policy-rc.d that forbids starting services, as Debian containers do. Idempotent: nothing
# happens when /usr/sbin/sshd is there.
set -euo pipefail
if [ -x /usr/sbin/sshd ] && [ -x /usr/bin/git-shell ]; then
  echo "[stack:openssh] sshd present: $(/usr/sbin/sshd -V 2>&1 | head -n1 || true)"
  exit 0
fi
if [ "$(id -u)" != 0 ] && ! command -v sudo >/dev/null; then
  echo "[stack:openssh] /usr/sbin/sshd missing — install it as root: apt-get install -y openssh-server" >&2
  exit 1
fi
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
policy=/usr/sbin/policy-rc.d
ours=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod 755 "$policy"
  ours=1
fi
cleanup() { if [ $ours = 1 ]; then $SUDO rm -f "$policy"; fi; }
trap cleanup EXIT
# shellcheck source=apt.bash
source "$(dirname "$0")/apt.bash"
echo "[stack:openssh] installing openssh-server"
apt_get update -qq
DEBIAN_FRONTEND=noninteractive apt_get install -y -qq --no-install-recommends openssh-server git >/dev/null
echo "[stack:openssh] installed: $(/usr/sbin/sshd -V 2>&1 | head -n1 || true)"
