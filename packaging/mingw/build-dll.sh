#!/usr/bin/env bash
# Cross-builds the CPU backend of maskkv for 64-bit Windows with mingw-w64:
#   maskkv.dll (self-contained: GCC runtime, libstdc++, winpthreads, OpenBLAS, PCRE2 and
#   SentencePiece linked in; it needs only KERNEL32 and msvcrt), its import libraries
#   maskkv.dll.a (MinGW) and maskkv.lib + maskkv.def (MSVC), maskkv.exe (the CLI),
#   example_c_generate.exe and include/maskkv.h, all in BUILD_DIR/dist.
#
#   build-dll.sh SOURCE_DIR BUILD_DIR DEPS_PREFIX
#
# DEPS_PREFIX is built first if needed (build-deps.sh). POSIX calls of the engine that
# mingw-w64 lacks come from compat/ (force-included; see compat/maskkv_mingw_compat.h).
set -euo pipefail
src="$(cd "${1:?usage: build-dll.sh SOURCE_DIR BUILD_DIR DEPS_PREFIX}" && pwd)"
build="${2:?BUILD_DIR}"
deps="${3:?DEPS_PREFIX}"
here="$(cd "$(dirname "$0")" && pwd)"
jobs="${MASKKV_MINGW_JOBS:-2}"
t0=$(date +%s)

bash "$here/build-deps.sh" "$deps"
echo "build-dll: dependencies ready ($(($(date +%s) - t0)) s)"

# A build directory configured from another checkout cannot be reused.
if [ -f "$build/CMakeCache.txt" ] && ! grep -qxF "CMAKE_HOME_DIRECTORY:INTERNAL=$src" "$build/CMakeCache.txt"; then
  rm -rf "$build"
fi
mkdir -p "$build"
compat="$here/compat"
# -muse-unaligned-vector-move: GCC cannot align the Windows stack to 32 bytes, so AVX spills
# must not use aligned moves (GCC bug 54412). _FILE_OFFSET_BITS=64: 64-bit st_size in fstat.
flags="-Wa,-muse-unaligned-vector-move -I$compat -include $compat/maskkv_mingw_compat.h -D_FILE_OFFSET_BITS=64"
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  # Cache hits across checkouts at different paths (CI clones afresh).
  export CCACHE_BASEDIR="$src"
fi
cmake -S "$src" -B "$build" -G Ninja \
  -DCMAKE_TOOLCHAIN_FILE="$here/toolchain-x86_64-w64-mingw32.cmake" \
  -DCMAKE_PROJECT_INCLUDE="$here/project-include.cmake" \
  -DMASKKV_MINGW_DEPS="$deps" -DCMAKE_BUILD_TYPE=Release \
  -DMASKKV_BUILD_TESTS=OFF -DMASKKV_BUILD_BENCH=OFF -DMASKKV_BINDINGS=OFF -DMASKKV_PACKAGING=OFF \
  -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
  -DCMAKE_SHARED_LINKER_FLAGS="-static -s -Wl,--output-def,$build/maskkv.def" \
  -DCMAKE_EXE_LINKER_FLAGS="-static -s" \
  "${launcher[@]}" >"$build/configure.log" 2>&1 || { cat "$build/configure.log" >&2; exit 1; }
cmake --build "$build" -j"$jobs" --target maskkv maskkv_cli example_c_generate
echo "build-dll: built ($(($(date +%s) - t0)) s)"

dist="$build/dist"
rm -rf "$dist"
mkdir -p "$dist/include"
cp "$build/lib/maskkv.dll" "$build/lib/maskkv.dll.a" "$build/maskkv.def" "$dist/"
cp "$build/maskkv.exe" "$build/examples/example_c_generate.exe" "$dist/"
cp "$src/include/maskkv.h" "$dist/include/"
x86_64-w64-mingw32-dlltool -d "$dist/maskkv.def" -D maskkv.dll -l "$dist/maskkv.lib"

# Self-contained: only system DLLs besides maskkv.dll itself.
imports="$(x86_64-w64-mingw32-objdump -p "$dist/maskkv.dll" | sed -n 's/^\s*DLL Name: //p' | sort -u | tr '\n' ' ')"
echo "build-dll: maskkv.dll imports: $imports"
for d in $imports; do
  case "$(tr '[:upper:]' '[:lower:]' <<<"$d")" in
    kernel32.dll | msvcrt.dll | advapi32.dll | user32.dll | api-ms-win-*) ;;
    *) echo "build-dll: maskkv.dll depends on $d, which Windows does not ship" >&2; exit 1 ;;
  esac
done
# Exports: exactly the C ABI.
exports="$(x86_64-w64-mingw32-objdump -p "$dist/maskkv.dll" |
  sed -n '/\[Ordinal\/Name Pointer\] Table/,/^$/p' | sed -n 's/^[[:space:]]*\[ *[0-9]*\] //p' | sort)"
bad="$(grep -v '^maskkv_' <<<"$exports" || true)"
if [ -n "$bad" ]; then
  echo "build-dll: maskkv.dll exports non-maskkv symbols: $bad" >&2
  exit 1
fi
echo "build-dll: maskkv.dll exports $(wc -l <<<"$exports") maskkv_* functions"
ls -l "$dist"
