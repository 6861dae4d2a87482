#!/usr/bin/env bash
# Parser fuzzing (issue 6, suite 6): runs every cargo-fuzz target in fuzz/ for N seconds each
# (default 60) and reports runs and crashes per target. Pass figure: 0 crashes (panics).
#
#   resilience/fuzz.sh [seconds]
#
# Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`); without them it says
# so and exits 0. The corpus grows in target/resilience/fuzz/corpus/TARGET (seeded from
# fuzz/seeds/TARGET); a crashing input is written to target/resilience/fuzz/artifacts/TARGET/
# and can be replayed with `cargo +nightly fuzz run --fuzz-dir fuzz TARGET FILE`.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
seconds=${1:-60}
case "$seconds" in
  '' | *[!0-9]*) echo "usage: $0 [seconds]" >&2; exit 2 ;;
esac
out=$root/target/resilience/fuzz
target_dir=$root/target/resilience/fuzz-target

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  echo "SKIP: parser fuzzing needs a nightly toolchain (rustup toolchain install nightly)"
  exit 0
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "SKIP: parser fuzzing needs cargo-fuzz (cargo install cargo-fuzz)"
  exit 0
fi

mkdir -p "$out"
cargo +nightly fuzz build --fuzz-dir fuzz --target-dir "$target_dir"
targets=$(cargo +nightly fuzz list --fuzz-dir fuzz)

failed=0
printf '%-18s %8s %12s %10s %8s %8s\n' target seconds runs execs/s corpus crashes >"$out/figures.txt"
for t in $targets; do
  corpus=$out/corpus/$t
  artifacts=$out/artifacts/$t
  rm -rf "$artifacts"
  mkdir -p "$corpus" "$artifacts"
  seeds=()
  [ -d "fuzz/seeds/$t" ] && seeds=("fuzz/seeds/$t")
  echo "fuzzing $t for ${seconds}s"
  status=0
  cargo +nightly fuzz run --fuzz-dir fuzz --target-dir "$target_dir" "$t" "$corpus" "${seeds[@]}" -- \
    -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" >"$out/$t.log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$out/$t.log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *\([0-9]*\).*/\1/p' "$out/$t.log" | tail -n 1)
  crashes=$(find "$artifacts" -type f | wc -l)
  size=$(find "$corpus" -type f | wc -l)
  printf '%-18s %8s %12s %10s %8s %8s\n' "$t" "$seconds" "${runs:-?}" "${rate:-?}" "$size" "$crashes" >>"$out/figures.txt"
  if [ "$status" -ne 0 ] || [ "$crashes" -ne 0 ]; then
    failed=1
    echo "FAIL: $t (exit $status); see $out/$t.log and $artifacts" >&2
    grep -m 5 -E "panicked|ERROR: libFuzzer|SUMMARY" "$out/$t.log" >&2 || true
  fi
done
cat "$out/figures.txt"
if [ "$failed" -ne 0 ]; then
  echo "parser fuzzing: FAILED (a target crashed)"
  exit 1
fi
echo "parser fuzzing: 0 crashes"
