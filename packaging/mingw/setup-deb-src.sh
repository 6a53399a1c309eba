#!/usr/bin/env bash
# Set-up step (root) for the Windows cross-build: lets `apt-get source` fetch the Debian source
# packages that build-deps.sh cross-compiles, by adding deb-src entries for the suites the
# machine already uses (/etc/apt/sources.list.d/maskkv-deb-src.sources), then apt-get update.
# Safe to rerun; does nothing when source entries are already there.
set -euo pipefail
has_sources() { [ -n "$(apt-cache showsrc pcre2 2>/dev/null | sed -n 's/^Version: //p')" ]; }
if has_sources; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "setup-deb-src: run as root to add deb-src entries (needed by packaging/mingw/build-deps.sh)" >&2
  exit 1
fi
out=/etc/apt/sources.list.d/maskkv-deb-src.sources
src=/etc/apt/sources.list.d/debian.sources
if [ -f "$src" ]; then
  # deb822: copy each stanza of Types: deb as Types: deb-src.
  awk 'BEGIN{RS="";ORS="\n\n"} /(^|\n)Types:[ \t]*deb([ \t]|\n|$)/ {sub(/Types:[^\n]*/,"Types: deb-src"); print}' "$src" >"$out"
elif [ -f /etc/apt/sources.list ]; then
  { echo "# deb-src twins of /etc/apt/sources.list, for maskkv's Windows cross-build"
    grep -E '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /'; } >/etc/apt/sources.list.d/maskkv-deb-src.list
else
  echo "setup-deb-src: no apt sources found to mirror" >&2
  exit 1
fi
apt-get update -qq
has_sources || { echo "setup-deb-src: still no source packages" >&2; exit 1; }
echo "setup-deb-src: deb-src entries added"
