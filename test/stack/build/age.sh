#!/usr/bin/env bash
# Builds age and age-keygen (filippo.io/age) from the Go module proxy into the stack cache.
# Why, when Debian ships `age`? Debian 12's age is 1.1.1, which predates post-quantum hybrid
# recipients (age1pq1..., ML-KEM-768 + X25519, age >= 1.3.0); the age-encryption library we use
# supports them, so interop must be checked against a reference age that does too.
# Idempotent: exits at once when cached.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=../versions.env
source "$here/../versions.env"
# Default until the pin is added to versions.env.
AGE_VERSION="${AGE_VERSION:-v1.3.2}"

cache="${GITOPS_SEAL_CACHE:-$HOME/.cache/gitops-seal}"
dest="$cache/age-$AGE_VERSION"
log() { echo "[stack:age] $*"; }

if [[ -x "$dest/bin/age" && -x "$dest/bin/age-keygen" ]]; then
  log "cached: $dest/bin/age"
  exit 0
fi
command -v go >/dev/null || { log "go not found on PATH (need Go >= 1.24; e.g. /usr/local/go/bin)"; exit 1; }

mkdir -p "$cache"
tmp="$(mktemp -d "$cache/.age-build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
log "go install filippo.io/age/cmd/{age,age-keygen}@$AGE_VERSION ($(go version))"
start=$SECONDS
mkdir -p "$tmp/out/bin"
GOBIN="$tmp/out/bin" CGO_ENABLED=0 GOFLAGS=-trimpath \
  go install "filippo.io/age/cmd/age@$AGE_VERSION" "filippo.io/age/cmd/age-keygen@$AGE_VERSION"
"$tmp/out/bin/age" --version >/dev/null
log "built in $((SECONDS - start))s"

if ! mv -T "$tmp/out" "$dest" 2>/dev/null; then
  log "already installed by a concurrent build"
fi
log "installed: $dest/bin/age"
