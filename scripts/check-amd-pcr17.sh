#!/usr/bin/env bash
# Recomputes the AMD PCR 17 of an emulated SKINIT launch of a bzImage with
# nothing but coreutils and OpenSSL, straight from the files
# (reference/measurements.md §2 and §4):
#   PCR17 = E(E(E(E(0, H(SLB[0:SL_SIZE])), H(le32(dlme_entry))), H(DLME)), H(initrd))
# where SL_SIZE is the u16 at SLB offset 2, the DLME is what GRUB leaves at
# dlme_base: the bzImage minus its (setup_sects + 1) * 512 setup bytes,
# zero-filled up to dlme_size = init_size (u32 at 0x260) rounded up to 4 KiB;
# dlme_entry is 0 for a kernel without an MLE header; and
# E(P, d) = SHA256(P || d). Compares with summary.json.
set -euo pipefail
slb=$1 kernel=$2 initrd=$3 summary=$4

u16() { od -An -tu2 -j "$2" -N2 "$1" | tr -d ' '; }
u8() { od -An -tu1 -j "$2" -N1 "$1" | tr -d ' '; }
u32() { od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '; }
sha() { openssl dgst -sha256 -r | cut -d' ' -f1; }
hex2bin() { printf "$(sed 's/../\\x&/g' <<<"$1")"; }
extend() { { hex2bin "$1"; hex2bin "$2"; } | sha; }

sl_size=$(u16 "$slb" 2)
setup_sects=$(u8 "$kernel" $((0x1f1))); [ "$setup_sects" -eq 0 ] && setup_sects=4
entry_le32=00000000
payload=$(( $(stat -c %s "$kernel") - (setup_sects + 1) * 512 ))
init_size=$(u32 "$kernel" $((0x260)))
dlme_size=$(( (init_size + 4095) / 4096 * 4096 ))
[ "$dlme_size" -ge "$payload" ] || { echo "init_size below the payload size"; exit 1; }

pcr=$(printf '0%.0s' $(seq 64))
pcr=$(extend "$pcr" "$(head -c "$sl_size" "$slb" | sha)")
pcr=$(extend "$pcr" "$(hex2bin "$entry_le32" | sha)")
pcr=$(extend "$pcr" "$({ tail -c +$(( (setup_sects + 1) * 512 + 1 )) "$kernel"; head -c $(( dlme_size - payload )) /dev/zero; } | sha)")
pcr=$(extend "$pcr" "$(sha < "$initrd")")

tpm=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["tpm_pcrs"]["sha256"]["17"])' "$summary")
echo "OpenSSL from the files: PCR17.sha256 = $pcr"
echo "TPM after the launch:   PCR17.sha256 = $tpm"
if [ "$pcr" = "$tpm" ]; then echo "MATCH"; else echo "MISMATCH"; exit 1; fi
