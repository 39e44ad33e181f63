#!/usr/bin/env bash
# Builds test/stack/kube (etcd + kube-apiserver + kube-controller-manager + kube-scheduler + kubectl
# in one hyperkube-style binary `kube-stack`, plus a `kubectl` link to it) from the Go modules of
# k8s.io/kubernetes $KUBERNETES_VERSION. Cold: ~15-25 min on 2 cores; warm: nothing to do.
source "$(dirname "$0")/lib.sh"

build_kube() {
  local out="$1" minor ver pkg
  minor="${KUBERNETES_VERSION#v1.}"
  minor="${minor%%.*}"
  # What `kubectl version` and the apiserver's /version report (a plain `go build` says v0.0.0).
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ver="${ver:-} -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  done
  # -mod=mod as the script always had it; CGO off (lib.sh) as upstream builds these binaries.
  (cd "$STACK_DIR/kube" &&
    go build -mod=mod -buildvcs=false -trimpath -ldflags="-s -w$ver" -o "$out/bin/kube-stack" .)
  "$out/bin/kube-stack" kubectl version --client >/dev/null
  ln -s kube-stack "$out/bin/kubectl"
}
cached_build kube "$KUBERNETES_VERSION" build_kube bin/kube-stack bin/kubectl
