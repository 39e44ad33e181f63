#!/usr/bin/env bash
# Builds the stack's Vault-compatible server into the cache, as pinned by VAULT_SERVER and
# VAULT_SERVER_VERSION in versions.env.
#
# Why HashiCorp Vault and not OpenBao: the Go module proxy refuses every version of OpenBao's
# server module (github.com/openbao/openbao and .../v2: "403 ... This module version is not
# available", by tag, by commit hash and by pseudo-version; only its api/v2 client module is
# served) and nothing else can reach GitHub. So: Vault from its MPL-2.0 1.14 line, the code
# OpenBao forked from, whose HTTP API (transit, kv-v2, approle, kubernetes auth) OpenBao keeps.
#
# Why v1.14.2 and a one-line sdk patch: Vault's go.mod points api/ and sdk/ at its own tree with
# `replace`, so `go install github.com/hashicorp/vault@v1.14.x` refuses, and a tool module that
# requires Vault gets the *published* sdk module instead of the tree's; the proxy serves only
# tagged sdk versions (commit pseudo-versions on the 1.14 branch are 403). No 1.14.x tree matches
# a served sdk exactly:
#   - v1.14.3..v1.14.8 (v1.14.8 is the last MPL tag served; v1.14.9 is 403, v1.14.10 is BSL) use
#     sdk symbols (logical.CtxKeyRequestRole, physical.FencingHABackend, ...) that only sdk
#     v0.10.x/v0.11.0 have, and those changed logical.EventSender, which 1.14 implements;
#   - v1.14.0/v1.14.1 name sdk v0.9.2-0.20230530..., which lacks keysutil WrapKey and
#     certutil.ParseBasicConstraintExtension;
#   - v1.14.2 compiles with sdk v0.9.2, but that sdk gained a start-up check the 1.14 tree was not
#     written for: framework.Backend panics on any path that declares CreateOperation without an
#     ExistenceCheck (sys/ managed-keys stubs, transit cache-config, ...), at the first request.
#     The script disables that one check in a temp copy of sdk v0.9.2 (used via `replace`), which
#     restores the sdk behaviour 1.14 was built against: such a create is handled as an update.
#
# test/stack/openbao/ is the tiny tool module: it requires github.com/hashicorp/vault at the pin,
# minimal version selection takes api v1.9.2 / sdk v0.9.2 from Vault's go.mod, its go.sum pins
# every dependency, and `godebug x509negativeserial=1` keeps the server starting under Go >= 1.23
# (gosnowflake's embedded CA). Only the server main package is built, static (CGO off), stripped.
#
# Cold build: 10-20 minutes on 2 cores; see the [stack:openbao] timing line.
source "$(dirname "$0")/lib.sh"
kind="${VAULT_SERVER:?versions.env must set VAULT_SERVER}"
version="${VAULT_SERVER_VERSION:?versions.env must set VAULT_SERVER_VERSION}"
case "$kind" in
  vault) pkg=github.com/hashicorp/vault ;;
  openbao) die "OpenBao's server module is not served by the Go module proxy (403); set VAULT_SERVER=vault" ;;
  *) die "unknown VAULT_SERVER=$kind (openbao|vault)" ;;
esac

build_vault() {
  local out="$1" work="$2" mod="$STACK_DIR/openbao"
  # The tool module's require is the second place the version lives; refuse to build a mismatch.
  if ! grep -qE "^[[:space:]]*$pkg $version( |$)" "$mod/go.mod"; then
    say "test/stack/openbao/go.mod does not require $pkg $version; update it with:" >&2
    die "  (cd test/stack/openbao && GOFLAGS=-mod=mod go get $pkg@$version)"
  fi
  cp "$mod/go.mod" "$mod/go.sum" "$work/"
  cd "$work"
  export GOFLAGS="-mod=mod -buildvcs=false"
  local sdk=github.com/hashicorp/vault/sdk sdkver src fw
  sdkver="$(go list -m -f '{{.Version}}' "$sdk")"
  src="$(go mod download -json "$sdk@$sdkver" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [[ -d "$src" ]] || die "could not download $sdk@$sdkver"
  cp -r "$src" "$work/sdk"
  chmod -R u+w "$work/sdk"
  fw="$work/sdk/framework/backend.go"
  sed -i 's/^\([[:space:]]*\)if p\.ExistenceCheck == nil {$/\1if false \&\& p.ExistenceCheck == nil { \/\/ gitops-seal: check disabled, see build\/openbao.sh/' "$fw"
  grep -q 'if false && p.ExistenceCheck == nil' "$fw" ||
    die "patch of $sdk@$sdkver framework/backend.go did not apply; see the header of this script"
  go mod edit -replace "$sdk=./sdk"
  go build -trimpath -ldflags='-s -w' -o "$out/bin/vault" "$pkg"
  "$out/bin/vault" version
  say "$(du -m "$out/bin/vault" | cut -f1) MiB"
}
cached_build "$kind" "$version" build_vault bin/vault
