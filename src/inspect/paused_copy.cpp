#include "inspect/paused_copy.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>

#include "inspect/gdb_remote.hpp"
#include "inspect/guest_page_tables.hpp"
#include "inspect/pause_section.hpp"

namespace drtm::inspect {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::uint64_t kCr0WriteProtect = 1u << 16;

double ms(Clock::duration d) {
    return std::chrono::duration<double, std::milli>(d).count();
}

// QEMU serves one debugger at a time and stops the guest when one
// connects: a connection made while another is open would wait in the
// socket's queue, and be accepted (stopping the guest) after the inspection
// resumed it. So the gdbstub must be free before the pause; a previous
// inspection's connection may take QEMU a moment to close.
void wait_for_free_gdbstub(QmpClient& qmp) {
    const auto deadline = Clock::now() + std::chrono::seconds(2);
    for (;;) {
        bool found = false, free = false;
        for (const auto& c : qmp.execute("query-chardev"))
            if (c.value("label", "") == "gdb") {
                found = true;
                free = c.value("filename", "").starts_with("disconnected:");
            }
        if (!found)
            throw std::runtime_error(
                "QEMU has no gdbstub: the guest was not started by `drtm vm run`");
        if (free) return;
        if (Clock::now() > deadline)
            throw std::runtime_error(
                "another debugger is connected to the guest's gdbstub; the inspector needs it "
                "free");
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

}  // namespace

std::string write_protect_problem(int cpu_index, const VcpuPaging& registers) {
    if (!registers.paging || (registers.cr0 & kCr0WriteProtect)) return "";
    return "vCPU " + std::to_string(cpu_index) +
           ": CR0.WP is clear: ring 0 writes through read-only mappings, the code compared "
           "included";
}

PausedCopy copy_while_paused(
    const GuestControl& guest, const GuestMemory& ram, std::uint64_t text_physical,
    std::size_t text_size, std::uint64_t rodata_physical, std::size_t rodata_size,
    const std::function<std::string(std::uint64_t cr3)>& check_mapping,
    std::span<const std::uint64_t> word_addresses,
    const std::function<std::string()>& check_other_tables, SystemRegisterReads system_reads,
    const std::function<void(std::span<const PausedVcpu>)>& with_registers) {
    auto& qmp = guest.qmp;
    PausedCopy r;
    // The pause is a critical section (pause_section.hpp), entered a few
    // milliseconds early: the host's idle CPUs then poll by the stop.
    PauseSection section;
    r.pause.realtime = section.realtime();
    r.pause.cpus_polling = section.cpus_polling();
    // Buffers and the guest's pages are touched before the pause, so the
    // copy does not fault.
    r.text.resize(text_size);
    r.rodata.resize(rodata_size);
    ram.prefault(text_physical, text_size);
    ram.prefault(rodata_physical, rodata_size);
    r.words.resize(word_addresses.size());
    for (auto pa : word_addresses) ram.prefault(pa, 8);
    if (qmp.status() != "running")
        throw std::runtime_error("the guest is not running (QMP status '" + qmp.status() +
                                 "'); inspect it once it runs");
    // The vCPUs of a guest are fixed at its start: only the host adds one.
    std::vector<int> cpu_indexes;
    for (const auto& cpu : qmp.execute("query-cpus-fast"))
        cpu_indexes.push_back(cpu.at("cpu-index").get<int>());
    if (cpu_indexes.empty()) throw std::runtime_error("QEMU lists no vCPU for the guest");
    wait_for_free_gdbstub(qmp);
    // From the stop to the cont, a critical section (pause_section.hpp).
    const auto t0 = Clock::now();
    try {
        qmp.execute("stop");
    } catch (...) {
        try {
            qmp.cont();  // in case QEMU acted on the stop after all
        } catch (...) {
        }
        throw;
    }
    const auto t1 = Clock::now();
    try {
        // Connected only now: QEMU stops a running guest when a debugger
        // connects. The registers are asked for first and read after the
        // copy, so QEMU answers while the code is copied.
        GdbRemote registers(guest.gdb_socket);
        registers.request_paging(cpu_indexes);
        // After the register requests, which QEMU answers in microseconds.
        const bool read_dump = system_reads != SystemRegisterReads::none;
        if (read_dump) registers.request_monitor("info registers -a");
        // First, while what the caller read just before the pause is still
        // in the cache (the copy that follows evicts it).
        if (check_other_tables) r.mapping_problem = check_other_tables();
        // While paused: what the vCPU executes is what was copied.
        ram.copy(text_physical, text_size, r.text, 2);
        ram.copy(rodata_physical, rodata_size, r.rodata, 2);
        for (std::size_t i = 0; i < word_addresses.size(); ++i)
            std::memcpy(&r.words[i], ram.view(word_addresses[i], 8).data(), 8);
        const auto vcpus = registers.receive_paging();
        std::vector<SystemRegisters> system;
        if (read_dump) {
            // A dump refused by QEMU, or one that does not parse, leaves the
            // IDTRs unjudged; the rest of the pause stands.
            try {
                system = system_registers_from_dump(registers.receive_monitor(), cpu_indexes);
            } catch (const std::runtime_error& e) {
                r.idtrs_unread = e.what();
            }
        }
        for (std::size_t cpu = 0; cpu < vcpus.size(); ++cpu) {
            const auto vcpu = "vCPU " + std::to_string(cpu_indexes[cpu]);
            r.vcpus.push_back({cpu_indexes[cpu], vcpus[cpu], std::nullopt, std::nullopt, {}, {}});
            if (!system.empty()) {
                auto& v = r.vcpus.back();
                v.idtr = system[cpu].idtr;
                v.tr = system[cpu].tr;
                v.state = system[cpu].state;
                // What an interrupt switches stacks by, as this vCPU maps it.
                if (system_reads == SystemRegisterReads::registers_and_tss) {
                    v.tss.resize(kTssBytes);
                    if (!vcpus[cpu].paging || v.tr->base_low_half_only ||
                        !copy_virtual(ram, vcpus[cpu].cr3, v.tr->base, v.tss))
                        v.tss.clear();
                }
            }
            if (!vcpus[cpu].paging) continue;
            if (auto problem = write_protect_problem(cpu_indexes[cpu], vcpus[cpu]);
                !problem.empty())
                r.write_protect_problems.push_back(std::move(problem));
            if (!r.mapping_problem.empty()) continue;
            if (auto problem = check_mapping(vcpus[cpu].cr3); !problem.empty())
                r.mapping_problem = vcpu + ": " + problem;
        }
        if (std::none_of(vcpus.begin(), vcpus.end(), [](const auto& v) { return v.paging; }))
            r.mapping_problem = "no vCPU has paging on: none runs the code compared";
        if (with_registers) with_registers(r.vcpus);
    } catch (const std::exception& e) {
        try {
            qmp.cont();
        } catch (const std::exception& resume) {
            throw std::runtime_error(
                std::string(e.what()) +
                "; and the guest could not be resumed, it is left paused: " + resume.what());
        }
        throw;
    }
    const auto t2 = Clock::now();
    qmp.cont();
    const auto t3 = Clock::now();
    r.pause.stop_ms = ms(t1 - t0);
    r.pause.copy_ms = ms(t2 - t1);
    r.pause.cont_ms = ms(t3 - t2);
    r.pause.window_ms = ms(t3 - t0);
    return r;
}

}  // namespace drtm::inspect
