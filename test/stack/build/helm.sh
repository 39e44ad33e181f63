#!/usr/bin/env bash
# Builds helm (helm.sh/helm/v4) into the stack cache: the renderer of Helm chart syncs
# (`helm template`), and the reference its output is compared against.
source "$(dirname "$0")/lib.sh"
go_install helm "$HELM_VERSION" version helm.sh/helm/v4/cmd/helm
