#!/usr/bin/env bash
# Make sure a Chromium is available to print PDFs, without downloading a browser build:
#   1. $BRIEFKIT_CHROMIUM, or a chromium / chromium-browser / google-chrome already on PATH;
#   2. as root with apt-get: the Debian package chromium (plus fonts-liberation for the house fonts);
#   3. otherwise: Playwright's managed browser (python -m playwright install chromium);
#   4. otherwise: say how to get one, and fail.
set -euo pipefail
PY=${1:-.venv/bin/python}

have() { command -v "$1" >/dev/null 2>&1; }
found() { echo "chromium: using $1"; exit 0; }

if [ -n "${BRIEFKIT_CHROMIUM:-}" ] && [ -x "$BRIEFKIT_CHROMIUM" ]; then found "$BRIEFKIT_CHROMIUM"; fi
for name in chromium chromium-browser google-chrome google-chrome-stable; do
  if have "$name"; then
    if [ "$(id -u)" = 0 ] && have apt-get && ! fc-list 2>/dev/null | grep -qi "Liberation Sans"; then
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-liberation >/dev/null || true
    fi
    found "$(command -v "$name")"
  fi
done

if [ "$(id -u)" = 0 ] && have apt-get; then
  echo "chromium: installing the Debian package chromium with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium fonts-liberation >/dev/null
  have chromium && found "$(command -v chromium)"
fi

if "$PY" -m playwright install chromium >/dev/null 2>&1; then
  echo "chromium: using Playwright's managed browser"
  exit 0
fi

cat >&2 <<'MSG'
No Chromium found, and none could be installed.
Install one of these, then run make again:
  - Debian/Ubuntu (as root):  apt-get install chromium
  - any system with network:  .venv/bin/python -m playwright install chromium
  - or point BRIEFKIT_CHROMIUM at a Chromium/Chrome binary.
To build HTML only meanwhile:  .venv/bin/python build.py --format html
MSG
exit 1
