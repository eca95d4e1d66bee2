#!/usr/bin/env bash
# Runs every libFuzzer target built under BUILD_DIR/fuzz (executables named fuzz_*) for SECONDS
# each. The corpus of each target lives in BUILD_DIR/fuzz-corpus/<target> (kept between runs and
# seeded from fuzz/<area>/seeds/<target>/ when that folder exists, with fuzz/<area>/<target>.dict
# as a libFuzzer dictionary when that file exists); crash inputs go to
# BUILD_DIR/fuzz-artifacts/<target>/. Exit status is non-zero when any target finds a crash.
#   usage: fuzz/run.sh BUILD_DIR SECONDS     (FUZZ_RUNS=N in the environment: at most N runs, seed 1)
set -u
if [ $# -ne 2 ]; then
  echo "usage: $0 BUILD_DIR SECONDS" >&2
  exit 2
fi
build=$(cd "$1" && pwd) || exit 2
secs=$2
src=$(cd "$(dirname "$0")" && pwd)

mapfile -t targets < <(find "$build/fuzz" -type f -name 'fuzz_*' -perm -u+x 2>/dev/null | sort)
if [ ${#targets[@]} -eq 0 ]; then
  echo "no fuzz targets under $build/fuzz (configure with -DBOMBUS_FUZZ=ON and build)" >&2
  exit 2
fi

failed=0
for t in "${targets[@]}"; do
  name=$(basename "$t")
  corpus="$build/fuzz-corpus/$name"
  artifacts="$build/fuzz-artifacts/$name"
  log="$build/fuzz-artifacts/$name.log"
  mkdir -p "$corpus" "$artifacts"
  seeds=()
  for d in "$src"/*/seeds/"$name"; do
    [ -d "$d" ] && seeds+=("$d")
  done
  dict=()
  for d in "$src"/*/"$name".dict; do
    [ -f "$d" ] && dict=("-dict=$d")
  done
  # FUZZ_RUNS=N: at most N runs with a fixed seed, within SECONDS (CI); else SECONDS alone.
  if [ -n "${FUZZ_RUNS:-}" ]; then
    budget=(-runs="$FUZZ_RUNS" -seed=1 -max_total_time="$secs")
    echo "== $name: up to $FUZZ_RUNS runs or ${secs}s, seed 1 (corpus $corpus)"
  else
    budget=(-max_total_time="$secs")
    echo "== $name: ${secs}s (corpus $corpus)"
  fi
  if "$t" "${budget[@]}" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      "${dict[@]}" -artifact_prefix="$artifacts/" "$corpus" "${seeds[@]}" >"$log" 2>&1; then
    grep -E '^stat::number_of_executed_units|^Done' "$log" | sed 's/^/   /'
  else
    failed=1
    echo "!! $name FAILED (log: $log, artifacts: $artifacts)"
    grep -E 'ERROR|SUMMARY|abort|round trip|does not' "$log" | head -20 | sed 's/^/   /'
  fi
done
exit $failed
