#!/usr/bin/env bash
# Verifier service throughput: attestations verified and stored per second,
# with p50/p99 latency, on SQLite and on PostgreSQL, at 1k/10k/100k enrolled
# nodes, driven over loopback by bench/verifier_load.cpp.
#
#   bench/verifier_throughput.sh [BUILD_DIR] [NODE_COUNTS] [SECONDS] [CLIENTS]
#   (defaults: build/release, "1000 10000 100000", 15, 32)
#
# The template evidence is real: an emulated AMD launch of Debian's kernel
# (.cache/artifacts) quoted by swtpm. Each simulated node re-signs it with its
# own software AK (TPM-format bytes) for each fresh nonce. An attestation is
# what `drtm agent attest` does: a TLS 1.3 connection with the node's client
# certificate (new with a full handshake, new resuming the node's session, or
# kept: the "conn" column), a challenge (or the previous result's
# next_challenge on a kept connection) and the evidence. The last columns
# are the CPU each process spent per attestation over the timed window
# (verifier_load reads them from /proc).
# PostgreSQL runs as a throwaway server in a private directory with its
# default durability (fsync and synchronous_commit on); SQLite runs in WAL
# mode with synchronous=NORMAL (drtm's setting).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="${1:-$here/../build/release}"
counts="${2:-1000 10000 100000}"
seconds="${3:-15}"
clients="${4:-32}"
drtm="$build/drtm"; load="$build/bench/verifier_load"
art="${DRTM_ARTIFACTS_DIR:-$here/../.cache/artifacts}"
pgbin=/usr/lib/postgresql/15/bin
for f in "$drtm" "$load" "$pgbin/initdb"; do [[ -x "$f" ]] || { echo "missing $f" >&2; exit 1; }; done
work="$(mktemp -d /tmp/drtm-throughput-XXXXXX)"; chmod 755 "$work"  # the postgres user reaches its socket here
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
serve_pid=
cleanup() {
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null || true
  as_pg "$pgbin/pg_ctl" -D "$work/pg/data" -m immediate stop >/dev/null 2>&1 || true
  "$drtm" platform stop --state "$work/p" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
[ -n "${DRTM_KEEP:-}" ] && trap - EXIT

echo "template evidence: AMD launch of $(cat "$art/vmlinuz.package" 2>/dev/null || echo vmlinuz), quoted by swtpm" >&2
tcti=$("$drtm" platform start --state "$work/p")
"$drtm" image make-test-dce --flavour amd --out "$work/skl.bin"
"$drtm" launch --tcti "$tcti" --flavour amd --dce "$work/skl.bin" --kernel "$art/vmlinuz" \
    --initrd "$art/initrd.img" --cmdline console=ttyS0 --out "$work/launch" >/dev/null
"$drtm" attest keys --tcti "$tcti" --out "$work/keys.json" >/dev/null
"$drtm" attest quote --tcti "$tcti" --keys "$work/keys.json" --nonce 00112233445566778899aabbccddeeff \
    --log "$work/launch/eventlog.bin" --out "$work/template.json"
"$drtm" platform stop --state "$work/p" >/dev/null

echo "PostgreSQL 15: throwaway server in $work/pg (Unix socket only)" >&2
mkdir -p "$work/pg"; [ "$(id -u)" = 0 ] && chown postgres: "$work/pg"
as_pg "$pgbin/initdb" -D "$work/pg/data" -U postgres -A trust -E UTF8 >/dev/null
as_pg "$pgbin/pg_ctl" -D "$work/pg/data" -l "$work/pg/log" -w \
    -o "-c listen_addresses='' -k $work/pg -c max_connections=100" start >/dev/null
psql() { as_pg /usr/bin/psql -h "$work/pg" -U postgres -d postgres -q "$@"; }
printf '%-10s %7s %5s %9s %8s %8s %8s %8s  %s\n' storage nodes conn "verif/s" "ev p50" "ev p99" "att p50" "att p99" \
    "CPU ms per attestation: server / PostgreSQL / load generator"
for n in $counts; do
  rm -rf "$work/v" "$work/certs" "$work/v.sqlite"
  "$drtm" verifier init --dir "$work/v" >/dev/null
  psql -c "DROP DATABASE IF EXISTS drtm_bench" -c "CREATE DATABASE drtm_bench"
  declare -A url=([sqlite]="sqlite:$work/v/verifier.db" [postgresql]="postgresql:///drtm_bench?host=$work/pg&user=postgres")
  echo "enrolling $n nodes in SQLite and PostgreSQL, issuing their agent certificates..." >&2
  "$load" prepare --dir "$work/v" --database "${url[sqlite]}" --database "${url[postgresql]}" \
      --nodes "$n" --template "$work/template.json" --certs "$work/certs" 2>"$work/prepare.log"
  for storage in sqlite postgresql; do
    "$drtm" verifier serve --dir "$work/v" --database "${url[$storage]}" --listen 127.0.0.1:0 \
        --port-file "$work/port" --allow-no-ek-certificate \
        --db-connections "$clients" 2>"$work/serve.log" >/dev/null &
    serve_pid=$!
    for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
    # 1: a full TLS handshake per attestation (an agent process started for
    # each, with no session: the cold case); 1r: a new connection per
    # attestation that resumes the node's TLS session (a periodic agent: the
    # server closes idle connections after 5 s); 20r: 20 attestations per
    # connection, then a new connection that resumes. In the "r" modes every
    # node makes its first, full handshake before the timed window (the
    # steady state of a fleet whose agents have attested before).
    for mode in 1 1r 20r; do
      per=${mode%r}; resume=; [ "$mode" != "$per" ] && resume="--resume --warm-up"
      pm=0; [ "$storage" = postgresql ] && pm=$(head -1 "$work/pg/data/postmaster.pid")
      result=$("$load" run --url "https://localhost:$(cat "$work/port")" --certs "$work/certs" \
          --template "$work/template.json" --clients "$clients" --seconds "$seconds" \
          --per-connection $per $resume --server-pid "$serve_pid" --postgres-pid "$pm") \
          || { echo "load run failed: $result" >&2; cat "$work/serve.log" >&2; exit 1; }
      python3 - "$storage" "$result" "$mode" <<'PY'
import json, sys
r = json.loads(sys.argv[2])
mode = sys.argv[3]
cpu = (f"{r['server_cpu_ms_per_attestation']:.2f} / " +
       (f"{r['postgresql_cpu_ms_per_attestation']:.2f}" if sys.argv[1] == "postgresql" else "-") +
       f" / {r['load_cpu_ms_per_attestation']:.2f}")
print(f"{sys.argv[1]:<10} {r['nodes']:>7} {mode:>5} {r['per_second']:>9.0f} "
      f"{r['evidence_p50_ms']:>6.1f}ms {r['evidence_p99_ms']:>6.1f}ms "
      f"{r['attestation_p50_ms']:>6.1f}ms {r['attestation_p99_ms']:>6.1f}ms  {cpu}", flush=True)
PY
      echo "{\"storage\":\"$storage\",\"result\":$result}" >> "$work/results.jsonl"
    done
    kill "$serve_pid"; wait "$serve_pid" 2>/dev/null || true; serve_pid=; rm -f "$work/port"
    # Group commit: how many transactions the attestations took.
    sed -n 's/^drtm verifier: stored /  group commit: /p' "$work/serve.log"
  done
done
cp "$work/results.jsonl" "${DRTM_BENCH_OUT:-/tmp/drtm-verifier-throughput.jsonl}"
echo "raw results: ${DRTM_BENCH_OUT:-/tmp/drtm-verifier-throughput.jsonl}" >&2
