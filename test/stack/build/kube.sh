#!/usr/bin/env bash
# Builds test/stack/kube (etcd + kube-apiserver + kube-controller-manager + kube-scheduler + kubectl
# in one hyperkube-style binary) from the Go modules of k8s.io/kubernetes $KUBERNETES_VERSION.
# Cold: ~15-25 min on 2 cores (Kubernetes is a large Go program); warm: nothing to do.
COMPONENT=kube
source "$(dirname "$0")/lib.sh"
dest="$(target_dir kube "$KUBERNETES_VERSION")"
if [ -x "$dest/bin/kube-stack" ]; then say "cached: $dest/bin/kube-stack"; exit 0; fi
tmp="$dest.tmp.$$"; mkdir -p "$tmp/bin"; trap 'rm -rf "$tmp"' EXIT
say "building Kubernetes $KUBERNETES_VERSION control plane + kubectl (this takes many minutes on a cold machine)"
start=$(date +%s)
minor="${KUBERNETES_VERSION#v1.}"; minor="${minor%%.*}"
ver="-X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
ver="$ver -X k8s.io/client-go/pkg/version.gitVersion=$KUBERNETES_VERSION -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=$minor"
( cd "$STACK_DIR/kube" && go build -trimpath -ldflags="-s -w $ver" -o "$tmp/bin/kube-stack" . )
ln -s kube-stack "$tmp/bin/kubectl"
commit_dir "$tmp" "$dest"; trap - EXIT
say "built in $(( $(date +%s) - start ))s: $dest/bin/kube-stack"
