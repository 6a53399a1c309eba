#!/usr/bin/env bash
# Runs every libFuzzer target for a set time (tools/sanitize.sh fuzz [SECONDS] builds and calls
# this). Usage: tests/fuzz/run_fuzzers.sh BUILD_TESTS_DIR SECONDS [TARGET...]
#   MASKKV_FUZZ_RUNS=N   stop each target after N executions instead (-runs=N, SECONDS still caps it)
# Each target starts from its committed seeds (tests/fuzz/seeds/T) and regressions
# (tests/fuzz/regressions/T) plus what earlier runs found (BUILD/fuzz-corpus/T, kept between
# runs). A crash leaves its input in BUILD/fuzz-crashes/T/ and makes this exit non-zero: copy
# it into tests/fuzz/regressions/T/ once fixed. Prints executions per target at the end.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:?build tests dir}; secs=${2:-30}; shift 2 || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(safetensors index config tokenizer_json tokenizer_encode spm_model tokenize profile options gguf)
bin=$(cd "$bin" && pwd)
status=0
summary=()
for t in "${targets[@]}"; do
  exe=$bin/fuzz_$t
  [ -x "$exe" ] || { echo "run_fuzzers: $exe missing (build target maskkv_fuzzers)" >&2; status=1; continue; }
  corpus=$bin/fuzz-corpus/$t; crashes=$bin/fuzz-crashes/$t
  mkdir -p "$corpus" "$crashes"
  log=$bin/fuzz-$t.log
  args=(-max_total_time="$secs" -timeout=25 -rss_limit_mb=4096 -max_len=65536 -print_final_stats=1
        -artifact_prefix="$crashes/" -dict="$here/dicts/$t.dict")
  [ -f "$here/dicts/$t.dict" ] || unset 'args[${#args[@]}-1]'
  [ -n "${MASKKV_FUZZ_RUNS:-}" ] && args+=(-runs="$MASKKV_FUZZ_RUNS")
  seeds=("$here/seeds/$t")
  [ -d "$here/regressions/$t" ] && seeds+=("$here/regressions/$t")
  t0=$SECONDS
  ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:${ASAN_OPTIONS:-}" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    "$exe" "${args[@]}" "$corpus" "${seeds[@]}" >"$log" 2>&1
  rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
  line="$t: ${execs:-?} executions in $((SECONDS - t0)) s, ${cov:-cov: ?}, exit $rc"
  summary+=("$line")
  echo "run_fuzzers: $line"
  if [ $rc -ne 0 ]; then
    status=1
    echo "run_fuzzers: $t FAILED; last lines of $log:" >&2
    tail -n 60 "$log" >&2
    ls -l "$crashes" >&2
  fi
done
echo "run_fuzzers summary:"
printf '  %s\n' "${summary[@]}"
exit $status
