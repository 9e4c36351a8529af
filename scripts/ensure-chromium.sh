#!/usr/bin/env bash
# Make sure a Chromium is available to print PDFs, without downloading a browser build:
#   1. $BRIEFKIT_CHROMIUM;
#   2. as root with apt-get: Debian's chromium-headless-shell (or, where there is no such
#      package, chromium) plus fonts-liberation for the house fonts, unless already there;
#   3. a chromium-headless-shell / chromium / chromium-browser / google-chrome on PATH;
#   4. otherwise: Playwright's managed browser (python -m playwright install chromium);
#   5. otherwise: say how to get one, and fail.
# The headless shell is what Playwright itself launches for headless work: the same engine and
# PDF printer as the full browser, for about two thirds of the CPU (bench/README.md).
set -euo pipefail
PY=${1:-.venv/bin/python}

have() { command -v "$1" >/dev/null 2>&1; }
found() { echo "chromium: using $1"; exit 0; }
updated=
apt_install() {
  # Fresh package lists before the first install: a browser is security-sensitive, and the
  # lists a machine starts with can predate the security repository's Chromium (seen: 150 from
  # bookworm installed where bookworm-security had 156). Offline, the lists there are used.
  if [ -z "$updated" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 || true
    updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if [ -n "${BRIEFKIT_CHROMIUM:-}" ] && [ -x "$BRIEFKIT_CHROMIUM" ]; then found "$BRIEFKIT_CHROMIUM"; fi

if [ "$(id -u)" = 0 ] && have apt-get; then
  if ! fc-list 2>/dev/null | grep -qi "Liberation Sans"; then
    apt_install fonts-liberation || echo "chromium: could not install fonts-liberation; PDFs use fallback fonts" >&2
  fi
  if ! have chromium-headless-shell; then
    echo "chromium: installing the Debian package chromium-headless-shell with apt-get"
    if ! apt_install chromium-headless-shell && ! have chromium; then
      echo "chromium: no chromium-headless-shell package here; installing chromium instead"
      apt_install chromium || true
    fi
  fi
fi

for name in chromium-headless-shell chromium chromium-browser google-chrome google-chrome-stable; do
  if have "$name"; then found "$(command -v "$name")"; fi
done

if "$PY" -m playwright install chromium >/dev/null 2>&1; then
  echo "chromium: using Playwright's managed browser"
  exit 0
fi

cat >&2 <<'MSG'
No Chromium found, and none could be installed.
Install one of these, then run make again:
  - Debian/Ubuntu (as root):  apt-get install chromium-headless-shell   (or chromium)
  - any system with network:  .venv/bin/python -m playwright install chromium
  - or point BRIEFKIT_CHROMIUM at a Chromium/Chrome binary.
To build HTML only meanwhile:  .venv/bin/python build.py --format html
MSG
exit 1
