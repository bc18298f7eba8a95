#!/usr/bin/env bash
# Install the system packages Anthology needs (Debian), or say exactly how to.
# WeasyPrint needs Pango and HarfBuzz; CairoSVG (the EPUB's PNG fallbacks of SVG figures) Cairo;
# the book face is EB Garamond, then Noto faces for the
# scripts it lacks (fonts-noto-core: Naskh and Nastaliq, Devanagari, Hebrew, Noto Serif;
# fonts-noto-cjk: Chinese, Japanese, Korean; see src/anthology/fontstack.py) and DejaVu;
# every build reads its PDFs' text back with poppler-utils' pdftotext (the fidelity check);
# EPUBCheck needs Java; the tests inspect PDFs with poppler-utils, qpdf and Ghostscript (ink
# coverage, `gs -sDEVICE=inkcov`), compare the print edition's pixels with a single pass on
# passages in five scripts (Noto faces, CJK's in collections), and drive
# `anthology serve` in headless Chromium, which also runs Ace by DAISY (Node.js; npm installs
# Ace into tools/ace). The CMYK profile ships in the package
# (src/anthology/profiles/, made by scripts/make-cmyk-profile.sh), so no profile package is needed.
set -euo pipefail

packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 libcairo2 fontconfig fonts-ebgaramond fonts-dejavu-core
          fonts-noto-core fonts-noto-cjk poppler-utils qpdf ghostscript chromium)
command -v java >/dev/null 2>&1 || packages+=(default-jre-headless)
# Node.js for Ace by DAISY (1.4.6 needs Node 20 or newer): a machine that has node from another
# source keeps it, and its own npm; otherwise Debian's nodejs and npm.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
  echo "Anthology needs Python 3.11 or newer; this python3 is $(python3 --version 2>&1)." >&2; exit 1; }
python3 -c 'import venv, ensurepip' 2>/dev/null || packages+=(python3-venv)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "Missing system packages: ${missing[*]}" >&2
  echo "Install them with:  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
