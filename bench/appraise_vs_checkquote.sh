#!/usr/bin/env bash
# Appraising evidence against tpm2_checkquote, on a real emulated launch of
# Debian's kernel (its SKL-format DRTM log) and a real swtpm quote.
#
#   bench/appraise_vs_checkquote.sh [BUILD_DIR]     (default build/release)
#
# 1. An emulated platform, an AMD launch of .cache/artifacts/vmlinuz + initrd,
#    an AK, evidence for a nonce, a policy with the launch's prediction.
# 2. appraise_bench BM_Appraise: drtm's in-process parse + all checks
#    (appraisals/s), median of 5 repetitions.
# 3. The same work per process: `drtm attest verify` N times, and
#    `tpm2_checkquote` N times (signature, nonce, PCR digest only — less
#    than drtm checks), median of 5 rounds each.
# Medians, and ratios of medians, so one disturbed run does not decide a
# figure: the machine is shared.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="${1:-$here/../build/release}"
drtm="$build/drtm"; bench="$build/bench/appraise_bench"
art="${DRTM_ARTIFACTS_DIR:-$here/../.cache/artifacts}"
for f in "$drtm" "$bench"; do [[ -x "$f" ]] || { echo "missing $f" >&2; exit 1; }; done
work="$(mktemp -d /tmp/drtm-appraise-XXXXXX)"
trap '"$drtm" platform stop --state "$work/p" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
tcti=$("$drtm" platform start --state "$work/p")
"$drtm" image make-test-dce --flavour amd --out "$work/skl.bin"
inputs=(--flavour amd --dce "$work/skl.bin" --kernel "$art/vmlinuz" --initrd "$art/initrd.img" --cmdline console=ttyS0)
"$drtm" launch --tcti "$tcti" "${inputs[@]}" --out "$work/launch" >/dev/null
"$drtm" attest keys --tcti "$tcti" --out "$work/keys.json" >/dev/null
nonce=00112233445566778899aabbccddeeff
"$drtm" attest quote --tcti "$tcti" --keys "$work/keys.json" --nonce $nonce --banks sha256 \
    --log "$work/launch/eventlog.bin" --out "$work/evidence.json"
printf '{"format":"drtm-appraisal-policy","version":1,"reference_values":[%s]}' \
    "$("$drtm" predict --json "${inputs[@]}")" > "$work/policy.json"

reps=5
rate=$("$bench" --evidence="$work/evidence.json" --policy="$work/policy.json" --nonce=$nonce \
        --benchmark_filter='BM_Appraise$' --benchmark_repetitions=$reps --benchmark_format=json 2>/dev/null |
       python3 -c 'import json,statistics,sys; print(statistics.median(b["appraisals/s"] for b in json.load(sys.stdin)["benchmarks"] if b.get("run_type")=="iteration"))')

jq -r .ak_public "$work/evidence.json" | xxd -r -p > "$work/ak.pub"
jq -r .quote.attest "$work/evidence.json" | xxd -r -p > "$work/q.msg"
jq -r .quote.signature "$work/evidence.json" | xxd -r -p > "$work/q.sig"
for p in 17 18 19 20 21 22; do jq -r ".pcrs.sha256.\"$p\"" "$work/evidence.json"; done | xxd -r -p > "$work/pcrs.bin"
n=50 rounds=5
per_process() {  # median of $rounds rounds of n runs: runs per second
  local r i rates=()
  for ((r = 0; r < rounds; r++)); do
    local t0 t1; t0=$(date +%s.%N)
    for ((i = 0; i < n; i++)); do
      "$@" >/dev/null 2>&1 || { echo "per_process: $1 failed (exit $?)" >&2; return 1; }
    done
    t1=$(date +%s.%N)
    rates+=("$n / ($t1 - $t0)")
  done
  python3 -c "import statistics; print(statistics.median([$(IFS=,; echo "${rates[*]}")]))"
}
cli=$(per_process "$drtm" attest verify --evidence "$work/evidence.json" --nonce $nonce --policy "$work/policy.json")
checkquote=$(per_process tpm2_checkquote -u "$work/ak.pub" -m "$work/q.msg" -s "$work/q.sig" \
    -f "$work/pcrs.bin" -F values -l sha256:17,18,19,20,21,22 -g sha256 -q $nonce)
logsize=$(jq -r .eventlog "$work/evidence.json" | python3 -c 'import base64,sys; s=sys.stdin.read().strip(); print(len(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))))')
python3 - "$rate" "$cli" "$checkquote" "$logsize" "$(stat -c %s "$work/evidence.json")" $reps $rounds $n <<'PY'
import sys
rate, cli, cq, logsize, evsize = map(float, sys.argv[1:6])
reps, rounds, n = map(int, sys.argv[6:])
print(f"evidence: {int(evsize)} bytes: quote of sha256 PCR 17-22 + the {int(logsize)}-byte DRTM log (Debian kernel, AMD)")
print(f"drtm appraise (in process, all checks):  {rate:10.0f} /s (median of {reps})")
print(f"drtm attest verify (one process each):   {cli:10.1f} /s (median of {rounds} rounds of {n})")
print(f"tpm2_checkquote (one process each):      {cq:10.1f} /s (median of {rounds} rounds of {n})")
print(f"ratio, process for process: drtm / tpm2_checkquote = {cli / cq:.2f}x")
print(f"ratio, in-process drtm / tpm2_checkquote = {rate / cq:.0f}x")
PY
