// The only part of an inspection the guest waits for: QMP stop, copy the
// code out of guest RAM (pages and buffers touched beforehand, so nothing
// faults), read the vCPU's CR3 and check what its page tables map, QMP
// cont. Everything else (locating, comparing, measuring) runs while the
// guest runs.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "binary/bytes.hpp"
#include "inspect/guest_memory.hpp"
#include "inspect/qmp_client.hpp"

namespace drtm::inspect {

struct PauseTiming {
    double stop_ms = 0;    // QMP stop until the vCPUs stopped
    double copy_ms = 0;    // copying the code out, and reading the page tables
    double cont_ms = 0;    // QMP cont
    double window_ms = 0;  // stop sent → cont answered
};

struct PausedCopy {
    binary::Bytes text, rodata;
    std::uint64_t cr3 = 0;
    std::string mapping_problem;  // what check_mapping(cr3) said; empty when fine
    PauseTiming pause;
};

// Refuses a guest that is not running (someone else's pause is not ours to
// end); resumes the guest on every path out, errors included.
PausedCopy copy_while_paused(QmpClient& qmp, const GuestMemory& ram, std::uint64_t text_physical,
                             std::size_t text_size, std::uint64_t rodata_physical,
                             std::size_t rodata_size,
                             const std::function<std::string(std::uint64_t cr3)>& check_mapping);

}  // namespace drtm::inspect
