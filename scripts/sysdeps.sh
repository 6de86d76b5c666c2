#!/usr/bin/env bash
# Install the system tools the test suite uses, when this machine lets us (root + apt).
# Never fails the build: a tool that cannot be installed makes its tests skip with the reason.
set -u
want=()
command -v bwrap >/dev/null 2>&1 || want+=(bubblewrap)
command -v chromium >/dev/null 2>&1 || want+=(chromium)
[ ${#want[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "sysdeps: not root or no apt-get; missing: ${want[*]} (tests that need them will skip)"
  exit 0
fi
echo "sysdeps: installing ${want[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1 || true
for pkg in "${want[@]}"; do
  apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null 2>&1 \
    || echo "sysdeps: could not install $pkg (tests that need it will skip)"
done
exit 0
