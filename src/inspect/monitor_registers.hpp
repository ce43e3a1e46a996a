// The registers QEMU's gdbstub does not give: each vCPU's IDTR and TR, from the
// monitor's register dump (`info registers -a`, asked through the
// gdbstub's own monitor, GdbRemote::request_monitor). The dump costs QEMU
// 0.15-0.26 ms, so the inspector asks for it at the start of its pause and
// reads it after the copy: QEMU formats it while the code is copied.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace drtm::inspect {

// What LIDT loaded: the linear base address of the IDT and its limit (its
// size in bytes minus one).
struct DescriptorTableRegister {
    std::uint64_t base = 0;
    std::uint32_t limit = 0;
    bool operator==(const DescriptorTableRegister&) const = default;
};

// What LTR loaded, as the CPU caches it from the TSS descriptor: the
// selector, the TSS's linear base address and its limit.
struct TaskRegister {
    std::uint16_t selector = 0;
    std::uint64_t base = 0;
    std::uint32_t limit = 0;
    // QEMU prints segment bases in 32 bits when the vCPU is not running
    // 64-bit code (compatibility mode: a 32-bit process or guest): `base`
    // then holds only the low half.
    bool base_low_half_only = false;
    bool operator==(const TaskRegister&) const = default;
};

// What else of the vCPU's state the judgement of those two depends on;
// each empty when the dump does not show it.
struct VcpuState {
    std::optional<unsigned> cpl;        // "CPL=": the privilege level it runs at
    std::optional<bool> halted;         // "HLT=": stopped in HLT until an interrupt
    std::optional<std::uint64_t> efer;  // "EFER=": bit 12 SVME, SVM on
    static constexpr std::uint64_t kEferSvme = 1u << 12;
    bool operator==(const VcpuState&) const = default;
};

struct SystemRegisters {
    DescriptorTableRegister idtr;
    TaskRegister tr;
    VcpuState state;
};

// Each vCPU's IDTR and TR from the dump, in the order of `cpu_indexes`.
// QEMU (target/i386/cpu-dump.c) heads each vCPU's part with "CPU#<index>",
// prints "IDT=" followed by the base and the limit in hex, and "TR ="
// followed by the selector, base, limit and flags in hex, and "CPL=",
// "HLT=" and "EFER=" (VcpuState, when there); lines end in
// "\r\n" (the monitor's own line ends). Throws std::runtime_error naming
// the vCPU and what is wrong when a vCPU asked for is missing, listed out
// of order, or its IDT or TR line is not that.
std::vector<SystemRegisters> system_registers_from_dump(std::string_view dump,
                                                        std::span<const int> cpu_indexes);

}  // namespace drtm::inspect
