// Reading the SLRT the way a DCE or DLME finds it: a pointer into physical
// memory, the header's size field telling how much to read.
#pragma once

#include <cstdint>

#include "launch/physical_memory.hpp"
#include "slrt/table.hpp"

namespace drtm::launch {

slrt::Table read_slrt(const PhysicalMemory& memory, std::uint64_t slrt_addr);

}  // namespace drtm::launch
