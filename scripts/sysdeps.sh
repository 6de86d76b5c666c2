#!/usr/bin/env bash
# Install system tools when this machine lets us (root + apt): bubblewrap (sealed sandbox) and Chromium
# (report screenshot) for `make test`; `scripts/sysdeps.sh bubblewrap` installs only what is named
# (`make demo` asks for bubblewrap alone). Never fails the build: a tool that cannot be installed makes
# its tests skip, or the demo skip its step, each saying why.
set -u
declare -A command_of=([bubblewrap]=bwrap [chromium]=chromium)
packages=("$@")
[ ${#packages[@]} -eq 0 ] && packages=(bubblewrap chromium)
want=()
for pkg in "${packages[@]}"; do
  command -v "${command_of[$pkg]:-$pkg}" >/dev/null 2>&1 || want+=("$pkg")
done
[ ${#want[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "sysdeps: not root or no apt-get; missing: ${want[*]} (what needs them will skip, saying why)"
  exit 0
fi
echo "sysdeps: installing ${want[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1 || true
for pkg in "${want[@]}"; do
  apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null 2>&1 \
    || echo "sysdeps: could not install $pkg (what needs it will skip, saying why)"
done
exit 0
