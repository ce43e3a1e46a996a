#!/usr/bin/env bash
# The main job, run by `make run`: an emulated dynamic launch of Debian's real
# kernel on both DRTM flavours, each verified by replaying the DRTM event log
# against the TPM, PCR 17 cross-checked with OpenSSL straight from the files,
# then a secret sealed to the launch, an update approved before its reboot,
# the rollback to the old launch refused, and the launch attested remotely to
# a verifier service over mutual TLS.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
drtm="$top/build/release/drtm"
art="${DRTM_ARTIFACTS_DIR:-$top/.cache/artifacts}"
out="${DRTM_DEMO_OUT:-$top/out/demo}"
state=$(mktemp -d /tmp/drtm-demo-XXXXXX)
serve_pid=
vm_pid=
cleanup() {
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null || true
  if [ -n "$vm_pid" ]; then kill "$vm_pid" 2>/dev/null; wait "$vm_pid" 2>/dev/null; fi || true
  "$drtm" platform stop --state "$state/platform" >/dev/null 2>&1 || true
  rm -rf "$state"
}
trap cleanup EXIT

bold() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
rm -rf "$out"; mkdir -p "$out"

bold "Emulated platform: swtpm (TPM 2.0, SHA-1 + SHA-256 banks)"
tcti=$("$drtm" platform start --state "$state/platform" --ek-certificates)
echo "TCTI: $tcti"
"$drtm" pcr read --tcti "$tcti" --pcrs 17-18

kernel="$art/vmlinuz"; initrd="$art/initrd.img"
echo "kernel: $(cat "$art/vmlinuz.package" 2>/dev/null || echo vmlinuz) ($(stat -c %s "$kernel") bytes)"
echo "initrd: busybox initramfs ($(stat -c %s "$initrd") bytes)"
cmdline="console=ttyS0 root=/dev/ram0 slub_debug=P"

"$drtm" image make-test-dce --flavour amd --out "$out/skl-test.bin"
"$drtm" image make-test-dce --flavour intel --out "$out/sinit-test.bin"

for flavour in amd intel; do
  dce="$out/skl-test.bin"; [ "$flavour" = intel ] && dce="$out/sinit-test.bin"
  bold "Dynamic launch, $flavour flavour ($( [ "$flavour" = amd ] && echo 'SKINIT + Secure Kernel Loader' || echo 'GETSEC[SENTER] + SINIT ACM'))"
  "$drtm" launch --tcti "$tcti" --flavour "$flavour" --dce "$dce" \
      --kernel "$kernel" --initrd "$initrd" --cmdline "$cmdline" --out "$out/$flavour"
  bold "DRTM event log as the DLME exposes it ($flavour)"
  "$drtm" log show "$out/$flavour/eventlog.bin"
  bold "Replay the log and compare with the TPM ($flavour)"
  "$drtm" log verify "$out/$flavour/eventlog.bin" --tcti "$tcti"
done

bold "Independent check of the AMD PCR 17 formula with OpenSSL"
bash "$top/scripts/check-amd-pcr17.sh" "$out/skl-test.bin" "$kernel" "$initrd" "$out/amd/summary.json"

bold "Local attestation: seal a secret to this launch (signed approvals + NV counter)"
# The intel launch is the one the TPM holds now; seal a keyfile to it.
key="$state/authorize-key.pem"
head -c 32 /dev/urandom > "$state/luks.key"
"$drtm" seal --tcti "$tcti" --dir "$out/sealed" --in "$state/luks.key" --key "$key"
"$drtm" unseal --tcti "$tcti" --dir "$out/sealed" | cmp - "$state/luks.key" && echo "unsealed in this launch: OK"

bold "Update inspection: verify this launch, predict and approve the next (new command line)"
next_cmdline="$cmdline quiet"
"$drtm" update check --tcti "$tcti" --log "$out/intel/eventlog.bin" --flavour intel \
    --dce "$out/sinit-test.bin" --kernel "$kernel" --initrd "$initrd" --cmdline "$next_cmdline" \
    --authorize "$out/sealed"

bold "Reboot into the update: the approved launch unseals, and revokes the old one"
"$drtm" launch --tcti "$tcti" --flavour intel --dce "$out/sinit-test.bin" \
    --kernel "$kernel" --initrd "$initrd" --cmdline "$next_cmdline" --out "$out/intel-next" >/dev/null
"$drtm" unseal --tcti "$tcti" --dir "$out/sealed" | cmp - "$state/luks.key" && echo "unsealed in the updated launch: OK"
"$drtm" launch --tcti "$tcti" --flavour intel --dce "$out/sinit-test.bin" \
    --kernel "$kernel" --initrd "$initrd" --cmdline "$cmdline" --out "$out/intel-old" >/dev/null
if "$drtm" unseal --tcti "$tcti" --dir "$out/sealed" >/dev/null; then
  echo "ROLLBACK NOT REFUSED"; exit 1
fi
echo "rollback to the old launch refused: OK"
"$drtm" authorize --tcti "$tcti" --dir "$out/sealed" --list

bold "Remote attestation: a verifier service (HTTPS, mutual TLS), an agent enrolls and attests"
"$drtm" attest keys --tcti "$tcti" --out "$state/attester.json"
"$drtm" verifier init --dir "$state/verifier"
"$drtm" verifier client-cert --dir "$state/verifier" --name demo-node --out "$state/agent"
"$drtm" verifier serve --dir "$state/verifier" --listen 127.0.0.1:0 --port-file "$state/port" \
    --ek-roots "$state/platform/ek-ca.pem" 2>"$state/serve.log" &
serve_pid=$!
for _ in $(seq 100); do [ -s "$state/port" ] && break; sleep 0.1; done
head -1 "$state/serve.log"
url="https://localhost:$(cat "$state/port")"
"$drtm" agent enroll --verifier "$url" --identity "$state/agent" --tcti "$tcti" --keys "$state/attester.json"
# The reference: the launch now running (the old command line), predicted from its artifacts.
"$drtm" predict --json --flavour intel --dce "$out/sinit-test.bin" --kernel "$kernel" --initrd "$initrd" \
    --cmdline "$cmdline" --reference-log "$out/intel/eventlog.bin" > "$out/reference.json"
printf '{"format":"drtm-appraisal-policy","version":1,"id":"demo","reference_values":[%s]}' \
    "$(cat "$out/reference.json")" > "$out/policy.json"
"$drtm" verifier policy "$out/policy.json" --dir "$state/verifier" --url "$url"
"$drtm" verifier assign demo-node --policy demo --dir "$state/verifier" --url "$url"
"$drtm" agent attest --verifier "$url" --identity "$state/agent" --tcti "$tcti" \
    --keys "$state/attester.json" --log "$out/intel-old/eventlog.bin"
"$drtm" verifier nodes --dir "$state/verifier" --url "$url"

bold "Runtime inspection: a guest booted with a dynamic launch, launched on again and inspected without a reboot"
"$drtm" vm run --dir "$state/vm" --kernel "$kernel" --initrd "$art/guest-initrd.img" \
    --launch-dce "$out/skl-test.bin" --wait-for GUEST-READY --json > "$state/vm.ready" \
    2>"$state/vm.log" &
vm_pid=$!
for _ in $(seq 1200); do [ -s "$state/vm.ready" ] && break; sleep 0.1; done
[ -s "$state/vm.ready" ] || { echo "the guest did not start:"; cat "$state/vm.log"; exit 1; }
vm_tcti=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["tcti"])' "$state/vm.ready")
echo "guest running; its TPM: $vm_tcti"
echo "the guest read its boot-time launch (fw_cfg log, PCRs from its TPM):"
grep -a -E '^DRTM-(LOG|PCR sha256 1[78])' "$state/vm/console.log" | sed 's/^/  /'
echo "  host's log: sha256 $(sha256sum "$state/vm/drtm-eventlog.bin" | cut -d ' ' -f 1)"
"$drtm" launch --tcti "$vm_tcti" --flavour amd --dce "$out/skl-test.bin" --kernel "$kernel" \
    --out "$out/vm-launch" >/dev/null
"$drtm" log verify "$out/vm-launch/eventlog.bin" --tcti "$vm_tcti"
sleep 1
echo "the guest reads from its own TPM: $(grep -a 'TICK' "$state/vm/console.log" | tail -1)"
# The inspection is itself a dynamic launch (of the inspector) on the guest's
# TPM: an intact guest gives the PCRs `inspect --predict` states, quoted here
# and appraised against that prediction, which holds the LSMs Debian's kernel
# runs (PCR 20) too.
lsms="apparmor bpf_lsm capability landlock lockdown tomoyo yama"
"$drtm" attest keys --tcti "$vm_tcti" --out "$state/vm-attester.json" >/dev/null
"$drtm" inspect --predict --kernel "$kernel" --lsms "$lsms" --json \
    > "$out/inspection-prediction.json"
python3 - "$out/inspection-prediction.json" > "$out/inspection-policy.json" <<'PY'
import json, sys
print(json.dumps({"format": "drtm-appraisal-policy", "version": 1, "id": "inspected-linux",
                  "reference_values": [json.load(open(sys.argv[1]))]}))
PY
vm_nonce=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
"$drtm" inspect --vm "$state/vm" --kernel "$kernel" --keys "$state/vm-attester.json" \
    --nonce "$vm_nonce" --evidence "$out/inspection-evidence.json"
"$drtm" attest verify --evidence "$out/inspection-evidence.json" --nonce "$vm_nonce" \
    --keys "$state/vm-attester.json" --policy "$out/inspection-policy.json"
kill "$vm_pid"; wait "$vm_pid" 2>/dev/null || true; vm_pid=

bold "Runtime inspection of Xen and its dom0: Debian's Xen 4.17 against its xen-syms, dom0's kernel against its bzImage"
"$drtm" vm run --dir "$state/xvm" --xen "$art/xen.gz" --kernel "$kernel" \
    --initrd "$art/guest-initrd.img" --wait-for GUEST-READY --json > "$state/xvm.ready" \
    2>"$state/xvm.log" &
vm_pid=$!
for _ in $(seq 1800); do [ -s "$state/xvm.ready" ] && break; sleep 0.1; done
[ -s "$state/xvm.ready" ] || { echo "Xen did not start:"; cat "$state/xvm.log"; exit 1; }
# Xen, then dom0 (a Xen PV guest), each in its own pause, measured in one launch.
"$drtm" inspect --predict --xen "$art/xen-syms" --kernel "$kernel" --lsms "$lsms" --json \
    > "$out/xen-inspection-prediction.json"
"$drtm" inspect --vm "$state/xvm" --xen "$art/xen-syms" --kernel "$kernel" --json \
    > "$out/xen-inspection.json"
python3 - "$out/xen-inspection.json" "$out/xen-inspection-prediction.json" <<'PY'
import json, sys
r, p = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
got, want = r["measurement"]["pcrs"]["sha256"], p["pcrs"]["sha256"]
x, d = r["xen"], r["dom0"]
print("Xen %s at %s (xen_phys_start %s): %d alternative sites rewritten, %d unexplained bytes, "
      "paused %.2f ms" % (x["verdict"], x["text_physical"], x["xen_phys_start"],
                          x["patch_sites_changed"], x["text"]["bytes_unexplained"],
                          x["pause_ms"]["window"]))
print("dom0 (%s) %s at %s: %d patch sites rewritten, %d unexplained bytes, %s page tables "
      "Xen lists for it checked, paused %.2f ms"
      % (d["platform"], d["verdict"], d["text_physical"], d["patch_sites_changed"],
         d["text"]["bytes_unexplained"], d["dom0_root_tables_checked"], d["pause_ms"]["window"]))
pcrs = ("17", "18", "19", "20")
print("PCR 17-20 measured = predicted: %s" % all(got[k] == want[k] for k in pcrs))
sys.exit(0 if r["verdict"] == "intact" and all(got[k] == want[k] for k in pcrs) else 1)
PY
kill "$vm_pid"; wait "$vm_pid" 2>/dev/null || true; vm_pid=

bold "Done"
echo "Outputs: $out/{amd,intel}/{eventlog.bin,slrt.bin,summary.json}, $out/sealed/sealed.json"
