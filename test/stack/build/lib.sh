# Shared by the build scripts: pins, cache paths, progress and atomic install.
set -euo pipefail
STACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=../versions.env
source "$STACK_DIR/versions.env"
CACHE="${GITOPS_SEAL_CACHE:-$HOME/.cache/gitops-seal}"
export PATH="/usr/local/go/bin:$PATH"
export GOFLAGS="${GOFLAGS:--mod=mod}"

say() { echo "[stack:$COMPONENT] $*"; }

# install_dir COMPONENT VERSION -> prints the final dir; callers build into "$dir.tmp.$$" and call commit_dir.
target_dir() { echo "$CACHE/$1-$2"; }

commit_dir() { # tmpdir finaldir: atomic publish of a finished build
  rm -rf "$2"
  mv "$1" "$2"
}
