#!/usr/bin/env bash
# Builds kwok (fake kubelets: nodes and pods become Ready without containers) from Go modules.
COMPONENT=kwok
source "$(dirname "$0")/lib.sh"
dest="$(target_dir kwok "$KWOK_VERSION")"
if [ -x "$dest/bin/kwok" ] && [ -f "$dest/stages.yaml" ]; then say "cached: $dest/bin/kwok"; exit 0; fi
tmp="$dest.tmp.$$"; mkdir -p "$tmp/bin"; trap 'rm -rf "$tmp"' EXIT
say "building kwok $KWOK_VERSION"
start=$(date +%s)
GOBIN="$tmp/bin" go install -trimpath -ldflags="-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
# kwok ships no default stages in the binary: take the "fast" set (node-initialize,
# node-heartbeat-with-lease, pod-ready/complete/delete) from the same module version.
mod="$(go env GOMODCACHE)/sigs.k8s.io/kwok@$KWOK_VERSION/kustomize/stage"
for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
  cat "$mod/$f"; echo "---"
done > "$tmp/stages.yaml"
commit_dir "$tmp" "$dest"; trap - EXIT
say "built in $(( $(date +%s) - start ))s: $dest/bin/kwok"
