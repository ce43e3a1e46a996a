#!/usr/bin/env bash
# Runs every libFuzzer target (or those named) for FUZZ_SECONDS each, JOBS at
# a time, each on its own working corpus seeded from fuzz/seeds and the
# project's test data. A crash, leak, UBSan report or timeout stops that
# target; its input is left in build/fuzz/artifacts/<target>/ and the script
# exits 1. Add a fixed input to fuzz/regressions/<target>/ so the unit tests
# keep running it.
#
#   scripts/fuzz.sh                        # every target, FUZZ_SECONDS=60
#   FUZZ_SECONDS=1800 JOBS=2 scripts/fuzz.sh event_log evidence
set -uo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-60}
jobs=${JOBS:-2}
bin=build/fuzz/fuzz
work=build/fuzz/work
all=(event_log txt_heap slrt boot_image evidence policy running_system verifier_request)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")

seeds_for() {
  local t=$1
  echo "fuzz/seeds/$t"
  [ -d "fuzz/regressions/$t" ] && echo "fuzz/regressions/$t"
  [ "$t" = event_log ] && echo testdata/real-logs
  return 0
}

run_one() {
  local t=$1
  mkdir -p "$work/corpus/$t" "build/fuzz/artifacts/$t"
  local log="$work/$t.log"
  # shellcheck disable=SC2046
  # Real TXT heaps and UEFI logs are 70-100 KB: keep the seeds whole.
  local max_len=65536
  case "$t" in event_log|txt_heap) max_len=131072 ;; esac
  "$bin/fuzz_$t" -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="build/fuzz/artifacts/$t/" \
      "$work/corpus/$t" $(seeds_for "$t") >"$log" 2>&1
  local rc=$?
  local runs
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
  local cov
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
  if [ $rc -eq 0 ]; then
    printf '%-16s ok      %6ss  %10s runs  coverage %s edges\n' "$t" "$seconds" "${runs:-?}" "${cov:-?}"
  else
    printf '%-16s FAILED  (exit %s) see %s and build/fuzz/artifacts/%s/\n' "$t" "$rc" "$log" "$t"
  fi
  return $rc
}

for t in "${targets[@]}"; do
  [ -x "$bin/fuzz_$t" ] || { echo "fuzz: no $bin/fuzz_$t (run: make fuzz-build)" >&2; exit 2; }
done

echo "fuzz: ${#targets[@]} targets, ${seconds}s each, $jobs at a time"
failed=0
pids=()
for t in "${targets[@]}"; do
  run_one "$t" &
  pids+=($!)
  if [ ${#pids[@]} -ge "$jobs" ]; then
    wait "${pids[0]}" || failed=1
    pids=("${pids[@]:1}")
  fi
done
for p in ${pids[@]+"${pids[@]}"}; do wait "$p" || failed=1; done
exit $failed
