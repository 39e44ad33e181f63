#!/usr/bin/env bash
# Builds the CNCF Distribution registry (v3) from the Go module proxy into the stack cache.
# Why not Debian's docker-registry (distribution 2.8.2)? It ignores `n`/`last` on
# /v2/<name>/tags/list and never sends a Link header, so tag pagination — which every hosted
# registry does — could not be tested against it. Idempotent: exits at once when cached.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=../versions.env
source "$here/../versions.env"
# Default until the pin is added to versions.env.
DISTRIBUTION_VERSION="${DISTRIBUTION_VERSION:-v3.1.2}"

cache="${GITOPS_SEAL_CACHE:-$HOME/.cache/gitops-seal}"
dest="$cache/distribution-$DISTRIBUTION_VERSION"
log() { echo "[stack:registry] $*"; }

if [[ -x "$dest/bin/registry" ]]; then
  log "cached: $dest/bin/registry"
  exit 0
fi
command -v go >/dev/null || { log "go not found on PATH (need Go >= 1.23; e.g. /usr/local/go/bin)"; exit 1; }

mkdir -p "$cache"
# Build next to the destination so the final rename stays on one filesystem (atomic).
tmp="$(mktemp -d "$cache/.distribution-build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
log "go install github.com/distribution/distribution/v3/cmd/registry@$DISTRIBUTION_VERSION ($(go version))"
start=$SECONDS
mkdir -p "$tmp/out/bin"
GOBIN="$tmp/out/bin" CGO_ENABLED=0 GOFLAGS=-trimpath \
  go install "github.com/distribution/distribution/v3/cmd/registry@$DISTRIBUTION_VERSION"
"$tmp/out/bin/registry" --version >/dev/null
log "built in $((SECONDS - start))s"

if ! mv -T "$tmp/out" "$dest" 2>/dev/null; then
  log "already installed by a concurrent build"
fi
log "installed: $dest/bin/registry"
