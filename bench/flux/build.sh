#!/usr/bin/env bash
# Builds Flux's source-controller and kustomize-controller (the bench peer of issue 17) into the
# stack cache, each with the CRDs of the same module version:
#   <cache>/flux-source-controller-<v>/{bin/source-controller,crds/*.yaml}
#   <cache>/flux-kustomize-controller-<v>/{bin/kustomize-controller,crds/*.yaml}
# It lives here and not in test/stack/build/ on purpose: install.sh runs every script there, and
# CI's cold build must not grow by two large controllers. `npm run bench:flux` runs it.
#
# Not a plain `go install MODULE@VERSION`: both go.mods replace their own api module with ./api,
# a nested module that the module zip leaves out (and `go install pkg@version` refuses replace
# directives anyway). So the module tree is copied, the api module of the same version is put at
# ./api, and the binary is built there, with the module's own go.sum.
#
# One substitution: the module proxy this project reaches does not serve
# github.com/fluxcd/pkg/artifact v0.18.3 (403 "not available"; it lists v0.18.0 of that minor and no
# other 0.18.x), which source-controller v1.9.6 requires. It is replaced by v0.18.0 (go.sum
# extended with that version's verified hash); FLUX_SOURCE_CONTROLLER_REPLACE below says so, and
# changing it needs a new cache entry name.
COMPONENT=flux
source "$(dirname "$0")/../../test/stack/build/lib.sh"

FLUX_SOURCE_CONTROLLER_REPLACE="github.com/fluxcd/pkg/artifact=github.com/fluxcd/pkg/artifact@v0.18.0"

# _flux_build NAME VERSION REPLACE OUT WORK   (REPLACE: a go mod edit -replace argument, or "")
_flux_build() {
  local name="$1" version="$2" replace="$3" out="$4" work="$5" mod dir api
  mod="github.com/fluxcd/$name"
  say "go mod download $mod@$version (+ its api module)"
  dir="$(go mod download -json "$mod@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  api="$(go mod download -json "$mod/api@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [ -d "$dir" ] && [ -d "$api" ] || die "go mod download of $mod@$version or its api module gave no directory"
  cp -r "$dir" "$work/src" && cp -r "$api" "$work/src/api" && chmod -R u+w "$work/src"
  mkdir -p "$out/crds"
  cp "$dir"/config/crd/bases/*.yaml "$out/crds/"
  if [ -n "$replace" ]; then
    say "replace $replace"
    (cd "$work/src" && go mod edit -replace "$replace" && go mod download "${replace#*=}")
  fi
  say "go build $name $version"
  (cd "$work/src" && go build -mod=mod -trimpath -ldflags="-s -w" -o "$out/bin/$name" .)
  "$out/bin/$name" --help >/dev/null 2>&1 || die "$name $version does not start (--help failed)"
}

_flux_source() { _flux_build source-controller "$FLUX_SOURCE_CONTROLLER_VERSION" "$FLUX_SOURCE_CONTROLLER_REPLACE" "$@"; }
_flux_kustomize() { _flux_build kustomize-controller "$FLUX_KUSTOMIZE_CONTROLLER_VERSION" "" "$@"; }
cached_build flux-kustomize-controller "$FLUX_KUSTOMIZE_CONTROLLER_VERSION" _flux_kustomize \
  bin/kustomize-controller crds/kustomize.toolkit.fluxcd.io_kustomizations.yaml
cached_build flux-source-controller "$FLUX_SOURCE_CONTROLLER_VERSION" _flux_source \
  bin/source-controller crds/source.toolkit.fluxcd.io_gitrepositories.yaml
