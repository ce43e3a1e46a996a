#!/usr/bin/env bash
# Cost of `drtm predict` for a Linux launch against OpenSSL hashing the same
# inputs, in one run.
#
#   bench/predict_vs_openssl.sh [BUILD_DIR] [KERNEL] [INITRD]
#
# Prints three times (the median of 5 runs each) and two ratios of those
# medians; medians, so one disturbed run does not decide a figure (the
# machine is shared):
#  - drtm predict (AMD flavour: both banks, every stage);
#  - `openssl dgst -sha256` over the kernel and initrd files;
#  - `openssl dgst -sha1` + `-sha256` over the bytes the launch really
#    measures: the kernel's protected-mode part zero-filled to
#    page_align(init_size) (what GRUB leaves at dlme_base), and the initrd.
# The second ratio is the fair one: the measured DLME of a bzImage is much
# larger than the file (init_size covers the decompressed kernel).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build="${1:-$top/build/release}"
kernel="${2:-$top/.cache/artifacts/vmlinuz}"
initrd="${3:-$top/.cache/artifacts/initrd.img}"
drtm="$build/drtm"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

"$drtm" image make-test-dce --flavour amd --out "$work/skl.bin"
runs=5
median() {  # median wall time of $runs runs of "$@", in seconds
  local i t=()
  for ((i = 0; i < runs; i++)); do
    local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N)
    t+=("$(awk -v s="$s" -v e="$e" 'BEGIN { print e - s }')")
  done
  printf '%s\n' "${t[@]}" | sort -g | awk '{ d[NR] = $1 } END { print d[(NR + 1) / 2] }'
}

setup_sects=$(od -An -tu1 -j $((0x1f1)) -N1 "$kernel" | tr -d ' '); [ "$setup_sects" -eq 0 ] && setup_sects=4
init_size=$(od -An -tu4 -j $((0x260)) -N4 "$kernel" | tr -d ' ')
payload=$(( $(stat -c %s "$kernel") - (setup_sects + 1) * 512 ))
dlme_size=$(( (init_size + 4095) / 4096 * 4096 ))
{ tail -c +$(( (setup_sects + 1) * 512 + 1 )) "$kernel"; head -c $(( dlme_size - payload )) /dev/zero; } > "$work/dlme.bin"

t_drtm=$(median "$drtm" predict --flavour amd --dce "$work/skl.bin" --kernel "$kernel" --initrd "$initrd" --cmdline "console=ttyS0")
t_files=$(median openssl dgst -sha256 "$kernel" "$initrd")
t_measured=$(median sh -c "openssl dgst -sha1 '$work/dlme.bin' '$initrd' && openssl dgst -sha256 '$work/dlme.bin' '$initrd'")

printf 'inputs: kernel %d B, initrd %d B; measured DLME %d B (init_size %d)\n' \
  "$(stat -c %s "$kernel")" "$(stat -c %s "$initrd")" "$dlme_size" "$init_size"
printf '%-52s %8.3f s (median of %d)\n' "drtm predict (amd, sha1+sha256)" "$t_drtm" $runs
printf '%-52s %8.3f s (median of %d)\n' "openssl dgst -sha256 kernel initrd (the files)" "$t_files" $runs
printf '%-52s %8.3f s (median of %d)\n' "openssl dgst -sha1, -sha256 (the measured bytes)" "$t_measured" $runs
printf '%-52s %8.2f x\n' "ratio vs openssl over the files" "$(awk -v a="$t_drtm" -v b="$t_files" 'BEGIN { print a / b }')"
printf '%-52s %8.2f x\n' "ratio vs openssl over the measured bytes" "$(awk -v a="$t_drtm" -v b="$t_measured" 'BEGIN { print a / b }')"
