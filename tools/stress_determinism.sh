#!/usr/bin/env bash
# The long determinism check: the same seeded generation, run N times by the CLI with P runs at
# a time (so that the machine is loaded and the pool's threads are descheduled at different
# points), must print the same tokens every time; then W runs of the Windows build under wine
# must print those tokens too. The short in-process version is reliability.Determinism.*.
#
#   tools/stress_determinism.sh NATIVE_CLI [N=200] [P=8] [WINE_DIST_DIR W=20]
#
# WINE_DIST_DIR holds maskkv.exe and maskkv.dll (build-mingw/dist); leave it out to skip wine.
# Prints how many runs agreed; exits 1 on the first disagreement, naming both token lists.
set -euo pipefail
cli="${1:?usage: stress_determinism.sh NATIVE_CLI [N] [P] [WINE_DIST_DIR [W]]}"
n="${2:-200}" p="${3:-8}" dist="${4:-}" w="${5:-20}"
root="$(cd "$(dirname "$0")/.." && pwd)"
model="$root/tests/fixtures/models/llada_f32"
args=(--prompt-ids 5,6,7,8,9,10,11,12 --gen-length 32 --steps 16 --block-length 16 --temperature 0.8
  --seed 1234 --policy snapkv --window 4 --budget 6 --threads 4 --json)
tokens() { tr -d '\r' | sed -n 's/.*"tokens":\(\[[^]]*\]\).*/\1/p'; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

want="$("$cli" generate --model "$model" "${args[@]}" | tokens)"
[ -n "$want" ] || { echo "stress_determinism: the reference run printed no tokens" >&2; exit 1; }
echo "stress_determinism: reference $want"

export cli model work
seq 1 "$n" | xargs -P "$p" -I{} bash -c '"$cli" generate --model "$model" "$@" > "$work/run-{}.json"' _ "${args[@]}"
bad=0
for i in $(seq 1 "$n"); do
  got="$(tokens < "$work/run-$i.json")"
  if [ "$got" != "$want" ]; then
    echo "stress_determinism: native run $i: '$got', reference '$want'" >&2
    bad=$((bad + 1))
  fi
done
echo "stress_determinism: $((n - bad)) of $n native runs ($p at a time) gave the reference tokens"
[ "$bad" -eq 0 ] || exit 1

[ -n "$dist" ] || exit 0
if command -v wine >/dev/null; then wine=(wine); else wine=(/usr/lib/wine/wine64); fi
export WINEPREFIX="${MASKKV_WINEPREFIX:-$HOME/.cache/maskkv/wine}" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
unset DISPLAY WAYLAND_DISPLAY
winpath() { printf 'Z:%s' "${1//\//\\}"; }
for i in $(seq 1 "$w"); do
  # Two native runs alongside each wine run keep the machine loaded.
  "$cli" generate --model "$model" "${args[@]}" >/dev/null & "$cli" generate --model "$model" "${args[@]}" >/dev/null &
  got="$(cd "$dist" && "${wine[@]}" ./maskkv.exe generate --model "$(winpath "$model")" "${args[@]}" | tokens)"
  wait
  [ "$got" = "$want" ] || { echo "stress_determinism: wine run $i: '$got', native '$want'" >&2; exit 1; }
done
echo "stress_determinism: $w of $w wine runs gave the native tokens"
