#!/usr/bin/env bash
# Builds age and age-keygen (filippo.io/age) into the stack cache.
# Why, when Debian ships `age`? Debian 12's age is 1.1.1, which predates post-quantum hybrid
# recipients (age1pq1..., ML-KEM-768 + X25519, age >= 1.3.0); the age-encryption library we use
# supports them, so interop must be checked against a reference age that does too.
source "$(dirname "$0")/lib.sh"
go_install age "$AGE_VERSION" --version filippo.io/age/cmd/age filippo.io/age/cmd/age-keygen
