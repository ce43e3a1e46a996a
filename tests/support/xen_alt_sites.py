#!/usr/bin/env python3
"""The alternative sites of a xen-syms in its .text, read without drtm: the
section headers and .symtab parsed with struct, the 14-byte alt_instr
entries between __alt_instructions and __alt_instructions_end.

    xen_alt_sites.py XEN_SYMS  ->  {"count": n, "first": hex, "last": hex, "bytes": n,
                                    "sealable": n, "first_sealable": hex, "last_sealable": hex}

and the endbr64 seal sites: the functions in .text the pointers between
__initdata_cf_clobber_start and _end point to, that start with endbr64.
"""
import json
import struct
import sys


def main():
    with open(sys.argv[1], "rb") as f:
        elf = f.read()
    shoff, = struct.unpack_from("<Q", elf, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", elf, 0x3A)
    sections = []
    for i in range(shnum):
        name, kind, flags, addr, offset, size, link = struct.unpack_from(
            "<IIQQQQI", elf, shoff + i * shentsize)
        sections.append((name, kind, addr, offset, size, link))
    names = sections[shstrndx]

    def section_name(s):
        start = names[3] + s[0]
        return elf[start:elf.index(b"\0", start)].decode()

    by_name = {section_name(s): s for s in sections}
    symtab = by_name[".symtab"]
    strtab = sections[symtab[5]]
    symbols = {}
    for at in range(symtab[3], symtab[3] + symtab[4], 24):
        name, info, other, shndx, value, size = struct.unpack_from("<IBBHQQ", elf, at)
        start = strtab[3] + name
        symbols[elf[start:elf.index(b"\0", start)].decode()] = value

    def file_offset(va):
        for s in sections:
            if s[1] != 8 and s[2] and s[2] <= va < s[2] + s[4]:
                return s[3] + va - s[2]
        raise ValueError(hex(va))

    text = by_name[".text"]
    begin, end = symbols["__alt_instructions"], symbols["__alt_instructions_end"]
    sites = []
    for entry in range(begin, end, 14):
        orig, repl, cpuid, orig_len, repl_len, pad_len, priv = struct.unpack_from(
            "<iiHBBBB", elf, file_offset(entry))
        site, length = entry + orig, orig_len + pad_len
        if length and text[2] <= site and site + length <= text[2] + text[4]:
            sites.append((site, length))
    # Functions in .text the cf_clobber tables point to that start with
    # endbr64: what Xen seals on CET-IBT hardware.
    lo, hi = symbols["__initdata_cf_clobber_start"], symbols["__initdata_cf_clobber_end"]
    sealable = set()
    for at in range(lo, hi - 7, 8):
        target, = struct.unpack_from("<Q", elf, file_offset(at))
        if text[2] <= target and target + 4 <= text[2] + text[4] and \
                elf[file_offset(target):file_offset(target) + 4] == b"\xf3\x0f\x1e\xfa":
            sealable.add(target)
    print(json.dumps({"count": len(sites), "first": hex(sites[0][0]), "last": hex(sites[-1][0]),
                      "bytes": sum(n for _, n in sites), "sealable": len(sealable),
                      "first_sealable": hex(min(sealable)), "last_sealable": hex(max(sealable))}))


if __name__ == "__main__":
    main()
