#!/usr/bin/env bash
# Builds sops (the reference SOPS implementation we check compatibility against) from the Go
# module proxy into the stack cache. Idempotent: exits at once when the binary is cached.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=../versions.env
source "$here/../versions.env"

cache="${GITOPS_SEAL_CACHE:-$HOME/.cache/gitops-seal}"
dest="$cache/sops-$SOPS_VERSION"
log() { echo "[stack:sops] $*"; }

if [[ -x "$dest/bin/sops" ]]; then
  log "cached: $dest/bin/sops"
  exit 0
fi
command -v go >/dev/null || { log "go not found on PATH (need Go >= 1.22; e.g. /usr/local/go/bin)"; exit 1; }

mkdir -p "$cache"
# Build next to the destination so the final rename stays on one filesystem (atomic).
tmp="$(mktemp -d "$cache/.sops-build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
log "go install github.com/getsops/sops/v3/cmd/sops@$SOPS_VERSION ($(go version))"
start=$SECONDS
mkdir -p "$tmp/out/bin"
# CGO off: a static binary that does not depend on the build host's libc.
GOBIN="$tmp/out/bin" CGO_ENABLED=0 GOFLAGS=-trimpath \
  go install "github.com/getsops/sops/v3/cmd/sops@$SOPS_VERSION"
"$tmp/out/bin/sops" --version --disable-version-check >/dev/null
log "built in $((SECONDS - start))s"

# Another build may have won the race meanwhile; keep whichever is in place.
if ! mv -T "$tmp/out" "$dest" 2>/dev/null; then
  log "already installed by a concurrent build"
fi
log "installed: $dest/bin/sops"
