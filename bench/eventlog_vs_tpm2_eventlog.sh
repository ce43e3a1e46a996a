#!/usr/bin/env bash
# drtm::eventlog parse+replay against tpm2_eventlog and against the hash floor.
#
#   bench/eventlog_vs_tpm2_eventlog.sh [BUILD_DIR] [EVENTS]
#
# BUILD_DIR (default build/eventlog) must hold bench/eventlog_bench, e.g.
#   cmake -S . -B build/eventlog -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
#   ninja -C build/eventlog eventlog_bench
#
# 1. python3 writes a crypto-agile log of EVENTS (default 100000) two-bank
#    (SHA-1 + SHA-256) events spread over PCRs 0–23, independently of drtm.
# 2. eventlog_bench --log=FILE measures drtm parse+replay (events/s).
# 3. tpm2_eventlog replays the same file (5 runs, output discarded).
# 4. openssl speed prices the floor: each event costs one SHA-1 and one
#    SHA-256 extend, so floor = 1 / (1/sha1_rate + 1/sha256_rate) events/s,
#    with rates from `openssl speed -evp sha1|sha256 -bytes 64 -seconds 1`.
# Every figure is the median of an odd number of runs (drtm 5, tpm2_eventlog
# 5, openssl 3 per hash), for all three alike, and the ratios are ratios of
# those medians: the machine is shared, and a median is not decided by one
# disturbed run (nor by one lucky one).
# Targets: ≥10× tpm2_eventlog, ≥80 % of the hash floor.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="${1:-$here/../build/eventlog}"
events="${2:-100000}"
bench="$build/bench/eventlog_bench"
[[ -x "$bench" ]] || { echo "missing $bench: build the eventlog_bench target first" >&2; exit 1; }
command -v tpm2_eventlog >/dev/null || { echo "tpm2_eventlog not installed" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
log="$work/bench.log"

python3 - "$events" "$log" <<'PY'
import hashlib, struct, sys
n, out = int(sys.argv[1]), sys.argv[2]
spec = (b"Spec ID Event03\0" + struct.pack("<IBBBBI", 0, 0, 2, 0, 2, 2)
        + struct.pack("<HHHH", 0x0004, 20, 0x000B, 32) + b"\0")
buf = bytearray(struct.pack("<II", 0, 3) + bytes(20) + struct.pack("<I", len(spec)) + spec)
types = (0x5, 0x502, 0x80000007, 0x402)  # EV_ACTION, SL measurement, EV_EFI_ACTION, TXT HASH_START
for i in range(n):
    data = b"event %d" % i
    buf += struct.pack("<III", i % 24, types[i % 4], 2)
    buf += struct.pack("<H", 0x0004) + hashlib.sha1(data).digest()
    buf += struct.pack("<H", 0x000B) + hashlib.sha256(data).digest()
    buf += struct.pack("<I", len(data)) + data
open(out, "wb").write(buf)
PY

"$bench" --log="$log" --benchmark_filter='BM_ParseReplay$' --benchmark_repetitions=5 \
    --benchmark_format=json >"$work/bench.json" 2>/dev/null

# wall times of 5 tpm2_eventlog runs, in seconds, comma-separated
tool_s=""
for _ in 1 2 3 4 5; do
    start=$(date +%s.%N)
    tpm2_eventlog "$log" >/dev/null 2>&1
    end=$(date +%s.%N)
    tool_s+="${tool_s:+,}$(echo "$end - $start" | bc -l)"
done

# thousands of bytes/s hashing 64-byte inputs, 3 runs, comma-separated
openssl_rates() {
    for _ in 1 2 3; do
        openssl speed -evp "$1" -bytes 64 -seconds 1 2>/dev/null | awk -v a="$1" '$1==a{sub("k","",$2); print $2}'
    done | paste -sd,
}
sha1_k=$(openssl_rates sha1)
sha256_k=$(openssl_rates sha256)

python3 - "$work/bench.json" "$events" "$tool_s" "$sha1_k" "$sha256_k" <<'PY'
import json, statistics, sys
bench, n, tool_s, sha1_k, sha256_k = sys.argv[1:]
n = int(n)
def floats(csv):
    return [float(x) for x in csv.split(",") if x]
runs = json.load(open(bench))["benchmarks"]
drtm_runs = [b["items_per_second"] for b in runs if b.get("run_type") == "iteration"]
tool_runs, sha1_runs, sha256_runs = floats(tool_s), floats(sha1_k), floats(sha256_k)
drtm = statistics.median(drtm_runs)
tool_t = statistics.median(tool_runs)
tool = n / tool_t
# openssl prints thousands of bytes/s for 64-byte inputs.
sha1 = statistics.median(sha1_runs) * 1000 / 64
sha256 = statistics.median(sha256_runs) * 1000 / 64
floor = 1 / (1 / sha1 + 1 / sha256)
ratio, fraction = drtm / tool, drtm / floor
print(f"events                      {n}")
print(f"drtm parse+replay           {drtm:12,.0f} events/s (median of {len(drtm_runs)})")
print(f"tpm2_eventlog               {tool:12,.0f} events/s ({tool_t:.3f} s, median of {len(tool_runs)})")
print(f"openssl sha1  (64 B)        {sha1:12,.0f} hashes/s (median of {len(sha1_runs)})")
print(f"openssl sha256 (64 B)       {sha256:12,.0f} hashes/s (median of {len(sha256_runs)})")
print(f"hash floor                  {floor:12,.0f} events/s")
print(f"ratio vs tpm2_eventlog      {ratio:12.1f} x   (target >= 10x: {'ok' if ratio >= 10 else 'MISSED'})")
print(f"fraction of hash floor      {fraction:12.1%}   (target >= 80%: {'ok' if fraction >= 0.8 else 'MISSED'})")
PY
