#!/bin/sh
# One-shot, in the gitea image on gitea's data volume: the git user the daemon and fleet-init
# authenticate as. Idempotent: an existing user is kept.
set -eu
: "${GIT_USERNAME:?}" "${GIT_PASSWORD:?}"
out=$(gitea admin user create --config /data/gitea/conf/app.ini \
  --username "$GIT_USERNAME" --password "$GIT_PASSWORD" --email "$GIT_USERNAME@gitops-seal.invalid" \
  --admin --must-change-password=false 2>&1) || {
  case "$out" in
    *"already exists"*) echo "gitea-init: user $GIT_USERNAME exists" ;;
    *) echo "$out" >&2; exit 1 ;;
  esac
}
echo "gitea-init: user $GIT_USERNAME ready"
