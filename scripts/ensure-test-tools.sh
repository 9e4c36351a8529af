#!/usr/bin/env bash
# The test suite reads PDFs the way a reader's tools do, with poppler's pdftotext and pdfinfo
# (Debian package poppler-utils). As root with apt-get it is installed; otherwise say how.
set -euo pipefail
have() { command -v "$1" >/dev/null 2>&1; }
if have pdftotext && have pdfinfo; then exit 0; fi
if [ "$(id -u)" = 0 ] && have apt-get; then
  echo "tests: installing the Debian package poppler-utils with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq poppler-utils >/dev/null
  have pdftotext && have pdfinfo && exit 0
fi
echo "The tests need pdftotext and pdfinfo: install the Debian package poppler-utils (apt-get install poppler-utils), or poppler from conda-forge." >&2
exit 1
