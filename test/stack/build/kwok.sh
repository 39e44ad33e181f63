#!/usr/bin/env bash
# Builds kwok (fake kubelets: nodes and pods become Ready without containers) from Go modules.
COMPONENT=kwok
source "$(dirname "$0")/lib.sh"
dest="$(target_dir kwok "$KWOK_VERSION")"
if [ -x "$dest/bin/kwok" ]; then say "cached: $dest/bin/kwok"; exit 0; fi
tmp="$dest.tmp.$$"; mkdir -p "$tmp/bin"; trap 'rm -rf "$tmp"' EXIT
say "building kwok $KWOK_VERSION"
start=$(date +%s)
GOBIN="$tmp/bin" go install -trimpath -ldflags="-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
commit_dir "$tmp" "$dest"; trap - EXIT
say "built in $(( $(date +%s) - start ))s: $dest/bin/kwok"
