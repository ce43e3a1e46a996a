#!/usr/bin/env bash
# Installs the Debian 12 packages drtm needs to build, test and run its
# emulated platform. Idempotent: re-running it installs only what is missing.
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build pkg-config clang-format
  # libFuzzer targets (make fuzz): clang and its fuzzer runtime
  clang
  # libraries
  libssl-dev zlib1g-dev liblzma-dev libtss2-dev nlohmann-json3-dev libcli11-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  # the verifier service: HTTPS (Boost.Beast over OpenSSL; cpp-httplib for the client), SQLite, PostgreSQL
  libcpp-httplib-dev libboost1.74-dev libsqlite3-dev libpq-dev
  # tcmalloc for the verifier (its per-request allocations)
  libgoogle-perftools-dev
  # a real PostgreSQL server for the storage tests and the benchmark
  postgresql-15
  # the emulated platform and independent cross-checks
  swtpm swtpm-tools tpm2-tools openssl python3 python3-cryptography jq xxd
  # crash-at-each-step tests of the sealed store (fault injection)
  strace
  # runtime inspection: real guests under QEMU (TCG)
  qemu-system-x86
  # making the demo initrd, unpacking the Debian kernel and Xen packages
  cpio busybox-static xz-utils gzip
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
