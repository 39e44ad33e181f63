#!/usr/bin/env bash
# Builds the CNCF Distribution registry (v3) into the stack cache.
# Why not Debian's docker-registry (distribution 2.8.2)? It ignores `n`/`last` on
# /v2/<name>/tags/list and never sends a Link header, so tag pagination — which every hosted
# registry does — could not be tested against it.
source "$(dirname "$0")/lib.sh"
go_install distribution "$DISTRIBUTION_VERSION" --version \
  github.com/distribution/distribution/v3/cmd/registry
