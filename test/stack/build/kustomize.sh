#!/usr/bin/env bash
# Builds kustomize (sigs.k8s.io/kustomize/kustomize/v5) into the stack cache: the renderer a sync
# with a kustomization file is built with, and the reference its output is compared against.
source "$(dirname "$0")/lib.sh"
go_install kustomize "$KUSTOMIZE_VERSION" version sigs.k8s.io/kustomize/kustomize/v5
