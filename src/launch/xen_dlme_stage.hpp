// The Xen DLME (TrenchBoot AEM Xen): measures the Multiboot2 information,
// on Intel the SLRT's INTEL_INFO, then every later policy entry (OS-MLE on
// Intel, each MB2 module), at locality 2, extending directly
// (reference/measurements.md §5).
#pragma once

#include <cstdint>

#include "launch/measurer.hpp"
#include "launch/physical_memory.hpp"

namespace drtm::launch {

void run_xen_dlme_stage(Measurer& m, const PhysicalMemory& memory, std::uint64_t slrt_addr);

}  // namespace drtm::launch
