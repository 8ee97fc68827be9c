#!/usr/bin/env bash
# Installs what the test suite needs from Debian's packages when it is missing: redis-server
# (the tests start their own instance on a free port) and node (runs the launch post's fetch
# example) and chromium (the dashboard tests drive Debian's /usr/bin/chromium with Playwright;
# nothing downloads a browser build of its own). Needs root for apt-get; elsewhere it says what
# to install.
set -euo pipefail

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
[ -x /usr/bin/chromium ] || missing+=(chromium)

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${missing[*]} for the test suite"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "The test suite needs: ${missing[*]} (install them, e.g. with apt-get)" >&2
    exit 1
  fi
fi
