#!/usr/bin/env bash
# Builds kubeseal (github.com/bitnami-labs/sealed-secrets/cmd/kubeseal) into the stack cache: the
# real Sealed Secrets client the migration tests seal with (`--cert`, offline) and unseal with
# (`--recovery-unseal`), so `gitops-seal import sealed-secrets` is proved against it, not a model.
source "$(dirname "$0")/lib.sh"
go_install kubeseal "$KUBESEAL_VERSION" --version github.com/bitnami-labs/sealed-secrets/cmd/kubeseal
