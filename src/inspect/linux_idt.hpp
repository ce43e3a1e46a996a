// A native x86-64 Linux kernel's interrupt descriptor table (idt_table),
// held to what the golden kernel leaves in it once booted. Every gate is
// an entry into the kernel: an IDT gate aimed elsewhere (the classic IDT
// hook), opened to user mode (DPL 3) or moved off its interrupt stack runs
// the attacker's choice with .text itself untouched.
//
// What booted Linux (arch/x86/kernel/idt.c) leaves in each gate, all of it
// read from the golden kernel, nothing per version written here:
//  - vectors 0-31 first get the early handlers (early_idt_handler_array,
//    one stub per vector);
//  - then the tables early_idts, early_pf_idts, def_idts and apic_idts
//    (struct idt_data, in init data the golden ELF still holds), in the
//    order the kernel applies them, replace the gates they name;
//  - every external vector no table names gets its stub in
//    irq_entries_start (one per vector, IDT_ALIGN bytes each, pushing the
//    vector), and every system vector its stub in spurious_entries_start;
//    a system vector may also be given an asm_sysvec_* handler at runtime
//    (alloc_intr_gate: a hypervisor's callback vector).
// The gate's code segment must be the kernel's and its type an interrupt
// gate, as Linux sets every one.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "binary/bytes.hpp"
#include "image/elf.hpp"
#include "image/kallsyms.hpp"
#include "inspect/monitor_registers.hpp"

namespace drtm::inspect {

// CPU_ENTRY_AREA_RO_IDT: where x86-64 Linux maps idt_table's page
// read-only for the CPUs (idt_map_in_cea), and what IDTR holds.
inline constexpr std::uint64_t kCpuEntryAreaIdt = 0xfffffe0000000000ull;

// Empty when a vCPU's IDTR is what every CPU of a booted kernel loads
// (idt_descr once idt_map_in_cea has run: the alias above, limit 0xfff or
// more); otherwise what it holds instead. An IDTR aimed elsewhere
// dispatches through a table the inspection of idt_table never sees.
// A CPU being brought online holds another for a while (see
// linux_inspector.cpp), which is not this function's to judge.
std::string idtr_problem(const DescriptorTableRegister& idtr);

// One 16-byte x86-64 gate descriptor (struct gate_struct).
struct IdtGate {
    std::uint64_t target = 0;
    std::uint16_t segment = 0;
    std::uint8_t ist = 0, type = 0, dpl = 0;
    bool present = false;
};
IdtGate decode_idt_gate(binary::ByteView sixteen_bytes);

// What the golden kernel leaves in one gate (link addresses).
struct ExpectedIdtGate {
    std::uint64_t target = 0;
    std::uint8_t ist = 0, dpl = 0;
    std::string origin;        // "def_idts", "early handler", "IRQ stub", ...
    bool allocatable = false;  // a system vector alloc_intr_gate may fill
};

// One entry of a Xen PV kernel's trap table (struct trap_info), as
// cvt_gate_to_trap fills it from a gate: the handler, and flags holding the
// gate's DPL with bit 2 set for an interrupt gate (Xen then masks events on
// entry). Every gate Linux sets is an interrupt gate.
struct PvTrap {
    std::uint64_t address = 0;  // link address; 0: none registered
    std::uint8_t flags = 0;
    static constexpr std::uint8_t kMasksEvents = 1u << 2;
};

// Why a registered trap's flags are not the golden kernel's `expected`
// ("DPL 3 (...), where the golden kernel's is 0"); empty when equal.
std::string pv_trap_flags_problem(std::uint8_t found, std::uint8_t expected);

class LinuxIdt {
  public:
    static constexpr std::size_t kVectors = 256;
    static constexpr std::size_t kTableBytes = kVectors * 16;
    static constexpr std::uint16_t kKernelCodeSegment = 0x10;  // __KERNEL_CS
    static constexpr std::uint8_t kInterruptGate = 0xE;
    static constexpr std::uint8_t kTrapGate = 0xF;

    // Empty when the golden kernel names no idt_table. Throws
    // binary::ParseError (offset into `elf_file`) when its tables or stubs
    // are not as Linux lays them out.
    static std::optional<LinuxIdt> from_golden(const image::ElfImage& elf,
                                               binary::ByteView elf_file,
                                               const image::KernelSymbols& symbols);

    std::uint64_t table() const { return table_; }  // idt_table's link address
    const std::array<ExpectedIdtGate, kVectors>& expected() const { return expected_; }

    // A Xen PV kernel registers its IDT with Xen as a trap table instead
    // (xen_load_idt, xen_write_idt_entry: cvt_gate_to_trap): each gate's
    // handler replaced by its Xen entry (the kernel's trap_array), an early
    // handler by its Xen early stub (xen_early_idt_handler_array), any
    // other by xen_asm_exc_xen_unknown_trap; a gate on an interrupt stack
    // whose Xen entry is not allowed one is left out. PV start-up sets the
    // early handlers, early_idts, early_pf_idts and def_idts, not
    // apic_idts nor the stubs. Per vector, the link address it registers
    // (0: none) and its flags; empty for a kernel without Xen PV support.
    const std::optional<std::array<PvTrap, kVectors>>& pv_traps() const { return pv_traps_; }

    // One line per gate of `table_bytes` (idt_table as read, kTableBytes)
    // that is not what the golden kernel leaves there ("IDT vector 14:
    // ..."). `delta` is runtime minus link address (KASLR).
    std::vector<std::string> check(binary::ByteView table_bytes, std::int64_t delta,
                                   const image::KernelSymbols& symbols) const;

  private:
    std::uint64_t table_ = 0;
    std::array<ExpectedIdtGate, kVectors> expected_{};
    std::vector<std::uint64_t> runtime_handlers_;  // asm_sysvec_* functions, sorted
    std::optional<std::array<PvTrap, kVectors>> pv_traps_;
};

}  // namespace drtm::inspect
