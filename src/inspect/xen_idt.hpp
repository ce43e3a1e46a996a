// Xen's own interrupt descriptor tables, held to what the golden xen-syms
// leaves in them once booted. Xen keeps them in writable memory (CPU 0's is
// idt_table in .bss, the others' pages of its heap, idt_tables[cpu]), so a
// gate aimed elsewhere, or opened to a guest with a DPL it should not have,
// runs the attacker's code in Xen with its .text untouched.
//
// What booted Xen 4.17 (arch/x86/traps.c, pv/traps.c, x86_64/entry.S)
// leaves in each gate:
//  - every vector with an entry in autogen_entrypoints (a table of
//    generated stubs in init data, which xen-syms still holds): an
//    interrupt gate, DPL 0, to that stub;
//  - every other vector, one of the gates Xen sets by hand
//    (init_idt_traps, pv_trap_init, trap_init), named below by vector,
//    handler, DPL and the interrupt stack enable_each_ist gives it.
// A vector both or neither of them fill means another Xen: refused.
//
// What Xen changes at runtime, and is allowed for:
//  - the four interrupt stacks (#MC, NMI, #DB, #DF) are taken away all
//    together (disable_each_ist: an AP's fresh copy, SVM's HVM context),
//    never one alone;
//  - a CPU taken offline (play_dead) gets its NMI gate aimed at trap_nop
//    with no stack;
//  - nothing else; but 4.17.0 to 4.17.2 set int 0x80 and 0x82 as trap
//    gates (XSA-446 made them interrupt gates in 4.17.3; XPTI made 0x80
//    one before), so the release is read from the golden image
//    (xen_release.hpp), and the gates held to 4.17's only for a 4.17.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "binary/bytes.hpp"
#include "image/kallsyms.hpp"
#include "inspect/golden_code.hpp"
#include "inspect/guest_memory.hpp"
#include "inspect/linux_idt.hpp"
#include "inspect/paused_copy.hpp"
#include "inspect/xen_virtual_memory.hpp"

namespace drtm::inspect {

// One vCPU running Xen, as the pause found it.
struct XenVcpuIdt {
    int cpu_index = 0;  // QEMU's
    DescriptorTableRegister idtr;
    binary::Bytes table;  // through Xen's idle_pg_table; empty when it does not map it
    // Empty when the vCPU's own page tables (CR3: a PV guest's, or under
    // XPTI its CPU's root_pgt) map the table's page where Xen's do; an
    // interrupt there dispatches through what they map, not what was read.
    std::string own_mapping_problem;
    std::optional<TaskRegister> tr;
    VcpuState state;
    // Xen's CPU whose idt_tables[] entry the IDTR is; then that CPU's TSS
    // (XenTss::kBytes, read where Xen keeps it; empty when not mapped) and
    // how the vCPU's CR3 maps it.
    std::optional<std::size_t> cpu;
    binary::Bytes tss;
    std::string tss_mapping_problem;
};

// Xen's own record of its CPUs (idt_tables[], cpu_online_map), which ties
// each vCPU's IDTR to a CPU of Xen's and says whether that CPU is online,
// and of their stacks (stack_base[], __per_cpu_offset[], tss_page).
struct XenCpus {
    std::vector<std::uint64_t> idt_tables;       // idt_tables[0, nr_cpu_ids)
    std::vector<std::uint64_t> online_words;     // cpu_online_map's bitmap
    std::vector<std::uint64_t> stack_bases;      // stack_base[0, nr_cpu_ids)
    std::vector<std::uint64_t> per_cpu_offsets;  // __per_cpu_offset[0, nr_cpu_ids)
    std::uint64_t tss_page = 0;                  // per_cpu__tss_page's link address
    std::string stacks_unread;                   // why the last three are not, if so
    bool online(std::size_t cpu) const {
        return cpu / 64 < online_words.size() && (online_words[cpu / 64] >> (cpu % 64) & 1);
    }
    bool has_stacks() const {
        return stacks_unread.empty() && stack_bases.size() == idt_tables.size() &&
               per_cpu_offsets.size() == idt_tables.size();
    }
};

// In the pause: `vcpu`'s IDTR, the table it points at and how its CR3 maps
// it; with Xen's record (read in the same pause), its CPU and that CPU's TSS.
XenVcpuIdt read_vcpu_idt(const GuestMemory& ram, const XenVirtualMemory& xen,
                         const PausedVcpu& vcpu, const XenCpus* cpus);

class XenCpuRecord {
  public:
    // Before the pause: where the golden Xen keeps the record, and how many
    // CPUs it has (nr_cpu_ids, fixed at boot). Throws std::runtime_error.
    static XenCpuRecord locate(const GoldenCode& golden, const GuestMemory& ram,
                               const XenVirtualMemory& xen);
    // In the pause. Throws std::runtime_error when it is not mapped.
    XenCpus read(const GuestMemory& ram, const XenVirtualMemory& xen) const;

  private:
    std::uint64_t idt_tables_ = 0, cpu_online_map_ = 0, stack_base_ = 0, per_cpu_offset_ = 0,
                  tss_page_ = 0;
    std::size_t cpus_ = 0;
    std::string stacks_unread_;
};

// A CPU's TSS as Xen 4.17's load_system_tables fills it (struct tss64 in
// struct tss_page, after the shadow-stack IST table): rsp0 on the CPU's
// primary stack, the four interrupt stacks at the tops of its stack
// block's pages 1-4 (counting from 0; stack_base[cpu], 8 pages), the rest
// poisoned. TR holds TSS_SELECTOR with the limit 0x67.
// An entry aimed elsewhere switches the CPU to an attacker's stack on the
// next NMI or machine check, with no gate changed.
struct XenTss {
    static constexpr std::size_t kBytes = kTssBytes;
    static constexpr std::uint64_t kOffsetInPage = 64;  // after ist_ssp[8]
    static constexpr std::uint64_t kStackSize = 8 * 4096;
    static constexpr std::uint64_t kPoison = 0x8600111111111111ull;
    static constexpr std::uint16_t kNoIoBitmap = 0x8000;  // IOBMP_INVALID_OFFSET
    static constexpr std::uint16_t kSelector = 0xe040;    // TSS_SELECTOR
    // #DF's IST lies this far below its page's top: cpu_user_regs' es,
    // ds, fs and gs, which the #DF handler writes.
    static constexpr std::uint64_t kDoubleFaultFrame = 0x20;
    // One line per field of `tss` (kBytes, as read) that is not what Xen
    // leaves there for the CPU whose stack block starts at `stack`, each
    // starting with `whose`.
    static std::vector<std::string> check(binary::ByteView tss, std::uint64_t stack,
                                          const std::string& whose);
};

struct XenIdtVerdict {
    std::vector<std::string> problems, not_judged;
    std::size_t gates_checked = 0, idtrs_checked = 0, tss_checked = 0;
};

class XenIdt {
  public:
    static constexpr std::size_t kVectors = LinuxIdt::kVectors;  // the architecture's
    static constexpr std::size_t kTableBytes = LinuxIdt::kTableBytes;
    static constexpr std::uint16_t kHypervisorCodeSegment = 0xe008;  // __HYPERVISOR_CS
    static constexpr std::size_t kNmiVector = 2;

    // Throws std::runtime_error saying why when the golden image is not
    // laid out as Xen 4.17's (a handler it sets by hand is missing, or a
    // vector is filled twice or not at all).
    static XenIdt from_golden(const GoldenCode& golden);
    // The same from the golden image's symbols, the bytes of its
    // autogen_entrypoints (256 little-endian link addresses, 0 for none)
    // and its 4.17 release's third number (none: not known).
    static XenIdt from_tables(const image::KernelSymbols& symbols,
                              binary::ByteView autogen_entrypoints,
                              std::optional<unsigned> patch = std::nullopt);
    // From the gates themselves (tests); every one an interrupt gate.
    explicit XenIdt(const std::array<ExpectedIdtGate, kVectors>& expected,
                    std::uint64_t trap_nop = 0)
        : expected_(expected), trap_nop_(trap_nop) {
        types_.fill(kInterruptOnly);
    }

    const std::array<ExpectedIdtGate, kVectors>& expected() const { return expected_; }

    // One line per gate of `table_bytes` (an IDT as read, kTableBytes)
    // that is not what the golden image leaves there, each starting with
    // `whose` ("vCPU 1's IDT vector 14: ..."). With `offline`, the NMI gate
    // may be the one play_dead leaves.
    std::vector<std::string> check(binary::ByteView table_bytes,
                                   const image::KernelSymbols& symbols, const std::string& whose,
                                   bool offline = false) const;

    // Every vCPU's IDTR and table from one pause, with Xen's record of its
    // CPUs from the same pause (none when it could not be read: `why`).
    XenIdtVerdict judge(std::span<const XenVcpuIdt> vcpus, const std::optional<XenCpus>& cpus,
                        const std::string& why, const image::KernelSymbols& symbols) const;

    // Whether every gate the golden image gives an interrupt stack has
    // none in `table_bytes` (disable_each_ist's work; with `offline`,
    // play_dead's NMI gate not counted).
    bool interrupt_stacks_taken(binary::ByteView table_bytes, bool offline) const;

  private:
    XenIdt() = default;
    bool is_play_dead_nmi(const IdtGate& gate) const;
    static std::array<IdtGate, kVectors> decode(binary::ByteView table_bytes);
    bool stacks_taken(const std::array<IdtGate, kVectors>& gates, bool offline) const;
    std::array<ExpectedIdtGate, kVectors> expected_{};
    // The gate types a vector may hold, one bit per type.
    static constexpr std::uint16_t kInterruptOnly = 1u << LinuxIdt::kInterruptGate,
                                   kTrapOnly = 1u << LinuxIdt::kTrapGate,
                                   kInterruptOrTrap = kInterruptOnly | kTrapOnly;
    std::array<std::uint16_t, kVectors> types_{};
    std::uint64_t trap_nop_ = 0;  // 0: the golden image has none
};

}  // namespace drtm::inspect
