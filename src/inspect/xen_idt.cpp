#include "inspect/xen_idt.hpp"

#include <cstring>
#include <optional>
#include <stdexcept>

namespace drtm::inspect {

namespace {

// The gates Xen 4.17 sets by hand: vector, handler, DPL (3: guests may
// raise it with int; 1: 32-bit PV kernels), and the interrupt stack
// enable_each_ist gives it (IST_MCE 1, IST_NMI 2, IST_DB 3, IST_DF 4).
struct HandSetGate {
    std::uint8_t vector;
    const char* handler;
    std::uint8_t dpl, ist;
    bool optional;  // only in builds with CONFIG_PV32
};
constexpr HandSetGate kHandSet[] = {
    {0, "divide_error", 0, 0, false},
    {1, "debug", 0, 3, false},
    {2, "nmi", 0, 2, false},
    {3, "int3", 3, 0, false},
    {4, "overflow", 3, 0, false},
    {5, "bounds", 0, 0, false},
    {6, "invalid_op", 0, 0, false},
    {7, "device_not_available", 0, 0, false},
    {8, "double_fault", 0, 4, false},
    {10, "invalid_TSS", 0, 0, false},
    {11, "segment_not_present", 0, 0, false},
    {12, "stack_segment", 0, 0, false},
    {13, "general_protection", 0, 0, false},
    {14, "page_fault", 0, 0, false},  // trap_init's, replacing early_page_fault
    {16, "coprocessor_error", 0, 0, false},
    {17, "alignment_check", 0, 0, false},
    {18, "machine_check", 0, 1, false},
    {19, "simd_coprocessor_error", 0, 0, false},
    {21, "entry_CP", 0, 0, false},
    {0x80, "int80_direct_trap", 3, 0, false},  // LEGACY_SYSCALL_VECTOR
    {0x82, "entry_int82", 1, 0, true},         // HYPERCALL_VECTOR
};

}  // namespace

XenIdt XenIdt::from_golden(const GoldenCode& golden) {
    const auto& symbols = golden.symbols();
    const auto autogen = symbols.address("autogen_entrypoints");
    if (!autogen) throw std::runtime_error("the golden Xen has no autogen_entrypoints");
    const auto table = golden.elf().bytes_at(*autogen, kVectors * 8);
    XenIdt idt;
    std::array<bool, kVectors> filled{};
    for (std::size_t v = 0; v < kVectors; ++v) {
        std::uint64_t entry = 0;
        std::memcpy(&entry, table.data() + 8 * v, 8);
        if (!entry) continue;
        idt.expected_[v] = {.target = entry, .origin = "autogen_entrypoints"};
        filled[v] = true;
    }
    for (const auto& gate : kHandSet) {
        const auto handler = symbols.address(gate.handler);
        if (!handler) {
            if (gate.optional) continue;
            throw std::runtime_error(std::string("the golden Xen has no ") + gate.handler +
                                     ", which Xen 4.17 sets in IDT vector " +
                                     std::to_string(gate.vector));
        }
        if (filled[gate.vector])
            throw std::runtime_error("IDT vector " + std::to_string(gate.vector) +
                                     " has both an autogen_entrypoints stub and " + gate.handler +
                                     ": not Xen 4.17's IDT");
        idt.expected_[gate.vector] = {
            .target = *handler, .ist = gate.ist, .dpl = gate.dpl, .origin = "set by hand"};
        filled[gate.vector] = true;
    }
    for (std::size_t v = 0; v < kVectors; ++v)
        if (!filled[v])
            throw std::runtime_error("IDT vector " + std::to_string(v) +
                                     " has neither an autogen_entrypoints stub nor a handler Xen "
                                     "4.17 sets by hand");
    return idt;
}

std::vector<std::string> XenIdt::check(binary::ByteView table_bytes,
                                       const image::KernelSymbols& symbols,
                                       const std::string& whose) const {
    std::vector<std::string> problems;
    if (table_bytes.size() != kTableBytes) {
        problems.push_back(whose + "'s IDT was not read whole");
        return problems;
    }
    for (std::size_t v = 0; v < kVectors; ++v) {
        const auto gate = decode_idt_gate(table_bytes.subspan(v * 16, 16));
        const auto& want = expected_[v];
        const auto at = whose + "'s IDT vector " + std::to_string(v) + ": ";
        const auto golden_sets =
            "the golden Xen sets " + symbols.symbolize(want.target) + " (" + want.origin + ")";
        if (!gate.present) {
            problems.push_back(at + "not present, where " + golden_sets);
        } else if (gate.segment != kHypervisorCodeSegment ||
                   gate.type != LinuxIdt::kInterruptGate) {
            problems.push_back(at + "segment " + binary::hex_number(gate.segment) + ", type " +
                               binary::hex_number(gate.type) +
                               "; Xen sets every gate to an interrupt gate of __HYPERVISOR_CS");
        } else if (gate.target != want.target) {
            problems.push_back(at + "points at " + symbols.symbolize(gate.target) + ", where " +
                               golden_sets);
        } else if (gate.dpl != want.dpl) {
            problems.push_back(at + "DPL " + std::to_string(gate.dpl) +
                               (gate.dpl == 3 ? " (a guest may raise it with int)" : "") +
                               ", where the golden Xen's is " + std::to_string(want.dpl));
        } else if (gate.ist != want.ist && gate.ist != 0) {
            problems.push_back(at + "interrupt stack " + std::to_string(gate.ist) +
                               ", where the golden Xen's is " + std::to_string(want.ist) +
                               (want.ist ? " or none" : ""));
        }
    }
    return problems;
}

}  // namespace drtm::inspect
