# Sourced by the build scripts that install Debian packages (chromium.sh, openssh.sh); not a
# build of its own (install.sh runs build/*.sh only). Expects $SUDO ("" or sudo).
#
# One apt-get at a time among the stack's scripts: install.sh runs them in parallel, and
# `apt-get update` fails at once, without waiting, when another holds the lists lock — a cold
# install failed so ("Could not get lock /var/lib/apt/lists/lock"). DPkg::Lock::Timeout covers
# an outside apt (an operator's, unattended-upgrades) holding the dpkg lock; a few retries cover
# one holding the lists lock.
apt_get() {
  local try
  for try in 1 2 3 4 5; do
    if flock -w 1200 /tmp/gitops-seal-apt.lock $SUDO apt-get -o DPkg::Lock::Timeout=600 "$@"; then return 0; fi
    [ "$try" = 5 ] && return 1
    sleep $((try * 10))
  done
}
