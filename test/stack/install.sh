#!/usr/bin/env bash
# Installs everything the test stack needs on a fresh Debian machine: Debian packages, then every
# build script in test/stack/build/ (Kubernetes control plane, kwok, the Vault server, sops,
# distribution, age, kustomize, helm, kubeseal) in parallel, each cached under
# ${GITOPS_SEAL_CACHE:-~/.cache/gitops-seal}/<component>-<version>/ (see build/lib.sh).
# A warm run builds nothing and needs no Go.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
APT_PACKAGES=(git age apache2-utils openssl ca-certificates zsh fish)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ] && ! command -v sudo >/dev/null; then
    echo "[stack] missing Debian packages: ${missing[*]} — install them as root: apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  echo "[stack] installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The builds run in parallel (the machine has 2 cores and plenty of memory); each prints
# `[stack:<component>]` progress and its own timing, and checks Go only if it has to build.
logs="$(mktemp -d)"
pids=()
for script in "$here"/build/*.sh; do
  c="$(basename "$script" .sh)"
  [ "$c" != lib ] || continue
  bash "$script" > >(tee "$logs/$c.log") 2>&1 &
  pids+=("$!:$c")
done
fail=0
for pc in "${pids[@]}"; do
  pid="${pc%%:*}"; c="${pc#*:}"
  if ! wait "$pid"; then
    echo "[stack] build of $c FAILED — last lines:" >&2; tail -n 30 "$logs/$c.log" >&2; fail=1
  fi
done
rm -rf "$logs"
[ $fail = 0 ] || exit 1
echo "[stack] all components installed (cache: ${GITOPS_SEAL_CACHE:-$HOME/.cache/gitops-seal})"
