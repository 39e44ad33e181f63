#!/usr/bin/env bash
# Builds the stack's Vault-compatible server into the cache, as pinned by VAULT_SERVER and
# VAULT_SERVER_VERSION in versions.env.
#
# Why HashiCorp Vault and not OpenBao: the Go module proxy refuses every version of OpenBao's
# server module (github.com/openbao/openbao and .../v2: "403 ... This module version is not
# available", by tag, by commit hash and by pseudo-version; only its api/v2 client module is
# served) and nothing else can reach GitHub. Vault v1.14.8 is the newest Vault on the proxy that
# is still MPL-2.0 (v1.14.10 is BSL; v1.14.9 is not served) and is the code OpenBao forked from,
# so its HTTP API (transit, kv-v2, approle, kubernetes auth) is the one OpenBao keeps.
#
# Vault's own go.mod points api/ and sdk/ at its tree with `replace`, so `go install
# github.com/hashicorp/vault@v1.14.8` refuses. test/stack/openbao/ is a tiny tool module that
# requires github.com/hashicorp/vault at the pin; without the replaces, minimal version selection
# takes the api/sdk module versions Vault's go.mod names (api v1.9.2, sdk v0.9.2), and its go.sum
# pins every dependency. Only the server main package is built.
#
# Idempotent: exits at once when cached. Cold build: see the [stack:vault] timing line.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=../versions.env
source "$here/../versions.env"
kind="${VAULT_SERVER:?versions.env must set VAULT_SERVER}"
version="${VAULT_SERVER_VERSION:?versions.env must set VAULT_SERVER_VERSION}"
log() { echo "[stack:$kind] $*"; }

case "$kind" in
  vault) bin=vault; pkg=github.com/hashicorp/vault ;;
  openbao)
    log "OpenBao's server module is not served by the Go module proxy (403); set VAULT_SERVER=vault" >&2
    exit 1 ;;
  *) log "unknown VAULT_SERVER=$kind (openbao|vault)" >&2; exit 1 ;;
esac

cache="${GITOPS_SEAL_CACHE:-$HOME/.cache/gitops-seal}"
dest="$cache/$kind-$version"
if [[ -x "$dest/bin/$bin" ]]; then
  log "cached: $dest/bin/$bin"
  exit 0
fi

export PATH="/usr/local/go/bin:$PATH"
command -v go >/dev/null || { log "go not found on PATH (need Go >= 1.21; e.g. /usr/local/go/bin)" >&2; exit 1; }

mod="$here/../openbao"
# The tool module's require is the second place the version lives; refuse to build a mismatch.
if ! grep -qE "^[[:space:]]*$pkg $version( |$)" "$mod/go.mod"; then
  log "test/stack/openbao/go.mod does not require $pkg $version; update it with:" >&2
  log "  (cd test/stack/openbao && GOFLAGS=-mod=mod go get $pkg@$version)" >&2
  exit 1
fi

mkdir -p "$cache"
tmp="$(mktemp -d "$cache/.$kind-build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
cp "$mod/go.mod" "$mod/go.sum" "$tmp/"
mkdir -p "$tmp/out/bin"
log "go build $pkg@$version ($(go version)); a cold build takes several minutes"
start=$SECONDS
# -mod=mod: the tool module lists Vault's dependencies as indirect requires, and go.sum pins them.
# CGO off: a static binary, and no C toolchain needed.
(cd "$tmp" && GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false" \
  go build -trimpath -ldflags='-s -w' -o "$tmp/out/bin/$bin" "$pkg")
"$tmp/out/bin/$bin" version
log "built in $((SECONDS - start))s, $(du -m "$tmp/out/bin/$bin" | cut -f1) MiB"

# Atomic publish; a concurrent build that won the race leaves its (identical) result in place.
if ! mv -T "$tmp/out" "$dest" 2>/dev/null; then
  log "already installed by a concurrent build"
fi
log "installed: $dest/bin/$bin"
