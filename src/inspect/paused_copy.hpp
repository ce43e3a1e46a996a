// The only part of an inspection the guest waits for: QMP stop, copy the
// code out of guest RAM (pages and buffers touched beforehand, so nothing
// faults), read every vCPU's CR0 and CR3 (QEMU's gdbstub, asked before the
// copy and answering during it) and check what its page tables map, QMP
// cont. Everything else (locating, comparing, measuring) runs while the
// guest runs.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "binary/bytes.hpp"
#include "inspect/guest_memory.hpp"
#include "inspect/guest_page_tables.hpp"
#include "inspect/monitor_registers.hpp"
#include "inspect/qmp_client.hpp"
#include "inspect/task_state.hpp"

namespace drtm::inspect {

// How the inspector reaches a guest's QEMU: the monitor that pauses and
// resumes it, and the gdbstub that reads its vCPUs' registers in the pause.
struct GuestControl {
    QmpClient& qmp;
    std::filesystem::path gdb_socket;
};

struct PauseTiming {
    double stop_ms = 0;         // QMP stop until the vCPUs stopped
    double copy_ms = 0;         // copying the code out, and reading the page tables
    double cont_ms = 0;         // QMP cont
    double window_ms = 0;       // stop sent → cont answered
    bool realtime = false;      // the inspector ran the pause at real-time priority
    bool cpus_polling = false;  // the host's idle CPUs polled through the pause
};

// One vCPU's registers as the pause found them.
struct PausedVcpu {
    int cpu_index = 0;  // QEMU's
    VcpuPaging paging;
    std::optional<DescriptorTableRegister> idtr;  // when asked for
    std::optional<TaskRegister> tr;               // with the IDTR
    VcpuState state;                              // with the IDTR
    // With paging on: the hardware TSS (kTssBytes) TR points at, read in
    // the pause through the vCPU's page tables; empty when they do not map
    // it or TR was not read.
    binary::Bytes tss;
};

// What the pause reads beyond the gdbstub's registers.
enum class SystemRegisterReads {
    none,
    registers,          // QEMU's monitor dump: IDTR, TR, CPL, HLT, EFER
    registers_and_tss,  // and the TSS each TR names, through the vCPU's page tables
};

struct PausedCopy {
    binary::Bytes text, rodata;
    std::vector<std::uint64_t> words;  // the 8-byte values at the word addresses asked for
    std::vector<PausedVcpu> vcpus;     // every vCPU, in QEMU's order
    // What check_mapping said for the first vCPU with paging on whose page
    // tables do not map the code onto the copy ("vCPU n: ..."); empty when
    // all do. vCPUs with paging off (not started) run no kernel code.
    std::string mapping_problem;
    // vCPUs with paging on and CR0.WP clear: ring 0 writes through
    // read-only mappings there, the code compared included. Linux sets WP
    // at start-up and pins it; Xen keeps it set but for moments of
    // patching its own code.
    std::vector<std::string> write_protect_problems;
    // Why the IDTRs asked for were not read (QEMU's dump did not parse);
    // empty when they were, or were not asked for.
    std::string idtrs_unread;
    PauseTiming pause;
};

// Empty when a vCPU runs with CR0.WP set or paging off (it runs no code
// through page tables); otherwise the finding, naming the vCPU.
std::string write_protect_problem(int cpu_index, const VcpuPaging& registers);

// Refuses a guest that is not running (someone else's pause is not ours to
// end); resumes the guest on every path out, errors included.
// `word_addresses` are guest-physical addresses of 8-byte values read in
// the pause too (pointers the comparison needs). `check_other_tables`,
// when given, checks page tables no vCPU holds (a PV guest's, listed by
// Xen) in the pause, before the copy; what it returns is the
// mapping_problem (the vCPUs' tables are checked when it returns none).
// `system` asks QEMU's monitor for every vCPU's IDTR, TR and state too
// (monitor_registers.hpp), at the start of the pause, read after the copy,
// and with `registers_and_tss` the TSS each TR names.
// `with_registers`, when given, runs last in the pause with every vCPU's
// registers (to read what they point at).
PausedCopy copy_while_paused(
    const GuestControl& guest, const GuestMemory& ram, std::uint64_t text_physical,
    std::size_t text_size, std::uint64_t rodata_physical, std::size_t rodata_size,
    const std::function<std::string(std::uint64_t cr3)>& check_mapping,
    std::span<const std::uint64_t> word_addresses = {},
    const std::function<std::string()>& check_other_tables = {},
    SystemRegisterReads system = SystemRegisterReads::none,
    const std::function<void(std::span<const PausedVcpu>)>& with_registers = {});

}  // namespace drtm::inspect
