#!/usr/bin/env bash
# Cross-builds maskkv's dependencies for 64-bit Windows with Debian's mingw-w64, from Debian's
# own source packages (`apt-get source`: needs deb-src entries, see setup-deb-src.sh):
#   OpenBLAS  0.3.x  make, TARGET=HASWELL (matches -march=x86-64-v3), single precision only,
#                    CBLAS only, no LAPACK/Fortran, single-threaded (maskkv has its own pool) but
#                    locked, since that pool calls it from several threads at once
#   PCRE2     10.x   CMake, static, JIT on
#   SentencePiece    CMake, static, its bundled protobuf-lite
#   nlohmann-json    header-only: copied from the host's nlohmann-json3-dev
# Debian has none of these for mingw (it ships only zlib and the GnuPG libraries).
#
#   build-deps.sh PREFIX
#
# Idempotent: a stamp in PREFIX records the source versions, the toolchain file's hash and a
# recipe number (bump it below when the build steps change), and a
# complete PREFIX is reused as is (tests point PREFIX at ~/.cache so that a fresh clone on the
# same machine does not rebuild). Cold: 4 to 10 minutes on 2 shared cores, most of it OpenBLAS.
set -euo pipefail
prefix="${1:?usage: build-deps.sh PREFIX}"
here="$(cd "$(dirname "$0")" && pwd)"
toolchain="$here/toolchain-x86_64-w64-mingw32.cmake"
jobs="${MASKKV_MINGW_JOBS:-2}"
triple=x86_64-w64-mingw32

need() { command -v "$1" >/dev/null || { echo "build-deps: $1 not found ($2)" >&2; exit 1; }; }
need ${triple}-gcc-posix "apt-get install mingw-w64"
need cmake "apt-get install cmake"
need ninja "apt-get install ninja-build"
need make "apt-get install make"
need apt-get "a Debian system"

versions() {
  for p in openblas pcre2 sentencepiece; do
    apt-cache showsrc "$p" 2>/dev/null | awk -v p="$p" '$1=="Version:"{v=v" "$2} END{if (v != "") print p"="v}'
  done
  dpkg-query -W -f='nlohmann-json3-dev=${Version}\n' nlohmann-json3-dev 2>/dev/null || true
  # Bump when the way the dependencies are built changes (a cached prefix is then rebuilt).
  echo "recipe=2"
  sha256sum "$toolchain" | cut -d' ' -f1
}
want="$(versions)"
if ! grep -q "^pcre2=" <<<"$want" && [ "$(id -u)" = 0 ]; then
  # tools/setup.sh normally does this; as root, do it here rather than fail.
  bash "$here/setup-deb-src.sh"
  want="$(versions)"
fi
if ! grep -q "^openblas=" <<<"$want" || ! grep -q "^pcre2=" <<<"$want" || ! grep -q "^sentencepiece=" <<<"$want"; then
  echo "build-deps: apt-cache knows no source packages for openblas/pcre2/sentencepiece;" >&2
  echo "  add deb-src entries first: sudo bash packaging/mingw/setup-deb-src.sh" >&2
  exit 1
fi
if [ -f "$prefix/.maskkv-deps-stamp" ] && [ "$(cat "$prefix/.maskkv-deps-stamp")" = "$want" ]; then
  echo "build-deps: $prefix is up to date"
  exit 0
fi

rm -rf "$prefix"
mkdir -p "$prefix"
work="$(mktemp -d "${TMPDIR:-/tmp}/maskkv-mingw-deps.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cd "$work"
t0=$(date +%s)
echo "build-deps: fetching Debian sources"
# Newest version first; fall back to older ones when a mirror lacks a pool file (the security
# archive's deb-src index can list sources it does not serve).
for p in openblas pcre2 sentencepiece; do
  ok=
  for v in $(apt-cache showsrc "$p" 2>/dev/null | awk '$1=="Version:"{print $2}' | sort -Vr | uniq); do
    if apt-get source --download-only "$p=$v" >>apt.log 2>&1; then ok=1; break; fi
  done
  [ -n "$ok" ] || { cat apt.log >&2; echo "build-deps: cannot fetch the source of $p" >&2; exit 1; }
done
for f in openblas_*.orig.tar.* pcre2_*.orig.tar.* sentencepiece_*.orig.tar.*; do tar xf "$f"; done

log() { echo "build-deps: $1 ($(($(date +%s) - t0)) s)"; }

# -- PCRE2 ------------------------------------------------------------------------------------
src=$(echo pcre2-*/)
cmake -S "$src" -B b-pcre2 -G Ninja -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_INSTALL_PREFIX="$prefix" -DBUILD_SHARED_LIBS=OFF -DPCRE2_BUILD_PCRE2GREP=OFF \
  -DPCRE2_BUILD_TESTS=OFF -DPCRE2_SUPPORT_JIT=ON -DPCRE2_SUPPORT_UNICODE=ON >b-pcre2.log
cmake --build b-pcre2 -j"$jobs" >>b-pcre2.log
cmake --install b-pcre2 >>b-pcre2.log
# A static PCRE2 must be compiled against with PCRE2_STATIC (else the header says dllimport).
sed -i 's|^Cflags: \(.*\)$|Cflags: \1 -DPCRE2_STATIC|' "$prefix/lib/pkgconfig/libpcre2-8.pc"
log "PCRE2 done"

# -- SentencePiece ----------------------------------------------------------------------------
src=$(echo sentencepiece-*/)
cmake -S "$src" -B b-spm -G Ninja -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_INSTALL_PREFIX="$prefix" -DSPM_ENABLE_SHARED=OFF -DSPM_ENABLE_TCMALLOC=OFF \
  -DSPM_BUILD_TEST=OFF >b-spm.log
cmake --build b-spm -j"$jobs" --target sentencepiece-static >>b-spm.log
# Install only the library, its header and its pkg-config file (not the spm_* programs).
mkdir -p "$prefix/lib/pkgconfig" "$prefix/include"
cp b-spm/src/libsentencepiece.a "$prefix/lib/"
cp "$src/src/sentencepiece_processor.h" "$prefix/include/"
cat >"$prefix/lib/pkgconfig/sentencepiece.pc" <<EOF
prefix=$prefix
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: sentencepiece
Description: SentencePiece (static, cross-built for Windows)
Version: $(sed -n 's/^sentencepiece=\([^-]*\).*/\1/p' <<<"$want")
Libs: -L\${libdir} -lsentencepiece
Cflags: -I\${includedir}
EOF
log "SentencePiece done"

# -- OpenBLAS ---------------------------------------------------------------------------------
src=$(echo OpenBLAS-*/)
# USE_LOCKING=1: maskkv's pool calls sgemm from several threads at once. A USE_THREAD=0 build
# without it shares its work buffers between concurrent calls unlocked, so results depended on
# thread timing (different tokens from the same seed in about 1 run in 4 under load).
oblas=(CC=${triple}-gcc-posix HOSTCC=gcc AR=${triple}-ar RANLIB=${triple}-ranlib CROSS=1
  TARGET=HASWELL DYNAMIC_ARCH=0 BINARY=64 NOFORTRAN=1 NO_LAPACK=1 ONLY_CBLAS=1 BUILD_SINGLE=1
  NO_SHARED=1 USE_THREAD=0 USE_LOCKING=1 NUM_THREADS=64 PREFIX="$prefix")
make -C "$src" -j"$jobs" "${oblas[@]}" libs >b-openblas.log 2>&1 || { tail -30 b-openblas.log >&2; exit 1; }
make -C "$src" "${oblas[@]}" install >>b-openblas.log 2>&1 || { tail -30 b-openblas.log >&2; exit 1; }
log "OpenBLAS done"

# -- nlohmann-json (header-only, relocatable CMake package) -----------------------------------
[ -d /usr/include/nlohmann ] || { echo "build-deps: apt-get install nlohmann-json3-dev" >&2; exit 1; }
cp -r /usr/include/nlohmann "$prefix/include/"
mkdir -p "$prefix/share/cmake"
cp -r /usr/share/cmake/nlohmann_json "$prefix/share/cmake/"

printf '%s\n' "$want" >"$prefix/.maskkv-deps-stamp"
log "all dependencies in $prefix"
