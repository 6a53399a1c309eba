#!/usr/bin/env bash
# Builds the .deb set with CPack, unpacks every package into a root in a temporary directory
# (dpkg-deb -x, no maintainer scripts), then uses the unpacked files as a user would:
#   - compiles examples/c/generate.c against the installed library through pkg-config, and
#     through find_package(maskkv) in a small CMake project, and runs both;
#   - runs the installed CLI, Python module and Java jar;
#   - checks what Debian asks of every package (lintian with no errors; copyright and changelog
#     in /usr/share/doc/<package>; libraries in /usr/lib/<multiarch>; the man page; a plain
#     pkg-config file).
# Each response must equal the native build's C example on the same model and prompt. Prints
# the packages with their sizes and dependencies.
#
#   install-test.sh BUILD_DIR SOURCE_DIR NATIVE_C_EXAMPLE
set -euo pipefail
build="$(cd "$1" && pwd)" src="$(cd "$2" && pwd)" native="$3"
model="$src/tests/fixtures/models/llada_f32"
ids=(1 2 3)
work="$(mktemp -d "${TMPDIR:-/tmp}/maskkv-install-test.XXXXXX")"
trap 'rm -rf "$work"' EXIT
t0=$(date +%s)

# --- 1. packages --------------------------------------------------------------------------------
rm -rf "$build/packages"
(cd "$build" && cpack -G DEB --config CPackConfig.cmake >"$work/cpack.log" 2>&1) ||
  { cat "$work/cpack.log" >&2; echo "install-test: cpack failed" >&2; exit 1; }
mapfile -t debs < <(ls "$build"/packages/*.deb)
[ ${#debs[@]} -ge 2 ] || { echo "install-test: cpack made ${#debs[@]} packages" >&2; exit 1; }
echo "install-test: cpack made ${#debs[@]} packages in $(($(date +%s) - t0)) s"
root="$work/root"
mkdir -p "$root"
for d in "${debs[@]}"; do
  dpkg-deb -x "$d" "$root"
  printf '  %-48s %8s bytes  Depends: %s\n' "$(basename "$d")" "$(stat -c %s "$d")" \
    "$(dpkg-deb -f "$d" Depends)"
done

# --- 1b. what Debian asks of a package ----------------------------------------------------------
command -v lintian >/dev/null || { echo "install-test: lintian not found (apt-get install lintian)" >&2; exit 1; }
lintian --fail-on error --suppress-tags initial-upload-closes-no-bugs "${debs[@]}" 2>&1 |
  grep -v 'running with root privileges' || true
lintian --fail-on error "${debs[@]}" >/dev/null 2>&1 || { echo "install-test: lintian reports errors" >&2; exit 1; }
for d in "${debs[@]}"; do
  pkg="$(dpkg-deb -f "$d" Package)"
  contents="$(dpkg-deb -c "$d")"
  for f in copyright changelog.Debian.gz; do
    grep -q "\./usr/share/doc/$pkg/$f\$" <<<"$contents" || { echo "install-test: $pkg lacks /usr/share/doc/$pkg/$f" >&2; exit 1; }
  done
  for field in Maintainer Homepage; do
    v="$(dpkg-deb -f "$d" "$field")"
    [[ -n "$v" && "$v" != *example.invalid* ]] || { echo "install-test: $pkg: $field is '$v'" >&2; exit 1; }
  done
done
multiarch="$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)"
[ -e "$root/usr/lib/$multiarch/libmaskkv.so.0" ] || { echo "install-test: libmaskkv.so.0 is not in /usr/lib/$multiarch" >&2; exit 1; }
[ ! -e "$root/usr/bin/maskkv" ] || [ -e "$root/usr/share/man/man1/maskkv.1.gz" ] || { echo "install-test: no man page for maskkv" >&2; exit 1; }
if ls "$build"/packages/libmaskkv-java_*.deb >/dev/null 2>&1; then
  [ -e "$root/usr/share/doc/libmaskkv-java/maskkv-javadoc.jar" ] || { echo "install-test: no javadoc jar" >&2; exit 1; }
fi
grep -qx 'prefix=/usr' "$root/usr/lib/$multiarch/pkgconfig/maskkv.pc" ||
  { echo "install-test: maskkv.pc: $(head -1 "$root/usr/lib/$multiarch/pkgconfig/maskkv.pc")" >&2; exit 1; }
echo "install-test: lintian clean of errors; copyright, changelog, multiarch, man page, javadoc and pkg-config checked"

usr="$root/usr"
libdir="$(dirname "$(find "$usr" -name 'libmaskkv.so.*.*' | head -1)")"
[ -n "$libdir" ] || { echo "install-test: no libmaskkv.so in the packages" >&2; exit 1; }
for f in "$usr/include/maskkv.h" "$libdir/libmaskkv.so" "$libdir/pkgconfig/maskkv.pc" \
         "$libdir/cmake/maskkv/maskkvConfig.cmake" "$usr/bin/maskkv"; do
  [ -e "$f" ] || { echo "install-test: missing ${f#"$root"}" >&2; exit 1; }
done
export LD_LIBRARY_PATH="$libdir"

want="$("$native" "$model" "${ids[@]}" | grep '^response:')"
same() { # WHAT OUTPUT
  local got
  got="$(grep '^response:' <<<"$2" || true)"
  [ "$got" = "$want" ] || { echo "install-test: $1: '$got', native C example '$want'" >&2; exit 1; }
  echo "install-test: $1: $got"
}

# --- 2. C through pkg-config --------------------------------------------------------------------
# The unpacked root stands for /: pkg-config maps the file's /usr paths into it.
flags="$(PKG_CONFIG_PATH="" PKG_CONFIG_LIBDIR="$libdir/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$root" pkg-config --cflags --libs maskkv)"
# shellcheck disable=SC2086
cc -O2 -Wall -Werror "$src/examples/c/generate.c" $flags -o "$work/generate-pc"
same "pkg-config build (${flags})" "$("$work/generate-pc" "$model" "${ids[@]}")"

# --- 3. C through find_package(maskkv) ----------------------------------------------------------
mkdir -p "$work/consumer"
cat >"$work/consumer/CMakeLists.txt" <<EOF
cmake_minimum_required(VERSION 3.16)
project(maskkv_consumer C)
find_package(maskkv 0.1 REQUIRED)
add_executable(generate "$src/examples/c/generate.c")
target_link_libraries(generate PRIVATE maskkv::maskkv)
EOF
cmake -S "$work/consumer" -B "$work/consumer/build" -G Ninja -DCMAKE_PREFIX_PATH="$usr" \
  -DCMAKE_BUILD_TYPE=Release >"$work/consumer.log" 2>&1 && cmake --build "$work/consumer/build" >>"$work/consumer.log" 2>&1 ||
  { cat "$work/consumer.log" >&2; echo "install-test: find_package(maskkv) build failed" >&2; exit 1; }
grep -q "maskkv_DIR:PATH=$libdir/cmake/maskkv" "$work/consumer/build/CMakeCache.txt" ||
  { echo "install-test: find_package found another maskkv: $(grep maskkv_DIR "$work/consumer/build/CMakeCache.txt")" >&2; exit 1; }
same "find_package(maskkv) build" "$("$work/consumer/build/generate" "$model" "${ids[@]}")"

# --- 4. the CLI (maskkv-tools) ------------------------------------------------------------------
out="$("$usr/bin/maskkv" generate --model "$model" --prompt-ids 1,2,3 --gen-length 16 --steps 16 \
  --block-length 8 --json)"
tokens="$(sed -n 's/.*"tokens":\[\([^]]*\)\].*/\1/p' <<<"$out" | tr ',' ' ')"
same "installed CLI" "response: $tokens"

# --- 5. Python (python3-maskkv) -----------------------------------------------------------------
py="$(find "$usr/lib" -path '*dist-packages/maskkv/__init__.py' | head -1)"
if [ -n "$py" ]; then
  same "installed Python module" "$(PYTHONPATH="$(dirname "$(dirname "$py")")" /usr/bin/python3 \
    "$src/examples/python/generate.py" "$model" "${ids[@]}")"
fi

# --- 6. Java (libmaskkv-java) -------------------------------------------------------------------
jar="$usr/share/java/maskkv.jar"
if [ -f "$jar" ]; then
  jni="$(dirname "$(find "$usr/lib" -name 'libmaskkv_jni.so' | head -1)")"
  same "installed jar" "$(java -Djava.library.path="$jni" -cp "$jar" "$src/examples/java/Generate.java" \
    "$model" "${ids[@]}")"
fi

echo "install-test: passed in $(($(date +%s) - t0)) s"
