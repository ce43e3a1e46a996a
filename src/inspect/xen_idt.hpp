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
//    handler, DPL and the interrupt stack enable_each_ist gives it (Xen
//    may clear that stack at runtime, so 0 is allowed there too).
// A vector both or neither of them fill means another Xen: refused.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "binary/bytes.hpp"
#include "image/kallsyms.hpp"
#include "inspect/golden_code.hpp"
#include "inspect/linux_idt.hpp"

namespace drtm::inspect {

class XenIdt {
  public:
    static constexpr std::size_t kVectors = 256;
    static constexpr std::size_t kTableBytes = kVectors * 16;
    static constexpr std::uint16_t kHypervisorCodeSegment = 0xe008;  // __HYPERVISOR_CS

    // Throws std::runtime_error saying why when the golden image is not
    // laid out as Xen 4.17's (a handler it sets by hand is missing, or a
    // vector is filled twice or not at all).
    static XenIdt from_golden(const GoldenCode& golden);
    // From the gates themselves (tests).
    explicit XenIdt(const std::array<ExpectedIdtGate, kVectors>& expected) : expected_(expected) {}

    const std::array<ExpectedIdtGate, kVectors>& expected() const { return expected_; }

    // One line per gate of `table_bytes` (an IDT as read, kTableBytes)
    // that is not what the golden image leaves there, each starting with
    // `whose` ("vCPU 1's IDT vector 14: ...").
    std::vector<std::string> check(binary::ByteView table_bytes,
                                   const image::KernelSymbols& symbols,
                                   const std::string& whose) const;

  private:
    XenIdt() = default;
    std::array<ExpectedIdtGate, kVectors> expected_{};
};

}  // namespace drtm::inspect
