#!/usr/bin/env bash
# Installs the build tools that are missing (Debian/Ubuntu, as root): emscripten, g++, make; with --browser
# also Chromium (the browser suites drive Debian's chromium through playwright-core).
set -euo pipefail
missing=()
command -v emcc >/dev/null 2>&1 || missing+=(emscripten)
command -v g++ >/dev/null 2>&1 || missing+=(g++)
command -v make >/dev/null 2>&1 || missing+=(make)
if [ "${1:-}" = "--browser" ] && [ ! -x /usr/bin/chromium ]; then missing+=(chromium); fi
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "isotensor: missing ${missing[*]} and no apt-get here; install them and run make again" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "isotensor: installing ${missing[*]} with apt-get"
# Another apt run (e.g. unattended upgrades) holds the lock: wait for it instead of failing.
for _ in $(seq 1 120); do
  if ! pgrep -x apt-get >/dev/null 2>&1 && ! pgrep -x apt >/dev/null 2>&1 && ! pgrep -x dpkg >/dev/null 2>&1; then break; fi
  sleep 5
done
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
# Chromium's recommended packages (fonts among them) are what its headless pages render with.
if [[ " ${missing[*]} " == *" chromium "* ]]; then
  $SUDO apt-get install -y "${missing[@]}"
else
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi
