#!/usr/bin/env bash
# Tests the Windows build under wine: compiles examples/c/generate.c against dist/ (maskkv.h +
# the maskkv.dll.a import library) as a user would, runs it and dist/maskkv.exe (the CLI) under
# wine on the fixture checkpoints, and requires the same tokens as the native Linux build.
#
#   test-dll.sh SOURCE_DIR DIST_DIR WORK_DIR NATIVE_C_EXAMPLE NATIVE_CLI
set -euo pipefail
abs() { (cd "$(dirname "$1")" && printf '%s/%s' "$(pwd)" "$(basename "$1")"); }
mkdir -p "$3"
src="$(abs "$1")" dist="$(abs "$2")" work="$(abs "$3")" native_example="$(abs "$4")" native_cli="$(abs "$5")"
fixtures="$src/tests/fixtures/models"

if command -v wine >/dev/null; then wine=(wine)
elif [ -x /usr/lib/wine/wine64 ]; then wine=(/usr/lib/wine/wine64)
else echo "test-dll: wine not found (apt-get install wine wine64)" >&2; exit 1; fi
# The wine prefix (~700 MB once initialised) is shared by all build directories of the machine.
export WINEPREFIX="${MASKKV_WINEPREFIX:-$HOME/.cache/maskkv/wine}" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
mkdir -p "$(dirname "$WINEPREFIX")"
unset DISPLAY WAYLAND_DISPLAY
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  t=$(date +%s)
  "${wine[@]}" wineboot --init >"$work/wineboot.log" 2>&1 || { cat "$work/wineboot.log" >&2; exit 1; }
  echo "test-dll: wine prefix created in $(($(date +%s) - t)) s"
fi
winpath() { printf 'Z:%s' "${1//\//\\}"; }

# 1. The C example, compiled against the DLL's header and import library.
x86_64-w64-mingw32-gcc-posix -O2 -Wall -Werror -I"$dist/include" "$src/examples/c/generate.c" \
  -L"$dist" -lmaskkv -o "$work/generate.exe"
cp "$dist/maskkv.dll" "$work/"
for ids in "1 2 3" "313 271 183 105 114 29 180 136"; do
  # shellcheck disable=SC2086
  want="$("$native_example" "$fixtures/llada_f32" $ids | grep '^response:')"
  # shellcheck disable=SC2086
  got="$(cd "$work" && "${wine[@]}" ./generate.exe "$(winpath "$fixtures/llada_f32")" $ids | tr -d '\r' | grep '^response:')"
  [ "$got" = "$want" ] || { echo "test-dll: llada_f32 [$ids]: wine '$got', native '$want'" >&2; exit 1; }
  echo "test-dll: C example under wine: $got (same as native)"
done

# 2. The CLI on F32, BF16 and sharded checkpoints, LLaDA and Dream.
cp "$dist/maskkv.exe" "$work/"
for case in "llada_f32 8" "llada_bf16 8" "llada_sharded_bf16 8" "dream_bf16 16" "dream_f32 16"; do
  set -- $case
  args=(--prompt-ids 5,6,7,8 --gen-length 16 --steps 8 --block-length "$2" --json)
  tokens() { sed -n 's/.*"tokens":\(\[[^]]*\]\).*/\1/p'; }
  want="$("$native_cli" generate --model "$fixtures/$1" "${args[@]}" | tokens)"
  got="$(cd "$work" && "${wine[@]}" ./maskkv.exe generate --model "$(winpath "$fixtures/$1")" "${args[@]}" |
    tr -d '\r' | tokens)"
  [ -n "$want" ] && [ "$got" = "$want" ] || { echo "test-dll: $1: wine '$got', native '$want'" >&2; exit 1; }
  echo "test-dll: maskkv.exe generate $1: $got (same as native)"
done

# 3. Errors cross the DLL boundary as statuses with messages.
set +e
msg="$(cd "$work" && "${wine[@]}" ./generate.exe "$(winpath "$fixtures/no_such_model")" 2>&1 | tr -d '\r')"
rc=$?
set -e
grep -q "MASKKV_ERR_IO" <<<"$msg" || { echo "test-dll: missing model: rc=$rc, output: $msg" >&2; exit 1; }
echo "test-dll: a missing model fails with MASKKV_ERR_IO under wine"
