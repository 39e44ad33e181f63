#!/bin/sh
# One-shot: enable transit at sops/ with key gitops-seal on the OpenBao dev server (idempotent).
set -eu
: "${BAO_ADDR:?}" "${BAO_TOKEN:?}"
if bao secrets list -format=json | grep -q '"sops/"'; then
  echo "openbao-init: transit already mounted at sops/"
else
  bao secrets enable -path=sops transit
fi
bao write -f sops/keys/gitops-seal >/dev/null
echo "openbao-init: transit key sops/keys/gitops-seal ready (sops: --hc-vault-transit ${BAO_ADDR}/v1/sops/keys/gitops-seal)"
