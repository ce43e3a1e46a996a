#!/usr/bin/env python3
"""Expected PCR 17-19 (SHA-256) of an inspection of an intact guest, computed
without drtm: hashlib, lzma and binutils' objcopy. The golden values of the
inspection e2e tests.

    inspection_pcrs.py DRTM_EXECUTABLE VMLINUZ  ->  {"17": hex, "18": hex, "19": hex}
    inspection_pcrs.py --dom0 DRTM_EXECUTABLE VMLINUZ  ->  the kernel as Xen's PV dom0
    inspection_pcrs.py --xen DRTM_EXECUTABLE XEN_SYMS  ->  the same for Xen
    inspection_pcrs.py --xen DRTM_EXECUTABLE XEN_SYMS VMLINUZ  ->  Xen, then its
        dom0, in one launch: PCR 18 and 19 extended with Xen's, then dom0's
    ... --lsms "capability apparmor ..."  ->  also "20": the LSMs the kernel runs

PCR 17: the inspector's dynamic launch, E(0, H(descriptor)) with the
descriptor "drtm-inspector/1\\ninspector-sha256 <hex>\\n".
PCR 18: E(E(0, H(rules)), H(the bzImage file)), the rules the ASCII text
"linux native", "linux xen-pv" (dom0) or "xen".
PCR 19: E(E(0, H(.text)), H(.rodata)) of the vmlinux inside the bzImage.
For Xen, the golden file is xen-syms itself, and its .text runs to the end
of its last page (the file bytes up to it: Xen maps that page executable).
PCR 20: E(0, H(the LSM names, each once, sorted, space-separated)), names
given with or without their hook arrays' "_hooks".
"""
import hashlib
import json
import lzma
import os
import struct
import subprocess
import sys
import tempfile


def sha256(data):
    return hashlib.sha256(data).digest()


def extend(pcr, data):
    return sha256(pcr + sha256(data))


def vmlinux_of(bzimage):
    # Boot protocol: setup_sects at 0x1f1, payload_offset/length at 0x248;
    # the payload is an xz stream followed by its 4-byte decompressed size.
    setup_sects = bzimage[0x1F1] or 4
    start = (setup_sects + 1) * 512
    offset, length = struct.unpack_from("<II", bzimage, 0x248)
    return lzma.LZMADecompressor().decompress(bzimage[start + offset:start + offset + length])


def section(elf_path, name, work):
    out = os.path.join(work, name.strip(".") + ".bin")
    subprocess.run(["objcopy", "-O", "binary", "--only-section=" + name, elf_path, out], check=True)
    with open(out, "rb") as f:
        return f.read()


def sections_of(elf):
    """{name: (addr, offset, size)} from an ELF64's section headers."""
    shoff, = struct.unpack_from("<Q", elf, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", elf, 0x3A)
    headers = [struct.unpack_from("<IIQQQQ", elf, shoff + i * shentsize) for i in range(shnum)]
    names = headers[shstrndx][4]
    out = {}
    for name, _, _, addr, offset, size in headers:
        end = elf.index(b"\0", names + name)
        out[elf[names + name:end].decode()] = (addr, offset, size)
    return out


def image_sections(path, xen, work):
    """(golden file bytes, .text, .rodata) as the inspection measures them."""
    with open(path, "rb") as f:
        golden_bytes = f.read()
    elf = path
    if not xen:
        elf = os.path.join(work, "vmlinux")
        with open(elf, "wb") as f:
            f.write(vmlinux_of(golden_bytes))
    text = section(elf, ".text", work)
    rodata = section(elf, ".rodata", work)
    if xen:
        sections = sections_of(golden_bytes)
        addr, offset, size = sections[".text"]
        page_end = min((addr + size + 0xFFF) & ~0xFFF, sections[".rodata"][0])
        assert golden_bytes[offset:offset + size] == text
        text = golden_bytes[offset:offset + page_end - addr]
    return golden_bytes, text, rodata


def main():
    args = sys.argv[1:]
    lsms = None
    if "--lsms" in args:
        at = args.index("--lsms")
        names = args[at + 1].replace(",", " ").split()
        bare = {n[:-len("_hooks")] if n.endswith("_hooks") else n for n in names}
        lsms = " ".join(sorted(n for n in bare if n))
        del args[at:at + 2]
    xen = "--xen" in args
    dom0 = xen or "--dom0" in args
    args = [a for a in args if a not in ("--xen", "--dom0")]
    drtm = args[0]
    # Xen first, then its dom0's kernel: the order of the inspection. The
    # rules each was held to are measured before its golden file.
    images = ([(args[1], "xen")] if xen else []) + [
        (path, "linux xen-pv" if dom0 else "linux native") for path in args[1 + xen:]]
    with open(drtm, "rb") as f:
        inspector = hashlib.sha256(f.read()).hexdigest()
    descriptor = ("drtm-inspector/1\ninspector-sha256 %s\n" % inspector).encode()
    zero = bytes(32)
    pcr18, pcr19 = zero, zero
    for path, rules in images:
        with tempfile.TemporaryDirectory() as work:
            golden_bytes, text, rodata = image_sections(path, rules == "xen", work)
        pcr18 = extend(extend(pcr18, rules.encode()), golden_bytes)
        pcr19 = extend(extend(pcr19, text), rodata)
    pcrs = {"17": extend(zero, descriptor), "18": pcr18, "19": pcr19}
    if lsms is not None:
        pcrs["20"] = extend(zero, lsms.encode())
    print(json.dumps({k: v.hex() for k, v in pcrs.items()}))


if __name__ == "__main__":
    main()
