// Every place in a Linux kernel's .text that the kernel itself rewrites at
// boot or run time, read from the golden image's own tables (never from
// guest memory: most tables live in init memory the guest frees). Linux 6.1
// layouts, reference/runtime-inspection.md §4.3:
//
//   alternatives     .altinstructions   12 B: s32 instr_off, s32 repl_off,
//                                       u16 cpuid, u8 instrlen, u8 replacementlen
//   paravirt         .parainstructions  16 B: u64 instr, u8 type, u8 len
//   retpoline sites  .retpoline_sites   s32 self-relative; the call or jmp
//                                       (5 bytes) or Jcc (6 bytes) to a thunk
//   return sites     .return_sites      s32 self-relative, 5 bytes
//   lock prefixes    .smp_locks         s32 self-relative, 1 byte
//   jump labels      __start___jump_table..__stop: 16 B: s32 code (self-rel),
//                                       s32 target, s64 key; 2 bytes if the
//                                       golden opcode is a short form, else 5
//   static calls     __start_static_call_sites..__stop: 8 B: s32 addr, s32 key
//   ftrace           __start_mcount_loc..__stop: u64 VAs (0 = none), 5 bytes
//   static-call trampolines: every __SCT__* symbol, 5 bytes
//
// The table bounds inside merged sections come from kallsyms.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "image/elf.hpp"
#include "image/kallsyms.hpp"

namespace drtm::inspect {

enum class PatchKind : std::uint8_t {
    alternative,
    paravirt,
    retpoline,
    return_thunk,
    lock_prefix,
    jump_label,
    static_call,
    ftrace,
    static_call_trampoline,
    xen_alternative,  // Xen's alternatives (xen_patch_sites.hpp): other rules
    xen_endbr_seal,   // an endbr64 Xen seals on CET-IBT hardware (xen_patch_sites.hpp)
    xen_pv_iret,      // Linux as a Xen PV guest: the jmp its start-up aims at xen_iret
};
const char* patch_kind_name(PatchKind kind);

struct PatchSite {
    std::uint64_t address = 0;
    std::uint16_t length = 0;
    PatchKind kind = PatchKind::alternative;
    // Jump label: the address its jump goes to when enabled. Alternative:
    // the address of its replacement bytes (in .altinstr_replacement).
    // Static call and static-call trampoline: its key (static_call_key).
    // Paravirt: its pv_ops slot (the pointer the kernel patched a call to).
    // Xen endbr64 seal: a cf_clobber table pointer naming it, or 0.
    // Xen PV iret: xen_iret, the one place the jmp may go besides golden.
    std::uint64_t target = 0;
    std::uint16_t replacement_length = 0;  // alternatives only
    // Xen's alternatives: the site's last `padding` bytes are nops of the
    // toolchain's choice, which Xen re-encodes with its own when it leaves
    // the original in place; `feature` is the entry's cpuid.
    std::uint16_t padding = 0;
    std::uint16_t feature = 0;
    // Jump label: its static_key (link address), and whether its code
    // jumps when the key is disabled (the entry's branch bit: the kernel
    // writes a jmp exactly when enabled XOR branch).
    std::uint64_t key = 0;
    bool branch = false;
};

// Sites inside .text, in table order. Throws binary::ParseError when a
// table is missing or malformed.
std::vector<PatchSite> linux_patch_sites(const image::ElfImage& elf,
                                         const image::KernelSymbols& symbols);

}  // namespace drtm::inspect
