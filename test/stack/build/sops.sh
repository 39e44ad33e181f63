#!/usr/bin/env bash
# Builds sops (the reference SOPS implementation we check compatibility against) into the stack
# cache. `--disable-version-check`: the smoke run must not call GitHub.
source "$(dirname "$0")/lib.sh"
go_install sops "$SOPS_VERSION" '--version --disable-version-check' github.com/getsops/sops/v3/cmd/sops
