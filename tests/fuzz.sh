#!/usr/bin/env bash
# Fuzzes the decoders and the whole classify path with cargo-fuzz (libFuzzer, with
# AddressSanitizer): each target in fuzz/ runs for FUZZ_SECONDS (default 120) from the
# committed seeds (fuzz/seeds/) plus what earlier runs found (fuzz/corpus/TARGET/, not
# committed). Fails on any crash: a panic, a sanitizer report, one input taking over 30 s,
# or over 3 GiB of memory (the pipeline's own bound is 1 GiB, see tests/bad_input.rs; the
# sanitizer needs more). The failing input is saved under fuzz/artifacts/TARGET/; replay
# it with `RUSTC_BOOTSTRAP=1 cargo fuzz run -O TARGET FILE`, and make it a regression test
# in tests/bad_input.rs.
# Usage: [FUZZ_SECONDS=N] bash tests/fuzz.sh [TARGET...]      (default: every target)
# cargo-fuzz uses nightly-only rustc flags; RUSTC_BOOTSTRAP=1 lets the stable toolchain
# take them. Release build (-O) as shipped: no debug assertions or overflow checks.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-120}
command -v cargo-fuzz >/dev/null || {
  echo "tests/fuzz.sh: cargo-fuzz is not installed (tests/install-deps.sh installs it)" >&2
  exit 1
}
export RUSTC_BOOTSTRAP=1

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo fuzz list)
fi
cargo fuzz build -O
# The targets run at once: libFuzzer runs one process, on one core, per target, and one
# after another they left a core idle (4 min in tests/run.sh for two targets). Each one's
# output goes to a log of its own, printed when all are done.
logs=$(mktemp -d)
pids=()
for target in "${targets[@]}"; do
  corpus="fuzz/corpus/$target"
  mkdir -p "$corpus"
  printf -- '--> fuzzing %s for %ss\n' "$target" "$seconds"
  cargo fuzz run -O "$target" "$corpus" fuzz/seeds -- \
    -max_total_time="$seconds" -timeout=30 -rss_limit_mb=3072 -print_final_stats=1 \
    >"$logs/$target.log" 2>&1 &
  pids+=($!)
done
failed=()
for i in "${!targets[@]}"; do
  wait "${pids[$i]}" || failed+=("${targets[$i]}")
done
for target in "${targets[@]}"; do
  printf '\n--> %s\n' "$target"
  if [[ " ${failed[*]} " == *" $target "* ]]; then
    tail -n 80 "$logs/$target.log"
  else
    grep -E '^(stat::|Done [0-9]+ runs)' "$logs/$target.log" || tail -n 12 "$logs/$target.log"
  fi
done
rm -rf "$logs"
if [ ${#failed[@]} -gt 0 ]; then
  for target in "${failed[@]}"; do
    echo "tests/fuzz.sh: FAIL: $target crashed; the input is in fuzz/artifacts/$target/" >&2
  done
  exit 1
fi
echo "tests/fuzz.sh: ${targets[*]}: no crash in ${seconds}s each"
