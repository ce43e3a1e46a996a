// The Linux DLME (Secure Launch v9–v12 behaviour): the early stub walks the
// SLRT policy the bootloader wrote and measures each entity from memory,
// logging a 0x502 record per measurement between SLAUNCH_START/END markers;
// slmodule later extends exactly the records between the markers at
// locality 2 (reference/measurements.md §4). The emulation extends as it logs,
// which gives the same PCR values and the same log.
#pragma once

#include <cstdint>

#include "launch/measurer.hpp"
#include "launch/physical_memory.hpp"

namespace drtm::launch {

// Reads the SLRT at `slrt_addr` from memory, validates it, and measures its
// policy. Throws std::runtime_error (or binary::ParseError) on a table or
// policy the kernel would reject.
void run_linux_dlme_stage(Measurer& m, const PhysicalMemory& memory, std::uint64_t slrt_addr);

}  // namespace drtm::launch
