#!/usr/bin/env bash
# Builds kwok (fake kubelets: nodes and pods become Ready without containers) into the stack
# cache, with the stage set test/stack/kube.ts starts it with (<entry>/stages.yaml).
source "$(dirname "$0")/lib.sh"

build_kwok() {
  local out="$1"
  go_install_into "$out/bin" "$KWOK_VERSION" sigs.k8s.io/kwok/cmd/kwok
  "$out/bin/kwok" --version >/dev/null
  # kwok ships no default stages in the binary: take the "fast" set (node-initialize,
  # node-heartbeat-with-lease, pod-ready/complete/delete) from the same module version.
  local mod f
  mod="$(go env GOMODCACHE)/sigs.k8s.io/kwok@$KWOK_VERSION/kustomize/stage"
  for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
    pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    cat "$mod/$f"
    echo "---"
  done >"$out/stages.yaml"
}
cached_build kwok "$KWOK_VERSION" build_kwok bin/kwok stages.yaml
