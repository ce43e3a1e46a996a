// A native x86-64 Linux vCPU's TSS: the stacks an interrupt switches to.
// A gate's interrupt stack number names one of its IST entries, and an
// interrupt from user mode switches to rsp0; an entry aimed at an
// attacker's memory runs the kernel's own handler on the attacker's stack
// at the next NMI, #DB or machine check, with no gate changed. Linux keeps
// the TSS writable in its per-CPU area (cpu_tss_rw) and has the CPU read
// it through a read-only alias in that CPU's cpu_entry_area.
//
// What every x86-64 kernel since 5.8 (the entry stack a whole page;
// 5.4.52 has it backported) leaves there, without relying on one
// version's layout (arch/x86/include/asm/cpu_entry_area.h,
// kernel/cpu/common.c):
//  - TR points at a page of the cpu_entry_area (the per-CPU part, from
//    CPU_ENTRY_AREA_PER_CPU on; 6.2 randomises which, within it);
//  - rsp0 is the top of the CPU's entry stack, the page right below its
//    TSS: the TSS's own address;
//  - each IST entry a golden gate uses is the top of one of the CPU's
//    exception stacks, which follow its TSS in the same cpu_entry_area in
//    the order of the IST numbers (DF, NMI, DB, MCE, VC): page-aligned,
//    above the TSS, within kExceptionStacksWindow of it, each above the
//    one before, and at the same offsets from the TSS on every CPU;
//  - no two CPUs share a TSS.
// rsp1, rsp2 (a scratch word of the entry code) and the I/O bitmap offset
// (a task's ioperm() sets it) change at runtime and are not judged; nor
// is an SEV-ES guest's #VC stack, which its NMI handler moves.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "binary/bytes.hpp"
#include "inspect/linux_idt.hpp"
#include "inspect/monitor_registers.hpp"
#include "inspect/paused_copy.hpp"

namespace drtm::inspect {

// CPU_ENTRY_AREA_PER_CPU, and where the area ends (its PGD slot, 512 GiB).
inline constexpr std::uint64_t kCpuEntryAreaPerCpu = kCpuEntryAreaIdt + 0x1000;
inline constexpr std::uint64_t kCpuEntryAreaEnd = 0xffffff0000000000ull;
// Past the TSS (5 pages), the exception stacks with their guard pages
// (DF, NMI, DB, MCE, VC, VC2; 8 KiB each, 16 KiB under KASAN) end within
// 128 KiB; twice that is allowed.
inline constexpr std::uint64_t kExceptionStacksWindow = 0x40000;
// cpu_tss_rw's rsp0 until cpu_init loads the entry stack's top.
inline constexpr std::uint64_t kInitialRsp0 = (1ull << 63) + 1;

// One line per TSS field that is not as above, each starting with `whose`
// ("vCPU 0's TSS"). `tss` is the TSS read (kTssBytes; empty when the
// vCPU's page tables do not map it); `ists_used` maps each IST number the
// golden kernel's gates use to the first vector using it.
std::vector<std::string> linux_tss_problems(const TaskRegister& tr, binary::ByteView tss,
                                            const std::map<int, int>& ists_used,
                                            const std::string& whose);

struct LinuxTssVerdict {
    std::vector<std::string> problems, not_judged;
    std::size_t checked = 0;
};

// Every vCPU of one pause whose IDTR was judged: each TSS as above, no
// two shared, the IST offsets the same on all. A TR QEMU printed in 32
// bits (the vCPU ran 32-bit code) or an empty one (a CPU coming online or
// resuming: LTR cannot load a null selector) is not judged.
LinuxTssVerdict judge_linux_tss(std::span<const PausedVcpu* const> vcpus,
                                const std::map<int, int>& ists_used);

}  // namespace drtm::inspect
