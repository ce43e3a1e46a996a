// Every place in Xen's .text that Xen itself rewrites at boot, read from the
// golden xen-syms (the table lives in init memory Xen frees after boot).
// Xen 4.17 has one kind: alternatives, in __alt_instructions ..
// __alt_instructions_end, 14-byte packed entries (xen/arch/x86/include/asm/
// alternative.h):
//
//   s32 orig_offset   self-relative: site = &entry + orig_offset
//   s32 repl_offset   self-relative: replacement = &entry + 4 + repl_offset
//   u16 cpuid         the feature that selects the replacement
//   u8  orig_len      the original instruction(s)
//   u8  repl_len      the replacement
//   u8  pad_len       padding (0x90) after the original, patched too
//   u8  priv          Xen's own bookkeeping, 0 in the image
//
// A site spans orig_len + pad_len bytes; entries with only padding
// (orig_len 0) are sites too.
//
// Then the endbr64 seal sites: on CET-IBT hardware Xen overwrites the
// endbr64 of each function in .text that a pointer in
// __initdata_cf_clobber_start .. _end (the .init.{ro,}data.cf_clobber
// tables, read as one array of pointers) points to. Every function in
// .text starting with endbr64 is a site (Xen fills some table entries in
// at boot, for the CPU it finds); PatchSite::target is the address of a
// table pointer naming it, 0 when the image's tables name none.
#pragma once

#include <vector>

#include "image/elf.hpp"
#include "image/kallsyms.hpp"
#include "inspect/linux_patch_sites.hpp"

namespace drtm::inspect {

inline constexpr std::size_t kXenAltInstrSize = 14;

// Sites inside .text, in table order. Throws binary::ParseError when the
// table is missing or malformed.
std::vector<PatchSite> xen_patch_sites(const image::ElfImage& elf,
                                       const image::KernelSymbols& symbols);

}  // namespace drtm::inspect
