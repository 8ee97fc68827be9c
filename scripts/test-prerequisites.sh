#!/usr/bin/env bash
# Installs what the test suite needs from Debian's packages when it is missing: redis-server
# (the tests start their own instance on a free port) and node (runs the launch post's fetch
# example) and chromium (the dashboard tests drive Debian's /usr/bin/chromium with Playwright;
# nothing downloads a browser build of its own) and npm (fetches axe-core, below). Needs root for
# apt-get; elsewhere it says what to install.
#
# Then axe-core, pinned, into .cache/axe (not committed): the Chromium tests inject its
# axe.min.js into every dashboard page and fail on any WCAG 2.1 A/AA violation
# (tests/dashboard/axe.py). Nothing is loaded from a CDN.
set -euo pipefail

AXE_VERSION=4.14.1
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
AXE_DIR="$ROOT/.cache/axe"
AXE_FILE="$AXE_DIR/node_modules/axe-core/axe.min.js"

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -f "$AXE_FILE" ] || command -v npm >/dev/null 2>&1 || missing+=(npm)

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

# The installed version is checked too: a cache left by an older pin is replaced.
if ! grep -qs "\"version\": \"$AXE_VERSION\"" "$AXE_DIR/node_modules/axe-core/package.json" || [ ! -f "$AXE_FILE" ]; then
  echo "installing axe-core $AXE_VERSION into .cache/axe for the accessibility tests"
  mkdir -p "$AXE_DIR"
  npm install --silent --no-save --no-audit --no-fund --prefix "$AXE_DIR" "axe-core@$AXE_VERSION" >/dev/null
fi
