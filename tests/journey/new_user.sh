#!/usr/bin/env bash
# A new user's first hour with maskkv, as a script: the .deb packages checked by lintian,
# installed with dpkg (into a private root, so that the machine's own /usr is left alone), then
# used the way README.md and docs/prompts-and-chat.md show: the CLI (help, man page, chat, a
# long prompt from a file and from stdin, tokenize on plain text), a C program built through
# pkg-config and through find_package(maskkv), Python, Rust and Java; finally the packages are
# purged and nothing of them may remain.
#
#   new_user.sh BUILD_DIR SOURCE_DIR [CARGO]
#
# CARGO (with CARGO_HOME, CARGO_TARGET_DIR, RUSTUP_HOME in the environment) runs the Rust step;
# without it that step is reported as skipped.
set -euo pipefail
build="$(cd "$1" && pwd)" src="$(cd "$2" && pwd)" cargo="${3:-}"
work="$(mktemp -d "${TMPDIR:-/tmp}/maskkv-journey.XXXXXX")"
trap 'rm -rf "$work"' EXIT
fixture="$src/tests/fixtures/models/llada_f32"   # a random model: tokens, no meaningful text
demo="$src/models/demo"                          # the bundled model, with a tokenizer
step() { echo "journey: $*"; }
fail() { echo "journey: FAILED: $*" >&2; exit 1; }

# --- packages and lintian -----------------------------------------------------------------------
(cd "$build" && cpack -G DEB --config CPackConfig.cmake -B "$work/packages" >"$work/cpack.log" 2>&1) ||
  { cat "$work/cpack.log" >&2; fail "cpack"; }
! grep -qi "warning" "$work/cpack.log" || { grep -i -A3 warning "$work/cpack.log" >&2; fail "cpack warned"; }
mapfile -t debs < <(ls "$work"/packages/*.deb)
command -v lintian >/dev/null || fail "lintian is not installed (apt-get install lintian)"
lintian --fail-on error "${debs[@]}" >"$work/lintian.log" 2>&1 || { cat "$work/lintian.log" >&2; fail "lintian errors"; }
step "${#debs[@]} packages, lintian: $(grep -c '^E:' "$work/lintian.log" || true) errors, $(grep -c '^W:' "$work/lintian.log" || true) warnings"

# --- install -------------------------------------------------------------------------------------
root="$work/root"
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
: >"$root/var/lib/dpkg/status"
dpkg=(dpkg --root="$root" --force-depends --force-script-chrootless --log=/dev/null)
"${dpkg[@]}" -i "${debs[@]}" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; fail "dpkg -i"; }
ma="$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)"
lib="$root/usr/lib/$ma"
export LD_LIBRARY_PATH="$lib"
maskkv="$root/usr/bin/maskkv"
step "installed: $("${dpkg[@]}" -l | awk '/^ii/{print $2}' | tr '\n' ' ')"

# --- the CLI --------------------------------------------------------------------------------------
"$maskkv" --help | grep -q "chat" || fail "maskkv --help does not list chat"
"$maskkv" generate --help | grep -q -- "--prompt-file" || fail "generate --help lacks --prompt-file"
man -l "$root/usr/share/man/man1/maskkv.1.gz" 2>/dev/null | grep -q "prompt-file" || fail "man page"
set +e
"$maskkv" generate --model "$demo" --prompt-ids 1 --gen-length abc >/dev/null 2>"$work/usage.txt"; rc=$?
set -e
[ "$rc" -eq 2 ] && [ "$(wc -l <"$work/usage.txt")" -le 2 ] || fail "a usage error: rc $rc, $(cat "$work/usage.txt")"
out="$("$maskkv" generate --model "$demo" --prompt "k1 v1" --chat-template llada --system "Be brief." \
  --gen-length 8 --quiet)" || fail "generate --chat-template --system"
step "chat: '$out'"
printf 'k1 v1\nwhat is k1\n' | "$maskkv" chat --model "$demo" --chat-template llada --gen-length 8 >"$work/chat.txt" ||
  fail "maskkv chat"
[ "$(wc -l <"$work/chat.txt")" -eq 2 ] || fail "maskkv chat printed: $(cat "$work/chat.txt")"
python3 -c 'print(" ".join("k%d v%d" % (i % 50, i % 90) for i in range(30000)))' >"$work/long.txt"
[ "$(stat -c %s "$work/long.txt")" -gt 140000 ] || fail "the long prompt is not long"
set +e
"$maskkv" generate --model "$demo" --prompt-file "$work/long.txt" --gen-length 8 2>"$work/long.err"; rc_file=$?
"$maskkv" generate --model "$demo" --prompt - --gen-length 8 <"$work/long.txt" 2>"$work/long-stdin.err"; rc_stdin=$?
set -e
# Past the demo's context: both read all of it (the same token count) and say how to widen it.
[ "$rc_file" -eq 1 ] && grep -q -- "--rope-scaling" "$work/long.err" || fail "long prompt file: $(cat "$work/long.err")"
[ "$(grep -o 'prompt ([0-9]* tokens)' "$work/long.err")" = "$(grep -o 'prompt ([0-9]* tokens)' "$work/long-stdin.err")" ] ||
  fail "stdin and file prompts differ"
step "long prompt: $(stat -c %s "$work/long.txt") bytes, $(grep -o 'prompt ([0-9]* tokens)' "$work/long.err")"
echo "Hello world" | "$maskkv" tokenize --model "$demo" | grep -q '^\[[0-9,]*\]$' || fail "tokenize on plain text"

want="$("$maskkv" generate --model "$fixture" --prompt-ids 1,2,3 --gen-length 16 --steps 16 --block-length 8 --json |
  sed -n 's/.*"tokens":\[\([^]]*\)\].*/\1/p' | tr ',' ' ')"
want="response: $want"
same() { # WHAT OUTPUT
  [ "$(grep '^response:' <<<"$2" || true)" = "$want" ] || fail "$1 printed '$(grep '^response:' <<<"$2")', the CLI '$want'"
  step "$1: same tokens as the CLI"
}

# --- C: pkg-config and CMake ---------------------------------------------------------------------
flags="$(PKG_CONFIG_PATH="" PKG_CONFIG_LIBDIR="$lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$root" pkg-config --cflags --libs maskkv)"
# shellcheck disable=SC2086
cc -O2 -Wall -Werror "$src/examples/c/generate.c" $flags -o "$work/generate-pc"
same "C through pkg-config" "$("$work/generate-pc" "$fixture" 1 2 3)"
mkdir -p "$work/app"
cat >"$work/app/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.16)
project(app C)
find_package(maskkv 0.1 REQUIRED)
add_executable(app "$src/examples/c/generate.c")
target_link_libraries(app PRIVATE maskkv::maskkv)
CMAKE
cmake -S "$work/app" -B "$work/app/build" -DCMAKE_PREFIX_PATH="$root/usr" >"$work/app.log" 2>&1 &&
  cmake --build "$work/app/build" >>"$work/app.log" 2>&1 || { cat "$work/app.log" >&2; fail "find_package(maskkv)"; }
same "C through find_package(maskkv)" "$("$work/app/build/app" "$fixture" 1 2 3)"

# --- Python ----------------------------------------------------------------------------------------
export PYTHONPATH="$root/usr/lib/python3/dist-packages"
same "Python example" "$(/usr/bin/python3 "$src/examples/python/generate.py" "$fixture" 1 2 3)"
/usr/bin/python3 - "$demo" <<'PY' || fail "Python chat and errors"
import sys, maskkv
with maskkv.Model(sys.argv[1]) as m:
    out = m.generate("k1 v1", chat_template="llada", system="Be brief.", gen_length=8)
    assert isinstance(out.text, str)
    try:
        m.generate([1, 2], gen_length=8, top_k=5)
    except maskkv.UnsupportedError as e:
        assert "top_k has no effect" in str(e)
    else:
        raise AssertionError("top_k with LLaDA was accepted")
try:
    maskkv.Model("/no/such/model")
except OSError:
    pass
PY
step "Python: chat, refused option, OSError"

# --- Rust ------------------------------------------------------------------------------------------
if [ -n "$cargo" ]; then
  same "Rust example" "$(MASKKV_LIB_DIR="$lib" "$cargo" run --offline --locked --quiet \
    --manifest-path "$src/examples/rust/Cargo.toml" -- "$fixture" 1 2 3)"
else
  step "Rust: skipped (no cargo)"
fi

# --- Java ------------------------------------------------------------------------------------------
if [ -f "$root/usr/share/java/maskkv.jar" ]; then
  same "Java example" "$(java -Djava.library.path="$root/usr/lib/jni" -cp "$root/usr/share/java/maskkv.jar" \
    "$src/examples/java/Generate.java" "$fixture" 1 2 3)"
fi

# --- uninstall -------------------------------------------------------------------------------------
"${dpkg[@]}" -P $("${dpkg[@]}" -l | awk '/^ii/{print $2}') >"$work/purge.log" 2>&1 || { cat "$work/purge.log" >&2; fail "dpkg -P"; }
left="$(find "$root" -path "$root/var/lib/dpkg" -prune -o -type f -print)"
[ -z "$left" ] || fail "files left after purging: $left"
step "purged; nothing left"
step "passed"
