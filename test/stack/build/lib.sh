# Sourced by every test/stack/build/<component>.sh: the pins, one Go check, and one cached,
# atomically published build step.
#
# A component lives in ${GITOPS_SEAL_CACHE:-~/.cache/gitops-seal}/<component>-<version>/, with its
# binaries in bin/ (test/stack/cache.ts `cachedBin` reads the same layout). The entry appears in
# one rename(2) of a finished build, so the entry's existence means complete: a killed build or
# a concurrent one never leaves a half-populated entry that looks cached.
#
# Adding a `go install` component is one line in a new script (install.sh runs every script here):
#   source "$(dirname "$0")/lib.sh"
#   go_install kustomize "$KUSTOMIZE_VERSION" version sigs.k8s.io/kustomize/kustomize/v5
set -euo pipefail
STACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=../versions.env
source "$STACK_DIR/versions.env"
CACHE="${GITOPS_SEAL_CACHE:-$HOME/.cache/gitops-seal}"
COMPONENT="${COMPONENT:-$(basename "$0" .sh)}"
export PATH="/usr/local/go/bin:$PATH"
# Static binaries that do not depend on the build host's libc; never download a newer Go
# toolchain behind the user's back (the minimum is checked instead, with a clear message).
export CGO_ENABLED=0 GOTOOLCHAIN=local

say() { echo "[stack:$COMPONENT] $*"; }
die() { say "$*" >&2; exit 1; }

# The one Go check, made only when something must be built (a warm run needs no Go).
require_go() {
  command -v go >/dev/null || die "go not found on PATH (need Go >= $GO_MINIMUM; e.g. in /usr/local/go)"
  local have
  have="$(go env GOVERSION)"
  have="${have#go}"
  have="${have%% *}"
  if [ "$(printf '%s\n%s\n' "$GO_MINIMUM" "$have" | sort -V | head -n 1)" != "$GO_MINIMUM" ]; then
    die "Go $have is too old: the stack needs Go >= $GO_MINIMUM (GO_MINIMUM in test/stack/versions.env)"
  fi
}

# entry_complete DIR FILE... : every FILE (relative to DIR) is there; bin/* must be executable.
entry_complete() {
  local dir="$1" f
  shift
  for f in "$@"; do
    case "$f" in
      bin/*) [ -x "$dir/$f" ] || return 1 ;;
      *) [ -f "$dir/$f" ] || return 1 ;;
    esac
  done
}

# Temp dirs of builds that were killed (SIGKILL, power loss) name a PID that no longer runs;
# remove them so they do not pile up. A live PID (a concurrent run) keeps its own.
sweep_killed_builds() {
  local d pid
  for d in "$CACHE/.$1.build."*; do
    [ -d "$d" ] || continue
    pid="${d#"$CACHE/.$1.build."}"
    pid="${pid%%.*}"
    [[ "$pid" =~ ^[0-9]+$ ]] && ! kill -0 "$pid" 2>/dev/null && rm -rf -- "$d"
  done
  return 0
}

# cached_build COMPONENT VERSION BUILD_FN FILE...
#   Ensures $CACHE/COMPONENT-VERSION/ holds FILE... (relative paths; bin/* executable). On a hit
#   it returns at once. On a miss it calls `BUILD_FN OUT WORK`: OUT is the future entry (with an
#   empty bin/), WORK a scratch dir, both inside a private temp dir beside the entry (same
#   filesystem, so the publish is one rename). FILE... are checked in OUT, then OUT is renamed
#   into place. If a concurrent run published first, its (identical) entry is kept.
cached_build() {
  local component="$1" version="$2" build="$3"
  shift 3
  local dest="$CACHE/$component-$version"
  if entry_complete "$dest" "$@"; then say "cached: $dest"; return 0; fi
  require_go
  mkdir -p "$CACHE"
  sweep_killed_builds "$component-$version"
  local tmp quoted start=$SECONDS
  tmp="$(mktemp -d "$CACHE/.$component-$version.build.$$.XXXXXX")"
  printf -v quoted '%q' "$tmp"
  # shellcheck disable=SC2064 # expand now: the path is fixed, and locals are gone at exit
  trap "rm -rf -- $quoted" EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  mkdir -p "$tmp/out/bin" "$tmp/work"
  say "building $component $version with $(go env GOVERSION)"
  "$build" "$tmp/out" "$tmp/work"
  entry_complete "$tmp/out" "$@" || die "build of $component $version did not produce all of: $*"
  if mv -T "$tmp/out" "$dest" 2>/dev/null; then
    say "built in $((SECONDS - start))s: $dest"
  elif entry_complete "$dest" "$@"; then
    say "built in $((SECONDS - start))s; a concurrent run installed $dest first, keeping that one"
  else
    die "cannot install $dest: it exists but lacks some of $* (remove it and run again)"
  fi
  rm -rf -- "$tmp"
  trap - EXIT INT TERM
}

# go_bin_name MODULE/CMD : the binary `go install` names it (last element, or the one before a
# /vN major-version suffix).
go_bin_name() {
  local name="${1##*/}" parent
  if [[ "$name" =~ ^v[0-9]+$ ]]; then parent="${1%/*}"; name="${parent##*/}"; fi
  echo "$name"
}

# go_install_into GOBIN VERSION MODULE/CMD... : `go install MODULE/CMD@VERSION`, stripped.
go_install_into() {
  local gobin="$1" version="$2" pkg
  shift 2
  local pkgs=()
  for pkg in "$@"; do pkgs+=("$pkg@$version"); done
  GOBIN="$gobin" go install -trimpath -ldflags='-s -w' "${pkgs[@]}"
}

# go_install COMPONENT VERSION 'SMOKE ARGS' MODULE/CMD...
#   The cached `go install` of one or more commands of a module at VERSION into
#   $CACHE/COMPONENT-VERSION/bin/. Before publishing, the first binary is run with SMOKE ARGS
#   (e.g. --version), so a binary that does not start is never cached.
go_install() {
  local component="$1" version="$2" smoke="$3" pkg
  shift 3
  local files=()
  for pkg in "$@"; do files+=("bin/$(go_bin_name "$pkg")"); done
  GO_INSTALL_ARGS=("$version" "$smoke" "$@")
  cached_build "$component" "$version" _go_install_build "${files[@]}"
}

_go_install_build() {
  local out="$1" version="${GO_INSTALL_ARGS[0]}" smoke="${GO_INSTALL_ARGS[1]}"
  local pkgs=("${GO_INSTALL_ARGS[@]:2}")
  say "go install ${pkgs[*]} @$version"
  go_install_into "$out/bin" "$version" "${pkgs[@]}"
  # shellcheck disable=SC2086 # SMOKE ARGS are words
  "$out/bin/$(go_bin_name "${pkgs[0]}")" $smoke >/dev/null
}
