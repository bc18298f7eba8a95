#!/usr/bin/env bash
# Remake the print editions' CMYK profile, src/anthology/profiles/FOGRA39L-coated.icc, from
# Fogra's FOGRA39L characterization data as Debian's icc-profiles-free packages it (Zlib
# licence), with ArgyllCMS's colprof. The profile is committed; builds never run this. It is
# here so that anyone can see, check and repeat how the shipped file was made.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v colprof >/dev/null 2>&1 || need+=(argyll)
[ -r /usr/share/color/icc/FOGRA39L.ti3 ] || need+=(icc-profiles-free)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "Install first:  sudo apt-get install -y ${need[*]}" >&2; exit 1
  fi
fi
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cp /usr/share/color/icc/FOGRA39L.ti3 "$work/"
# -qm: medium quality tables; -kr: ramp black generation; -l300 -L95: FOGRA39's 300 % total
# area coverage and 95 % black.
(cd "$work" && colprof -qm -kr -l300 -L95 -D "Coated FOGRA39 (ISO 12647-2:2004)" \
  -C "Zlib licence; made by Anthology from the FOGRA39L characterization data (Fogra) as packaged by Kai-Uwe Behrmann" \
  FOGRA39L)
cp "$work/FOGRA39L.icc" src/anthology/profiles/FOGRA39L-coated.icc
echo "wrote src/anthology/profiles/FOGRA39L-coated.icc"
