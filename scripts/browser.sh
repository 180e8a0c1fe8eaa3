#!/usr/bin/env bash
# Browser tests drive Debian's Chromium (Playwright never downloads a browser here).
# Installs it, with a font that has Arabic glyphs, when missing and running as root.
set -euo pipefail
if command -v chromium >/dev/null && fc-list 2>/dev/null | grep -qi dejavu; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "browser.sh: chromium and fonts-dejavu-core are needed for the browser tests: install them" >&2
  exit 1
fi
DEBIAN_FRONTEND=noninteractive apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
echo "browser.sh: chromium installed"
