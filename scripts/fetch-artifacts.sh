#!/usr/bin/env bash
# Fetches the real boot images the demo and the end-to-end tests launch:
# Debian's kernel (linux-image-amd64), Debian's Xen hypervisor, and builds a
# small busybox initrd. Everything lands in .cache/artifacts/ (not committed).
# Downloads use apt (Debian's archive), so they are signed and verified.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
out="${DRTM_ARTIFACTS_DIR:-$top/.cache/artifacts}"
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fetch_deb() {  # package[=version] [package-name] -> path of the downloaded .deb
  (cd "$work" && apt-get download -qq "$1" >/dev/null 2>&1 || {
     apt-get update -qq >/dev/null && apt-get download -qq "$1" >/dev/null; })
  ls "$work"/"${2:-$1}"_*.deb
}

if [ ! -s "$out/vmlinuz" ]; then
  kpkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
  [ -n "$kpkg" ] || { apt-get update -qq; kpkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}'); }
  echo "fetch-artifacts: kernel $kpkg"
  deb=$(fetch_deb "$kpkg")
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work" --wildcards './boot/vmlinuz-*'
  cp "$work"/boot/vmlinuz-* "$out/vmlinuz.tmp" && mv "$out/vmlinuz.tmp" "$out/vmlinuz"
  echo "$kpkg" > "$out/vmlinuz.package"
  rm -f "$deb"
fi

# Xen's loader image (xen.gz) and, from the -dbg package of the same
# version, xen-syms: the ELF with symbols runtime inspection compares a
# running Xen with. Both come from one version so their build IDs agree.
if [ ! -s "$out/xen.gz" ] || [ ! -s "$out/xen-syms" ]; then
  xpkg=$(apt-cache search --names-only '^xen-hypervisor-4\.[0-9]+-amd64$' | awk '{print $1}' | sort -V | tail -n1)
  [ -n "$xpkg" ] || { apt-get update -qq; xpkg=$(apt-cache search --names-only '^xen-hypervisor-4\.[0-9]+-amd64$' | awk '{print $1}' | sort -V | tail -n1); }
  xver=$(apt-cache policy "$xpkg" | awk '/Candidate:/ {print $2}')
  echo "fetch-artifacts: hypervisor $xpkg $xver (and its -dbg)"
  deb=$(fetch_deb "$xpkg=$xver" "$xpkg")
  dbg=$(fetch_deb "$xpkg-dbg=$xver" "$xpkg-dbg")
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work" --wildcards './boot/xen-*.gz'
  dpkg-deb --fsys-tarfile "$dbg" | tar -x -C "$work" --wildcards './usr/lib/debug/boot/xen-syms-*'
  cp "$(ls "$work"/boot/xen-*.gz | head -n1)" "$out/xen.gz.tmp"
  cp "$(ls "$work"/usr/lib/debug/boot/xen-syms-* | grep -v '\.map$' | head -n1)" "$out/xen-syms.tmp"
  mv "$out/xen.gz.tmp" "$out/xen.gz" && mv "$out/xen-syms.tmp" "$out/xen-syms"
  echo "$xpkg" > "$out/xen.package"
  rm -f "$deb" "$dbg"
fi

# pack_initrd ROOT OUT: ROOT (with an executable /init) as a gzipped cpio.
# Fixed timestamps and ordering make the initrd, and so its digest,
# reproducible.
pack_initrd() {
  chmod 0755 "$1/init"
  find "$1" -exec touch -h -d @0 {} +
  (cd "$1" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --reproducible -R 0:0 --quiet) \
    | gzip -9n > "$2.tmp"
  mv "$2.tmp" "$2"
}

if [ ! -s "$out/initrd.img" ]; then
  echo "fetch-artifacts: building a busybox initrd"
  root="$work/initrd"
  mkdir -p "$root"/{bin,dev,proc,sys,tmp}
  cp /bin/busybox "$root/bin/busybox"
  for a in sh mount cat ls echo poweroff sleep; do ln -sf busybox "$root/bin/$a"; done
  cat > "$root/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
echo "drtm demo initrd: kernel $(cat /proc/version)"
[ -r /sys/kernel/security/slaunch/eventlog ] && echo "secure launch event log present"
poweroff -f
INIT
  pack_initrd "$root" "$out/initrd.img"
fi

# The runtime-inspection guest: scripts/guest/guest-init.sh as /init, with
# busybox and fw_cfg_read (built here, static). Rebuilt when a source, this
# script or busybox changes (the stamp holds their digest).
guest_stamp=$(cat "$top/scripts/guest/guest-init.sh" "$top/scripts/guest/fw_cfg_read.c" "$top/scripts/fetch-artifacts.sh" /bin/busybox | sha256sum | cut -d ' ' -f 1)
if [ ! -s "$out/guest-initrd.img" ] || [ "$(cat "$out/guest-initrd.stamp" 2>/dev/null)" != "$guest_stamp" ]; then
  echo "fetch-artifacts: building the inspection guest's initrd"
  root="$work/guest-initrd"
  mkdir -p "$root"/{bin,dev,proc,sys,tmp}
  cp /bin/busybox "$root/bin/busybox"
  for a in sh mount cat echo sleep sha256sum cut wc; do ln -sf busybox "$root/bin/$a"; done
  ${CC:-cc} -static -Os -s -o "$root/bin/fw_cfg_read" "$top/scripts/guest/fw_cfg_read.c"
  cp "$top/scripts/guest/guest-init.sh" "$root/init"
  pack_initrd "$root" "$out/guest-initrd.img"
  echo "$guest_stamp" > "$out/guest-initrd.stamp"
fi

ls -l "$out"
